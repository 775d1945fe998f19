"""pyproject.toml and environment.yml must declare the same packages."""
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from their PyPI names
CONDA_TO_PIP = {"matplotlib-base": "matplotlib"}
# conda-only entries that are not packages of the project
CONDA_ONLY = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pip_packages(text: str) -> set[str]:
    data = tomllib.loads(text)["project"]
    reqs = list(data["dependencies"]) + [r for extra in data["optional-dependencies"].values() for r in extra]
    return {_name(r) for r in reqs}


def conda_packages(text: str) -> set[str]:
    names, in_deps, in_pip = set(), False, False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith(" "):
            in_deps = line.startswith("dependencies:")
            continue
        if not in_deps:
            continue
        stripped = line.strip()
        if stripped.startswith("- pip:"):
            in_pip = True
            continue
        indent = len(line) - len(line.lstrip())
        if in_pip and indent <= 2:
            in_pip = False
        if in_pip or not stripped.startswith("- "):
            continue
        name = _name(stripped[2:])
        names.add(CONDA_TO_PIP.get(name, name))
    return names - CONDA_ONLY


def test_same_packages_in_pyproject_and_environment():
    pip = pip_packages((ROOT / "pyproject.toml").read_text())
    conda = conda_packages((ROOT / "environment.yml").read_text())
    assert pip == conda, f"only in pyproject: {sorted(pip - conda)}; only in environment.yml: {sorted(conda - pip)}"


def test_parsers_notice_a_missing_package():
    env = (ROOT / "environment.yml").read_text()
    dropped = env.replace("  - joblib", "  # joblib removed")
    assert "joblib" in conda_packages(env) and "joblib" not in conda_packages(dropped)
    py = (ROOT / "pyproject.toml").read_text()
    assert "tqdm" not in pip_packages(py.replace('"tqdm>=4.66",', ""))
