"""Independent reference computations shared by several test files (not library code)."""
import numpy as np
from scipy.optimize import isotonic_regression


def exact_cvc_1d(x, gamma):
    """Exact 1-D CVC with all weights 1 (NOTES.md fact 6), written independently of the library.

    Sorting x makes the penalty linear: sum_{i<j} |y_i - y_j| = sum_i (2i - n - 1) y_(i) for
    ordered y, so CVC is isotonic regression of x_(i) - gamma (2i - n - 1); then unsort.
    """
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    order = np.argsort(x, kind="stable")
    y_sorted = isotonic_regression(x[order] - gamma * (2 * np.arange(1, n + 1) - n - 1)).x
    y = np.empty(n)
    y[order] = y_sorted
    return y
