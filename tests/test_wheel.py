"""The installed wheel stands alone: built from the package's files and installed into a fresh
virtual environment outside the checkout, it runs a ready config and cites check's evidence
from an empty folder, and keeps its feature cache in the user's cache directory.

The venv gets its dependencies without a download: a folder of links to the distributions
of this environment that the wheel's requirements need (their closure, no more), added to
it by a .pth file. So a module the package imports without declaring it fails here, and
nothing of the checkout is on its path (`runner` is the wheel's).
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.slow  # builds a wheel, a venv, and runs a grid in it

CHECKOUT = pathlib.Path(__file__).resolve().parents[1]
# a logit head compiled with 'accuracy' (binary_accuracy at 0.5) and its 0./1. labels
MODEL_SCRIPT = """
import keras, numpy as np
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
model.save("model.keras")
np.save("y.npy", (np.arange(64) % 2).astype("float32"))
"""
API_SCRIPT = """
import runner
run = runner.run("smoke", quick=True, out="run2", progress=False)
assert "verdict" in run.results.columns, list(run.results.columns)
html = run._repr_html_()
assert "<svg" in html or "<table" in html
print(runner.open_run("run2"))
from runner.tutorial.snippets import SNIPPETS  # the catalogue, read from the wheel's data
assert len(SNIPPETS) > 20 and SNIPPETS[0].code, SNIPPETS[:1]
"""


def _requirements(wheel: pathlib.Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    return [line.split(":", 1)[1].strip() for line in metadata.splitlines()
            if line.startswith("Requires-Dist:")]


def _closure(requirements: list[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions that `requirements` need, with their extras, transitively."""
    found: dict[str, importlib.metadata.Distribution] = {}
    seen: set[tuple[str, str]] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        dist = found.get(name) or importlib.metadata.distribution(requirement.name)
        found[name] = dist
        for wanted in ("", *requirement.extras):
            if (name, wanted) not in seen:
                seen.add((name, wanted))
                todo += [(Requirement(r), wanted) for r in dist.requires or []]
    return list(found.values())


def _link(dist: importlib.metadata.Distribution, folder: pathlib.Path) -> None:
    """Link a distribution's files into `folder`: each package whole, namespace folders
    (no __init__.py, e.g. google/) entry by entry, so that only its own files come."""
    for file in dist.files or []:
        parts = pathlib.PurePath(file).parts
        if parts[0] in ("..", "__pycache__"):  # scripts in bin/, shared byte code
            continue
        depth = 1
        while depth < len(parts) and not parts[0].endswith((".dist-info", ".data")) and \
                not dist.locate_file(pathlib.Path(*parts[:depth]) / "__init__.py").exists():
            depth += 1
        unit = pathlib.Path(*parts[:depth])
        target = folder / unit
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(pathlib.Path(dist.locate_file(unit)).resolve())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """The wheel, built from a copy of the package's files (a build in the checkout would
    leave build/ and *.egg-info there), with this environment's setuptools."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(CHECKOUT / name, source / name)
    shutil.copytree(CHECKOUT / "runner", source / "runner",
                    ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(dist), str(source)], check=True, capture_output=True)
    return next(dist.glob("cheatgrid-*.whl"))


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> pathlib.Path:
    """A fresh venv (no system site-packages) with the wheel installed, its dependencies
    linked in, outside the checkout."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "env")],
                   check=True)
    python = root / "env" / "bin" / "python"
    deps = root / "deps"
    for dist in _closure(_requirements(wheel)):
        _link(dist, deps)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    pathlib.Path(site, "cheatgrid_test_deps.pth").write_text(
        f"import site; site.addsitedir({str(deps)!r})\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)], check=True)
    return root / "env"


def test_the_wheel_holds_the_package_and_its_data_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {"runner/configs/smoke.yaml", "runner/configs/default.yaml",
            "runner/check/samples/default.csv", "runner/check/samples/frameworks.csv",
            "runner/embedded/mnist_5k.npz", "runner/tutorial/snippets/catalogue.yaml"} <= set(names)
    assert {name.split("/")[0] for name in names} == {"runner", "cheatgrid-0.1.0.dist-info"}
    assert wheel.stat().st_size < 2_000_000


def test_from_an_empty_folder_it_runs_a_grid_and_cites_its_evidence(venv, tmp_path):
    work, home, cache = tmp_path / "work", tmp_path / "home", tmp_path / "xdg-cache"
    for folder in (work, home):
        folder.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "CHEATGRID_CACHE_DIR", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               XDG_CACHE_HOME=str(cache), TF_CPP_MIN_LOG_LEVEL="3")

    def run(*argv: str, code: int = 0) -> str:
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == code, done.stdout + done.stderr
        return done.stdout

    where = run("python", "-c", "import runner, sys; print(runner.__file__); print(sys.path)")
    assert where.startswith(str(venv)) and str(CHECKOUT) not in where
    assert "smoke " in run("cheatgrid", "configs")

    run("cheatgrid", "grid", "smoke", "--quick")
    assert (work / "results" / "smoke" / "results.csv").is_file()
    assert list((cache / "cheatgrid").glob("features-*.npz"))  # the user's cache directory

    run("python", "-c", MODEL_SCRIPT)
    report = run("cheatgrid", "check", "model.keras", "--labels", "y.npy")
    assert "accuracy -> binary_accuracy: OK" in report
    assert "seen: results/samples/default/results.csv" in report
    assert "identical_heads:" in report

    assert run("python", "-c", API_SCRIPT).startswith("Run('run2': 120 cells:")
    assert sorted(p.name for p in work.iterdir()) == [
        "model.keras", "results", "run2", "y.npy"]
