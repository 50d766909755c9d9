"""A run directory: its lock, its resolved config, its results file and predictions."""

from __future__ import annotations

import datetime
import fcntl
import io
import json
import os
import pathlib
import shutil
import socket
import warnings
from typing import Any

import yaml

from runner.errors import CheatgridWarning, RunDirError
from runner.store import results
from runner.store.atomic import atomic_write

LOCK_FILE = ".cheatgrid.lock"


class RunDir:
    """One run directory, held by an `flock` on `.cheatgrid.lock` while open: the kernel
    releases it when the holder dies, so a lock left by a dead process is taken over."""

    def __init__(self, path: str | pathlib.Path):
        self.path = pathlib.Path(path)
        self.results = self.path / results.RESULTS_FILE
        self._lock_fd: int | None = None

    def lock(self, command: str) -> None:
        """Create the directory if needed and hold it; a RunDirError if unwritable or held."""
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
        if (holder := _read_holder(fd)).get("pid") and holder["pid"] != os.getpid():
            warnings.warn(f"{self.path}: took over the lock left by process {holder['pid']} "
                          f"({holder.get('command', '?')}), which is no longer running",
                          CheatgridWarning, stacklevel=2)
        started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "command": command, "started": started}).encode(), 0)
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)  # a clean exit leaves nothing to take over
            os.close(self._lock_fd)
            self._lock_fd = None

    def read_rows(self) -> list[dict[str, Any]]:
        """Every intact row of results.jsonl; a torn last line (a crash or a full disk
        mid-write) is cut off with a warning, so that the next append starts a clean line."""
        if not self.results.is_file():
            return []
        with open(self.results, "rb+") as f:
            data = f.read()
            if data and not data.endswith(b"\n"):
                keep, number = data.rfind(b"\n") + 1, data.count(b"\n") + 1
                f.truncate(keep)
                warnings.warn(f"{self.results}:{number}: removed a torn last line "
                              f"({len(data) - keep} bytes): its cell runs again",
                              CheatgridWarning, stacklevel=2)
        return results.read_rows(self.results)

    def set_aside(self) -> pathlib.Path | None:
        """Move results and predictions aside (`--force`): never delete results."""
        predictions = self.path / results.PREDICTIONS_DIR
        if not self.results.is_file() or self.results.stat().st_size == 0:
            shutil.rmtree(predictions, ignore_errors=True)
            return None
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        os.replace(self.results, backup := self.path / f"results.{stamp}.jsonl.bak")
        if predictions.exists():
            os.replace(predictions, self.path / f"predictions.{stamp}.bak")
        return backup

    def write_config(self, document: dict[str, Any]) -> None:
        """Write the resolved config (`Config.to_dict()`) as config.yaml."""
        atomic_write(self.path / "config.yaml", yaml.safe_dump(document, sort_keys=False))

    def append(self, rows: list[dict[str, Any]], logits) -> None:
        """Store a group's logits, then its rows (a row never lacks its predictions)."""
        if logits is not None:  # for the equivalence of heads; durable: a crash keeps them
            import numpy as np

            (folder := self.path / results.PREDICTIONS_DIR).mkdir(exist_ok=True)
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(logits, dtype=np.float32))
            atomic_write(folder / f"{rows[0]['head_id']}-s{rows[0]['seed']}.npy",
                         buffer.getvalue(), durable=True)
        results.append_rows(self.results, rows)


def _read_holder(fd: int) -> dict[str, Any]:
    try:  # empty (released) or torn: nobody
        return json.loads(os.pread(fd, 4096, 0))
    except (OSError, ValueError):
        return {}
