"""The nearest-centre classifier (a feature network plus centres), saving and loading models, and
the 2-D drawing plane of features (chapter 06). Part of :mod:`tutorial_lib.clustr`.
"""
from __future__ import annotations

from dataclasses import field

import numpy as np

from ..core.results import result
from ..core.validation import check_data_matrix, check_positive
from ..network import MLP
from .lipschitz import _check_net
from .magnet import magnet_probabilities
from .radius import _check_centers, feature_margin, nearest_center_predict, robustness_radius


@result
class CentroidClassifier:
    """A feature network plus centres: the hard nearest-centre rule and the soft rule (Eq. 4).

    Attributes
    ----------
    net : MLP, the feature map ``f``
    centers : (m, d) array;  center_classes : (m,) int array
    sigma2 : float or None, the Magnet variance (needed for the soft classifier only)

    Examples
    --------
    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> X = np.array([[0.5, 0.0], [-0.1, 3.0]])
    >>> model.predict(X).tolist(), np.round(model.margin(X), 4).tolist(), np.round(model.radius(X, 2.0), 4).tolist()
    ([1, 0], [1.0, 0.2], [0.5, 0.1])
    """

    net: MLP
    centers: np.ndarray = field(repr=False)
    center_classes: np.ndarray
    sigma2: float | None = None

    def __post_init__(self):
        _check_net(self.net)
        F = np.zeros((1, self.net.layer_sizes[-1]))
        _check_centers(F, self.centers, self.center_classes)
        if self.sigma2 is not None:
            check_positive(self.sigma2, "sigma2")

    def features(self, X):
        return self.net.forward(X)

    def predict(self, X):
        """Hard nearest-centre prediction."""
        return nearest_center_predict(self.features(X), self.centers, self.center_classes)

    def predict_proba(self, X):
        """Soft Magnet prediction, Eq. (4) (columns: sorted classes)."""
        if self.sigma2 is None:
            raise ValueError("sigma2 is None: this classifier has no soft rule")
        return magnet_probabilities(self.features(X), self.centers, self.center_classes, self.sigma2)

    def margin(self, X, labels=None):
        """Feature-space margin, see :func:`~tutorial_lib.clustr.feature_margin`."""
        return feature_margin(self.features(X), self.centers, self.center_classes, labels)

    def radius(self, X, lipschitz):
        """Certified L2 radius of each row (see :func:`~tutorial_lib.clustr.robustness_radius`)."""
        return robustness_radius(self.features(X), self.centers, self.center_classes, lipschitz)


def save_models(path, models):
    """Save ``{name: CentroidClassifier or MLP}`` to one ``.npz`` file (see :func:`load_models`).

    Examples
    --------
    >>> import os, tempfile
    >>> from tutorial_lib.network import MLP
    >>> tmp = tempfile.TemporaryDirectory(); path = os.path.join(tmp.name, "models.npz")
    >>> save_models(path, {"net": MLP([2, 3, 2], random_state=0)})
    >>> loaded = load_models(path)["net"]
    >>> ref = MLP([2, 3, 2], random_state=0)
    >>> loaded.layer_sizes, all(np.array_equal(a, b) for a, b in zip(loaded.params, ref.params))
    ((2, 3, 2), True)
    >>> tmp.cleanup()
    """
    arrays = {}
    for name, model in models.items():
        if "/" in name:
            raise ValueError(f"model names must not contain '/', got {name!r}")
        net = model.net if isinstance(model, CentroidClassifier) else _check_net(model, f"models[{name!r}]")
        for key, value in net.to_arrays().items():
            arrays[f"{name}/net/{key}"] = value
        if isinstance(model, CentroidClassifier):
            arrays[f"{name}/centers"] = model.centers
            arrays[f"{name}/center_classes"] = model.center_classes
            arrays[f"{name}/sigma2"] = np.array(np.nan if model.sigma2 is None else model.sigma2)
    np.savez_compressed(path, **arrays)


def load_models(path):
    """Load the ``{name: CentroidClassifier or MLP}`` dictionary written by :func:`save_models`.

    Examples
    --------
    A classifier survives the round trip through :func:`save_models` (net, centres and sigma^2):

    >>> from tutorial_lib.network import MLP
    >>> net = MLP([2, 2], random_state=0); net.params[0][...] = 2 * np.eye(2)   # f(x) = 2 x, L_f = 2
    >>> centers, classes = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0, 1])
    >>> model = CentroidClassifier(net, centers, classes)
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory(); path = os.path.join(tmp.name, "models.npz")
    >>> save_models(path, {"toy": CentroidClassifier(net, centers, classes, sigma2=1.0)})
    >>> back = load_models(path)["toy"]
    >>> back.predict(np.array([[0.5, 0.0]])).tolist(), back.sigma2, back.centers.tolist()
    ([1], 1.0, [[-2.0, 0.0], [2.0, 0.0]])
    >>> tmp.cleanup()
    """
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    names = sorted({k.split("/")[0] for k in arrays})
    out = {}
    for name in names:
        net = MLP.from_arrays({k.split("/", 2)[2]: v for k, v in arrays.items() if k.startswith(f"{name}/net/")})
        if f"{name}/centers" in arrays:
            s2 = float(arrays[f"{name}/sigma2"])
            out[name] = CentroidClassifier(net, arrays[f"{name}/centers"], arrays[f"{name}/center_classes"],
                                           None if np.isnan(s2) else s2)
        else:
            out[name] = net
    return out


def feature_plane_basis(features, centers):
    """Orthonormal ``(d, 2)`` basis for drawing features in 2-D.

    First axis: the direction ``mu_1 - mu_0`` of the first two centres, so that their bisector
    is drawn as a vertical line at its true distance (for two centres the picture of the
    margin is exact). Second axis: the leading principal direction of the features orthogonal
    to the first.

    Examples
    --------
    >>> F = np.random.default_rng(0).normal(size=(20, 3))
    >>> B = feature_plane_basis(F, np.array([[0.0, 0.0, 0.0], [0.0, 3.0, 4.0]]))
    >>> B.shape, np.round(B[:, 0], 4).tolist(), bool(np.allclose(B.T @ B, np.eye(2)))   # axis 1: (mu_1 - mu_0) / 5
    ((3, 2), [0.0, 0.6, 0.8], True)
    """
    F = check_data_matrix(features, "features")
    C = check_data_matrix(centers, "centers", min_samples=2)
    if C.shape[1] != F.shape[1]:
        raise ValueError(f"centers must have {F.shape[1]} columns like features, got {C.shape[1]}")
    if F.shape[1] < 2:
        raise ValueError("features need at least 2 columns for a plane")
    u = C[1] - C[0]
    nu = np.linalg.norm(u)
    if nu == 0:
        raise ValueError("the first two centres coincide")
    u = u / nu
    R = F - F.mean(0)
    R = R - np.outer(R @ u, u)
    v = np.linalg.svd(R, full_matrices=False)[2][0] if np.any(R) else np.eye(F.shape[1])[np.argmin(np.abs(u))]
    v = v - (v @ u) * u
    return np.column_stack([u, v / np.linalg.norm(v)])
