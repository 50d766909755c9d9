"""The one way cheatgrid writes a file: whole or not at all.

Content goes to a temporary sibling, optionally to disk (fsync), then is renamed
over the target, so a reader (or a resumed run) never sees half a file.
"""

from __future__ import annotations

import os
import pathlib
import secrets


def atomic_write(path: str | pathlib.Path, content: str | bytes, *, durable: bool = False,
                 ) -> None:
    """Write a file (text as UTF-8, bytes as they are) through a temporary sibling and a
    rename.

    Args:
        path: the file to write; its directory must exist.
        content: the whole file.
        durable: fsync the file before the rename and its directory after, for what a
            crash must not lose (stored predictions, feature-cache entries); tables and
            reports are rewritten anyway.

    The file gets the mode a plain `open` would give it (0o666 less the umask), not
    mkstemp's 0o600: tables and report.html are read by others too.
    """
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
        if durable and os.name == "posix":  # the rename itself must reach the disk too
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
