r"""Small numerical kernels used across the chapters (one definition each).

* :func:`check_p` -- the p-norm parser of the convex clustering penalty: ``p`` in
  :math:`\{1, 2, \infty\}`, infinity spelled ``np.inf``/``math.inf``/``float("inf")`` or the
  strings ``"inf"``/``"infinity"`` (any case, surrounding blanks ignored).
* :func:`conjugate_exponent` -- ``q`` with :math:`1/p + 1/q = 1`.
* Euclidean projections of the rows of an array onto :math:`\ell_1`, :math:`\ell_2` and
  :math:`\ell_\infty` balls (:func:`project_l1_ball`, :func:`project_l2_ball`,
  :func:`project_linf_ball`, dispatcher :func:`project_ball`).
* :func:`softmax` and :func:`log_softmax`, stabilised by the row maximum.

Lowest layer: imports nothing from the rest of :mod:`tutorial_lib` except
:mod:`tutorial_lib.core.validation`.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "INF_SPELLINGS",
    "check_p",
    "conjugate_exponent",
    "project_l1_ball",
    "project_l2_ball",
    "project_linf_ball",
    "project_ball",
    "softmax",
    "log_softmax",
]

#: the accepted string spellings of p = infinity (compared after ``strip().lower()``)
INF_SPELLINGS = ("inf", "infinity")


def check_p(p, name="p"):
    """Validate the norm exponent ``p`` of the penalty; return ``1``, ``2`` or ``math.inf``.

    Accepted: the numbers 1, 2 (ints or floats, NumPy scalars too) and infinity, written as a
    float (``np.inf``) or as one of :data:`INF_SPELLINGS`. Anything else raises ``TypeError``
    (not a number, another string) or ``ValueError`` (another number, e.g. 3 or 1.5), naming
    ``name``.

    Examples
    --------
    >>> check_p(2), check_p(1.0), check_p("inf"), check_p(" Infinity ")
    (2, 1, inf, inf)
    >>> check_p(3)
    Traceback (most recent call last):
    ...
    ValueError: p must be one of 1, 2, inf, got 3
    """
    if isinstance(p, str):
        if p.strip().lower() in INF_SPELLINGS:
            return math.inf
        raise TypeError(f"{name} must be 1, 2 or inf (a number, or the string 'inf'), got {p!r}")
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be 1, 2 or inf, got {type(p).__name__}")
    value = float(p)
    if value not in (1.0, 2.0, math.inf):
        raise ValueError(f"{name} must be one of 1, 2, inf, got {p!r}")
    return math.inf if value == math.inf else int(value)


def conjugate_exponent(p, name="p"):
    """``q`` with ``1/p + 1/q = 1`` for ``p`` in {1, 2, inf}: 1 -> inf, 2 -> 2, inf -> 1.

    Examples
    --------
    >>> conjugate_exponent(1), conjugate_exponent("inf")
    (inf, 1)
    """
    return {1: math.inf, 2: 2, math.inf: 1}[check_p(p, name)]


def project_l2_ball(V, radius):
    r"""Project each row ``v`` of ``V`` onto :math:`\{x : \|x\|_2 \le r\}`: :math:`v\min(1, r/\|v\|_2)`.

    ``V`` is 1-D (one vector) or 2-D (rows); ``radius`` a scalar or one radius per row.

    Examples
    --------
    >>> project_l2_ball(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    """
    V = np.asarray(V, dtype=float)
    r = np.asarray(radius, dtype=float)
    nrm = np.linalg.norm(V, axis=-1, keepdims=True)
    if r.ndim:
        r = r.reshape(r.shape + (1,))
    return V * np.minimum(1.0, r / np.maximum(nrm, 1e-300))


def project_linf_ball(V, radius):
    r"""Project each row onto :math:`\{x : \|x\|_\infty \le r\}` (coordinate-wise clipping).

    Examples
    --------
    >>> project_linf_ball(np.array([3.0, -0.5]), 1.0)
    array([ 1. , -0.5])
    """
    V = np.asarray(V, dtype=float)
    r = np.asarray(radius, dtype=float)
    if r.ndim:
        r = r.reshape(r.shape + (1,))
    return np.clip(V, -r, r)


def project_l1_ball(V, radius):
    r"""Project each row ``v`` onto :math:`\{x : \|x\|_1 \le r\}` (sort rule of Duchi et al., 2008).

    With :math:`u` the sorted :math:`|v|` (descending),
    :math:`\rho = \max\{k : \sum_{i \le k}(u_i - u_k) < r\}`, the projection is
    :math:`\operatorname{sign}(v)\max(|v| - \theta, 0)` with
    :math:`\theta = (\sum_{i\le\rho} u_i - r)/\rho`. Evaluated in the gaps
    :math:`d_i = u_1 - u_i` to the largest entry, so nothing is lost when ``r`` is below an ulp
    of :math:`\max|v|` (the naive ``cumsum(u) - r`` rounds to ``cumsum(u)`` there):
    :math:`\sum_{i\le k}(u_i - u_k) = k d_k - \sum_{i\le k} d_i` and the kept entries are
    :math:`(r + \sum_{i\le\rho} d_i)/\rho - d_i`. A final rescale removes any rounding excess,
    so the result is always in the ball. Rows already in the ball are returned unchanged;
    ``r <= 0`` gives 0. ``V`` is one vector (1-D) or rows (2-D); ``radius`` a scalar or one per row.

    Examples
    --------
    >>> project_l1_ball(np.array([2.0, 1.0]), 1.0)
    array([1., 0.])
    """
    V = np.asarray(V, dtype=float)
    if V.ndim == 1:
        return project_l1_ball(V[None, :], np.reshape(radius, -1)[:1] if np.ndim(radius) else radius)[0]
    t = np.broadcast_to(np.asarray(radius, dtype=float), V.shape[:1])
    out = V.copy()
    if V.size == 0:
        return out
    A = np.abs(V)
    outside = A.sum(axis=1) > t
    if not np.any(outside):
        return out
    Ao, to = A[outside], t[outside]
    m, d = Ao.shape
    order = np.argsort(-Ao, axis=1, kind="stable")
    U = np.take_along_axis(Ao, order, axis=1)
    gaps = U[:, :1] - U                      # d_i = u_1 - u_i >= 0, increasing
    cg = np.cumsum(gaps, axis=1)
    k = np.arange(1, d + 1)
    s = k * gaps - cg                        # sum_{i<=k} (u_i - u_k), non-decreasing in k
    cond = s < to[:, None]
    cond[:, 0] = to > 0                      # k = 1 is admissible whenever r > 0
    rho = np.maximum(cond.sum(axis=1), 1)    # cond is a prefix (s non-decreasing)
    rows = np.arange(m)
    level = (to + cg[rows, rho - 1]) / rho   # u_1 - theta
    Xs = np.maximum(level[:, None] - gaps, 0.0)
    Xs[k[None, :] > rho[:, None]] = 0.0
    Xs[to <= 0] = 0.0
    res = np.empty_like(Xs)
    np.put_along_axis(res, order, Xs, axis=1)
    for _ in range(3):                       # remove any rounding excess over r
        tot = res.sum(axis=1)
        over = tot > to
        if not np.any(over):
            break
        res[over] *= (to[over] / tot[over])[:, None] * (1.0 - 2.0 * np.finfo(float).eps)
    out[outside] = np.sign(V[outside]) * res
    return out


def project_ball(V, radius, q):
    """Euclidean projection of each row onto the ``l_q`` ball of ``radius`` (q in {1, 2, inf}).

    Examples
    --------
    >>> project_ball(np.array([2.0, 1.0]), 1.0, "inf")
    array([1., 1.])
    """
    q = check_p(q, "q")
    if q == 2:
        return project_l2_ball(V, radius)
    if q == 1:
        return project_l1_ball(V, radius)
    return project_linf_ball(V, radius)


def log_softmax(Z, axis=-1):
    r""":math:`z_k - \log\sum_j e^{z_j}`, computed as ``s - log(sum(exp(s)))`` with ``s = z - max z``.

    Examples
    --------
    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3)
    array([[0.5, 0.5]])
    """
    Z = np.asarray(Z)
    shifted = Z - Z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(Z, axis=-1):
    r""":math:`e^{z_k} / \sum_j e^{z_j}`, computed as ``e / e.sum()`` with ``e = exp(z - max z)``.

    Entries equal to ``-inf`` get probability 0 (a masked logit).

    Examples
    --------
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    Z = np.asarray(Z)
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
