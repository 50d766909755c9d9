"""Keep TensorFlow's start-up chatter off the terminal; show our warnings as they happen."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

from runner.validate import CheatgridWarning


def import_tensorflow(verbose: bool) -> None:
    """Import TensorFlow once, silencing its start-up chatter unless `verbose`.

    TF's C++ log level is read at import, and a few lines (oneDNN, CUDA probing)
    are printed before absl logging exists, whatever the level: those are kept
    off the terminal by pointing file descriptor 2 at /dev/null during the import.
    """
    if verbose:
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
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


@contextlib.contextmanager
def warnings_shown(verbose: bool) -> Iterator[None]:
    """Our own warnings go to stderr as they happen, one line each; library warnings
    only if verbose."""
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, CheatgridWarning):
            print(f"cheatgrid: warning: {message}", file=sys.stderr, flush=True)
        elif verbose:
            print(f"{category.__name__}: {message}", file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        yield
