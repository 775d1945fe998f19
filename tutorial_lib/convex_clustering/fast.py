r"""The fast convex clustering engine (private; :func:`tutorial_lib.convex_clustering.solve_cvc`).

ADMM on the edge splitting, as the reference engine, plus a *fusion polish* for ``p = 2``:

1. ADMM's split variable :math:`v_e = \operatorname{prox}(\cdot)_e` is exactly zero on the edges
   it considers fused, and its centroids of a fused pair are close. Every few iterations the
   candidate partition (components of those edges) is read off.
2. On a candidate partition with clusters :math:`k` (sizes :math:`n_k`, data means
   :math:`\bar x_k`) the problem reduces to a convex clustering of the cluster centroids,

   .. math::  \min_{\mu}\ \sum_k \tfrac{n_k}{2}\|\mu_k - \bar x_k\|^2
                 + \gamma \sum_{k<l} W_{kl}\|\mu_k - \mu_l\|_2,\qquad
                 W_{kl} = \sum_{i\in k,\,j\in l} w_{ij},

   which is smooth where the centroids are distinct, so a damped Newton method solves it to
   machine precision in a few steps (a ``K d x K d`` system, ``K`` the number of clusters).
3. The reduced solution is lifted: :math:`y_i = \mu_{k(i)}` (exact fusions), between-cluster
   multipliers :math:`\lambda_e = t_e\,(y_i - y_j)/\|y_i - y_j\|` (the exact subgradient), and
   within-cluster multipliers that carry what stationarity :math:`Y - X + B^\top\Lambda = 0`
   still needs while staying in their dual balls: the projection of ADMM's multipliers onto
   that set, by a semismooth Newton method on node potentials (:func:`_within_flows`).
4. The lifted pair is accepted only if its own certificate (KKT residual and duality gap of
   multipliers rescaled into the dual ball, :func:`tutorial_lib.convex_clustering.kernels.certificate`) meets
   the tolerance. A wrong partition (a cluster that should split, say) cannot pass: the flow it
   needs does not fit in the dual balls, a stationarity residual remains, and ADMM goes on.

When is it tried: on a partition that held for two checks once ADMM has fused the problem to
at most ``n / 8`` clusters, again every ``5 * check_every`` iterations, when ADMM itself
converges (for exact fusions), and first of all on the warm start's own fusions when
``gamma`` grows along a path (often certified with no ADMM iteration). After failed
attempts the next one waits ``check_every * 2^fails`` iterations (at most 32x): on degenerate
stretches of a path ADMM's partition keeps changing and repeated attempts cost more than they
save. Whether a state is fused enough is first bounded without reading the partition
(``K >= n - #fused edges``).

So the polish changes how fast a certified answer is found, never what is certified. The
"fusions shrink the problem" idea is that of CCMM (Touw, Groenen & Terada 2024); the lifting
of the dual certificate is ours. Engineering of the ADMM loop: a dense Cholesky factor of
``I + sigma L`` for ``n <= 300``, cached sparse LU factors without pivoting otherwise
(:func:`tutorial_lib.convex_clustering.kernels.spd_lu`), over-relaxation, and residual balancing restricted to
powers of two of a base penalty (so factorisations are reused across a path). With
``use_polish=False`` the loop is the reference ADMM of ``solve_cvc(method="admm")``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg.lapack import dposv, dpotrf, dpotrs
from scipy.sparse.csgraph import connected_components

from ..core.partitions import canonical_labels
from .kernels import (
    balanced_penalty,
    certificate,
    components,
    fro,
    gap_ok,
    project_dual_ball,
    prox_norm,
    rownorm,
    spd_lu,
)

_ALPHA, _MU, _TAU = 1.6, 10.0, 2.0
_MERGE_REL, _STALL_REL, _MAX_MERGES = 1e-9, 1e-4, 8  # reduced Newton: fusing centroids that meet
_PREDICT_FRACTION = 2  # predictor from the warm start's fusions: at most n / 2 clusters
_BACKOFF, _BACKOFF_MAX = True, 5
_LOOP_FRACTION = 8  # in-loop polish only once ADMM fuses the problem to at most n / 8 clusters
_FLOW_NEWTON = 12  # semismooth Newton steps when lifting the within-cluster multipliers


_canonical = canonical_labels
_components = components


class _Reduced:
    """The quotient problem of a partition ``lab`` (see the module docstring, step 2)."""

    def __init__(self, X, lab, g, gamma):
        n, d = X.shape
        self.lab = lab
        self.K = K = int(lab.max()) + 1
        self.nk = np.bincount(lab, minlength=K).astype(float)
        self.xbar = np.empty((K, d))
        for c in range(d):
            self.xbar[:, c] = np.bincount(lab, weights=X[:, c], minlength=K) / self.nk
        ci, cj = lab[g.i], lab[g.j]
        self.between = between = ci != cj
        a, b = ci[between], cj[between]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key, inv = np.unique(lo * K + hi, return_inverse=True)
        self.Wq = gamma * np.bincount(inv.ravel(), weights=g.w[between])
        self.qa, self.qb = key // K, key % K

    def objective(self, mu):
        D = mu[self.qa] - mu[self.qb]
        return 0.5 * float(np.einsum("k,kc,kc->", self.nk, mu - self.xbar, mu - self.xbar)) + \
            float(self.Wq @ rownorm(D, 2))

    def newton(self, mu, gtol, scale, max_steps=30):
        """Damped Newton from ``mu``.

        Returns ``("ok", mu)`` at a stationary point, ``("merge", pairs)`` when centroids run
        into each other (the partition is too fine: the kink of ``||mu_k - mu_l||`` stalls
        Newton), or ``("fail", None)``.
        """
        K, d = mu.shape
        qa, qb, Wq, nk = self.qa, self.qb, self.Wq, self.nk
        eye = np.eye(d)
        f = self.objective(mu)
        damped = 0
        for _ in range(max_steps):
            D = mu[qa] - mu[qb]
            nr = rownorm(D, 2)
            close = nr <= _MERGE_REL * scale
            if not np.any(close) and damped >= 2:
                # stalled (damped steps): the kink of a pair about to fuse; merge the pairs
                # that are close on the data scale, if any
                close = nr <= _STALL_REL * scale
            if np.any(close):
                return "merge", close
            U = D / nr[:, None]
            G = nk[:, None] * (mu - self.xbar)
            F = Wq[:, None] * U
            for c in range(d):
                G[:, c] += np.bincount(qa, weights=F[:, c], minlength=K) - \
                    np.bincount(qb, weights=F[:, c], minlength=K)
            if fro(G) <= gtol:
                return "ok", mu
            # Hessian: diag(n_k) (x) I + sum_kl (W_kl/||d||) (I - u u^T) (x) (e_k - e_l)(e_k - e_l)^T
            blocks = (Wq / nr)[:, None, None] * (eye[None] - U[:, :, None] * U[:, None, :])
            step = -self._solve(blocks, G).reshape(K, d)
            slope = float(np.einsum("kc,kc->", G, step))
            if not slope < 0:
                return "fail", None
            s = 1.0
            for _ls in range(30):
                trial = mu + s * step
                ft = self.objective(trial)
                if ft <= f + 1e-4 * s * slope:
                    break
                s *= 0.5
            else:
                return "fail", None
            damped = damped + 1 if s < 0.5 else 0
            mu, f = trial, ft
        return "fail", None

    def _pattern(self, d):
        """(rows, cols) of the Hessian entries, in the order of ``vals`` in :meth:`_solve`
        (they depend on the quotient graph only: built once per reduced problem)."""
        pat = self.__dict__.get("_pat")
        if pat is not None and pat[0] == d:
            return pat[1], pat[2], pat[3]
        qa, qb = self.qa, self.qb
        m = qa.shape[0]
        ar = np.arange(d)
        # the four d x d blocks of every quotient edge, as (row, col) indices into the K d system
        ra = (qa[:, None] * d + ar)[:, :, None]
        rb = (qb[:, None] * d + ar)[:, :, None]
        ca = (qa[:, None] * d + ar)[:, None, :]
        cb = (qb[:, None] * d + ar)[:, None, :]
        rows = np.concatenate([np.broadcast_to(r, (m, d, d)).ravel() for r in (ra, rb, ra, rb)])
        cols = np.concatenate([np.broadcast_to(c, (m, d, d)).ravel() for c in (ca, cb, cb, ca)])
        Kd = self.K * d
        flat = rows * Kd + cols if Kd <= 300 else None
        self._pat = (d, rows, cols, flat)
        return rows, cols, flat

    def _solve(self, blocks, G):
        K, d = G.shape
        Kd = K * d
        rows, cols, flat = self._pattern(d)
        vals = np.concatenate([blocks.ravel(), blocks.ravel(), -blocks.ravel(), -blocks.ravel()])
        diag = np.repeat(self.nk, d)
        if Kd <= 300:
            H = np.bincount(flat, weights=vals, minlength=Kd * Kd).reshape(Kd, Kd)
            H[np.diag_indices(Kd)] += diag
            c, x, info = dposv(H, G.ravel(), lower=True)
            if info == 0:
                return x
            return np.linalg.lstsq(H, G.ravel(), rcond=None)[0]
        H = sp.csc_matrix((np.concatenate([vals, diag]),
                           (np.concatenate([rows, np.arange(Kd)]), np.concatenate([cols, np.arange(Kd)]))),
                          shape=(Kd, Kd))
        return spd_lu(H).solve(G.ravel())


def _lift(X, red, mu, g, t, Lam_admm, ops, tol_res):
    """Primal-dual point of the full problem from a reduced solution (module docstring, step 3)."""
    n, d = X.shape
    lab = red.lab
    Y = mu[lab]
    Z = ops.apply(Y)
    btw = red.between
    Lam = Lam_admm.copy()
    Lam[btw] = t[btw, None] * Z[btw] / rownorm(Z[btw], 2)[:, None]
    F = ~btw
    if np.any(F):
        Lam[F] = _within_flows(X - Y - ops.adjoint(np.where(btw[:, None], Lam, 0.0)),
                               lab, g.i[F], g.j[F], t[F], Lam[F], n, tol_res)
    return Y, Lam


def _within_flows(target, lab, fi, fj, ft, L0, n, tol_res):
    r"""Multipliers on the fused edges that carry ``target`` and lie in the dual balls.

    Find :math:`\Lambda_F` with :math:`B_F^\top\Lambda_F = \text{target}` and
    :math:`\|\lambda_e\|_2 \le t_e`, as the projection of ADMM's multipliers ``L0`` onto that
    set in the metric :math:`\sum_e\|\cdot\|^2/t_e`. Its dual is smooth and concave in node
    potentials :math:`\psi`, with :math:`\lambda_e(\psi) = \Pi_{t_e}(\lambda^0_e + t_e(\psi_i -
    \psi_j))`, so a semismooth Newton method on :math:`B_F^\top\Lambda(\psi) = \text{target}`
    (Jacobian :math:`B_F^\top J T B_F`, ``J`` the Jacobian of the ball projections) reaches it
    in a few steps. Every iterate is feasible (projected); we stop once the stationarity
    residual is below ``tol_res``. One node per cluster is grounded (potentials are defined up
    to a constant on each cluster, which is connected through its fused edges).
    """
    d = target.shape[1]
    mF = fi.shape[0]
    _, first = np.unique(lab, return_index=True)
    keep = np.ones(n, dtype=bool)
    keep[first] = False
    pos = np.full(n, -1)
    pos[keep] = np.arange(int(keep.sum()))
    mk = int(keep.sum())
    BFt = sp.csr_matrix((np.r_[np.ones(mF), -np.ones(mF)], (np.r_[fi, fj], np.r_[np.arange(mF), np.arange(mF)])),
                        shape=(n, mF))
    psi = np.zeros((n, d))

    def flows(psi):
        U = L0 + ft[:, None] * (psi[fi] - psi[fj])
        nr = rownorm(U, 2)
        f = np.where(nr > ft, ft / np.where(nr > 0, nr, 1.0), 1.0)
        return U * f[:, None], U, nr

    # necessary condition (the cut around one node): ||target_i|| <= sum of t_e at node i
    cap = np.bincount(fi, weights=ft, minlength=n) + np.bincount(fj, weights=ft, minlength=n)
    if np.any(rownorm(target, 2) > cap * (1.0 + 1e-9) + tol_res):
        return L0
    Lam, U, nr = flows(psi)
    res = target - BFt @ Lam
    rn = rn0 = fro(res)
    prec = None
    for _ in range(_FLOW_NEWTON):
        if rn <= tol_res:
            break
        # Jacobian of B_F^T Lambda(psi): B_F^T diag(t_e J_e) B_F, J_e = I inside the ball and
        # (t/||u||)(I - u u^T/||u||^2) on it. Preconditioner: the same with the isotropic
        # t/||u|| I on the boundary edges, one n x n grounded Laplacian shared by the d columns
        # (exact when no edge is on the boundary); conjugate gradients handle the rest.
        out = nr > ft
        cond = ft * np.where(out, ft / np.where(nr > 0, nr, 1.0), 1.0)
        if prec is None:  # factorised once per lift: later steps only change boundary edges
            prec = _grounded_laplacian_solver(fi, fj, cond, keep, pos, mk, n, d)
            if prec is None:
                break
            exact = not np.any(out)
        else:
            exact = False
        uh = U[out] / nr[out, None] if np.any(out) else None

        def jac(x, cond=cond, uh=uh, out=out):  # this Newton step's operator (bound explicitly)
            D = x[fi] - x[fj]
            D *= cond[:, None]
            if uh is not None:
                D[out] -= uh * np.einsum("ij,ij->i", D[out], uh)[:, None]
            r = BFt @ D
            r[~keep] = 0.0
            return r

        # inexact Newton: the forcing term min(0.1, rn / rn0) keeps the local rate superlinear
        cg_tol = None if exact else max(0.1 * tol_res, min(0.1, rn / rn0) * rn)
        step = _pcg(jac, prec, np.where(keep[:, None], res, 0.0), cg_tol)
        s = 1.0
        for _ls in range(8):
            Lt, Ut, nrt = flows(psi + s * step)
            rt = target - BFt @ Lt
            rnt = fro(rt)
            if rnt < (1.0 - 1e-4 * s) * rn:
                break
            s *= 0.5
        else:
            break
        psi, Lam, U, nr, res, rn = psi + s * step, Lt, Ut, nrt, rt, rnt
        # near a feasible point the steps are full and the residual falls quadratically; a
        # heavily damped step means no such point nearby (the partition is wrong)
        if s < 0.25:
            break
    return Lam


def _grounded_laplacian_solver(fi, fj, cond, keep, pos, mk, n, d):
    """``r -> z`` solving the grounded weighted Laplacian (conductances ``cond``) on the kept nodes."""
    okk = keep[fi] & keep[fj]
    pi_, pj_ = pos[fi], pos[fj]
    rows = np.concatenate([pi_[keep[fi]], pj_[keep[fj]], pi_[okk], pj_[okk]])
    cols = np.concatenate([pi_[keep[fi]], pj_[keep[fj]], pj_[okk], pi_[okk]])
    vals = np.concatenate([cond[keep[fi]], cond[keep[fj]], -cond[okk], -cond[okk]])
    if mk <= 300:
        M = np.bincount(rows * mk + cols, weights=vals, minlength=mk * mk).reshape(mk, mk)
        c, info = dpotrf(M, lower=True, clean=False)
        if info != 0:
            return None

        def solve(R):
            return dpotrs(c, R, lower=True)[0]
    else:
        try:
            lu = spd_lu(sp.csc_matrix((vals, (rows, cols)), shape=(mk, mk)))
        except RuntimeError:
            return None
        solve = lu.solve

    def apply(r):
        z = np.zeros((n, d))
        z[keep] = solve(np.ascontiguousarray(r[keep]))
        return z

    return apply


def _pcg(A, M, b, tol, max_iter=50):
    """Preconditioned conjugate gradients for the (n, d) array system A x = b (tol None: x = M b)."""
    z = M(b)
    if tol is None:
        return z
    x = np.zeros_like(b)
    r = b.copy()
    p_ = z.copy()
    rz = float(np.einsum("ij,ij->", r, z))
    for _ in range(max_iter):
        Ap = A(p_)
        pAp = float(np.einsum("ij,ij->", p_, Ap))
        if not pAp > 0:  # a (numerically) singular Jacobian: keep what we have
            break
        alpha = rz / pAp
        x += alpha * p_
        r -= alpha * Ap
        if fro(r) <= tol:
            break
        z = M(r)
        rz_new = float(np.einsum("ij,ij->", r, z))
        p_ = z + (rz_new / rz) * p_
        rz = rz_new
    return x


def candidate_partition(V, g, n):
    """Partition of the edges ADMM currently fuses (``v_e == 0``), labels by first appearance."""
    fused = ~np.any(V, axis=1)
    return _canonical(_components(n, g.i, g.j, fused))


def polish(X, Y, lab, Lam, g, gamma, t, p, ops, normX, tol, scale):
    """Try the fusion polish on the partition ``lab`` from an ADMM state.

    Returns ``(Y, Lam, kkt, gap, primal)`` of a lifted point that passed the certificate, or
    None. Clusters whose centroids meet during the reduced Newton solve are merged (as the
    fusions of CCMM); a wrong merge, like a wrong partition, fails the certificate.
    """
    n, d = X.shape
    mu_start = None
    for _merge in range(_MAX_MERGES):
        K = int(lab.max()) + 1
        red = _Reduced(X, lab, g, gamma)
        if mu_start is None:
            mu_start = np.empty((K, d))
            for c in range(d):
                mu_start[:, c] = np.bincount(lab, weights=Y[:, c], minlength=K) / red.nk
        if red.qa.shape[0] == 0:
            status, mu = "ok", red.xbar.copy()  # no edge between clusters: each at its mean
        else:
            status, mu = red.newton(mu_start, gtol=1e-3 * tol * normX, scale=scale)
        if status == "ok":
            break
        if status == "fail":
            return None
        close = mu  # the quotient edges to contract
        A = sp.csr_matrix((np.ones(int(close.sum())), (red.qa[close], red.qb[close])), shape=(K, K))
        merged = _canonical(connected_components(A, directed=False)[1])
        Kn = int(merged.max()) + 1
        w = np.bincount(merged, weights=red.nk, minlength=Kn)
        mu_new = np.empty((Kn, d))
        for c in range(d):
            mu_new[:, c] = np.bincount(merged, weights=red.nk * mu_start[:, c], minlength=Kn) / w
        lab, mu_start = merged[lab], mu_new
    else:
        return None
    Yp, Lp = _lift(X, red, mu, g, t, Lam, ops, 1e-2 * tol * normX)
    kkt, gap, primal, Lp = certificate(X, Yp, Lp, t, p, ops, normX)
    if kkt <= tol and gap_ok(gap, primal, tol, normX):
        return Yp, Lp, kkt, gap, primal
    return None


def fast_admm(X, gamma, g, p, tol, max_iter, Y0, Lam0, sigma0, solver, ops, *, check_every=10,
              use_polish=True, max_reduced=2000, predict=True):
    """ADMM with the fusion polish. Returns (Y, Lam, n_iter, kkt, gap, converged, sigma, polished)."""
    n, d = X.shape
    B, Bt = g.B, g.Bt
    t = gamma * g.w
    normX = fro(X - X.mean(axis=0)) or 1.0
    scale = max(float(np.max(np.ptp(X, axis=0))) if n > 1 else 0.0, float(np.max(np.abs(X))), 1e-12)
    base = 1.0 / max(1.0, 2.0 * g.n_edges / n)
    lo_sigma, hi_sigma = base * 2.0 ** -10, base * 2.0 ** 10
    if sigma0 is None:
        sigma = base
    else:  # the nearest power-of-two multiple of base: warm starts reuse cached factors
        sigma = base * 2.0 ** np.clip(np.round(np.log2(sigma0 / base)), -10, 10)
    solver.set_sigma(sigma)
    Y = X.copy() if Y0 is None else Y0.copy()
    BY = B @ Y
    Lam = np.zeros((g.n_edges, d)) if Lam0 is None else project_dual_ball(Lam0, t, p)
    V = prox_norm(BY + Lam / sigma, t / sigma, p)
    use_polish = use_polish and p == 2 and g.n_edges > 0
    last_key, last_try, prev_key = None, -10 ** 9, None
    retry_every = 5 * check_every
    n_fail = 0

    def worth_trying(K, fraction=None):
        fraction = _PREDICT_FRACTION if fraction is None else fraction
        # polishing pays where fusions shrink the problem; lightly fused problems are easy
        # for ADMM and their reduced problem is nearly the full one
        return 1 <= K <= max(1, n // fraction) and K * d <= max_reduced

    if use_polish and Y0 is not None and predict:
        # predictor along a path: the warm start's exact fusions (a polished solution at a
        # nearby gamma) are the first candidate; merges are found by the reduced Newton solve
        lab0 = _canonical(_components(n, g.i, g.j, ~np.any(BY != 0.0, axis=1)))
        if worth_trying(int(lab0.max()) + 1):
            res = polish(X, Y, lab0, Lam, g, gamma, t, p, ops, normX, tol, scale)
            if res is not None:
                Yp, Lp, kkt, gap, primal = res
                return Yp, Lp, 0, kkt, gap, True, sigma, True
            last_key = (int(lab0.max()) + 1, lab0.tobytes())
    n_changes, max_changes = 0, 40
    ts, ts_sigma = None, None
    kkt = gap = primal = np.inf
    it = 0
    # the iteration below, written into preallocated (n_edges, d) buffers: the same floating
    # point operations in the same order as the textbook form
    #   Y = solve(X + B^T (sigma V - Lam)); BYh = alpha BY + (1 - alpha) V;
    #   V = prox(BYh + Lam / sigma); Lam = Lam + sigma (BYh - V)
    # (so the iterates are bit for bit those of the plain expressions), without allocating
    # (and page-faulting) fresh megabyte arrays on every iteration of the large problems
    Lam = np.array(Lam, dtype=float, order="C", copy=True)
    tmp, BYh, U = (np.empty_like(Lam) for _ in range(3))
    V = np.array(V, dtype=float, order="C", copy=True)
    V_spare = np.empty_like(V)
    for it in range(1, max_iter + 1):
        np.multiply(V, sigma, out=tmp)
        tmp -= Lam
        R = Bt @ tmp
        R += X
        Y = solver.solve(R)
        BY = B @ Y
        np.multiply(BY, _ALPHA, out=BYh)
        np.multiply(V, 1.0 - _ALPHA, out=tmp)
        BYh += tmp
        V_old, V = V, V_spare
        np.divide(Lam, sigma, out=U)
        U += BYh
        if sigma != ts_sigma:
            ts, ts_sigma = t / sigma, sigma
        if p == 2:  # prox_norm(U, ts, 2), written into V
            nrm = np.sqrt(np.einsum("ij,ij->i", U, U))
            shrink = np.maximum(0.0, 1.0 - ts / np.where(nrm > 0, nrm, 1.0))
            shrink[nrm <= 0] = 0.0
            np.multiply(U, shrink[:, None], out=V)
        else:
            V[...] = prox_norm(U, ts, p)
        V_spare = V_old
        np.subtract(BYh, V, out=tmp)
        tmp *= sigma
        Lam += tmp
        if it % check_every and it != max_iter:
            continue
        # (the stationarity part first: when it already fails, the rest cannot pass)
        kkt, gap, primal, _ = certificate(X, Y, Lam, t, p, ops, normX, Z=BY, stat_limit=tol)
        own_ok = kkt <= tol and gap_ok(gap, primal, tol, normX)
        # each fused edge (v_e = 0) joins at most two components: n - #fused <= K, so a
        # lightly fused state needs no partition read-out to know it is not worth a polish
        # (its partition, with K > n / _LOOP_FRACTION, could not match a later candidate)
        if use_polish and n - int(np.count_nonzero(~np.any(V, axis=1))) > max(1, n // _LOOP_FRACTION):
            prev_key = None
        elif use_polish:
            lab = candidate_partition(V, g, n)
            key = (int(lab.max()) + 1, lab.tobytes())
            # try a partition once it has held for two checks (transient ones are wrong),
            # again after retry_every iterations (better multipliers), and at the end
            fresh = key == prev_key and key != last_key
            # after failed attempts, wait check_every * 2^fails iterations before the next one
            # (at most _BACKOFF_MAX doublings): where ADMM's partition keeps changing (a
            # degenerate stretch of the path) failed polishes cost more than they save
            wait = check_every * 2 ** min(n_fail, _BACKOFF_MAX) if _BACKOFF and n_fail else 0
            fresh = fresh and it - last_try >= wait
            retry = key == last_key and it - last_try >= max(retry_every, wait)
            if worth_trying(key[0], _LOOP_FRACTION) and (own_ok or fresh or retry):
                last_key, last_try = key, it
                n_fail += 1
                res = polish(X, Y, lab, Lam, g, gamma, t, p, ops, normX, tol, scale)
                if res is not None:
                    Yp, Lp, kkt, gap, primal = res
                    return Yp, Lp, it, kkt, gap, True, sigma, True
            prev_key = key
        if own_ok:
            break
        if n_changes < max_changes:
            new_sigma = balanced_penalty(sigma, fro(BY - V), sigma * fro(Bt @ (V - V_old)),
                                         lo_sigma, hi_sigma, _MU, _TAU)
            if new_sigma != sigma:
                sigma = new_sigma
                solver.set_sigma(sigma)
                n_changes += 1
    kkt, gap, primal, Lam = certificate(X, Y, Lam, t, p, ops, normX, Z=BY)
    converged = bool(kkt <= tol and gap_ok(gap, primal, tol, normX))
    return Y, Lam, it, kkt, gap, converged, sigma, False
