"""Checks of sheet 03: reference answers pass, typical mistakes fail with their targeted message,
placeholders are "not attempted", and every expected value is confirmed by an independent
computation (the exact 1-D CVC solver of tests/oracles.py, cvxpy + Clarabel, brute force on a grid)."""
import numpy as np
import pytest
import scipy.sparse as sp
from oracles import exact_cvc_1d

from tutorial_lib.checks import FAILED, NOT_ATTEMPTED, PASSED, UNGRADED, ____
from tutorial_lib.checks.ch03 import (
    Q6_EPS,
    Q6_X,
    Q7_X_EPS,
    cvc_partition_1d,
    loose_example_verdict,
    q1,
    q2,
    q3,
    q4,
    q5,
    q6,
    q7,
    q8,
    q9,
    q10,
    theorem1_uniform_1d,
)


def keeps_two_pairs(x, gamma):
    y = exact_cvc_1d(x, gamma)
    return y[0] == y[1] and y[2] == y[3] and y[0] != y[2]


# ------------------------------------------------------------------ q1-q3: intervals of X = [0, 1, 8, 10]
def test_q1_q2_q3_expected_values_by_brute_force():
    ts = np.round(np.arange(-10.0, 25.0, 0.01), 2)
    fixed = np.array([keeps_two_pairs(np.array([0.0, 1.0, t, 10.0]), 2.0) for t in ts])
    # q2/q3: the truly unchanged set at gamma = 2 is (7, 14]: 7 excluded, 14 included
    assert ts[fixed].min() == pytest.approx(7.01) and ts[fixed].max() == pytest.approx(14.0)
    assert np.all(fixed[(ts > 7) & (ts <= 14)])
    assert not keeps_two_pairs(np.array([0.0, 1.0, 7.0, 10.0]), 2.0)
    assert keeps_two_pairs(np.array([0.0, 1.0, 14.0, 10.0]), 2.0)
    # q1: some gamma in a fine grid works exactly for t in (6.2, 16.33)
    gammas = np.arange(0.005, 5.0, 0.005)
    for t, expected in [(6.15, False), (6.3, True), (10.0, True), (16.25, True), (16.4, False), (-3.0, False)]:
        assert any(keeps_two_pairs(np.array([0.0, 1.0, t, 10.0]), g) for g in gammas) == expected, t
    assert q1.expected == pytest.approx([6.2, 49 / 3])


def test_q1_answers():
    assert q1.evaluate([6.2, 49 / 3]).status == PASSED
    assert q1.evaluate([6.2, 16.33]).status == PASSED  # hand value, 4 significant digits
    wrong = q1.evaluate([-1.8, 25 / 3])  # answered as eps_3 = t - 8 instead of the position
    assert wrong.status == FAILED and "shift eps" in wrong.message
    assert "swapped" in q1.evaluate([16.33, 6.2]).message
    assert q1.evaluate([6.0, 16.33]).status == FAILED


def test_q2_answers():
    assert q2.evaluate([7, 14]).status == PASSED
    wrong = q2.evaluate([6, 14])  # forgot the gamma_max condition
    assert wrong.status == FAILED and "not right" in wrong.message
    assert "'some gamma' interval" in q2.evaluate([6.2, 16.33]).message
    assert "swapped" in q2.evaluate([14, 7]).message
    assert "shift eps" in q2.evaluate([-1, 6]).message


def test_hints_2_are_methods():
    for q in (q1, q2, q4, q6, q9, q10):
        assert "Method" in q.hint_text(2), q.qid
    assert "3.0625" not in q4.hint_text(2) and "|t + 9| / 8" not in q1.hint_text(2)


def test_q3_answers():
    assert q3.evaluate("c").status == PASSED
    wrong = q3.evaluate("a")
    assert wrong.status == FAILED and "strict" in wrong.message


# ------------------------------------------------------------------ q4
def test_q4_expected_value_is_independent():
    x = np.array([-1.5, 2.0, 10.0, 15.0])
    np.testing.assert_allclose(exact_cvc_1d(x, 2.5), [5.25, 5.25, 7.5, 7.5], atol=1e-12)
    assert keeps_two_pairs(x, 2.5)


def test_q4_answers():
    assert q4.evaluate(True).status == PASSED
    assert q4.evaluate("true").status == FAILED  # a true/false question takes the bool, not a string
    wrong = q4.evaluate(False)
    assert wrong.status == FAILED and "gamma = gamma_min is included" in wrong.message
    assert q4.evaluate("maybe").status == FAILED


