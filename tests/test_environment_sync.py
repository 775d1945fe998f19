"""pyproject.toml and environment.yml must declare the same packages, with the same version floors."""
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
CONDA_ONLY = {"pip"}


def _split(requirement: str) -> tuple[str, str]:
    """'numpy>=1.25' -> ('numpy', '>=1.25'); names normalised, spaces dropped."""
    req = requirement.split(";", 1)[0].strip()
    name = re.split(r"[\s<>=!~\[]", req, maxsplit=1)[0]
    spec = re.sub(r"\[.*?\]", "", req[len(name):]).replace(" ", "")
    return name.lower().replace("_", "-"), spec


def pip_requirements(text: str) -> dict[str, str]:
    data = tomllib.loads(text)["project"]
    reqs = list(data["dependencies"]) + [r for extra in data["optional-dependencies"].values() for r in extra]
    out = dict(_split(r) for r in reqs)
    out["python"] = data["requires-python"].replace(" ", "")
    return out


def conda_requirements(text: str) -> dict[str, str]:
    out, in_deps, in_pip = {}, False, False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not raw.startswith(" "):
            in_deps, in_pip = line.startswith("dependencies:"), False
            continue
        if not in_deps:
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if stripped.startswith("- pip:"):
            in_pip = True
            continue
        if in_pip and indent <= 2:
            in_pip = False
        if not stripped.startswith("- "):
            continue
        item = stripped[2:].strip()
        if in_pip and item.startswith("-"):  # "-e ." installs the course itself
            continue
        name, spec = _split(item)
        name = CONDA_TO_PIP.get(name, name)
        if name not in CONDA_ONLY:
            out[name] = spec
    return out


def test_same_packages_and_versions_in_pyproject_and_environment():
    pip = pip_requirements((ROOT / "pyproject.toml").read_text())
    conda = conda_requirements((ROOT / "environment.yml").read_text())
    assert set(pip) == set(conda), (
        f"only in pyproject: {sorted(set(pip) - set(conda))}; only in environment.yml: {sorted(set(conda) - set(pip))}"
    )
    differ = {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}
    assert not differ, f"version specifiers differ (pyproject, environment.yml): {differ}"


def test_parsers_notice_drift():
    env = (ROOT / "environment.yml").read_text()
    py = (ROOT / "pyproject.toml").read_text()
    assert "joblib" in conda_requirements(env)
    assert "joblib" not in conda_requirements(env.replace("  - joblib", "  # joblib removed"))
    assert "tqdm" not in pip_requirements(py.replace('"tqdm>=4.66",', ""))
    assert conda_requirements(env.replace("numpy>=1.25", "numpy>=2.9"))["numpy"] == ">=2.9"
    assert conda_requirements(env.replace("      - -e .", "      - -e .\n      - extra-package"))["extra-package"] == ""
    assert pip_requirements(py.replace('requires-python = ">=3.10"', 'requires-python = ">=3.12"'))["python"] == ">=3.12"
