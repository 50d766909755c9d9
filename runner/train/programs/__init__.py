"""Head-training programs compiled once per worker process, one module per array library.

Each module traces a head kind (`kinds.Kind`) for a unit's shape (`kinds.Shape`) into a
function with the reference path's arithmetic, and trains a unit's heads in one `Program`.
"""

from __future__ import annotations

from types import ModuleType

from runner.train.programs.kinds import Kind, Shape

__all__ = ["Kind", "Shape", "for_framework"]


def for_framework() -> ModuleType:
    """The program module of this process's framework: TensorFlow's for Keras 3 on
    TensorFlow and for Keras 2."""
    from runner.train import backends

    if backends.backend() == "jax":
        from runner.train.programs import on_jax

        return on_jax
    if backends.backend() == "torch":
        from runner.train.programs import on_torch

        return on_torch
    from runner.train.programs import on_tensorflow

    return on_tensorflow