# ------------------------------------------------------------------ q5
def test_q5_expected_value_by_direct_minimisation():
    # minimise n1 d1^2 + n2 d2^2 s.t. d1 - d2 = 1.5 by brute force over d1
    d1 = np.linspace(-3, 3, 600001)
    cost = np.sqrt(2 * d1**2 + 3 * (d1 - 1.5) ** 2)
    assert cost.min() == pytest.approx(q5.expected, abs=1e-6)
    # and the perturbation attaining it really closes the gap to gamma * t_12 = 10
    d1s = 1.5 * 3 / 5
    x = np.array([0.0, 3.0, 11.0, 13.0, 15.0]) + np.r_[d1s, d1s, d1s - 1.5, d1s - 1.5, d1s - 1.5]
    assert abs(x[2:].mean() - x[:2].mean()) == pytest.approx(10.0)


def test_q5_answers():
    assert q5.evaluate(1.5 * np.sqrt(1.2)).status == PASSED
    assert q5.evaluate(1.643).status == PASSED
    assert "slack between the means" in q5.evaluate(1.5).message  # forgot the sqrt(n1 n2 / (n1 + n2)) factor
    assert "within inequality" in q5.evaluate(0.7071).message


# ------------------------------------------------------------------ q6: the attaining perturbation in 2-D
def test_q6_expected_eps_by_brute_force_over_the_three_inequalities():
    X, gamma = Q6_X, 1.2
    # the three inequalities of Theorem 2 (uniform weights, n = 4, two clusters of 2): prices by hand formulas
    d12, d34 = np.linalg.norm(X[0] - X[1]), np.linalg.norm(X[2] - X[3])
    gap = np.linalg.norm(X[:2].mean(0) - X[2:].mean(0))
    prices = {"w12": (2 * gamma - d12) / np.sqrt(2), "w34": (2 * gamma - d34) / np.sqrt(2),
              "between": (gap - 4 * gamma) * np.sqrt(2 * 2 / 4)}
    assert min(prices, key=prices.get) == "w34"
    assert np.linalg.norm(Q6_EPS) == pytest.approx(prices["w34"])
    # Q6_EPS makes the pair exactly gamma * n_a apart and leaves the other inequalities strict
    Xe = X + Q6_EPS
    assert np.linalg.norm(Xe[2] - Xe[3]) == pytest.approx(2 * gamma)
    assert np.linalg.norm(Xe[0] - Xe[1]) < 2 * gamma
    assert np.linalg.norm(Xe[:2].mean(0) - Xe[2:].mean(0)) > 4 * gamma
    # no perturbation of smaller norm reaches that distance: random search over directions
    rng = np.random.default_rng(0)
    for _ in range(2000):
        e = rng.normal(size=(4, 2))
        e *= 0.999 * prices["w34"] / np.linalg.norm(e)
        assert np.linalg.norm((X + e)[2] - (X + e)[3]) < 2 * gamma


