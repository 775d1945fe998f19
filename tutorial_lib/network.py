"""A small fully connected network in plain NumPy (chapters 06 and 07).

The course needs a feature map ``f`` that is (a) trainable on a laptop CPU in seconds,
(b) transparent enough to compute its exact Lipschitz constant for 2-D inputs, and
(c) differentiable with respect to its *input* for attacks. A multilayer perceptron

.. math::

    h_0 = x, \\qquad h_\\ell = \\sigma(h_{\\ell-1} W_\\ell + b_\\ell) \\ (\\ell < L), \\qquad
    f(x) = h_{L-1} W_L + b_L,

with :math:`\\sigma = \\mathrm{ReLU}` (or ``tanh``) and no activation after the last layer
does all three. Rows are samples (scikit-learn convention ``X`` of shape
``(n_samples, n_features)``), so a layer is ``X @ W + b`` with ``W`` of shape
``(fan_in, fan_out)``; papers usually write ``W x`` with ``W`` of shape ``(fan_out, fan_in)``,
the transpose. The spectral norm, and hence every Lipschitz statement, is the same.

Public API: :class:`MLP`, :class:`Adam`, :func:`softmax_cross_entropy`,
:func:`train_cross_entropy` and the result dataclass :class:`TrainingHistory`.
"""
from __future__ import annotations

import numpy as np

from .core.numerics import log_softmax
from .core.progress import progress
from .core.results import result
from .core.threads import single_threaded
from .core.validation import (
    check_choice,
    check_data_matrix,
    check_finite_array,
    check_int,
    check_labels,
    check_positive,
    check_random_state,
)

__all__ = ["MLP", "Adam", "softmax_cross_entropy", "train_cross_entropy", "TrainingHistory"]



_ACTIVATIONS = ("relu", "tanh")


