"""Regenerate the cached chapter 06 models (tutorial_lib/data/clustr_*.npz).

    .venv/bin/python benchmarks/train_clustr.py

Trains the synthetic experiment (moons and circles, Magnet loss from random initialisation vs
ClusTR warm start, 5 seeds each) and the digits models (cross-entropy network and ClusTR),
with the recipes of tutorial_lib.clustr (train_synthetic, train_digits), and saves them with
tutorial_lib.clustr.save_models. Deterministic for a given machine; across BLAS builds the weights
agree to floating-point round-off (differences of order 1e-14 were measured against the committed
files), which is why the notebook re-trains one model and compares it with ``np.allclose``
(rtol 1e-9) rather than bit for bit. Takes about 15-30 s on a laptop.
"""
import time
from pathlib import Path

from tutorial_lib.clustr import save_models, train_digits, train_synthetic

DATA = Path(__file__).resolve().parents[1] / "tutorial_lib" / "data"
SEEDS = range(5)


def main():
    t0 = time.perf_counter()
    models = {}
    for name in ("moons", "circles"):
        for method in ("magnet", "clustr"):
            for seed in SEEDS:
                models[f"{name}_{method}_{seed}"] = train_synthetic(name, method, seed, show_progress=False)
    save_models(DATA / "clustr_synthetic.npz", models)
    res = train_digits(seed=0, show_progress=False)
    save_models(DATA / "clustr_digits.npz", {"ce_net": res.ce_net, "clustr": res.model})
    print(f"saved {len(models)} synthetic models and 2 digits models, took {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
