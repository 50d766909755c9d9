"""Environments of pinned releases, built with uv into `<cache>/environments/<name>-<key>/`
once per key (a digest of all that is installed there), under an `flock` so that two runs
never build one at once; built only once its manifest, written last and atomically, says so."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from runner.environments.launch import process_environment, root
from runner.store.atomic import atomic_write
from runner.vocab.releases import Pins

MANIFEST = "cheatgrid-environment.json"
# What runner itself imports in an environment's worker and snippets, besides Keras and
# TensorFlow (which bring NumPy): the config (PyYAML), version arithmetic (packaging), the
# cache directory (platformdirs: JAX's compilation cache lives there).
OWN_REQUIREMENTS = ("pyyaml>=6", "packaging>=23", "platformdirs>=3")
BUILD_TIMEOUT_SECONDS = 3600  # TensorFlow's wheels are large; a slow mirror takes a while
# What an environment's interpreter prints once built: the versions its rows will carry,
# after importing what its workers and snippets import (a missing package shows here).
_PROBE = ("import json, sys\n"
          "from runner.train import backends\n"
          "backends.activate(sys.argv[1])\n"
          "backends.import_tensorflow(verbose=False)\n"
          "import tensorflow as tf\n"
          "import runner.execute.prepare, runner.execute.worker, runner.tutorial.snippet_run\n"
          "keras = backends.keras()\n"
          "print(json.dumps({'keras': keras.__version__, 'tensorflow': tf.__version__, "
          "'backend': backends.backend(), 'python': sys.version.split()[0]}))\n")


class BuildFailed(Exception):
    """An environment that could not be built; the message is uv's reason, in one line."""


def requirements(pins: Pins) -> list[str]:
    """Its pins' requirements, then cheatgrid's own that the pins do not name already."""
    wanted = pins.requirements()
    named = {re.split(r"[\[<>=~! ]", r, maxsplit=1)[0] for r in wanted}
    return wanted + [r for r in OWN_REQUIREMENTS
                     if re.split(r"[<>=~! ]", r, maxsplit=1)[0] not in named]


def key(pins: Pins) -> str:
    """12 hex digits over what determines an environment's content."""
    identity = {"requirements": requirements(pins), "python": platform.python_version(),
                "platform": f"{sys.platform}-{platform.machine()}"}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]


def directory(pins: Pins) -> pathlib.Path:
    return root() / f"{pins.name}-{key(pins)}"


def manifest(pins: Pins) -> dict[str, Any] | None:
    """A built environment's manifest (its Python, versions, build time), or None."""
    try:
        found = json.loads((directory(pins) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if pathlib.Path(found.get("python", "")).exists() else None


@contextlib.contextmanager
def _locked(path: pathlib.Path, waiting: Callable[[], None]) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:  # closing it releases the lock
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            waiting()
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure(pins: Pins, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The manifest (`python`, `versions`, `seconds`, ...) of the environment of `pins`, built
    first if need be (a directory without a manifest: a build that died, done again);
    `BuildFailed` with uv's reason where it cannot be built, and nothing of it kept."""
    found = manifest(pins)
    if found is not None:
        return found
    target = directory(pins)
    with _locked(target.with_name(target.name + ".lock"),
                 lambda: log(f"environment {pins.name}: waiting for another build of it")):
        found = manifest(pins)  # the build we waited for
        if found is not None:
            return found
        log(f"environment {pins.name}: building with uv ({', '.join(requirements(pins))})")
        start = time.monotonic()
        shutil.rmtree(target, ignore_errors=True)  # a build that died half way
        try:
            _build(pins, target)
            versions = _probe(pins, target / "bin" / "python")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        built = {"name": pins.name, "python": str(target / "bin" / "python"),
                 "pins": pins.as_dict(), "requirements": requirements(pins),
                 "versions": versions, "seconds": round(time.monotonic() - start, 1),
                 "uv": _uv_version(), "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        atomic_write(target / MANIFEST, json.dumps(built, indent=1) + "\n")
        log(f"environment {pins.name}: built in {built['seconds']:.0f} s "
            f"(Keras {versions['keras']}, TensorFlow {versions['tensorflow']})")
        return built


def _uv(*args: str) -> subprocess.CompletedProcess:
    import uv  # the `uv` package's binary, a dependency of cheatgrid

    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # uv would install there rather than into --python
    try:
        return subprocess.run([uv.find_uv_bin(), *args], capture_output=True, text=True,
                              env=env, timeout=BUILD_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BuildFailed(f"uv did not finish within {BUILD_TIMEOUT_SECONDS} s") from None
    except OSError as e:
        raise BuildFailed(f"uv could not start: {e}") from None


def _build(pins: Pins, target: pathlib.Path) -> None:
    done = _uv("venv", "--quiet", "--python", sys.executable, str(target))
    if done.returncode == 0:
        python = str(target / "bin" / "python")
        install = ("pip", "install", "--quiet", "--python", python, *requirements(pins))
        done = _uv(*install, "--offline")  # what uv's cache holds builds without a network
        done = _uv(*install) if done.returncode != 0 else done
    if done.returncode != 0:
        raise BuildFailed(_reason(done.stderr))


def _reason(stderr: str) -> str:
    """uv's error in one line: its first `error:` or `×` line and what follows it."""
    lines = [s for s in (line.strip().lstrip("│╰─▶× ").strip() for line in stderr.splitlines())
             if s]
    start = next((i for i, line in enumerate(lines)
                  if line.lower().startswith(("error", "because", "no solution"))), 0)
    text = " ".join(lines[start:start + 3]) or "uv failed without a message"
    return text if len(text) <= 300 else text[:297] + "..."


def _probe(pins: Pins, python: pathlib.Path) -> dict[str, str]:
    """The versions a built environment runs (imported there, with its framework)."""
    done = subprocess.run([str(python), "-c", _PROBE, pins.framework], capture_output=True,
                          text=True, env=process_environment(pins.framework, pinned=True),
                          timeout=600, stdin=subprocess.DEVNULL)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildFailed(f"built, but cheatgrid does not run there: {tail[:200]}") from None


def _uv_version() -> str:
    return _uv("--version").stdout.strip() or "?"
