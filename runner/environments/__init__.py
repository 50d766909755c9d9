"""Environments of pinned Keras and TensorFlow releases: built with uv into cheatgrid's cache
(`build`), and the processes that run there (`launch`).

`prepare` readies the environments a run needs: each is built once per set of resolved pins
and reused; one that cannot be built (offline, a registry that refuses) is named with uv's
reason and skipped, and the rest run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from runner.config import Runtime
from runner.environments.build import BuildFailed, ensure, manifest
from runner.environments.launch import Launch, launch_for

__all__ = ["BuildFailed", "Launch", "ensure", "launch_for", "manifest", "prepare"]

_PREPARED: dict[str, Launch | str] = {}  # per process: an environment's launch, or why not


def prepare(runtimes: Iterable[Runtime], log: Callable[[str], None] = print,
            ) -> tuple[dict[str, Launch], dict[str, str]]:
    """Build (or find) the environment of every pinned runtime, once per process.

    Args:
        runtimes: runtimes of a config; those of this Python need nothing.
        log: receives a line as a build starts and ends.

    Returns:
        environment name -> its `Launch`, and environment name -> why it was skipped.
    """
    ready: dict[str, Launch] = {}
    skipped: dict[str, str] = {}
    for runtime in runtimes:
        if runtime.pins is None:
            continue
        name = runtime.environment
        if name not in _PREPARED:
            try:
                built = ensure(runtime.pins, log)
                _PREPARED[name] = launch_for(runtime.framework, built["python"])
            except BuildFailed as e:
                _PREPARED[name] = str(e)
        found = _PREPARED[name]
        if isinstance(found, str):
            skipped[name] = found
        else:
            ready[name] = found
    return ready, skipped
