"""How a runtime's processes start: which Python, which environment variables, and this
runner package on its path."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import secrets
import sys

from runner.features.cache import cache_dir
from runner.train import backends

# Variables of this process that would point an environment's Python at another one.
_FOREIGN = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX")


@dataclasses.dataclass(frozen=True)
class Launch:
    """A runtime's process: its interpreter and its environment variables."""

    python: str
    environment: dict[str, str] = dataclasses.field(repr=False)
    pinned: bool  # a built environment (not the Python cheatgrid runs in)


def root() -> pathlib.Path:
    """Where environments live: `environments/` in cheatgrid's cache directory."""
    return cache_dir() / "environments"


def package_dir() -> pathlib.Path:
    return pathlib.Path(__file__).resolve().parents[1]


def runner_link() -> pathlib.Path:
    """A folder holding only a link `runner` to this package, first on a built environment's
    PYTHONPATH: never a copy that goes stale; replaced atomically when it points elsewhere."""
    package = package_dir()
    folder = root() / "runner-links" / hashlib.sha256(str(package).encode()).hexdigest()[:12]
    link = folder / "runner"
    if not (link.is_symlink() and link.resolve() == package):
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".runner.{secrets.token_hex(4)}"
        temporary.symlink_to(package, target_is_directory=True)
        os.replace(temporary, link)
    return folder


def process_environment(framework: str, pinned: bool) -> dict[str, str]:
    """The environment variables of a runtime's process: this process's, the framework's
    (its backend, before Keras is imported), and the path to this runner package."""
    env = {**os.environ, **backends.environment(framework), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if pinned:
        for name in _FOREIGN:
            env.pop(name, None)
        env["PYTHONNOUSERSITE"] = "1"  # the user's site-packages are another Keras's
        env["PYTHONPATH"] = str(runner_link())
    else:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_dir().parent),
                                                          os.environ.get("PYTHONPATH")]))
    return env


def launch_for(framework: str, python: str | None = None) -> Launch:
    """How to start a process of `framework`: in a built environment whose interpreter is
    `python`, or (None) in this Python (a worker, the snippets: `sys.executable`)."""
    pinned = python is not None
    return Launch(python or sys.executable, process_environment(framework, pinned), pinned)
