"""The install is pinned: constraints.txt (the lock) pins every package, pyproject.toml's floors are the
tested versions, environment.yml installs through the lock, and this environment is the locked one."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
SUPPORTED = [(3, 11), (3, 12), (3, 13)]  # the Python versions the README promises


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(text: str) -> dict[str, str]:
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep and version and " " not in line, f"constraints.txt: not an exact pin: {raw!r}"
        assert _norm(name) not in pins, f"constraints.txt pins {name} twice"
        pins[_norm(name)] = version
    return pins


def declared_requirements(text: str) -> list[Requirement]:
    project = tomllib.loads(text)["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return [Requirement(r) for r in reqs]


LOCK = lock_pins((ROOT / "constraints.txt").read_text())
PYPROJECT = (ROOT / "pyproject.toml").read_text()


def test_lock_pins_every_declared_package_and_transitive_ones():
    missing = [r.name for r in declared_requirements(PYPROJECT) if _norm(r.name) not in LOCK]
    assert not missing, f"constraints.txt does not pin {missing}: run `make lock`"
    # transitive dependencies are pinned too (these two once changed stored outputs or stderr)
    assert {"pyparsing", "ipykernel", "pip"} <= set(LOCK)


def test_floors_are_the_tested_versions():
    for req in declared_requirements(PYPROJECT):
        pinned = LOCK[_norm(req.name)]
        assert req.specifier.contains(pinned), f"pyproject.toml's {req} excludes the locked {pinned}"
        floors = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert floors == [Version(pinned)], (
            f"{req}: the floor must be the locked (tested) version {pinned}; raise it after `make lock`"
        )


def test_supported_python_versions_agree():
    requires = tomllib.loads(PYPROJECT)["project"]["requires-python"]
    assert requires.replace(" ", "") == f">={SUPPORTED[0][0]}.{SUPPORTED[0][1]}"
    makefile = (ROOT / "Makefile").read_text()
    lo, hi = SUPPORTED[0], SUPPORTED[-1]
    assert f"{lo} <= v <= {hi}" in makefile, "the Makefile's Python check disagrees with the README's range"
    readme = (ROOT / "README.md").read_text()
    assert f"Python {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}" in readme
    header = (ROOT / "constraints.txt").read_text().splitlines()[1]
    assert f"Python {lo[0]}.{lo[1]}-{hi[0]}.{hi[1]}" in header


def test_environment_yml_installs_through_the_lock():
    env = (ROOT / "environment.yml").read_text().split("\ndependencies:", 1)[1]
    items = [line.split("#", 1)[0].strip()[2:].strip() for line in env.splitlines() if line.strip().startswith("- ")]
    pythons = [i for i in items if i.startswith("python")]
    assert len(pythons) == 1 and re.fullmatch(r"python=3\.1[1-3]", pythons[0]), pythons
    assert "-c constraints.txt" in items and "-e .[test]" in items
    # conda packages besides python and pip would bypass the lock
    conda_pkgs = [i for i in items if not i.startswith(("python", "pip", "-"))]
    assert not conda_pkgs, f"environment.yml installs {conda_pkgs} outside the lock"


def test_this_environment_is_the_locked_one():
    """`make` installs with the lock: every locked package that is installed has the locked version."""
    differ = {}
    for dist in metadata.distributions():
        name = _norm(dist.metadata["Name"])
        if name in LOCK and dist.version != LOCK[name]:
            differ[name] = (dist.version, LOCK[name])
    assert not differ, f"installed vs locked versions differ: {differ}; run `make venv` (the stamp follows the lock)"


def test_parsers_notice_drift():
    assert lock_pins("numpy==2.4.6\n# comment\n") == {"numpy": "2.4.6"}
    for bad in ("numpy>=2\n", "numpy==1\nnumpy==2\n"):
        try:
            lock_pins(bad)
        except AssertionError:
            continue
        raise AssertionError(f"lock_pins accepted {bad!r}")
    names = [r.name for r in declared_requirements(PYPROJECT)]
    assert "tqdm" in names and "cvxpy" in names  # extras are read too
    dropped = PYPROJECT.replace('    "tqdm>=4.70.1",\n', "")
    assert "tqdm" not in [r.name for r in declared_requirements(dropped)]
