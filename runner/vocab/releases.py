"""The Keras and TensorFlow releases an environment can pin, and the constraints between
them: an unknown release or an impossible pair stops the run at config time, naming the rule.
A release newer than these tables is unknown until added here (with its constraints)."""

from __future__ import annotations

import dataclasses
import sys

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

KERAS_RELEASES = (
    "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.0.5", "3.1.0", "3.1.1", "3.2.0", "3.2.1",
    "3.3.0", "3.3.1", "3.3.2", "3.3.3", "3.4.0", "3.4.1", "3.5.0", "3.6.0", "3.7.0", "3.8.0",
    "3.9.0", "3.9.1", "3.9.2", "3.10.0", "3.11.0", "3.11.1", "3.11.2", "3.11.3", "3.12.0",
    "3.12.1", "3.12.2", "3.12.3", "3.12.4", "3.13.0", "3.13.1", "3.13.2", "3.14.0", "3.14.1",
    "3.15.0", "3.15.1")
TENSORFLOW_RELEASES = (
    "2.12.0", "2.12.1", "2.13.0", "2.13.1", "2.14.0", "2.14.1", "2.15.0", "2.15.1", "2.16.1",
    "2.16.2", "2.17.0", "2.17.1", "2.18.0", "2.18.1", "2.19.0", "2.19.1", "2.20.0", "2.21.0")
TF_KERAS_RELEASES = ("2.14.1", "2.15.0", "2.15.1", "2.16.0", "2.17.0", "2.18.0", "2.19.0",
                     "2.20.1", "2.21.0")
RELEASES = {"keras": KERAS_RELEASES, "tensorflow": TENSORFLOW_RELEASES,
            "tf_keras": TF_KERAS_RELEASES}
BACKENDS = ("tensorflow", "jax", "torch")  # Keras 3's; Keras 2 runs on TensorFlow only


@dataclasses.dataclass(frozen=True)
class Constraint:
    """When `package` is at one of `versions`, `requires` (a package, `python` or `backend`:
    then `allowed` lists backend names) must be at one of `allowed`."""

    package: str
    versions: str  # a PEP 440 specifier, e.g. '>=2.16,<2.17'
    requires: str
    allowed: str
    why: str

    def holds(self, pins: dict[str, str]) -> bool:
        if self.package not in pins or self.requires not in pins or \
                Version(pins[self.package]) not in SpecifierSet(self.versions):
            return True
        if self.requires == "backend":
            return pins["backend"] in self.allowed.split(",")
        return Version(pins[self.requires]) in SpecifierSet(self.allowed)

    @property
    def text(self) -> str:
        """The rule in one line: `tensorflow 2.17 needs keras >=3.2 (why)`."""
        return f"{self.package} {self.versions} needs {self.requires} {self.allowed} ({self.why})"


# Every known constraint between the pins, with why. Checked at config time, in order.
CONSTRAINTS = (
    Constraint("tensorflow", "<2.16", "keras", "<3", "TensorFlow up to 2.15 bundles Keras 2 "
               "and declares keras<2.16"),
    Constraint("tensorflow", ">=2.16,<2.17", "keras", ">=3.0", "TensorFlow 2.16 declares "
               "keras>=3.0.0"),
    Constraint("tensorflow", ">=2.17,<2.18", "keras", ">=3.2", "TensorFlow 2.17 declares "
               "keras>=3.2.0"),
    Constraint("tensorflow", ">=2.18,<2.20", "keras", ">=3.5", "TensorFlow 2.18 and 2.19 "
               "declare keras>=3.5.0"),
    Constraint("tensorflow", ">=2.20,<2.21", "keras", ">=3.10", "TensorFlow 2.20 declares "
               "keras>=3.10.0"),
    Constraint("tensorflow", ">=2.21", "keras", ">=3.12", "TensorFlow 2.21 declares "
               "keras>=3.12.0"),
    *(Constraint("tf_keras", f">={minor},<{minor[:2]}{int(minor[2:]) + 1}", "tensorflow",
                 f">={minor},<{minor[:2]}{int(minor[2:]) + 1}", f"tf-keras {minor} declares "
                 f"tensorflow {minor}.*")
      for minor in dict.fromkeys(v.rsplit(".", 1)[0] for v in TF_KERAS_RELEASES)),
    Constraint("tensorflow", "<2.16", "backend", "tensorflow", "Keras 2 runs on TensorFlow "
               "only"),
    Constraint("tf_keras", ">=2", "backend", "tensorflow", "Keras 2 runs on TensorFlow only"),
    Constraint("tensorflow", "<2.16", "python", "<3.12", "TensorFlow up to 2.15 has no wheels "
               "for Python 3.12"),
    Constraint("tensorflow", "<2.20", "python", "<3.13", "TensorFlow up to 2.19 has no wheels "
               "for Python 3.13"),
)
# Requirements an environment gets beside its pins, when a pin is at one of these versions
# (and, for a backend's package, on that backend): (package, versions, requirement, why).
ADDED = (
    ("keras", "<=3.3.3", "packaging", "Keras up to 3.3.3 imports packaging without "
     "declaring it"),
    ("keras", "<3.10", "jax[cpu]<0.6.1", "Keras before 3.10 calls jax.spmd_mode in fit and "
     "evaluate, which JAX removed in 0.6.1"),
)


class ReleaseError(ValueError):
    """Pins that name no known release, or that break a constraint (the message says which)."""


