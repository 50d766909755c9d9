"""Every name cheatgrid reads from Keras that Keras does not publish, in one place.

Keras keeps these out of its API; each has served several releases, and a release that
drops one breaks only the function here (tests/features/test_keras_internals.py runs
each on Keras 3 over TensorFlow, JAX and PyTorch, and on Keras 2). Where a name is
missing the functions answer None or False, and their callers fall back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def wrapped_get_file(wrap: Callable[[Callable], Callable]) -> Iterator[bool]:
    """Route every `keras.applications` weights download through `wrap(get_file)` while
    the block runs (`keras.src.utils.file_utils.get_file`, which all of them call).

    Yields:
        Whether it is routed (False where this Keras keeps the function elsewhere).
    """
    try:
        from keras.src.utils import file_utils
    except ImportError:
        yield False
        return
    original = file_utils.get_file
    file_utils.get_file = wrap(original)
    try:
        yield True
    finally:
        file_utils.get_file = original


def compile_metrics(model: Any) -> list:
    """The metric objects `compile(metrics=...)` built, in output order then given order:
    Keras 3 keeps them in one `compile_metrics` container, Keras 2 in
    `model.compiled_metrics`."""
    containers = [m for m in model.metrics if m.name == "compile_metrics"]
    if containers:
        return list(containers[0].metrics)
    return list(model.compiled_metrics.metrics)


def symbolic_build(model: Any, x: Any, y: Any) -> bool:
    """Create a compiled Keras 3 model's optimizer and metric variables from a batch, as
    Keras does under a distribution strategy (`Trainer._symbolic_build`).

    Returns:
        Whether it ran (False where this Keras has no such step).
    """
    if not hasattr(model, "_symbolic_build"):
        return False
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow's models only
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model._symbolic_build(data_batch=(x, y))
    return True


def producing_layer(tensor: Any) -> Any:
    """The layer (operation) whose output a symbolic tensor is, or None for a value that
    no Keras graph made (an array)."""
    history = getattr(tensor, "_keras_history", None)
    return history[0] if history else None  # Keras 3's `operation`, Keras 2's `layer`


def compile_config(model: Any) -> dict | None:
    """The arguments `compile` was called with (loss, metrics, ...), or None for a model
    never compiled (what `model.save` stores as its compile config)."""
    return getattr(getattr(model, "_compile_config", None), "config", None)


def metric_function(metric_object: Any) -> Callable | None:
    """The function a `MeanMetricWrapper` metric averages (e.g. `sparse_categorical_accuracy`
    for the string 'accuracy' with integer labels), or None."""
    return getattr(metric_object, "_fn", None)
