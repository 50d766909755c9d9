"""Behaviours of Keras that start at a release, and from which release on each holds (measured
in throwaway environments and in results/samples/releases): a fix `check` prints must run on
the user's own Keras, and a finding says from which release it applies."""

from __future__ import annotations

import dataclasses

from packaging.version import InvalidVersion, Version


@dataclasses.dataclass(frozen=True)
class Fact:
    """A behaviour of Keras 3 from release `since` on; `keras2`: whether Keras 2 has it too."""

    since: str
    keras2: bool
    text: str


THRESHOLD_ZERO = Fact("3.5.0", True, "`BinaryAccuracy(threshold=0.0)` is accepted from Keras "
                      "3.5.0 (keras PR 20101; 3.0 to 3.4 raise ValueError: threshold must be "
                      "in (0, 1)) and by Keras 2")
SOFTMAX_ONE_UNIT_WARNING = Fact("3.1.0", False, "Keras warns of a softmax over an axis of "
                                "size 1 from 3.1.0")
# Keras's warnings `check` recognises, by a piece of their text, and the fact behind each.
WARNINGS = (("softmax over axis", SOFTMAX_ONE_UNIT_WARNING),)


def holds(fact: Fact, keras_version: str) -> bool:
    """Whether a fact holds on a Keras release (an unreadable version: the newest's)."""
    try:
        version = Version(keras_version)
    except InvalidVersion:
        return True
    return fact.keras2 if version.major < 3 else version >= Version(fact.since)


def warning_release(text: str) -> Fact | None:
    """The fact behind a Keras warning whose appearance depends on the release, if any."""
    return next((fact for piece, fact in WARNINGS if piece in text), None)