@dataclasses.dataclass(frozen=True)
class Pins:
    """An environment's resolved pins: exact releases, and the backend Keras runs on."""

    tensorflow: str  # always: cheatgrid's data pipelines are tf.data on every backend
    backend: str = "tensorflow"
    keras: str | None = None  # None where Keras 2 trains (TensorFlow's up to 2.15, tf-keras)
    tf_keras: str | None = None
    explicit: tuple[str, ...] = ()  # the keys the config gave (the others resolved here)

    @property
    def framework(self) -> str:
        """Which Keras trains, as the framework axis names it."""
        return "tf_keras" if self.keras is None or self.tf_keras else self.backend

    @property
    def name(self) -> str:
        """The environment's name in cells, rows and tables, e.g. `keras3.4.1-jax`,
        `keras3.0.5-tf2.16.2`, `tf2.12.1` (its bundled Keras 2), `tf_keras2.21.0`."""
        if self.tf_keras is not None:
            return f"tf_keras{self.tf_keras}"
        if self.keras is None:
            return f"tf{self.tensorflow}"
        if self.backend == "tensorflow":
            return f"keras{self.keras}-tf{self.tensorflow}"
        tf = f"-tf{self.tensorflow}" if "tensorflow" in self.explicit else ""
        return f"keras{self.keras}-{self.backend}{tf}"

    def given(self) -> dict[str, str]:
        """The pins the config gave, each at its resolved release: they parse back to these."""
        return {k: v for k, v in self.as_dict().items() if k in self.explicit}

    def as_dict(self) -> dict[str, str]:
        """The pins as a config writes them (every resolved one)."""
        pins = {"keras": self.keras, "tensorflow": self.tensorflow, "tf_keras": self.tf_keras,
                "backend": self.backend}
        return {k: v for k, v in pins.items() if v is not None}

    def requirements(self) -> list[str]:
        """What the environment installs for its pins (PEP 508), before cheatgrid's own."""
        pins = self.as_dict()
        wanted = [f"{p.replace('_', '-')}=={pins[p]}" for p in ("tensorflow", "keras", "tf_keras")
                  if p in pins]
        # jax: the CPU build (heads are small)
        wanted += {"jax": ["jax[cpu]"], "torch": ["torch"]}.get(self.backend, [])
        for package, versions, added, _ in ADDED:
            name = Requirement(added).name
            if package in pins and Version(pins[package]) in SpecifierSet(versions) and \
                    name not in {"jax", "torch"} - {self.backend}:
                wanted = [r for r in wanted if not r.startswith(name)] + [added]
        return wanted


def release(package: str, given: str) -> str:
    """The known release a pin names: itself, or the newest patch of `3.4` / `3`."""
    known = RELEASES[package]
    if package == "keras" and given.startswith("2"):
        raise ReleaseError("a Keras 3 release for `keras`: Keras 2 comes with `tensorflow` "
                           "up to 2.15 (e.g. tensorflow: '2.12.1') or as `tf_keras`")
    if given in known:
        return given
    matches = [v for v in known if v.startswith(given.rstrip(".") + ".")]
    if not matches:
        raise ReleaseError(f"a {package} release from {known[0]} to {known[-1]} (the "
                           f"releases cheatgrid knows: runner/vocab/releases.py)")
    return max(matches, key=Version)


def _newest_tensorflow(keras: str, python: str) -> str:
    """The newest TensorFlow whose own Keras requirement admits `keras`, with wheels for
    `python`."""
    for tf in sorted(TENSORFLOW_RELEASES, key=Version, reverse=True):
        pins = {"tensorflow": tf, "keras": keras, "python": python}
        if all(c.holds(pins) for c in CONSTRAINTS if c.requires in ("keras", "python")):
            return tf
    raise ReleaseError(f"a TensorFlow release that admits keras {keras} and has wheels for "
                       f"Python {python} (see the constraints in runner/vocab/releases.py)")


def resolve(given: dict[str, str], python: str | None = None) -> Pins:
    """Exact pins from an environment's (`3.4`: its newest patch; TensorFlow where not given: the
    newest that admits the Keras pin, or tf-keras's minor) for Python `python` (default: this)."""
    pins = {k: release(k, v) if k in RELEASES else v for k, v in given.items()}
    pins["python"] = python or "{}.{}".format(*sys.version_info)
    pins.setdefault("backend", "tensorflow")
    if "tensorflow" not in pins:
        if "tf_keras" in pins:
            pins["tensorflow"] = release("tensorflow", pins["tf_keras"].rsplit(".", 1)[0])
        elif "keras" in pins:
            pins["tensorflow"] = _newest_tensorflow(pins["keras"], pins["python"])
        else:
            raise ReleaseError("`keras`, `tensorflow` or `tf_keras` with a version")
    keras2 = "tf_keras" in pins or Version(pins["tensorflow"]) < Version("2.16")
    if "keras" not in pins and not keras2:  # TensorFlow 2.16+ alone: the newest Keras it takes
        pins["keras"] = KERAS_RELEASES[-1]
    rule = next((c for c in CONSTRAINTS if not c.holds(pins)), None)
    if rule is not None:
        raise ReleaseError(f"pins that meet every known constraint; {rule.text}")
    return Pins(tensorflow=pins["tensorflow"], backend=pins["backend"], keras=pins.get("keras"),
                tf_keras=pins.get("tf_keras"), explicit=tuple(sorted(given)))

