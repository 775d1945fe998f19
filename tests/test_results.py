"""The result base (tutorial_lib.core.results, issue 17 item 3): frozen, identity-compared
dataclasses with read-only arrays and a short repr, used by every public result of the package."""
import dataclasses
import importlib
import pkgutil

import numpy as np
import pytest

import tutorial_lib
from tutorial_lib.core.results import is_result, result

# dataclasses that are not results: question/grading records of the checks engine and the
# constraint specs of the validation table (no arrays, compared by value on purpose)
NOT_RESULTS = {
    "tutorial_lib.core.validation": {"Range", "Options"},
}
NOT_RESULT_PACKAGES = ("tutorial_lib.checks", "tutorial_lib.grade")


def _public_dataclasses():
    out = []
    for info in pkgutil.walk_packages(tutorial_lib.__path__, "tutorial_lib."):
        name = info.name
        if name.startswith(NOT_RESULT_PACKAGES) or name.rsplit(".", 1)[-1].startswith("_"):
            continue
        mod = importlib.import_module(name)
        for attr, obj in vars(mod).items():
            if (isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == name
                    and not attr.startswith("_") and attr not in NOT_RESULTS.get(name, ())):
                out.append(obj)
    return out


def test_every_public_dataclass_of_the_library_is_a_result():
    classes = _public_dataclasses()
    assert len(classes) > 50  # the sweep found the package's results
    plain = [f"{c.__module__}.{c.__qualname__}" for c in classes if not is_result(c)]
    assert not plain, f"declare these with tutorial_lib.core.results.result: {plain}"
    for c in classes:
        params = c.__dataclass_params__
        assert params.frozen and not params.eq, c


@result
class _Fit:
    coef: np.ndarray
    score: float
    parts: tuple = ()
    hidden: np.ndarray = dataclasses.field(default=None, repr=False)


def test_arrays_become_read_only_copies_and_the_callers_array_stays_writable():
    x = np.arange(6.0).reshape(2, 3)
    fit = _Fit(x, 0.5, parts=(np.ones(2), 3))
    with pytest.raises(ValueError, match="read-only"):
        fit.coef[0, 0] = 99
    with pytest.raises(ValueError, match="read-only"):
        fit.parts[0][0] = 99
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.score = 1.0
    x[0, 0] = -1.0  # the caller's array is not frozen, and changing it does not change the result
    assert x.flags.writeable and fit.coef[0, 0] == 0.0
    frozen = fit.coef
    assert _Fit(frozen, 0.1).coef is frozen  # already read-only: no second copy


def test_identity_semantics_and_a_short_repr():
    fit = _Fit(np.zeros((500, 40)), 0.25, hidden=np.zeros(3))
    assert fit == fit and fit != _Fit(fit.coef, 0.25)
    assert len({fit, fit}) == 1 and {fit: 1}[fit] == 1  # hashable (identity hash)
    assert repr(fit) == "_Fit(coef=array(shape=(500, 40), dtype=float64), score=0.25, parts=())"


def test_own_post_init_runs_before_freezing():
    @result
    class Clipped:
        v: np.ndarray

        def __post_init__(self):
            object.__setattr__(self, "v", np.clip(np.asarray(self.v, dtype=float), 0, 1))

    c = Clipped([-1.0, 2.0])
    assert c.v.tolist() == [0.0, 1.0] and not c.v.flags.writeable


def test_result_refuses_to_unfreeze():
    with pytest.raises(TypeError, match="frozen"):
        result(frozen=False)


def test_a_real_solution_is_frozen_hashable_and_short_to_print():
    from tutorial_lib.convex_clustering import solve_cvc

    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    sol = solve_cvc(X, 0.1, np.ones((4, 4)) - np.eye(4))
    with pytest.raises(ValueError, match="read-only"):
        sol.Y[0, 0] = 99
    assert sol == sol and isinstance(hash(sol), int)  # neither raises (they did before)
    text = repr(sol)
    assert "Y=array(shape=(4, 2), dtype=float64)" in text and len(text) < 600
    assert X.flags.writeable  # the input is untouched
