"""What the terminal shows: our warnings as they happen, one line each."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

from runner.errors import CheatgridWarning


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
