"""Data sets of the course: the paper's toy examples and three small UCI data sets.

Every loader returns a frozen :class:`Dataset` with ``X`` of shape ``(n_samples, n_features)``
(scikit-learn convention; the papers store data as ``d x n``, columns are points), the
reference labels ``y``, the feature names, a one-line description and the citation.

Nothing here downloads anything: Iris and Wine ship with scikit-learn, Seeds ships with this
package (``tutorial_lib/data/seeds_dataset.txt``, CC BY 4.0, citation in ``data/README.md``).
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from .core.results import result
from .core.validation import check_choice, check_data_matrix, check_labels

__all__ = [
    "Dataset",
    "toy_four_points",
    "example3_perturbed",
    "example4_perturbed",
    "load_iris",
    "load_wine",
    "load_seeds",
    "load_dataset",
    "DATASET_NAMES",
]

_DATA_DIR = Path(__file__).resolve().parent / "data"
_ZHENG_LI = (
    'Y. Zheng, Q. Li, "A Unified Bilevel Model for Adversarial Learning and A Case Study", '
    "arXiv:2510.25121 (2025)"
)


@result
class Dataset:
    """A small labelled data set.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
        Row ``i`` is the point ``x_i`` (the paper's column ``i``).
    y : ndarray of shape (n_samples,)
        Reference labels (ground truth classes, or the paper's stated partition for toys).
    feature_names : tuple of str
    description : str
    citation : str
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    description: str
    citation: str

    def __post_init__(self):
        X = check_data_matrix(self.X, "X")
        y = check_labels(self.y, "y", n_samples=X.shape[0])
        if len(self.feature_names) != X.shape[1]:
            raise ValueError(
                f"feature_names has {len(self.feature_names)} entries, X has {X.shape[1]} features"
            )
        X = X.copy()
        y = y.copy()
        X.setflags(write=False)
        y.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", tuple(str(f) for f in self.feature_names))

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def standardized(self) -> "Dataset":
        """Return a copy with every feature centred and scaled to unit standard deviation.

        ``x_ij <- (x_ij - mean_j) / std_j`` (population std; a constant feature is only
        centred). Used so that one kernel width ``phi`` fits all features. The values are then
        in standard deviations of each feature, not in the original units, so the feature
        names lose their unit and say "(standardized)": "petal width (cm)" becomes
        "petal width (standardized)".
        """
        mean = self.X.mean(axis=0)
        std = self.X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return replace(
            self,
            name=self.name + " (standardized)",
            X=(self.X - mean) / std,
            feature_names=tuple(_standardized_name(f) for f in self.feature_names),
            description=self.description + " Features standardized (zero mean, unit variance): "
                                           "values are in standard deviations, not original units.",
        )


def _standardized_name(name):
    """Drop a trailing unit in parentheses and mark the feature as standardized."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name) + " (standardized)"


def toy_four_points() -> Dataset:
    """The 1-D example of Zheng & Li (Examples 3-4): ``X = [0, 2, 10, 14]`` as a (4, 1) array.

    Its reference partition is ``{{1, 2}, {3, 4}}``, i.e. ``y = [0, 0, 1, 1]``; with uniform
    weights and p = 2, convex clustering recovers it for gamma in [2, 2.75) (Theorem 1).

    Examples
    --------
    >>> d = toy_four_points()
    >>> d.X.ravel().tolist(), d.y.tolist()
    ([0.0, 2.0, 10.0, 14.0], [0, 0, 1, 1])
    """
    return Dataset(
        name="toy: X = [0, 2, 10, 14]",
        X=np.array([[0.0], [2.0], [10.0], [14.0]]),
        y=np.array([0, 0, 1, 1]),
        feature_names=("x",),
        description="Four points on a line, two clusters (Zheng & Li, Example 3).",
        citation=_ZHENG_LI + ", Example 3",
    )


def example3_perturbed() -> Dataset:
    """Example 3 of Zheng & Li: ``x_3`` moved from 10 to 17 (eps = [0, 0, 7, 0]); partition unchanged.

    Examples
    --------
    >>> d = example3_perturbed()
    >>> (d.X - toy_four_points().X).ravel().tolist(), d.y.tolist()   # eps = [0, 0, 7, 0]
    ([0.0, 0.0, 7.0, 0.0], [0, 0, 1, 1])
    """
    return Dataset(
        name="toy: Example 3, X(eps) = [0, 2, 17, 14]",
        X=np.array([[0.0], [2.0], [17.0], [14.0]]),
        y=np.array([0, 0, 1, 1]),
        feature_names=("x",),
        description="Example 3 perturbed: x_3 = 17; the partition {{1,2},{3,4}} survives.",
        citation=_ZHENG_LI + ", Example 3",
    )


def example4_perturbed() -> Dataset:
    """Example 4 of Zheng & Li: ``x_3`` moved from 10 to -4; the partition becomes {{1,2,3},{4}}.

    Examples
    --------
    >>> d = example4_perturbed()
    >>> (d.X - toy_four_points().X).ravel().tolist(), d.y.tolist()   # eps = [0, 0, -14, 0]
    ([0.0, 0.0, -14.0, 0.0], [0, 0, 0, 1])
    """
    return Dataset(
        name="toy: Example 4, X(eps) = [0, 2, -4, 14]",
        X=np.array([[0.0], [2.0], [-4.0], [14.0]]),
        y=np.array([0, 0, 0, 1]),
        feature_names=("x",),
        description="Example 4 perturbed: x_3 = -4; convex clustering gives {{1,2,3},{4}}.",
        citation=_ZHENG_LI + ", Example 4",
    )


def load_iris() -> Dataset:
    """Fisher's Iris (150 x 4, three species of 50), from scikit-learn (no download).

    Examples
    --------
    >>> d = load_iris()
    >>> d.X.shape, np.bincount(d.y).tolist()
    ((150, 4), [50, 50, 50])
    """
    from sklearn.datasets import load_iris as _load

    raw = _load()
    return Dataset(
        name="iris",
        X=raw.data,
        y=raw.target,
        feature_names=tuple(raw.feature_names),
        description="Iris flowers: 150 samples, 4 features (cm), 3 species of 50.",
        citation='R. A. Fisher, "The use of multiple measurements in taxonomic problems", '
        "Annals of Eugenics 7 (1936); UCI Machine Learning Repository (CC BY 4.0).",
    )


def load_wine() -> Dataset:
    """UCI Wine recognition (178 x 13, three cultivars of 59/71/48), from scikit-learn.

    Examples
    --------
    >>> d = load_wine()
    >>> d.X.shape, np.bincount(d.y).tolist()
    ((178, 13), [59, 71, 48])
    """
    from sklearn.datasets import load_wine as _load

    raw = _load()
    return Dataset(
        name="wine",
        X=raw.data,
        y=raw.target,
        feature_names=tuple(raw.feature_names),
        description="Wine: 178 samples, 13 chemical features on very different scales, 3 cultivars.",
        citation="M. Forina et al., PARVUS (1988); UCI Machine Learning Repository (CC BY 4.0).",
    )


SEEDS_FEATURES = (
    "area",
    "perimeter",
    "compactness",
    "kernel length",
    "kernel width",
    "asymmetry coefficient",
    "kernel groove length",
)


def load_seeds() -> Dataset:
    """UCI Seeds (210 x 7, wheat varieties Kama, Rosa, Canadian; 70 each), shipped with the package.

    The original file separates columns by one *or two* tab characters, so it is parsed
    with a whitespace splitter; labels 1, 2, 3 are mapped to 0, 1, 2.

    Examples
    --------
    >>> d = load_seeds()
    >>> d.X.shape, np.bincount(d.y).tolist(), d.feature_names[0]
    ((210, 7), [70, 70, 70], 'area')
    """
    path = _DATA_DIR / "seeds_dataset.txt"
    rows = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lengths = {len(r) for r in rows}
    if lengths != {8}:
        raise ValueError(f"{path.name}: expected 8 columns per row, found {sorted(lengths)}")
    table = np.array(rows, dtype=float)
    return Dataset(
        name="seeds",
        X=table[:, :7],
        y=table[:, 7].astype(np.int64) - 1,
        feature_names=SEEDS_FEATURES,
        description="Seeds: 210 wheat kernels, 7 geometric features, 3 varieties of 70.",
        citation="M. Charytanowicz et al., \"Complete Gradient Clustering Algorithm for Features "
        "Analysis of X-ray Images\", Information Technologies in Biomedicine, Springer (2010); "
        "UCI Machine Learning Repository (CC BY 4.0).",
    )


_LOADERS = {
    "toy": toy_four_points,
    "iris": load_iris,
    "seeds": load_seeds,
    "wine": load_wine,
}
DATASET_NAMES = tuple(_LOADERS)


def load_dataset(name: str, *, standardize: bool = False) -> Dataset:
    """Load a data set by name (``"toy"``, ``"iris"``, ``"seeds"``, ``"wine"``).

    ``standardize=True`` returns :meth:`Dataset.standardized`.

    Examples
    --------
    >>> load_dataset("toy").X.shape
    (4, 1)
    >>> Z = load_dataset("iris", standardize=True).X   # each feature: mean 0, standard deviation 1
    >>> bool(np.allclose(Z.mean(axis=0), 0)), bool(np.allclose(Z.std(axis=0), 1))
    (True, True)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    check_choice(name, "name", DATASET_NAMES)
    if not isinstance(standardize, (bool, np.bool_)):
        raise TypeError(f"standardize must be a bool, got {type(standardize).__name__}")
    data = _LOADERS[name]()
    return data.standardized() if standardize else data
