"""Every name cheatgrid reads from Keras that Keras does not publish, in one place: a release
that drops one breaks only its function here (tested on every framework), which then answers
None or False, and its caller falls back."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def wrapped_get_file(wrap: Callable[[Callable], Callable]) -> Iterator[bool]:
    """Route every `keras.applications` weights download through `wrap(get_file)` while the
    block runs; yields whether it is routed (`keras.src.utils.file_utils.get_file`)."""
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
    Keras 3 keeps them in a `compile_metrics` container, Keras 2 in `compiled_metrics`."""
    containers = [m for m in model.metrics if m.name == "compile_metrics"]
    if containers:
        return list(containers[0].metrics)
    return list(model.compiled_metrics.metrics)


def producing_layer(tensor: Any) -> Any:
    """The layer whose output a symbolic tensor is, or None for an array."""
    history = getattr(tensor, "_keras_history", None)
    return history[0] if history else None  # Keras 3's `operation`, Keras 2's `layer`


def compile_config(model: Any) -> dict | None:
    """The arguments `compile` was called with, or None for a model never compiled."""
    return getattr(getattr(model, "_compile_config", None), "config", None)


def metric_function(metric_object: Any) -> Callable | None:
    """The function a `MeanMetricWrapper` metric averages (e.g. `sparse_categorical_accuracy`
    for the string 'accuracy' with integer labels), or None."""
    return getattr(metric_object, "_fn", None)