def test_q6_partition_changes_just_beyond_eps_cvxpy():
    cp = pytest.importorskip("cvxpy")
    W = np.ones((4, 4)) - np.eye(4)

    def labels_at(Xm):
        Y = cp.Variable((4, 2))
        pen = sum(cp.norm(Y[a] - Y[b], 2) for a in range(4) for b in range(a + 1, 4))
        cp.Problem(cp.Minimize(0.5 * cp.sum_squares(Y - Xm) + 1.2 * pen)).solve(
            solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
        close = np.linalg.norm(Y.value[:, None] - Y.value[None], axis=2) <= 1e-5
        return sp.csgraph.connected_components(sp.csr_matrix(close), directed=False)[1]

    assert W.sum() == 12
    base = labels_at(Q6_X)
    assert base[0] == base[1] != base[2] == base[3]
    for scale, kept in [(0.9, True), (1.2, False)]:
        lab = labels_at(Q6_X + scale * Q6_EPS)
        assert (lab[2] == lab[3]) == kept, scale


def test_q6_answers_and_targeted_mistakes():
    from tutorial_lib.checks import ch03

    assert q6.evaluate(Q6_EPS).status == PASSED
    assert q6.evaluate(Q6_EPS.tolist()).status == PASSED
    assert "paper's layout" in q6.evaluate(Q6_EPS.T).message
    assert "towards each other" in q6.evaluate(-Q6_EPS).message
    assert "moving one point" in q6.evaluate(ch03._Q6_ONE_POINT[0]).message
    assert "between inequality" in q6.evaluate(ch03._q6_between_eps()).message
    assert "{x_1, x_2}" in q6.evaluate(ch03._q6_other_pair_eps()).message
    assert q6.evaluate(np.zeros((4, 2))).status == FAILED
    assert q6.evaluate("eps").status == FAILED


def test_q6_non_array_answers_get_a_helpful_message():
    for bad in ("eps", None, True):
        res = q6.evaluate(bad)
        assert res.status == FAILED and "shape of Q6_X, (4, 2)" in res.message and "np.zeros_like" in res.message
        assert "expected a number" not in res.message
    res = q6.evaluate([0.0, 0.2])
    assert res.status == FAILED and "yours has shape (2,)" in res.message
    assert q6.evaluate(Q6_EPS + 5e-5).status == PASSED        # within the stated tolerance (1e-3 relative)


def test_q6_mistake_perturbations_are_what_their_messages_say():
    from tutorial_lib.checks import ch03
    from tutorial_lib.convex_clustering import uniform_weights
    from tutorial_lib.recovery import cheapest_perturbations

    breaks = {(b.kind, b.pair): b for b in cheapest_perturbations(Q6_X, [0, 0, 1, 1], uniform_weights(4), 1.2, k=3)}
    np.testing.assert_allclose(breaks[("within", (2, 3))].eps, Q6_EPS, atol=1e-12)
    np.testing.assert_allclose(breaks[("within", (0, 1))].eps, ch03._q6_other_pair_eps(), atol=1e-12)
    np.testing.assert_allclose(breaks[("between", (0, 1))].eps, ch03._q6_between_eps(), atol=1e-12)
    assert breaks[("within", (0, 1))].radius == pytest.approx(0.6970562748)
    assert breaks[("between", (0, 1))].radius == pytest.approx(np.sqrt(30.5) - 4.8)


# ------------------------------------------------------------------ q7, q8
def test_q7_expected_choice_is_confirmed_independently():
    """x_1: 0 -> 4 at gamma = 2.5. The thresholds by a literal double loop over pairs (not the library),
    the partition by the isotonic oracle: C1 and C2 hold, gamma >= gamma_max, and the partition changes."""
    x = Q7_X_EPS
    np.testing.assert_array_equal(x, [4.0, 2.0, 10.0, 14.0])
    lab = np.array([0, 0, 1, 1])
    gmin = max(abs(x[i] - x[j]) / 2 for i in range(4) for j in range(i + 1, 4) if lab[i] == lab[j])
    gmax = abs(x[:2].mean() - x[2:].mean()) / ((4 - 2) + (4 - 2))
    assert (gmin, gmax) == (2.0, 2.25)
    assert gmin < gmax and not gmax > 2.5 and gmin <= 2.5          # C2 holds, the gamma_max end fails
    assert not keeps_two_pairs(x, 2.5)
    assert np.ptp(exact_cvc_1d(x, 2.5)) < 1e-12                     # all four points fuse
    assert keeps_two_pairs(np.array([0.0, 2.0, 10.0, 14.0]), 2.5)    # the clean partition at 2.5


def test_q7_answers_and_targeted_feedback():
    assert q7.evaluate("d").status == PASSED
    for key, words in [("a", "does not depend on eps"), ("b", "Is gamma_min really >= gamma_max"),
                       ("c", "x_3 -> 20"), ("e", "Check each hypothesis")]:
        res = q7.evaluate(key)
        assert res.status == FAILED and words in res.message, key
    assert q7.evaluate("f").status == FAILED
    assert q7.evaluate(____).status == NOT_ATTEMPTED
    assert "Theorem 3" in q7._solution and "2.25" in q7._solution


def test_q7_hints_do_not_give_it_away():
    text = q7.hint_text(1) + q7.hint_text(2)
    assert "Method" in q7.hint_text(2)
    for leak in ("2.25", "gamma_max(eps) = ", "(d)", ">= gamma_max"):
        assert leak not in text, leak


def test_q8_is_ungraded_and_does_not_claim_1d_tightness():
    assert q8.evaluate("the certificate is only sufficient").status == UNGRADED
    text = q8._solution
    assert "more than one dimension" not in text and "not only in 2-D" in text
    assert "2.449" in text and "0.354" in text


# ------------------------------------------------------------------ q9, q10: loose 1-D cases
def test_pava_partition_matches_the_independent_isotonic_oracle():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 9))
        x = np.round(rng.normal(scale=5.0, size=n), 1)
        gamma = float(rng.uniform(0.05, 3.0))
        y = exact_cvc_1d(x, gamma)
        lab = cvc_partition_1d(x, gamma)
        # same co-membership as the oracle's equal values (up to 1e-9)
        together = np.abs(y[:, None] - y[None, :]) <= 1e-9 * max(1.0, np.abs(x).max())
        if np.any(np.abs(np.abs(y[:, None] - y[None, :]) - 1e-9) < 1e-10):
            continue  # a near-tie: the oracle's threshold decides, not the partition
        assert np.array_equal(lab[:, None] == lab[None, :], together)