class MLP:
    """Multilayer perceptron ``layer_sizes[0] -> ... -> layer_sizes[-1]``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths, input first, e.g. ``[2, 20, 20, 3]`` or ``[64, 64, 10]``; at least two
        entries (a single affine layer ``f(x) = x W + b`` is allowed).
    random_state : None, int or numpy.random.Generator
        Seed of the He initialisation :math:`W_\\ell \\sim \\mathcal N(0, 2/\\text{fan\\_in})`,
        :math:`b_\\ell = 0` (He et al., 2015).
    activation : {"relu", "tanh"}
        Hidden activation; none after the last layer.

    Attributes
    ----------
    params : list of ndarray
        ``[W1, b1, W2, b2, ...]`` with ``W`` of shape ``(fan_in, fan_out)``. Optimisers
        update these arrays *in place*.
    grads : list of ndarray
        Same shapes as ``params``; filled by :meth:`backward`.

    Examples
    --------
    f(x) = W_2^T relu(W_1^T x + b_1) + b_2 with the weights set by hand (rows are inputs in code):

    >>> net = MLP([2, 2, 1], random_state=0)
    >>> net.params[0][...] = [[1.0, -1.0], [0.0, 1.0]]; net.params[2][...] = [[1.0], [2.0]]
    >>> net.forward(np.array([[1.0, 2.0], [3.0, 1.0]])).tolist()   # relu([1, 1]) . (1, 2), relu([3, -2]) . (1, 2)
    [[3.0], [3.0]]
    >>> net.jacobian(np.array([1.0, 2.0])).tolist()   # both units active: (1, 2) W_1^T
    [[-1.0, 2.0]]
    >>> [W.shape for W in MLP([2, 20, 3], random_state=0).weights]
    [(2, 20), (20, 3)]
    """

    def __init__(self, layer_sizes, random_state=None, activation="relu"):
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
            raise TypeError("layer_sizes must be a sequence of positive integers")
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes needs at least 2 entries (input and output), got {len(layer_sizes)}")
        self.layer_sizes = tuple(check_int(s, "layer_sizes entries", minimum=1) for s in layer_sizes)
        self.activation = check_choice(activation, "activation", _ACTIVATIONS)
        rng = check_random_state(random_state)
        self.params = []
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            self.params.append(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)))
            self.params.append(np.zeros(fan_out))
        self.grads = [np.zeros_like(p) for p in self.params]
        self._cache = None

    # ------------------------------------------------------------------ helpers
    @property
    def n_layers(self) -> int:
        """Number of affine layers (weight matrices)."""
        return len(self.layer_sizes) - 1

    @property
    def weights(self) -> list:
        """The weight matrices ``[W1, ..., WL]`` (views, not copies)."""
        return self.params[0::2]

    @property
    def biases(self) -> list:
        """The bias vectors ``[b1, ..., bL]`` (views, not copies)."""
        return self.params[1::2]

    def _act(self, z):
        return np.maximum(z, 0.0) if self.activation == "relu" else np.tanh(z)

    def _act_grad(self, z, a):
        return (z > 0).astype(float) if self.activation == "relu" else 1.0 - a**2

    def _check_input(self, X, name="X"):
        X = check_data_matrix(X, name)
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"{name} must have {self.layer_sizes[0]} features, got {X.shape[1]}")
        return X

    # ------------------------------------------------------------ forward/back
    def forward(self, X):
        """Return ``f(X)`` of shape ``(n_samples, layer_sizes[-1])`` and cache activations."""
        X = self._check_input(X)
        inputs, pre = [X], []
        h = X
        for layer in range(self.n_layers):
            W, b = self.params[2 * layer], self.params[2 * layer + 1]
            z = h @ W + b
            pre.append(z)
            h = z if layer == self.n_layers - 1 else self._act(z)
            inputs.append(h)
        self._cache = (inputs, pre)
        return h

    __call__ = forward

    def backward(self, grad_output):
        """Back-propagate ``dL/df`` through the last :meth:`forward` call.

        Parameters
        ----------
        grad_output : ndarray of shape (n_samples, layer_sizes[-1])
            Gradient of a scalar loss with respect to the network output.

        Returns
        -------
        ndarray of shape (n_samples, layer_sizes[0])
            ``dL/dX``. Parameter gradients are stored in :attr:`grads` (same order as
            :attr:`params`): ``dL/dW_l = h_{l-1}^T g_l`` and ``dL/db_l = sum_rows g_l``.
        """
        if self._cache is None:
            raise RuntimeError("call forward(X) before backward(grad_output)")
        inputs, pre = self._cache
        n = inputs[0].shape[0]
        g = check_finite_array(grad_output, "grad_output", ndim=2)
        if g.shape != (n, self.layer_sizes[-1]):
            raise ValueError(f"grad_output must have shape {(n, self.layer_sizes[-1])}, got {g.shape}")
        for layer in reversed(range(self.n_layers)):
            if layer != self.n_layers - 1:
                g = g * self._act_grad(pre[layer], inputs[layer + 1])
            W = self.params[2 * layer]
            self.grads[2 * layer] = inputs[layer].T @ g
            self.grads[2 * layer + 1] = g.sum(axis=0)
            g = g @ W.T
        return g

    def input_gradient(self, X, grad_output):
        """``forward(X)`` then ``backward(grad_output)``: the gradient ``dL/dX`` of a loss."""
        self.forward(X)
        return self.backward(grad_output)

    def predict(self, X):
        """``argmax`` of the output (class predictions when the output is logits)."""
        return np.argmax(self.forward(X), axis=1)

    def activation_pattern(self, X):
        """Boolean masks ``z_l > 0`` of every hidden layer (ReLU networks only).

        Inputs sharing a pattern lie in one linear region, where ``f(x) = x J + c``.
        """
        if self.activation != "relu":
            raise ValueError("activation_pattern needs activation='relu'")
        self.forward(X)
        return [z > 0 for z in self._cache[1][:-1]]

    def jacobians(self, X):
        """Jacobians ``df/dx`` at every row of ``X``, shape ``(n, d_out, d_in)`` (paper orientation).

        For a ReLU network :math:`J(x) = W_L^\\top D_{L-1}(x) W_{L-1}^\\top \\cdots D_1(x) W_1^\\top`
        with :math:`D_\\ell(x) = \\mathrm{diag}(z_\\ell(x) > 0)`, constant on each linear region.
        """
        self.forward(X)
        inputs, pre = self._cache
        M = None
        for layer in range(self.n_layers):
            W = self.params[2 * layer]
            M = np.broadcast_to(W, (inputs[0].shape[0],) + W.shape) if M is None else M @ W
            if layer != self.n_layers - 1:
                M = M * self._act_grad(pre[layer], inputs[layer + 1])[:, None, :]
        return np.transpose(M, (0, 2, 1)).copy()

    def jacobian(self, x):
        """Jacobian ``df/dx`` at one point ``x`` (shape ``(d_out, d_in)``, paper orientation)."""
        x = check_finite_array(x, "x", ndim=1)
        X = self._check_input(x[None, :], "x")
        out = self.layer_sizes[-1]
        self.forward(np.repeat(X, out, axis=0))
        return self.backward(np.eye(out))

    # --------------------------------------------------------------- copying
    def copy(self):
        """An independent deep copy (same sizes, activation and parameter values)."""
        new = MLP.__new__(MLP)
        new.layer_sizes = self.layer_sizes
        new.activation = self.activation
        new.params = [p.copy() for p in self.params]
        new.grads = [np.zeros_like(p) for p in self.params]
        new._cache = None
        return new

    def truncated(self, n_layers):
        """A new network made of copies of the first ``n_layers`` affine layers.

        ``net.truncated(net.n_layers - 1)`` drops the classification layer: ClusTR's warm
        start (Alfarra et al., Sec. 4) keeps the trained body as the feature map. The new
        network has no activation after its (new) last layer, i.e. it outputs the
        pre-activations of the kept layer.
        """
        n_layers = check_int(n_layers, "n_layers", minimum=1, maximum=self.n_layers)
        new = MLP.__new__(MLP)
        new.layer_sizes = self.layer_sizes[: n_layers + 1]
        new.activation = self.activation
        new.params = [p.copy() for p in self.params[: 2 * n_layers]]
        new.grads = [np.zeros_like(p) for p in new.params]
        new._cache = None
        return new

    def to_arrays(self) -> dict:
        """Parameters as a dict of arrays (for ``numpy.savez``); see :meth:`from_arrays`."""
        out = {f"p{i}": p for i, p in enumerate(self.params)}
        out["layer_sizes"] = np.array(self.layer_sizes)
        out["activation"] = np.array(self.activation)
        return out

    @classmethod
    def from_arrays(cls, arrays):
        """Rebuild a network from :meth:`to_arrays` output (or an opened ``.npz``)."""
        sizes = [int(s) for s in np.asarray(arrays["layer_sizes"])]
        new = cls(sizes, random_state=0, activation=str(np.asarray(arrays["activation"])))
        for i, p in enumerate(new.params):
            stored = check_finite_array(arrays[f"p{i}"], f"p{i}", ndim=p.ndim)
            if stored.shape != p.shape:
                raise ValueError(f"p{i} must have shape {p.shape}, got {stored.shape}")
            new.params[i] = stored.copy()
        return new

    def __repr__(self):
        return f"MLP({list(self.layer_sizes)}, activation={self.activation!r})"


