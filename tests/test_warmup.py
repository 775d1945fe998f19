import itertools

import numpy as np
import pytest

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____, ch00
from tutorial_lib.warmup import nearest_center_assignment


def brute_force_labels(points, centers):
    labels = []
    for x in points:
        best, best_d = None, np.inf
        for k, c in enumerate(centers):
            d = sum((a - b) ** 2 for a, b in zip(x, c)) ** 0.5
            if d < best_d:
                best, best_d = k, d
        labels.append(best)
    return np.array(labels)


def test_nearest_center_matches_brute_force():
    rng = np.random.default_rng(0)
    for n, k, d in itertools.product([1, 7], [1, 2, 4], [1, 3]):
        X, C = rng.normal(size=(n, d)), rng.normal(size=(k, d))
        res = nearest_center_assignment(X, C)
        assert np.array_equal(res.labels, brute_force_labels(X, C))
        assert res.distances.shape == (n, k)


def test_label_jumps_while_distances_move_calmly():
    xs = np.linspace(0, 10, 1001).reshape(-1, 1)
    res = nearest_center_assignment(xs, [[0.0], [10.0]])
    assert np.max(np.abs(np.diff(res.distances, axis=0))) <= 0.01 + 1e-12
    jumps = np.flatnonzero(np.diff(res.labels))
    assert len(jumps) == 1 and xs[jumps[0], 0] == pytest.approx(5.0)


def test_bad_input():
    with pytest.raises(ValueError, match="points"):
        nearest_center_assignment([1.0, 2.0], [[0.0]])
    with pytest.raises(ValueError, match="centers"):
        nearest_center_assignment([[1.0]], [[np.nan]])
    with pytest.raises(ValueError, match="features"):
        nearest_center_assignment([[1.0, 2.0]], [[0.0]])


def reference_nearest(points, centers):
    d = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)
    return np.argmin(d, axis=1)


@pytest.mark.parametrize(
    "question, right, wrong, wrong_words",
    [
        (ch00.q1, (150, 4), (4, 150), "d x n layout"),
        (ch00.q1, (150, 4), (150, 3), "not right"),
        (ch00.q2, reference_nearest, lambda p, c: np.argmax(np.linalg.norm(p[:, None] - c[None], axis=2), 1),
         "case 1"),
        (ch00.q3, "b", "c", "Only one"),
    ],
)
def test_warmup_questions(question, right, wrong, wrong_words):
    assert question.evaluate(____).status == NOT_ATTEMPTED
    assert question.evaluate(right).status == PASSED
    res = question.evaluate(wrong)
    assert res.status == FAILED and wrong_words in res.message
    assert len(question._hints) >= 2 and question._solution


def test_warmup_function_question_reports_crashes():
    res = ch00.q2.evaluate(lambda p, c: p.nonexistent)
    assert res.status == FAILED and "AttributeError" in res.message


def test_warmup_thought_question():
    assert ch00.q4.evaluate(____).status == NOT_ATTEMPTED
    assert ch00.q4.evaluate("points near a boundary").status == UNGRADED
    # chapter 03's certificate is a set of within/between conditions (Theorem 2), not a point-to-boundary distance
    model = ch00.q4._solution
    assert "Theorem 2" in model and "far enough from such a boundary" not in model
