"""Every exception cheatgrid raises on purpose (messages in Keras's style: what was expected,
what was received; `cli.main` turns each into a line and an exit code), its warning class, and
the did-you-mean hint."""

from __future__ import annotations

import difflib


class ConfigError(ValueError):
    """A config file (or command-line setting) that cannot be run as written: exit 2."""


class UsageError(Exception):
    """Bad input from the command line: exit 2."""


class ResourceUnavailable(RuntimeError):
    """Weights, data, device or cluster that cannot be had: exit 2, before anything runs."""


class DataUnavailable(ResourceUnavailable):
    """`source: tfds` for a dataset that is neither prepared nor downloadable."""


class WeightsError(ResourceUnavailable):
    """The configured backbone weights cannot be had; `reason` says why in a few words."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


class DeviceUnavailable(ResourceUnavailable):
    """The requested device is not on this machine."""


class RunDirError(Exception):
    """The run directory cannot be used as asked (busy, unwritable, another config's): exit 2."""


class RunAborted(Exception):
    """Results could not be written (a full disk): what was written is kept. Exit 1."""


class Interrupted(Exception):
    """The user pressed Ctrl-C; `args[0]` is the command that resumes. Exit 130."""


class WorkerGone(Exception):
    """A worker process died; `args[0]` says how (signal or exit code)."""


class CheatgridWarning(UserWarning):
    """A soft problem the user should see (a fallback taken, a pattern that matched nothing)."""


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    """A ". Did you mean 'x'?" suffix for near misses, or an empty string."""
    lowered = {o.lower().replace("_", ""): o for o in options}  # case, '_' and '-' aside
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6) or [
        lowered.get(word.lower().replace("_", "").replace("-", ""))]
    return f". Did you mean '{close[0]}'?" if close[0] else ""
