"""Environments built once per set of resolved pins, locked, reused; a failed build leaves
nothing and is named with uv's reason. uv itself is faked here, but in the last test."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from runner import environments
from runner.config import Runtime
from runner.environments import build, launch
from runner.vocab.releases import resolve

PINS = resolve({"keras": "3.4.1", "backend": "jax"})


@pytest.fixture
def fake_uv(monkeypatch, tmp_path):
    """uv replaced by a folder with an interpreter link; returns the list of builds."""
    monkeypatch.setenv("CHEATGRID_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(environments, "_PREPARED", {})
    built = []

    def fake_build(pins, target):
        built.append(pins.name)
        time.sleep(0.2)  # long enough for a second build to arrive while this one runs
        (target / "bin").mkdir(parents=True)
        (target / "bin" / "python").symlink_to(sys.executable)

    monkeypatch.setattr(build, "_build", fake_build)
    monkeypatch.setattr(build, "_probe", lambda pins, python: {"keras": pins.keras,
                                                               "tensorflow": pins.tensorflow})
    monkeypatch.setattr(build, "_uv_version", lambda: "uv (fake)")
    return built


def test_a_build_is_kept_and_reused(fake_uv):
    first = build.ensure(PINS, log=lambda line: None)
    assert build.ensure(PINS, log=lambda line: None) == first
    assert fake_uv == ["keras3.4.1-jax"]
    assert first["python"] == str(build.directory(PINS) / "bin" / "python")
    assert build.directory(PINS).name.startswith("keras3.4.1-jax-")


def test_two_builds_at_once_build_once(fake_uv):
    lines = []
    threads = [threading.Thread(target=build.ensure, args=(PINS, lines.append))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_uv == ["keras3.4.1-jax"]
    assert any("waiting for another build" in line for line in lines)


def test_a_build_that_died_half_way_is_done_again(fake_uv):
    half = build.directory(PINS)
    (half / "lib").mkdir(parents=True)  # no manifest: never finished
    build.ensure(PINS, log=lambda line: None)
    assert fake_uv == ["keras3.4.1-jax"] and not (half / "lib").exists()


def test_a_failed_build_leaves_nothing_and_its_cells_are_skipped(fake_uv, monkeypatch):
    def refused(pins, target):
        target.mkdir(parents=True)
        raise build.BuildFailed("Failed to fetch: `https://pypi.org/simple/keras/` (403)")

    monkeypatch.setattr(build, "_build", refused)
    ready, skipped = environments.prepare(
        [Runtime("current", "tensorflow"), Runtime(PINS.name, PINS.framework, PINS)],
        log=lambda line: None)
    assert ready == {} and "403" in skipped[PINS.name]
    assert not build.directory(PINS).exists()


def test_keyed_by_what_is_installed():
    other = resolve({"keras": "3.4.1", "backend": "jax", "tensorflow": "2.16.2"})
    assert build.key(PINS) != build.key(other)
    assert build.key(PINS) == build.key(resolve({"keras": "3.4", "backend": "jax"}))
    assert build.requirements(resolve({"keras": "3.3.3"})).count("packaging") == 1


def test_a_process_there_reaches_this_runner_through_a_link(fake_uv):
    started = launch.launch_for("jax", build.ensure(PINS, log=lambda line: None)["python"])
    folder = launch.runner_link()
    assert started.pinned and started.environment["PYTHONPATH"] == str(folder)
    assert started.environment["KERAS_BACKEND"] == "jax"
    assert (folder / "runner").resolve() == launch.package_dir()
    assert os.listdir(folder) == ["runner"]  # nothing of cheatgrid copied there


@pytest.mark.slow  # uv itself, against a registry that refuses (nothing leaves the machine)
def test_uv_against_a_refusing_registry_names_the_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("CHEATGRID_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))  # nothing cached
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # connection refused
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    with pytest.raises(build.BuildFailed) as failed:
        build.ensure(PINS, log=lambda line: None)
    assert "127.0.0.1" in str(failed.value) or "onnect" in str(failed.value)
    assert not build.directory(PINS).exists()
