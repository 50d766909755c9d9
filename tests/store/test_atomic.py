"""The one atomic write: whole files, text or bytes, with the mode open() would give."""

from __future__ import annotations

import os

import pytest

from runner.store.atomic import atomic_write


def test_atomic_write_takes_text_and_bytes_with_the_usual_mode(tmp_path):
    atomic_write(tmp_path / "a.md", "é\n")
    atomic_write(tmp_path / "b.png", b"\x89PNG\r\n")
    assert (tmp_path / "a.md").read_bytes() == "é\n".encode()
    assert (tmp_path / "b.png").read_bytes() == b"\x89PNG\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.png"]
    if os.name == "posix":  # as open() would: 0o666 less the umask, not mkstemp's 0o600
        umask = os.umask(0)
        os.umask(umask)
        assert {p.stat().st_mode & 0o777 for p in tmp_path.iterdir()} == {0o666 & ~umask}


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    (tmp_path / "taken").mkdir()  # the rename onto a directory fails
    with pytest.raises(OSError):
        atomic_write(tmp_path / "taken", "x", durable=True)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert list((tmp_path / "taken").iterdir()) == []



@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="tells a directory's fd by /proc")
def test_a_durable_write_syncs_the_file_then_its_directory(tmp_path, monkeypatch):
    synced, real_fsync = [], os.fsync

    def fsync(fd):
        synced.append("directory" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(tmp_path / "a.npz", b"x", durable=True)
    atomic_write(tmp_path / "b.md", "y")  # not durable: nothing synced
    assert synced == ["file", "directory"]