class Adam:
    """Adam optimiser (Kingma & Ba, 2015) updating a list of arrays in place.

    .. math::

        m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\quad
        \\theta \\leftarrow \\theta - \\eta\\, \\frac{m/(1-\\beta_1^t)}{\\sqrt{v/(1-\\beta_2^t)} + \\epsilon}.

    Examples
    --------
    The first step has bias-corrected moments m = g and v = g^2, so each entry moves by lr * sign(g):

    >>> p = [np.zeros(2)]
    >>> Adam(p, lr=0.1).step([np.array([3.0, -0.5])])
    >>> np.round(p[0], 4).tolist()
    [-0.1, 0.1]
    """

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if not isinstance(params, (list, tuple)) or not all(isinstance(p, np.ndarray) for p in params):
            raise TypeError("params must be a list of numpy arrays (e.g. net.params)")
        if len(params) == 0:
            raise ValueError("params must not be empty")
        self.params = params
        self.lr = check_positive(lr, "lr")
        self.beta1 = check_positive(beta1, "beta1", allow_zero=True)
        self.beta2 = check_positive(beta2, "beta2", allow_zero=True)
        if self.beta1 >= 1 or self.beta2 >= 1:
            raise ValueError("beta1 and beta2 must be in [0, 1)")
        self.eps = check_positive(eps, "eps")
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        """Apply one update with ``grads`` (same shapes as ``params``)."""
        if len(grads) != len(self.params):
            raise ValueError(f"grads must have {len(self.params)} arrays, got {len(grads)}")
        self.t += 1
        c1, c2 = 1.0 - self.beta1**self.t, 1.0 - self.beta2**self.t
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            g = np.asarray(g, dtype=float)
            if g.shape != p.shape:
                raise ValueError(f"grads entry has shape {g.shape}, expected {p.shape}")
            if not np.all(np.isfinite(g)):
                raise ValueError("grads contain NaN or infinite values")
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g**2
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) and its gradient with respect to the logits.

    .. math:: L = -\\frac1n \\sum_i \\log \\frac{e^{z_{i y_i}}}{\\sum_k e^{z_{ik}}},\\qquad
              \\frac{\\partial L}{\\partial z_{ik}} = \\frac{\\mathrm{softmax}(z_i)_k - [k = y_i]}{n}.

    Returns
    -------
    loss : float
    grad_logits : ndarray, same shape as ``logits``

    Examples
    --------
    Equal logits for two classes: L = log 2 and the gradient is (softmax - one-hot) / n = (-1/2, 1/2).

    >>> loss, grad = softmax_cross_entropy(np.zeros((1, 2)), [0])
    >>> round(loss, 4) == round(float(np.log(2)), 4), grad.tolist()
    (True, [[-0.5, 0.5]])
    """
    Z = check_data_matrix(logits, "logits")
    y = check_labels(y, "y", n_samples=Z.shape[0])
    if y.min() < 0 or y.max() >= Z.shape[1]:
        raise ValueError(f"y must be in 0..{Z.shape[1] - 1} (one logit column per class)")
    n = Z.shape[0]
    logp = log_softmax(Z, axis=1)
    loss = float(np.mean(-logp[np.arange(n), y]))
    grad = np.exp(logp)
    grad[np.arange(n), y] -= 1.0
    return loss, grad / n


@result
class TrainingHistory:
    """Per-epoch training curve: ``losses[e]`` (mean minibatch loss) and ``accuracies[e]``
    (training accuracy after epoch ``e``; NaN where undefined)."""

    losses: np.ndarray
    accuracies: np.ndarray

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    @property
    def final_accuracy(self) -> float:
        return float(self.accuracies[-1])


def prepare_training(net, X, y, epochs, batch_size, random_state, lr, min_batch_size=1):
    """Validate the common arguments of a training loop; return ``(X, y, epochs, batch_size, rng, Adam)``."""
    X = net._check_input(X)
    y = check_labels(y, "y", n_samples=X.shape[0])
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=min_batch_size)
    return X, y, epochs, batch_size, check_random_state(random_state), Adam(net.params, lr=lr)


def shuffled_batches(n, batch_size, rng, min_size=1):
    """Index arrays of one epoch of shuffled minibatches (one ``rng.permutation(n)`` per call);
    a last batch smaller than ``min_size`` is skipped."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if len(idx) >= min_size:
            yield idx