def test_q9_model_answer_and_cvxpy_confirm_the_loose_case():
    cp = pytest.importorskip("cvxpy")
    x = np.array([0.0, 2.0, 3.8, 20.0, 21.0])
    assert q9.evaluate(list(x)).status == PASSED
    # independent: cvxpy at gamma = 1 fuses {0, 2, 3.8} and {20, 21} with a clear gap
    y = cp.Variable(5)
    pen = sum(cp.abs(y[a] - y[b]) for a in range(5) for b in range(a + 1, 5))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - x) + 1.0 * pen)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    v = y.value
    assert np.ptp(v[:3]) < 1e-6 and np.ptp(v[3:]) < 1e-6 and v[3] - v[2] > 1.0
    # Theorem 1 by hand: gamma_min = 3.8 / 3 > 1
    assert 3.8 / 3 > 1.0


def test_q10_model_answer_and_cvxpy_confirm_the_loose_case():
    cp = pytest.importorskip("cvxpy")
    x = np.array([0.0, 1.0, 6.0, 7.0, 12.0, 13.0])
    assert q10.evaluate(x).status == PASSED
    y = cp.Variable(6)
    pen = sum(cp.abs(y[a] - y[b]) for a in range(6) for b in range(a + 1, 6))
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - x) + 1.0 * pen)).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    v = y.value
    assert max(np.ptp(v[0:2]), np.ptp(v[2:4]), np.ptp(v[4:6])) < 1e-6
    assert v[2] - v[1] > 1.0 and v[4] - v[3] > 1.0
    assert 6 / ((6 - 2) + (6 - 2)) < 1.0  # Theorem 1's gamma_max by hand


def test_q9_q10_targeted_messages():
    certified = q9.evaluate([0.0, 1.5, 3.0, 20.0, 21.0])  # gamma_min = 3/3 = 1: certified (tight here)
    assert certified.status == FAILED
    assert "certifies it" in certified.message and "three or more points" in certified.message
    assert "exactly two" in q9.evaluate([0.0, 1.0, 6.0, 7.0, 12.0, 13.0]).message
    pairs_certified = q10.evaluate([0.0, 1.0, 10.0, 11.0, 20.0, 21.0])
    assert pairs_certified.status == FAILED and "between condition" in pairs_certified.message
    assert "each of exactly two points" in q10.evaluate([0.0, 1.0, 6.0, 7.0, 8.0, 30.0, 31.0]).message
    for q in (q9, q10):
        assert "list of numbers" in q.evaluate("abc").message
        assert q.evaluate([0.0, np.nan, 1.0, 2.0, 3.0, 4.0]).status == FAILED
        assert q.evaluate([1.0, 2.0]).status == FAILED
        assert q.evaluate(np.zeros((3, 3))).status == FAILED
        assert q.evaluate(____).status == NOT_ATTEMPTED


def _literal_theorem1_uniform(x, lab):
    n, K = x.size, lab.max() + 1
    sizes = np.bincount(lab)
    gmin = max((np.ptp(x[lab == k]) / sizes[k] for k in range(K)), default=0.0)
    gmax = min((abs(x[lab == a].mean() - x[lab == b].mean()) / (2 * n - sizes[a] - sizes[b])
                for a in range(K) for b in range(a + 1, K)), default=np.inf)
    return gmin, gmax


