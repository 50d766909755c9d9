"""A run directory: its lock, its resolved config, its results file and predictions."""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import pathlib
import shutil
import socket
import warnings
from typing import Any

import yaml

from runner.errors import CheatgridWarning, RunDirError
from runner.store.atomic import atomic_write
from runner.store.results import (
    PREDICTIONS_DIR,
    RESULTS_FILE,
    append_rows,
    read_rows,
    repair_tail,
    save_logits,
)

LOCK_FILE = ".cheatgrid.lock"


class RunDir:
    """One run directory, held (flock) for as long as this object is open.

    The lock is an `flock` on `.cheatgrid.lock`: the kernel releases it when the
    holder dies, so a lock left by a dead process is simply taken over.
    """

    def __init__(self, path: str | pathlib.Path):
        self.path = pathlib.Path(path)
        self.results = self.path / RESULTS_FILE
        self._lock_fd: int | None = None

    def lock(self, command: str) -> None:
        """Create the directory if needed and hold it.

        Raises:
            RunDirError: it cannot be created or written, or another live process holds it.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise RunDirError(f"Cannot use {self.path} as a run directory: {e.strerror or e}. "
                              "Give --out a writable directory.") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunDirError(
                f"{self.path} is in use by process {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')} ({holder.get('command', '?')}, started "
                f"{holder.get('started', '?')}). Wait for it, or give --out another "
                "directory.") from None
        previous = _read_holder(fd)
        if previous.get("pid") and previous.get("pid") != os.getpid():
            warnings.warn(f"{self.path}: took over the lock left by process {previous['pid']} "
                          f"({previous.get('command', '?')}), which is no longer running",
                          CheatgridWarning, stacklevel=2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "command": command, "started": _now()}).encode(), 0)
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)  # a clean exit leaves nothing to take over
            os.close(self._lock_fd)
            self._lock_fd = None

    def read_rows(self) -> list[dict[str, Any]]:
        """Every intact row of results.jsonl; a torn last line is cut off (with a warning)
        so that appending continues on a clean line."""
        if not self.results.is_file():
            return []
        repair_tail(self.results)
        return read_rows(self.results)

    def set_aside(self) -> pathlib.Path | None:
        """Move results and predictions aside (`--force`): never delete results."""
        if not self.results.is_file() or self.results.stat().st_size == 0:
            shutil.rmtree(self.path / PREDICTIONS_DIR, ignore_errors=True)
            return None
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = self.path / f"results.{stamp}.jsonl.bak"
        os.replace(self.results, backup)
        predictions = self.path / PREDICTIONS_DIR
        if predictions.exists():
            os.replace(predictions, self.path / f"predictions.{stamp}.bak")
        return backup

    def write_config(self, document: dict[str, Any]) -> None:
        """Write the resolved config (`Config.to_dict()`) as config.yaml."""
        atomic_write(self.path / "config.yaml", yaml.safe_dump(document, sort_keys=False))

    def append(self, rows: list[dict[str, Any]], logits) -> None:
        """Store a group's logits, then its rows (a row never lacks its predictions)."""
        if logits is not None:
            save_logits(self.path, rows[0]["head_id"], rows[0]["seed"], logits)
        append_rows(self.results, rows)


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        text = os.pread(fd, 4096, 0).decode()
        return json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