@single_threaded
def train_cross_entropy(net, X, y, epochs, lr=1e-2, batch_size=64, random_state=None, show_progress=None):
    """Train ``net`` (logits output) with softmax cross-entropy and Adam, in place.

    Parameters
    ----------
    net : MLP
        Its output width must be at least ``max(y) + 1``.
    X : ndarray (n_samples, n_features)
    y : ndarray (n_samples,) of int in ``0..n_classes-1``
    epochs : int >= 1
    lr : float > 0
        Adam step size.
    batch_size : int >= 1
    random_state : None, int or Generator
        Shuffling of the minibatches.

    Returns
    -------
    TrainingHistory

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(-2, 0.5, (20, 2)), rng.normal(2, 0.5, (20, 2))]); y = np.repeat([0, 1], 20)
    >>> net = MLP([2, 8, 2], random_state=0)
    >>> hist = train_cross_entropy(net, X, y, epochs=20, random_state=0, show_progress=False)
    >>> hist.losses.shape, bool(hist.final_loss < hist.losses[0]), hist.final_accuracy
    ((20,), True, 1.0)
    """
    if not isinstance(net, MLP):
        raise TypeError(f"net must be an MLP, got {type(net).__name__}")
    X, y, epochs, batch_size, rng, opt = prepare_training(net, X, y, epochs, batch_size, random_state, lr)
    if y.min() < 0 or y.max() >= net.layer_sizes[-1]:
        raise ValueError(f"y must be in 0..{net.layer_sizes[-1] - 1} for a network with {net.layer_sizes[-1]} outputs")
    n = X.shape[0]
    losses, accs = [], []
    for _ in progress(range(epochs), desc="cross-entropy", show=show_progress):
        total = 0.0
        for idx in shuffled_batches(n, batch_size, rng):
            loss, g = softmax_cross_entropy(net.forward(X[idx]), y[idx])
            net.backward(g)
            opt.step(net.grads)
            total += loss * len(idx)
        losses.append(total / n)
        accs.append(float(np.mean(net.predict(X) == y)))
    return TrainingHistory(np.array(losses), np.array(accs))
