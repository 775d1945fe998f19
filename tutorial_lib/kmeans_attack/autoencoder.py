"""The small autoencoder of the embedding attacks (seed 003): :class:`Autoencoder`."""
from __future__ import annotations

import numpy as np

from ..core.progress import progress
from ..core.threads import one_thread
from ..core.validation import check_data_matrix, check_int, check_positive, check_random_state
from ..network import MLP, Adam, shuffled_batches


class Autoencoder:
    """A small autoencoder made of two course networks: ``encoder: x/s -> z``, ``decoder: z -> x/s``.

    Trained with Adam on the mean squared reconstruction error
    :math:`\\frac{1}{nd}\\sum_i \\|x_i/s - g(f(x_i/s))\\|^2`. The encoder's last layer is linear,
    so the embedding is unconstrained, as in the deep-clustering networks of seed 003.

    Parameters
    ----------
    layer_sizes : sequence of int
        Encoder widths, input first, e.g. ``[64, 32, 10]``; the decoder mirrors them.
    scale : float > 0
        Inputs are divided by ``scale`` (16 for the digits).
    random_state : None, int or Generator

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(0, 16, (40, 4))
    >>> ae = Autoencoder([4, 3, 2], scale=16.0, random_state=0)
    >>> ae = ae.fit(X, epochs=5, random_state=0, show_progress=False)
    >>> ae.encode(X).shape, ae.decode(ae.encode(X)).shape, ae.losses_.shape
    ((40, 2), (40, 4), (5,))
    """

    def __init__(self, layer_sizes=(64, 32, 10), scale=16.0, random_state=None):
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
            raise TypeError("layer_sizes must be a sequence of positive integers")
        rng = check_random_state(random_state)
        self.encoder = MLP(list(layer_sizes), random_state=rng)
        self.decoder = MLP(list(layer_sizes)[::-1], random_state=rng)
        self.scale = check_positive(scale, "scale")
        self.losses_ = np.zeros(0)

    @property
    def n_features(self) -> int:
        return self.encoder.layer_sizes[0]

    def copy(self) -> "Autoencoder":
        new = Autoencoder.__new__(Autoencoder)
        new.encoder, new.decoder, new.scale = self.encoder.copy(), self.decoder.copy(), self.scale
        new.losses_ = self.losses_.copy()
        return new

    def encode(self, X) -> np.ndarray:
        """Embedding ``z = f(x / scale)`` of every row of ``X``."""
        return self.encoder.forward(check_data_matrix(X, "X") / self.scale)

    def decode(self, Z) -> np.ndarray:
        """Reconstruction ``scale * g(z)`` in pixel units."""
        return self.decoder.forward(check_data_matrix(Z, "Z")) * self.scale

    __call__ = encode

    def fit(self, X, epochs=40, lr=3e-3, batch_size=64, random_state=None, show_progress=None,
            extra_loss=None) -> "Autoencoder":
        """Train on the reconstruction error (in place); ``losses_`` holds the per-epoch loss.

        ``extra_loss``, if given, is called as ``extra_loss(self, X)`` at the start of every epoch
        and returns ``hook(idx, Z) -> (loss, dloss/dZ)`` for the minibatch ``X[idx]`` with
        embeddings ``Z``; the term is added to the loss and back-propagated through the encoder
        (this is how :func:`defend_embedding` adds its hinge).
        """
        X = check_data_matrix(X, "X")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X must have {self.n_features} features, got {X.shape[1]}")
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        rng = check_random_state(random_state)
        if extra_loss is not None and not callable(extra_loss):
            raise TypeError("extra_loss must be None or callable")
        with one_thread():
            self._train(X, epochs, lr, batch_size, rng, show_progress, extra_loss)
        return self

    def _train(self, X, epochs, lr, batch_size, rng, show_progress, extra_loss):
        Xs = X / self.scale
        opt = Adam(self.encoder.params + self.decoder.params, lr=lr)
        losses = []
        for _ in progress(range(epochs), desc="autoencoder", show=show_progress):
            hook = extra_loss(self, X) if extra_loss is not None else None
            total = 0.0
            for idx in shuffled_batches(X.shape[0], batch_size, rng):  # the loop train_cross_entropy uses
                Z = self.encoder.forward(Xs[idx])
                diff = self.decoder.forward(Z) - Xs[idx]
                loss = float(np.mean(diff**2))
                grad_z = self.decoder.backward(2.0 * diff / diff.size)
                if hook is not None:
                    hook_loss, hook_grad = hook(idx, Z)
                    loss += hook_loss
                    grad_z = grad_z + hook_grad
                self.encoder.backward(grad_z)
                opt.step(self.encoder.grads + self.decoder.grads)
                total += loss * len(idx)
            losses.append(total / X.shape[0])
        self.losses_ = np.concatenate([self.losses_, losses])
