"""What a run shows before its cells train: start-up decision lines, the progress bars, a GPU
TF cannot see."""

from __future__ import annotations

import os
import stat

import pytest

from runner.config import parse_config
from runner.data.sources import SourceDecision
from runner.execute.local import ProgressBars
from runner.execute.run import decision_lines
from runner.train.device import nvidia_gpus
from tests.support import TINY

DECISIONS = {"sources": {"mnist": SourceDecision("embedded", "embedded mnist",
                                                 "auto: stand-in for TFDS mnist")},
             "weights": "random", "weights_label": "random(he_normal,seed=0)"}
COMMON = {"device": "cpu", "keras_version": "3.15.1", "backend": "tensorflow"}


@pytest.fixture
def fake_nvidia_smi(tmp_path, monkeypatch):
    """An `nvidia-smi -L` on PATH that lists one GPU."""
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-1234)'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")


def test_decision_lines_name_device_data_and_weights(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no nvidia-smi
    lines = decision_lines(parse_config(TINY), DECISIONS, COMMON, "auto")
    assert lines == ["device: cpu (--device auto); Keras 3.15.1 on tensorflow",
                     "data mnist: embedded mnist (auto: stand-in for TFDS mnist)",
                     "weights: random(he_normal,seed=0) (asked: random)"]


def test_a_gpu_tensorflow_cannot_see_is_a_warning_naming_the_fix(fake_nvidia_smi):
    assert nvidia_gpus() == ["NVIDIA H200"]
    lines = decision_lines(parse_config(TINY), DECISIONS, COMMON, "auto")
    [warning] = [line for line in lines if line.startswith("warning:")]
    assert "NVIDIA H200" in warning and "pip install -e '.[gpu]'" in warning
    # asked for the CPU on purpose, or on a GPU: nothing to warn about
    assert not [line for line in decision_lines(parse_config(TINY), DECISIONS, COMMON, "cpu")
                if line.startswith("warning:")]
    on_gpu = {**COMMON, "device": "gpu:1 (NVIDIA H200)"}
    assert not [line for line in decision_lines(parse_config(TINY), DECISIONS, on_gpu, "auto")
                if line.startswith("warning:")]


def test_progress_bars_leave_one_line_per_finished_pass(capsys):
    bars = ProgressBars(enabled=True)
    for done in (256, 512, 600):
        bars.update("features mnist", done, 600)
    bars.update("loading mnist train", 10, 0)  # total unknown: stays open until closed
    bars.close()
    err = capsys.readouterr().err
    assert err.count("features mnist: 600 images in ") == 1
    silent = ProgressBars(enabled=False)
    silent.update("features mnist", 600, 600)
    assert capsys.readouterr().err == ""
