"""cheatgrid: which label encoding x activation x loss x metric works, measured cell by cell.
`runner.run`, `runner.open_run` and `runner.Run` (runner.api) are imported on first use, so that
`import runner` and the command line's `--help` and `--dry-run` need no pandas, no TensorFlow."""

__version__ = "0.1.0"
__all__ = ["Run", "open_run", "run"]


def __getattr__(name: str):
    if name in __all__:
        from runner import api

        return getattr(api, name)
    raise AttributeError(f"module 'runner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