def test_loose_verdicts_agree_with_the_oracle_and_theorem_1_on_random_candidates():
    """Candidates built near both mechanisms; every verdict is re-derived with the independent oracle
    (isotonic regression) and a literal uniform-weights Theorem 1. Both outcomes must occur."""
    rng = np.random.default_rng(7)
    seen = {"two clusters": [0, 0], "pairs": [0, 0]}
    for _ in range(400):
        far = rng.uniform(8, 30)
        cands = {
            "two clusters": np.r_[0.0, rng.uniform(0, 4), rng.uniform(2.5, 4.5), far, far + rng.uniform(0, 2.5)],
            "pairs": np.concatenate([[k * s, k * s + g] for k, (s, g) in
                                     enumerate(zip([rng.uniform(3, 9)] * 3, rng.uniform(0.2, 2.5, 3)))]),
        }
        for kind, x in cands.items():
            x = np.round(x, 2)
            ok, reason = loose_example_verdict(x, kind)
            y = exact_cvc_1d(x, 1.0)
            values, lab = np.unique(np.round(y, 9), return_inverse=True)
            sizes = np.bincount(lab)
            structure = (len(values) == 2) if kind == "two clusters" else (len(values) >= 3 and np.all(sizes == 2))
            gmin, gmax = _literal_theorem1_uniform(x, lab)
            if ok:
                assert structure and not (gmin <= 1.0 < gmax), x
            elif "certifies it" in reason:
                assert structure and gmin <= 1.0 < gmax, x
            seen[kind][ok] += 1
    assert all(min(v) >= 20 for v in seen.values()), seen


def test_q9_accepts_an_exact_tie_as_the_prompt_defines_it():
    """[0, 2, 4, 20, 21]: both split gaps of {0, 2, 4} are exactly 3 gamma = 3, so the cluster stays fused
    (the split condition holds with equality) and Theorem 1 needs 4 <= 3 gamma: not certified. Confirmed by
    the isotonic oracle (equal values) and a literal Theorem 1."""
    x = np.array([0.0, 2.0, 4.0, 20.0, 21.0])
    y = exact_cvc_1d(x, 1.0)
    assert np.ptp(y[:3]) < 1e-12 and np.ptp(y[3:]) < 1e-12 and y[3] - y[2] > 1
    lab = np.array([0, 0, 0, 1, 1])
    gmin, gmax = _literal_theorem1_uniform(x, lab)
    assert gmin == pytest.approx(4 / 3) and gmin > 1.0
    res = q9.evaluate(list(x))
    assert res.status == PASSED, res.message
    # a tie that Theorem 1 certifies (gamma_min = 1 exactly, the closed end) is still rejected
    res = q9.evaluate([0.0, 1.5, 3.0, 20.0, 21.0])
    assert res.status == FAILED and "certifies it" in res.message
    # ties between clusters: neighbouring fused values that meet merge (means 1 apart: 1 = gamma (1 + ... ))
    assert cvc_partition_1d([0.0, 4.0], 1.0).tolist() == [0, 1]     # 4 > gamma (1 + 1): apart
    assert cvc_partition_1d([0.0, 2.0], 1.0).tolist() == [0, 0]     # 2 = gamma (1 + 1): a tie, fused


def test_exact_theorem1_agrees_with_the_library_off_ties():
    from tutorial_lib.convex_clustering import uniform_weights
    from tutorial_lib.recovery import recovery_conditions

    rng = np.random.default_rng(11)
    for _ in range(200):
        n = int(rng.integers(3, 9))
        x = np.round(rng.normal(scale=6.0, size=n), 2)
        lab = cvc_partition_1d(x, 1.0)
        if lab.max() == 0:
            continue
        gmin, gmax = theorem1_uniform_1d(x, lab)
        rep = recovery_conditions(x[:, None], lab, uniform_weights(n))
        assert float(gmin) == pytest.approx(rep.gamma_min, rel=1e-12, abs=1e-12)
        assert float(gmax) == pytest.approx(rep.gamma_max, rel=1e-12)


def test_the_sheet_states_the_tolerance_its_checks_use():
    """The prompts of the hand-computed numbers say 'relative tolerance 1e-3 / 4 significant digits', and that is
    what the checks do: 3 digits (1.64, 16.3) fail, 4 digits pass."""
    import json
    from pathlib import Path

    sheet = Path(__file__).resolve().parents[1] / "solutions" / "03_perturbation_certificates.ipynb"
    nb = json.loads(sheet.read_text())
    text = {cell["id"]: "".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "markdown"}
    intro = next(t for t in text.values() if t.startswith("# 03"))
    assert "10^{-3}" in intro and "4 significant digits" in intro and "3-4 significant" not in intro
    for title in ("## Q1.", "## Q2.", "## Q5.", "## Q6."):
        prompt = next(t for t in text.values() if t.startswith(title))
        assert "10^{-3}" in prompt, title
    assert q5.evaluate(1.64).status == FAILED and q5.evaluate(1.643).status == PASSED
    assert q1.evaluate([6.2, 16.3]).status == FAILED and q1.evaluate([6.2, 16.33]).status == PASSED
    assert "3 significant digits" in q5.evaluate(1.64).message
    assert "3 significant digits" in q1.evaluate([6.2, 16.3]).message
