"""Attacking and hardening k-means (chapter 07).

Two papers are reproduced at teaching scale (scikit-learn's 8 x 8 digits, pixel values 0-16,
CPU, seconds):

* **Transfer attacks and incremental adversarial training of k-means** (seed 002: "Adversarial
  Robustness on Image Classification with k-means", arXiv 2312.09533). k-means has no useful
  gradient (its decision is piecewise constant), so adversarial examples are crafted on a
  *differentiable surrogate* (a supervised classifier) with I-FGSM and handed to k-means as a
  black box. k-means is then hardened by refitting it on data in which a proportion ``eta`` of
  points are replaced by adversarial versions, with the attack strength raised step by step and
  the centroids of each step initialised from the previous one.
* **Attacks in the embedding space of deep clustering, defence and re-attack** (seed 003:
  supplementary material of Yang et al., "Adversarial Learning for Robust Deep Clustering",
  NeurIPS 2020). A small autoencoder embeds the digits, k-means clusters the embeddings, a
  perturbation of the *embedding* changes assignments, a defence fine-tunes the encoder on
  perturbed embeddings, and a re-attack measures what is left.

Notation: the papers store points as columns (d x n); the code follows scikit-learn, ``X`` has
shape ``(n_samples, n_features)`` and row ``i`` is the point ``x_i``.

Main entry points: :func:`cluster_accuracy`, :func:`transfer_attack` (with the surrogates
:class:`LogisticSurrogate` and :class:`NetworkSurrogate`), :func:`adversarial_kmeans`, the white-box
evaluation of k-means as a nearest-prototype classifier (:func:`certified_linf_radius`, and
:func:`whitebox_attack`, which computes the l-infinity robust accuracy exactly by linear programs),
:func:`minimal_flip`, :func:`embedding_attack`, :func:`defend_embedding` and the widget logic
:func:`explore_adversarial_training`. Every result is a frozen dataclass.

The problems here are small, so the heavy calls run with one BLAS/OpenMP thread (faster, and
much faster on a shared machine where threads oversubscribe the cores).

Submodules (imports go downward in this order; the package re-exports the public names):

* ``mapping``: :func:`cluster_mapping`, :func:`cluster_accuracy` and :class:`MappedKMeans` (k-means as a
  nearest-centroid classifier with a frozen cluster-to-class map).
* ``surrogates``: the :class:`Surrogate` protocol, :class:`LogisticSurrogate` and :class:`NetworkSurrogate`.
* ``transfer``: I-FGSM on a surrogate, :func:`transfer_attack`, :class:`TransferAttack`, :func:`transfer_report`.
* ``training``: incremental adversarial training, :func:`adversarial_kmeans`.
* ``whitebox``: :func:`certified_linf_radius` and the exact LP attack :func:`whitebox_attack`.
* ``autoencoder``: the small :class:`Autoencoder` of the embedding attacks.
* ``embedding``: Voronoi margins, :func:`minimal_flip` and :func:`embedding_attack`.
* ``defence``: adversarial fine-tuning of the encoder, :func:`defend_embedding`.
* ``views``: the widget state :func:`explore_adversarial_training` (no other submodule imports it).

Examples
--------
>>> from tutorial_lib.kmeans_attack import cluster_accuracy
>>> cluster_accuracy([0, 0, 1, 1], [3, 3, 7, 7])
1.0
"""

from .autoencoder import Autoencoder
from .defence import EmbeddingDefenceResult, defend_embedding
from .embedding import EmbeddingAttackResult, MinimalFlip, embedding_attack, minimal_flip
from .mapping import ClusterMapping, MappedKMeans, cluster_accuracy, cluster_mapping
from .surrogates import LogisticSurrogate, NetworkSurrogate, Surrogate
from .training import AdversarialKMeansResult, adversarial_kmeans
from .transfer import TransferAttack, TransferAttackResult, TransferReport, transfer_attack, transfer_report
from .views import TrainingSummary, explore_adversarial_training
from .whitebox import WhiteBoxResult, certified_linf_radius, whitebox_attack

__all__ = [
    "ClusterMapping",
    "cluster_mapping",
    "cluster_accuracy",
    "MappedKMeans",
    "Surrogate",
    "LogisticSurrogate",
    "NetworkSurrogate",
    "TransferAttackResult",
    "transfer_attack",
    "TransferAttack",
    "TransferReport",
    "transfer_report",
    "AdversarialKMeansResult",
    "adversarial_kmeans",
    "certified_linf_radius",
    "WhiteBoxResult",
    "whitebox_attack",
    "TrainingSummary",
    "explore_adversarial_training",
    "Autoencoder",
    "MinimalFlip",
    "minimal_flip",
    "EmbeddingAttackResult",
    "embedding_attack",
    "EmbeddingDefenceResult",
    "defend_embedding",
]
