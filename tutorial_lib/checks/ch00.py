"""Warm-up questions (sheet ``00_warmup``): one of each kind, exercising the whole framework."""
import numpy as np

from ..warmup import nearest_center_assignment
from ._core import Case, ChoiceQuestion, FunctionQuestion, Mistake, ThoughtQuestion, ValueQuestion

__all__ = ["q1", "q2", "q3", "q4"]

q1 = ValueQuestion(
    "ch00.q1",
    (150, 4),
    what="shape",
    mistakes=[Mistake(lambda a, e: tuple(a) == tuple(e)[::-1],
                      "that is the paper's d x n layout (points as columns); the code stacks points as rows: "
                      "(n_samples, n_features).")],
    hints=[
        "The paper stacks the points as *columns* of a d x n matrix; the code stacks them as *rows*.",
        "Iris has n = 150 flowers and d = 4 measurements. The code's shape is (n_samples, n_features).",
    ],
    solution="`(150, 4)`: one row per flower, one column per measurement (the transpose of the paper's 4 x 150).",
)


def _nearest_labels(points, centers):
    return nearest_center_assignment(points, centers).labels


def _nearest_cases(rng):
    yield Case((np.array([[1.0], [9.0]]), np.array([[0.0], [10.0]])), description="two points on a line")
    yield Case((np.array([[0.0, 0.0], [5.0, 5.0], [4.0, 0.0]]), np.array([[0.0, 1.0], [5.0, 4.0]])),
               description="three points in the plane")
    for k in (2, 3, 5):
        yield Case((rng.normal(size=(20, 3)), rng.normal(size=(k, 3))), description=f"random, {k} centres")


q2 = FunctionQuestion(
    "ch00.q2",
    _nearest_labels,
    _nearest_cases,
    compare=lambda e, g: (np.shape(g) == np.shape(e) and bool(np.all(np.asarray(g) == e)),
                          "labels differ" if np.shape(g) == np.shape(e) else f"expected shape {np.shape(e)}"),
    hints=[
        "Compute an (n_points, n_centers) matrix of distances first; broadcasting "
        "`points[:, None, :] - centers[None, :, :]` gives all differences at once.",
        "`np.argmin(distances, axis=1)` returns, for every row, the column of the smallest entry.",
    ],
    solution=(
        "```python\ndef nearest_center(points, centers):\n"
        "    d = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)\n"
        "    return np.argmin(d, axis=1)\n```"
    ),
)

q3 = ChoiceQuestion(
    "ch00.q3",
    {
        "a": "the distances from x to the two centres",
        "b": "the label (which centre is nearest)",
        "c": "both the distances and the label",
    },
    "b",
    feedback={
        "a": "The distances change by at most |dx| when x moves by dx: they cannot jump.",
        "c": "Only one of the two is discontinuous.",
    },
    hints=[
        "Move the slider slowly across the midpoint and watch both panels.",
        "A distance |x - c| changes by at most |dx|; an integer label can only stay or jump.",
    ],
    solution="(b). Distances are 1-Lipschitz in x; the label is piecewise constant and jumps at the midpoint 5.",
)

q4 = ThoughtQuestion(
    "ch00.q4",
    hints=[
        "Where is the label of a point decided? Think of the nearest centre, or the nearest group.",
        "What happens to a point exactly halfway between two groups when you push it a tiny bit left or right?",
    ],
    solution=(
        "Any point that sits on (or very near) the boundary between two clusters: an arbitrarily small push "
        "moves it across, so the partition changes although the data barely moved. Chapter 03 makes the "
        "opposite statement precise for convex clustering: its certificate is a set of conditions on the "
        "distances within clusters and between cluster means (Theorem 2), and as long as these conditions hold "
        "with a margin, no small enough perturbation can change the partition. (A point-to-boundary distance "
        "is closer to the ClusTR radius of chapter 06.)"
    ),
)
