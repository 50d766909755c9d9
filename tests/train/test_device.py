"""Device selection: the pure plan for every request and machine, and the CPU path."""

from __future__ import annotations

import pytest

from runner.errors import DeviceUnavailable
from runner.train.device import place, plan, tpu_hinted


@pytest.mark.parametrize("requested, gpus, tpu, expected", [
    ("auto", 0, False, ("cpu", "default")),
    ("auto", 1, False, ("gpu", "default")),
    ("auto", 4, False, ("gpu", "mirrored")),
    ("auto", 2, True, ("tpu", "tpu")),  # a TPU host wins
    ("cpu", 4, True, ("cpu", "default")),
    ("gpu", 1, True, ("gpu", "default")),
    ("gpu", 8, False, ("gpu", "mirrored")),
    ("tpu", 0, True, ("tpu", "tpu")),
])
def test_plan(requested, gpus, tpu, expected):
    assert plan(requested, gpus, tpu) == expected


@pytest.mark.parametrize("requested, gpus, tpu, fragment", [
    ("gpu", 0, False, "sees no GPU"),
    ("tpu", 2, False, "no TPU found"),
    ("npu", 0, False, "Expected one of ['auto', 'cpu', 'gpu', 'tpu']"),
])
def test_plan_refuses_missing_devices(requested, gpus, tpu, fragment):
    with pytest.raises(DeviceUnavailable, match=fragment.replace("[", r"\[")):
        plan(requested, gpus, tpu)


@pytest.mark.parametrize("environ, expected", [
    ({}, False), ({"COLAB_TPU_ADDR": "10.0.0.2:8470"}, True), ({"TPU_NAME": "v4"}, True),
    ({"TPU_NAME": ""}, False)])
def test_tpu_hint(environ, expected, tmp_path):
    assert tpu_hinted(environ, dev=str(tmp_path)) is expected
    (tmp_path / "accel0").touch()
    assert tpu_hinted(environ, dev=str(tmp_path)) is True


def test_cpu_placement_here():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("TensorFlow sees a GPU here: `auto` places on it")
    asked = []
    placement = place("auto", find_tpu=lambda: asked.append(1))
    assert (placement.kind, placement.label, placement.strategy) == ("cpu", "cpu", None)
    assert placement.feature_batch_size == 256
    # `auto` asks the TPU resolver only where the environment hints at a TPU
    assert asked == ([1] if tpu_hinted() else [])


def test_tpu_placement_without_a_tpu_is_refused():
    with pytest.raises(DeviceUnavailable):
        place("tpu", find_tpu=lambda: None)
