r"""Convex clustering (CVC): weights, an exact-enough solver, clusterpaths and an estimator.

The model (Example 2 of Zheng & Li; Hocking et al. 2011; Sun, Toh & Yuan 2021) is

.. math::

    \min_{Y}\; \tfrac12 \sum_{i=1}^n \|y_i - x_i\|_2^2
        + \gamma \sum_{i<j} w_{ij}\, \|y_i - y_j\|_p, \qquad p \in \{1, 2, \infty\}.   \tag{CVC}

Notation: the papers store data as :math:`X \in \mathbb R^{d\times n}` (columns are points);
this module follows scikit-learn, ``X`` has shape ``(n_samples, n_features)`` and row ``i`` is
:math:`x_i`. The objective is strongly convex, so ``Y*`` is unique; points ``i`` and ``j`` are
in the same cluster when :math:`y_i^* = y_j^*`.

Solvers (chosen automatically by :func:`solve_cvc`):

* ``"isotonic"``: one feature and constant weights. Sorting ``x`` turns the penalty into a
  linear function and CVC into isotonic regression of ``x_(i) - gamma*c*(2i - n - 1)``
  (lesson 02). Exact, :math:`O(n\log n)`.
* ``"fast"`` (the default for ``d > 1`` or non-constant weights): the ADMM below plus the
  *fusion polish* of :mod:`tutorial_lib.convex_clustering.fast` for ``p = 2``: the partition
  ADMM's split variable fuses is solved exactly as a reduced problem on the cluster centroids (damped
  Newton, clusters that meet are merged as in CCMM, Touw, Groenen & Terada 2024), and lifted
  back with exact fusions, exact between-cluster subgradients and within-cluster multipliers
  found by a semismooth Newton flow solve. The lifted point is returned only if its own KKT
  residual and duality gap meet ``tol``; otherwise ADMM goes on. Along a path with growing
  ``gamma`` the warm start's partition is tried first (often no ADMM iteration is needed).
* ``"admm"``: the reference ADMM (readable, kept for teaching and cross-checks): ADMM on the
  edge splitting :math:`v_e = y_i - y_j` (Chi & Lange 2015) with
  over-relaxation and residual balancing. The Y-step solves :math:`(I + \sigma L)Y = R`, with
  ``L`` the (unweighted) Laplacian of the weight graph, by a sparse LU factorisation reused
  until ``sigma`` changes; for constant dense weights (complete graph) the closed form
  :math:`(I + \sigma(nI - 11^\top))^{-1} v = \bar v + (v - \bar v)/(1 + \sigma n)` costs
  :math:`O(nd)` and nothing is factorised (``method="admm-complete"``).

  Why uniform weights in ``d > 1`` still hold an edge list: the closed form removes the
  linear solve, but not the edge splitting. ADMM keeps one split variable :math:`v_e` and one
  multiplier :math:`\lambda_e \in \mathbb R^d` per pair, because the penalty's prox is
  separable only edge by edge; the multipliers are also the dual certificate (KKT residual,
  duality gap) and the warm start of a path. So memory is :math:`O(n^2 d)` for the complete
  graph, as for any edge-splitting method. The closed-form isotonic path (no edges at all) exists
  only for ``d = 1``, where sorting makes every pair's sign known; in ``d > 1`` no closed form
  for ``Y*`` is known. For large ``n`` use sparse (kNN) weights. (In ``d = 1`` the isotonic
  solve uses no edges; validating the dense ``(n, n)`` input and the fusion check still read its
  ``n(n-1)/2`` pairs once, the same order as the input itself.)

Every iterative result carries an honest certificate: the relative KKT residual (as in SSNAL, the
max of the relative stationarity and complementarity residuals, but normalised by the centred
data norm so that it is invariant to translating and rescaling the data) and the duality gap
:math:`P(Y) - D(\Lambda)` of the multipliers rescaled into the dual ball (never clamped; a bound
on its rounding error is included), which bounds the distance to the true solution by
:math:`\|Y - Y^*\|_F \le \sqrt{2\,\mathrm{gap}}` (the objective is 1-strongly convex).

Clusters are read off by :func:`fusion_partition` / :func:`fusion_labels`: connected components
of the weight graph restricted to edges with :math:`\|y_i - y_j\|_2 \le \tau\cdot\text{scale}`,
with a check that the partition does not change over a decade of ``tau``.

Submodules (by job, lowest first; import the public names from this package):

* ``kernels``: the numerical kernels shared by the engines (row norms, projections onto the dual
  ball, prox, the edge operator, the certificate: KKT residual and duality gap).
* ``weights``: :func:`uniform_weights`, :func:`knn_gaussian_weights` (with the bridges of
  ``connect=True``), :func:`phi_from_scale`.
* ``graph``: the validated weight graph (edge list, incidence matrix, Laplacian) and its cache.
* ``fusion``: :func:`fusion_partition`, :func:`fusion_labels`, :class:`FusionResult`.
* ``fast``: the fast engine, the ADMM loop with the fusion polish.
* ``admm``: the reference ADMM and the solver of :math:`(I + \sigma L)Y = R` with its cached factors.
* ``solve``: :func:`solve_cvc`, :class:`CVCSolution`, :func:`cvc_1d_uniform`, :func:`cvc_objective`.
* ``path``: :func:`clusterpath`, :class:`ClusterPath`.
* ``estimator``: :class:`ConvexClustering`.
"""
from .estimator import ConvexClustering
from .fusion import FusionResult, fusion_labels, fusion_partition
from .path import ClusterPath, clusterpath
from .solve import CVCSolution, cvc_1d_uniform, cvc_objective, solve_cvc
from .weights import knn_gaussian_weights, phi_from_scale, uniform_weights

__all__ = [
    "knn_gaussian_weights",
    "phi_from_scale",
    "uniform_weights",
    "cvc_1d_uniform",
    "solve_cvc",
    "CVCSolution",
    "cvc_objective",
    "fusion_partition",
    "fusion_labels",
    "FusionResult",
    "clusterpath",
    "ClusterPath",
    "ConvexClustering",
]
