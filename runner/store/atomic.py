"""The one way cheatgrid writes a file: whole or not at all (a temporary sibling, renamed)."""

from __future__ import annotations

import os
import pathlib
import secrets


def atomic_write(path: str | pathlib.Path, content: str | bytes, *, durable: bool = False) -> None:
    """Write a file (text as UTF-8) through a temporary sibling and a rename; `durable` fsyncs
    it and its directory, for what a crash must not lose (tables are rewritten anyway). The
    mode is open()'s (0o666 less the umask), not mkstemp's 0o600: others read the reports."""
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if durable:  # the rename itself must reach the disk too
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
