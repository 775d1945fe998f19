"""Input-handling gaps of issue 17 in functions the generic fuzz cannot call (no baseline there)."""
import numpy as np
import pytest

from tutorial_lib import bilevel as bl
from tutorial_lib import calmness, clustr, network

X1 = np.array([[0.0], [1.0], [10.0], [11.0]])
W1 = np.ones((4, 4)) - np.eye(4)


@pytest.mark.parametrize("solve", [
    lambda **kw: bl.solve_bl1(X1, 1.0, W1, bl.AttackSpace(2.0, "inf", points=[1]), method="direct", n_grid=5,
                              **kw),
    lambda **kw: bl.solve_bl2(X1, 1.0, W1, bl.AttackSpace(2.0, "inf", points=[1]), 1.0, method="direct", n_grid=5,
                              **kw),
])
def test_bilevel_random_state_and_progress_flags(solve):
    with pytest.raises(ValueError, match="random_state must be a non-negative int"):
        solve(random_state=-1, show_progress=False)
    with pytest.raises(TypeError, match="show_progress must be True, False or None"):
        solve(show_progress="no")
    with pytest.raises(TypeError, match="n_jobs must be"):
        solve(n_jobs="2", show_progress=False)


def test_calmness_flags():
    sol = lambda X: X  # noqa: E731 - the identity map is a valid solution map
    d = np.ones((1, 4, 1))
    with pytest.raises(TypeError, match="show_progress"):
        calmness.calmness_ratios(sol, X1, d, [0.1], show_progress="no")
    with pytest.raises(TypeError, match="n_jobs"):
        calmness.calmness_ratios(sol, X1, d, [0.1], n_jobs="2")


def test_train_clustr_names_its_own_arguments():
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = np.array([0, 1] * 4)
    for kwargs, match in [(dict(ce_epochs=0), "ce_epochs"), (dict(magnet_epochs=1.5), "magnet_epochs"),
                          (dict(ce_lr=-1.0), "ce_lr"), (dict(magnet_lr="x"), "magnet_lr"),
                          (dict(show_progress="no"), "show_progress"), (dict(random_state=-3), "random_state")]:
        args = dict(ce_epochs=1, magnet_epochs=1) | kwargs
        with pytest.raises((TypeError, ValueError), match=match):
            clustr.train_clustr(X, y, [2, 4, 2], **args)


def test_complex_input_is_an_error_not_a_warning():
    net = network.MLP([2, 3, 2], random_state=0)
    with pytest.raises(TypeError, match="real"):
        network.train_cross_entropy(net, np.ones((4, 2)) * (1 + 1j), np.array([0, 1, 0, 1]), 1)
    with pytest.raises(TypeError, match="random_state must be"):
        network.MLP([2, 3], random_state="0")
    with pytest.raises(ValueError, match="random_state must be a non-negative int"):
        network.MLP([2, 3], random_state=-1)
