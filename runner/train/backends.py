"""Which Keras trains the heads (fixed when Keras is first imported, so each framework's cells
run in a worker of their own that calls `activate` first), and importing TensorFlow quietly."""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np

from runner import vocab
from runner.features import keras_internals

DEFAULT = vocab.DEFAULT_FRAMEWORK  # the tutorial's, and the one that computes the features


def environment(name: str) -> dict[str, str]:
    """The environment variables that select a framework (for a process to be started)."""
    return dict(vocab.FRAMEWORKS[name].environment)


def activate(name: str) -> None:
    """Point this process at a framework; call before anything imports Keras. JAX caches
    every program it compiles (`jax/`): a second run compiles nothing, most of JAX's cost."""
    os.environ.update(environment(name))
    if name == "jax":
        from runner.features.cache import cache_dir

        os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache_dir() / "jax"))
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


def current() -> str:
    """The framework this process trains with."""
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        return "tf_keras"
    return os.environ.get("KERAS_BACKEND", DEFAULT)


def keras() -> ModuleType:
    """The Keras module of this process: `tf_keras` (Keras 2) or `keras` (Keras 3)."""
    if current() == "tf_keras":
        try:
            import tf_keras
        except ImportError:  # TensorFlow 2.15 and before bundle Keras 2 as `tf.keras`
            import tensorflow as tf

            tf_keras = tf.keras
            assert tf_keras.__version__.startswith("2."), "Keras 2 is the tf-keras package"
        return tf_keras
    import keras as keras3

    return keras3


def backend_of(name: str) -> str:
    """The array library under a framework's Keras."""
    return "tensorflow" if name == "tf_keras" else vocab.FRAMEWORKS[name].environment.get(
        "KERAS_BACKEND", DEFAULT)


def backend() -> str:
    """The array library under Keras: 'tensorflow', 'jax' or 'torch'."""
    return "tensorflow" if current() == "tf_keras" else keras().backend.backend()


def compiled_metrics(model) -> list:
    """The metric objects `compile(metrics=...)` built, in output order then given order."""
    return keras_internals.compile_metrics(model)


def to_numpy(value) -> np.ndarray:
    """A backend tensor as a NumPy array (detached from autograd under PyTorch)."""
    return np.asarray(value) if current() == "tf_keras" else keras().ops.convert_to_numpy(value)


def to_tensor(value):
    """A NumPy array as this backend's tensor (Keras 2's compiled metrics read `.shape` as a
    TensorShape)."""
    if current() == "tf_keras":
        import tensorflow as tf

        return tf.convert_to_tensor(value)
    return keras().ops.convert_to_tensor(value)


def execution_steps(steps: int) -> int:
    """`steps_per_execution` for this backend: PyTorch's Keras trainer allows only 1."""
    return 1 if backend() == "torch" else steps


def import_tensorflow(verbose: bool) -> None:
    """Import TensorFlow, quiet unless `verbose`: its first lines (oneDNN, CUDA probing) come
    before absl logging exists, so file descriptor 2 points at /dev/null during the import."""
    if verbose:
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read at import
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    tf.get_logger().setLevel("ERROR")  # e.g. retracing warnings between cells
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)  # e.g. TFDS probing its data dir
