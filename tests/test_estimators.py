"""scikit-learn's estimator checks on the course's estimators (issue 17 item 4).

``parametrize_with_checks`` runs scikit-learn's own battery (cloning, fitted-state errors,
``n_features_in_``, input validation, invariances, ...). Checks that cannot apply are declared
with the reason (``expected_failed_checks``: such a check is marked xfail, so it is still run);
every other check must pass.
"""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from tutorial_lib.convex_clustering import ConvexClustering
from tutorial_lib.kmeans_attack import LogisticSurrogate, NetworkSurrogate

# what the surrogates refuse on purpose, where scikit-learn would convert
SURROGATE_EXPECTED = {
    "check_dtype_object": "object arrays are refused on purpose (course rule, issue 17 item 5: numeric input "
                          "only; scikit-learn converts them)",
    "check_classifiers_classes": "class labels must be integers: the attacks pass y as class indices "
                                 "(string labels are refused by check_labels)",
}


def _expected_failed(estimator):
    if isinstance(estimator, (LogisticSurrogate, NetworkSurrogate)):
        return SURROGATE_EXPECTED
    if isinstance(estimator, ConvexClustering) and estimator.weights == "uniform" and estimator.gamma >= 0.5:
        reason = ("uniform weights: the fusion gamma scales like 1/n, and gamma = 1 fuses the 50 points of "
                  "check_clustering into one cluster (ARI 0); gamma = 0.03 passes (see the docstring)")
        return {"check_clustering": reason, "check_clustering(readonly_memmap=True)": reason}
    return {}


ESTIMATORS = [
    LogisticSurrogate(scale=1.0),
    NetworkSurrogate(hidden=(16,), epochs=40, lr=0.05, scale=1.0, random_state=0),
    ConvexClustering(gamma=0.03, weights="uniform"),
    ConvexClustering(weights="uniform"),
    ConvexClustering(gamma=1.0, weights="knn"),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("make", [lambda: LogisticSurrogate(), lambda: NetworkSurrogate((4,), epochs=2)])
def test_surrogates_validate_in_fit_and_clone(make):
    est = make()
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 3)))
    bad = clone(est).set_params(scale=-1.0)  # accepted by the constructor, refused by fit
    with pytest.raises(ValueError, match="scale"):
        bad.fit(np.zeros((4, 2)), [0, 1, 0, 1])
    X = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 3.0], [3.0, 4.0]])
    fitted = clone(est).fit(X, [7, 7, 9, 9])
    assert fitted.classes_.tolist() == [7, 9] and fitted.n_features_in_ == 2
    assert set(fitted.predict(X).tolist()) <= {7, 9}
    with pytest.raises(ValueError, match="X has 3 features"):
        fitted.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="y must hold class labels seen in fit"):
        fitted.loss_and_input_grad(X, [0, 0, 1, 1])


def test_binary_logistic_surrogate_matches_scikit_learn_probabilities():
    # two classes: scikit-learn keeps one coefficient row; the softmax of (-z/2, z/2) is its sigmoid
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(int)
    sur = LogisticSurrogate(scale=1.0).fit(X, y)
    ref = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    assert np.allclose(sur.predict_proba(X), ref.predict_proba(X), atol=1e-10)
    assert np.array_equal(sur.predict(X), ref.predict(X))
