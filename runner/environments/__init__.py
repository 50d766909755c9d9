"""Environments of pinned Keras and TensorFlow releases: built with uv into cheatgrid's cache
(`build`), and the processes that run there (`launch`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from runner.config import Runtime
from runner.environments.build import BuildFailed, ensure
from runner.environments.launch import Launch, launch_for

__all__ = ["Launch", "launch_for", "prepare"]

_PREPARED: dict[str, Launch | str] = {}  # per process: an environment's launch, or why not


def prepare(runtimes: Iterable[Runtime], log: Callable[[str], None] = print,
            ) -> tuple[dict[str, Launch], dict[str, str]]:
    """Build (or find) the environment of every pinned runtime, once per process: one that
    cannot be built (offline, a registry that refuses) is named with uv's reason and
    skipped, and the rest run. Returns name -> `Launch`, and name -> why it was skipped."""
    ready: dict[str, Launch] = {}
    skipped: dict[str, str] = {}
    for runtime in (r for r in runtimes if r.pins is not None):
        name = runtime.environment
        if name not in _PREPARED:
            try:
                _PREPARED[name] = launch_for(runtime.framework, ensure(runtime.pins, log)["python"])
            except BuildFailed as e:
                _PREPARED[name] = str(e)
        found = _PREPARED[name]
        (skipped if isinstance(found, str) else ready)[name] = found
    return ready, skipped
