"""Tests of tutorial_lib.network: gradients against finite differences, Adam, training, bad inputs."""
import numpy as np
import pytest
from scipy.special import logsumexp

from tutorial_lib.network import MLP, Adam, TrainingHistory, softmax_cross_entropy, train_cross_entropy


def numerical_grad(fun, x, h=1e-6):
    """Central differences of a scalar function of an array."""
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        fp = fun()
        x[idx] = old - h
        fm = fun()
        x[idx] = old
        g[idx] = (fp - fm) / (2 * h)
    return g


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("sizes", [[3, 7, 5, 4], [2, 20, 20, 3], [4, 2]])
def test_gradients_match_finite_differences(sizes, activation):
    rng = np.random.default_rng(0)
    net = MLP(sizes, random_state=1, activation=activation)
    for p in net.params[1::2]:  # non-zero biases so every branch is exercised
        p[:] = rng.normal(scale=0.3, size=p.shape)
    X = rng.normal(size=(6, sizes[0]))
    R = rng.normal(size=(6, sizes[-1]))  # loss = sum(R * f(X))
    dX = net.input_gradient(X, R)
    grads = [g.copy() for g in net.grads]

    def loss():
        return float(np.sum(R * net.forward(X)))

    np.testing.assert_allclose(dX, numerical_grad(loss, X), rtol=1e-5, atol=1e-7)
    for p, g in zip(net.params, grads):
        np.testing.assert_allclose(g, numerical_grad(loss, p), rtol=1e-5, atol=1e-7)


def test_jacobians_match_finite_differences():
    rng = np.random.default_rng(3)
    net = MLP([3, 8, 8, 5], random_state=2)
    X = rng.normal(size=(4, 3))
    J = net.jacobians(X)
    assert J.shape == (4, 5, 3)
    h = 1e-6
    for i in range(4):
        num = np.column_stack([(net.forward(X[i] + h * e) - net.forward(X[i] - h * e))[0] / (2 * h)
                               for e in np.eye(3)[:, None, :]])
        np.testing.assert_allclose(J[i], num, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(net.jacobian(X[i]), J[i], rtol=1e-12)


def test_forward_is_the_layer_formula_and_he_init():
    net = MLP([64, 64, 10], random_state=0)
    W1, b1, W2, b2 = net.params
    X = np.random.default_rng(0).normal(size=(5, 64))
    np.testing.assert_allclose(net.forward(X), np.maximum(X @ W1 + b1, 0) @ W2 + b2)
    assert abs(W1.std() - np.sqrt(2 / 64)) < 0.1 * np.sqrt(2 / 64)
    assert np.all(b1 == 0)
    # same seed -> same weights, other seed -> different
    np.testing.assert_array_equal(MLP([64, 64, 10], random_state=0).params[0], W1)
    assert not np.allclose(MLP([64, 64, 10], random_state=1).params[0], W1)


def test_truncated_and_copy_are_independent():
    net = MLP([2, 5, 6, 3], random_state=0)
    X = np.random.default_rng(1).normal(size=(4, 2))
    body = net.truncated(2)
    W1, b1, W2, b2 = net.params[:4]
    np.testing.assert_allclose(body.forward(X), np.maximum(X @ W1 + b1, 0) @ W2 + b2)
    assert body.layer_sizes == (2, 5, 6)
    body.params[0][:] = 0.0
    assert not np.all(net.params[0] == 0)
    twin = net.copy()
    twin.params[0][:] = 0.0
    assert not np.all(net.params[0] == 0)
    back = MLP.from_arrays(net.to_arrays())
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(5, 4)) * 3
    y = np.array([0, 3, 1, 1, 2])
    loss, g = softmax_cross_entropy(Z, y)
    expected = np.mean(logsumexp(Z, axis=1) - Z[np.arange(5), y])
    assert loss == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(g, numerical_grad(lambda: softmax_cross_entropy(Z, y)[0], Z), atol=1e-8)
    # huge logits stay finite
    loss_big, g_big = softmax_cross_entropy(Z * 1e4, y)
    assert np.isfinite(loss_big) and np.all(np.isfinite(g_big))


def test_adam_first_step_and_convergence():
    p = np.array([1.0, -2.0, 3.0])
    opt = Adam([p], lr=0.1)
    opt.step([np.array([4.0, -0.5, 0.0])])
    # bias-corrected first step is lr * g / (|g| + eps): sign steps
    np.testing.assert_allclose(p, [0.9, -1.9, 3.0], atol=1e-6)
    target = np.array([0.5, 0.25, -1.0])
    opt = Adam([p], lr=0.05)
    for _ in range(2000):
        opt.step([2 * (p - target)])
    np.testing.assert_allclose(p, target, atol=1e-3)


def test_train_cross_entropy_learns_separable_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(loc=c, scale=0.3, size=(40, 2)) for c in ([0, 0], [3, 0], [0, 3])])
    y = np.repeat([0, 1, 2], 40)
    net = MLP([2, 16, 3], random_state=0)
    hist = train_cross_entropy(net, X, y, epochs=60, lr=1e-2, batch_size=32, random_state=0, show_progress=False)
    assert isinstance(hist, TrainingHistory)
    assert hist.losses.shape == (60,) and hist.accuracies.shape == (60,)
    assert hist.final_accuracy == 1.0
    assert hist.losses[-1] < 0.2 * hist.losses[0]
    net2 = MLP([2, 16, 3], random_state=0)
    hist2 = train_cross_entropy(net2, X, y, epochs=60, lr=1e-2, batch_size=32, random_state=0, show_progress=False)
    np.testing.assert_array_equal(hist.losses, hist2.losses)


def test_bad_inputs():
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([3])
    with pytest.raises(TypeError, match="layer_sizes"):
        MLP("23")
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP([2, 0, 1])
    with pytest.raises(TypeError, match="layer_sizes"):
        MLP([2, 2.5, 1])
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 3], activation="sigmoid")
    with pytest.raises(TypeError, match="random_state"):
        MLP([2, 3], random_state="seed")
    net = MLP([2, 4, 3], random_state=0)
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="2 features"):
        net.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X"):
        net.forward(np.zeros(2))
    with pytest.raises(ValueError, match="NaN"):
        net.forward(np.array([[np.nan, 0.0]]))
    net.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="grad_output"):
        net.backward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="n_layers"):
        net.truncated(3)
    with pytest.raises(ValueError, match="activation"):
        MLP([2, 3, 1], activation="tanh").activation_pattern(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="lr"):
        Adam(net.params, lr=0)
    with pytest.raises(ValueError, match="beta1"):
        Adam(net.params, beta1=1.0)
    with pytest.raises(TypeError, match="params"):
        Adam([1.0, 2.0])
    with pytest.raises(ValueError, match="grads"):
        Adam(net.params).step(net.params[:1])
    with pytest.raises(ValueError, match="y must be in"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 3])
    with pytest.raises(ValueError, match="y"):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="epochs"):
        train_cross_entropy(net, np.zeros((4, 2)), [0, 1, 2, 0], epochs=0)
    with pytest.raises(ValueError, match="y must be in"):
        train_cross_entropy(net, np.zeros((4, 2)), [0, 1, 2, 5], epochs=1)
    with pytest.raises(TypeError, match="net"):
        train_cross_entropy("net", np.zeros((4, 2)), [0, 1, 2, 0], epochs=1)
