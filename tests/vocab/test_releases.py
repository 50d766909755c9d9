"""Pins resolved to known releases, and the constraints between them, without a network."""

from __future__ import annotations

import pytest

from runner.vocab import keras_changes, releases
from scripts.docs import constraints_table


@pytest.mark.parametrize("given, name, framework, tensorflow", [
    ({"keras": "3.4.1", "backend": "jax"}, "keras3.4.1-jax", "jax", "2.17.1"),
    ({"keras": "3.0.5", "tensorflow": "2.16.2"}, "keras3.0.5-tf2.16.2", "tensorflow", "2.16.2"),
    ({"keras": "3.0.5"}, "keras3.0.5-tf2.16.2", "tensorflow", "2.16.2"),  # newest TF for it
    ({"keras": "3.4"}, "keras3.4.1-tf2.17.1", "tensorflow", "2.17.1"),  # newest patch
    ({"keras": "3.5.0"}, "keras3.5.0-tf2.19.1", "tensorflow", "2.19.1"),
    ({"tensorflow": "2.12.1"}, "tf2.12.1", "tf_keras", "2.12.1"),  # its bundled Keras 2
    ({"tf_keras": "2.21.0"}, "tf_keras2.21.0", "tf_keras", "2.21.0"),
    ({"keras": "3.4.1", "backend": "jax", "tensorflow": "2.16.2"}, "keras3.4.1-jax-tf2.16.2",
     "jax", "2.16.2"),
])
def test_resolve(given, name, framework, tensorflow):
    pins = releases.resolve(given, python="3.11")
    assert (pins.name, pins.framework, pins.tensorflow) == (name, framework, tensorflow)
    assert releases.resolve(pins.given(), python="3.11") == pins  # config.yaml parses back


@pytest.mark.parametrize("given, names", [
    ({"keras": "3.0", "tensorflow": "2.21"}, "tensorflow >=2.21 needs keras >=3.12"),
    ({"keras": "3.4.1", "tensorflow": "2.18.1"}, "tensorflow >=2.18,<2.20 needs keras >=3.5"),
    ({"keras": "3.4.1", "tensorflow": "2.12.1"}, "tensorflow <2.16 needs keras <3"),
    ({"tensorflow": "2.12.1", "backend": "jax"}, "Keras 2 runs on TensorFlow only"),
    ({"tf_keras": "2.21.0", "tensorflow": "2.20.0"}, "tf-keras 2.21 declares tensorflow"),
    ({"keras": "3.99"}, "a keras release from 3.0.0 to"),
    ({"keras": "2.12"}, "Keras 2 comes with `tensorflow`"),
    ({"backend": "jax"}, "`keras`, `tensorflow` or `tf_keras`"),
])
def test_impossible_pins_name_the_constraint(given, names):
    with pytest.raises(releases.ReleaseError, match=names.replace("(", r"\(")):
        releases.resolve(given, python="3.11")


def test_python_constraints():
    assert releases.resolve({"tensorflow": "2.12.1"}, python="3.11").tensorflow == "2.12.1"
    with pytest.raises(releases.ReleaseError, match="no wheels for Python 3.12"):
        releases.resolve({"tensorflow": "2.12.1"}, python="3.12")
    # a Keras pin alone picks the newest TensorFlow that admits it with wheels for this Python
    assert releases.resolve({"keras": "3.12.0"}, python="3.13").tensorflow == "2.21.0"
    with pytest.raises(releases.ReleaseError, match="has wheels for Python 3.13"):
        releases.resolve({"keras": "3.5.0"}, python="3.13")


@pytest.mark.parametrize("given, wanted", [
    ({"keras": "3.3.3"}, ["tensorflow==2.17.1", "keras==3.3.3", "packaging"]),
    ({"keras": "3.4.1", "backend": "jax"},
     ["tensorflow==2.17.1", "keras==3.4.1", "jax[cpu]<0.6.1"]),
    ({"keras": "3.10.0", "backend": "jax"}, ["tensorflow==2.20.0", "keras==3.10.0", "jax[cpu]"]),
    ({"tf_keras": "2.21.0"}, ["tensorflow==2.21.0", "tf-keras==2.21.0"]),
    ({"tensorflow": "2.12.1"}, ["tensorflow==2.12.1"]),
])
def test_requirements(given, wanted):
    assert releases.resolve(given, python="3.11").requirements() == wanted


def test_every_constraint_says_why_and_is_in_the_docs_table():
    table = constraints_table()
    for rule in releases.CONSTRAINTS:
        assert rule.why and f"| {rule.package} {rule.versions} |" in table
    assert all(f"`{added}`" in table for _, _, added, _ in releases.ADDED)


@pytest.mark.parametrize("version, expected", [
    ("3.4.1", False), ("3.5.0", True), ("3.15.1", True), ("2.12.0", True), ("", True)])
def test_threshold_zero_from_keras_3_5(version, expected):
    assert keras_changes.holds(keras_changes.THRESHOLD_ZERO, version) == expected


def test_warnings_that_depend_on_the_release():
    fact = keras_changes.warning_release("You are using a softmax over axis -1 of a tensor of "
                                         "shape (6, 1). This axis has size 1.")
    assert fact is keras_changes.SOFTMAX_ONE_UNIT_WARNING and fact.since == "3.1.0"
    assert keras_changes.warning_release("something else") is None
