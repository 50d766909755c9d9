"""The corpus of real set-ups: a user's head, loss, metrics and labels as written, rebuilt.

Each entry is a small YAML file in this folder that cites its source (a
GitHub issue or pull request, a keras-io example at a commit, a Q&A page), says in
words what the source wrote, and rebuilds it: the last layer (units, activation,
and whether the activation is a layer of its own), the loss and metrics as written
(a string, a function of `keras.losses` / `keras.metrics`, or a class with its
arguments) and the labels (encoding, classes, shape, dtype, first class index).
The body of the user's model is not the point: every entry gets the same one,
`Dense(HIDDEN, relu)` on `FEATURES` synthetic features that carry the labels
(`data`), trained with the head; or none where the user trains a head on a frozen
base (`body: frozen`): the features go straight into the last layer. The outcome
recorded in an entry (`outcome`, `measured`) is measured by training it next to the
textbook head for the same labels (scripts/check_corpus.py).
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import numpy as np
import yaml

from runner import vocab
from runner.check import check_model, fixes
from runner.errors import UsageError
from runner.train import backends, judge

FEATURES = 20  # synthetic input features
HIDDEN = 32  # the units of the one hidden layer every entry shares
SEPARATION = 1.8  # the class centres' spread (times classes ** 0.2): Bayes accuracy near 0.9
KINDS = ("github issue", "github pull request", "keras-io example", "q&a page")
ENCODINGS = ("integer", "onehot", "multihot")
LAYERS = ("dense", "activation", "softmax", "custom")  # where the activation is written
BODIES = ("trainable", "frozen")  # whether the layers below the head train with it


@dataclasses.dataclass(frozen=True)
class Entry:
    """One real set-up.

    Attributes:
        name: the file's stem.
        source, kind, title: where it comes from (`KINDS`), and that page's title.
        written: what the source wrote, in words (not quoted).
        units, activation: the last layer; `activation` as written (`linear`, None, ...).
        layer: `dense` (Dense(units, activation)), `activation` (Dense(units) then
            Activation(...)), `softmax` (Dense(units) then Softmax()) or `custom` (the Dense
            inside a Layer subclass of the user's).
        after: layers after the activation, as written (`dropout`).
        body: `trainable` (a hidden layer trains with the head) or `frozen` (the head alone
            on fixed features: a frozen base, as in transfer learning).
        loss, metrics: as written: a string, {function: name} or {class: Name, args: {...}}.
        encoding, classes: the labels' encoding (`ENCODINGS`) and number of classes (labels).
        column: integer labels of shape (N, 1) rather than (N,).
        floats: integer labels as floats (0./1.).
        first: the first class index (1 for labels counted from 1).
        density: multi-hot rows: the share of labels on.
        outcome, measured: what training it showed (`judge.OUTCOMES`), and the numbers.
    """

    name: str
    source: str
    kind: str
    title: str
    written: str
    units: int
    activation: str | None
    loss: Any
    metrics: tuple[Any, ...]
    encoding: str
    classes: int
    layer: str = "dense"
    after: tuple[str, ...] = ()
    body: str = "trainable"
    column: bool = False
    floats: bool = False
    first: int = 0
    density: float = 0.3
    outcome: str | None = None
    measured: dict[str, Any] | None = None

    @property
    def buggy(self) -> bool | None:
        """Whether training showed anything but `ok` (None before it was measured)."""
        return None if self.outcome is None else self.outcome != "ok"


def load(path: str | pathlib.Path) -> Entry:
    """One corpus entry from its YAML file.

    Raises:
        UsageError: a file whose keys or values do not describe an entry.
    """
    path = pathlib.Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fields = {f.name for f in dataclasses.fields(Entry)} - {"name"}
    head = data.pop("head", {})  # units, activation, layer, after, body
    unknown = (set(data) | set(head)) - fields
    if unknown:
        raise UsageError(f"{path.name}: Expected the keys {sorted(fields)}. Received: "
                         f"{sorted(unknown)}")
    entry = Entry(name=path.stem, **{k: tuple(v) if k in ("metrics", "after") else v
                                     for k, v in {**head, **data}.items()})
    for value, allowed in ((entry.kind, KINDS), (entry.encoding, ENCODINGS),
                           (entry.layer, LAYERS), (entry.body, BODIES)):
        if value not in allowed:
            raise UsageError(f"{path.name}: Expected one of {list(allowed)}. Received: "
                             f"{value!r}")
    if entry.outcome is not None and entry.outcome not in judge.OUTCOMES:
        raise UsageError(f"{path.name}: Expected an outcome in {list(judge.OUTCOMES)}. "
                         f"Received: {entry.outcome!r}")
    return entry


def load_all(directory: str | pathlib.Path) -> list[Entry]:
    """Every entry of a corpus folder, by file name."""
    return [load(p) for p in sorted(pathlib.Path(directory).glob("*.yaml"))]


def dump(entry: Entry) -> str:
    """An entry as its YAML file (the head's keys grouped under `head`, defaults left out)."""
    defaults = {f.name: f.default for f in dataclasses.fields(Entry)
                if f.default is not dataclasses.MISSING}
    data = {k: v for k, v in dataclasses.asdict(entry).items()
            if k not in defaults or v != defaults[k] or k in ("outcome", "measured")}
    data.pop("name")
    head = {k: data.pop(k) for k in ("units", "activation", "layer", "after", "body")
            if k in data}
    if "after" in head:
        head["after"] = list(head["after"])
    ordered = {k: data.pop(k) for k in ("source", "kind", "title", "written")}
    ordered["head"] = head
    ordered.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()})
    return yaml.safe_dump(ordered, sort_keys=False, width=96, allow_unicode=True)


def data(entry: Entry, rows: int, seed: int, scale: float = 1.0,
         ) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic features and the labels they carry: class indices (N,) from Gaussian
    classes, or 0/1 rows (N, L) from a linear rule per label with `density` of them on.

    The class centres and rules depend on the entry's classes only, so that the training
    and test rows of any seed share them. `scale` multiplies the features: 1 for
    standardised inputs, more for raw ones, whose first outputs are as large.
    """
    spread = SEPARATION * entry.classes ** 0.2 / np.sqrt(FEATURES)
    centres = np.random.default_rng(entry.classes).normal(0.0, spread,
                                                          (entry.classes, FEATURES))
    rng = np.random.default_rng(seed)
    if entry.encoding != "multihot":
        classes = rng.integers(0, entry.classes, rows)
        x = centres[classes] + rng.normal(0.0, 1.0, (rows, FEATURES))
        return (x * scale).astype(np.float32), classes
    x = rng.normal(0.0, 1.0, (rows, FEATURES))
    scores = x @ centres.T + rng.normal(0.0, 0.1, (rows, entry.classes))
    cut = np.quantile(scores, 1.0 - entry.density, axis=0)
    return (x * scale).astype(np.float32), (scores > cut).astype(np.int64)


def as_written(entry: Entry, labels: np.ndarray) -> np.ndarray:
    """Labels (class indices or 0/1 rows) in the encoding, shape and dtype the user wrote."""
    if entry.encoding == "multihot":
        return labels.astype(np.float32)
    if entry.encoding == "onehot":
        return np.eye(entry.classes, dtype=np.float32)[labels]
    values = labels + entry.first
    values = values.astype(np.float32 if entry.floats else np.int64)
    return values[:, None] if entry.column else values


def _object(module: Any, spec: Any) -> Any:
    if isinstance(spec, str):
        return spec
    if "function" in spec:
        return getattr(module, spec["function"])
    return getattr(module, spec["class"])(**spec.get("args", {}))


def _wrapped(keras: Any, units: int, activation: str | None) -> Any:
    """A Layer subclass holding the last Dense, as users write a head of their own."""

    class Classifier(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(units, activation=activation)

        def call(self, inputs):
            return self.dense(inputs)

    return Classifier()


def build(entry: Entry, seed: int = 0, learning_rate: float = 1e-3) -> Any:
    """The user's head on the shared body, compiled with the loss and metrics as written."""
    keras = backends.keras()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((FEATURES,))
    x = inputs if entry.body == "frozen" else keras.layers.Dense(HIDDEN,
                                                                 activation="relu")(inputs)
    if entry.layer == "dense":
        x = keras.layers.Dense(entry.units, activation=entry.activation)(x)
    elif entry.layer == "custom":
        x = _wrapped(keras, entry.units, entry.activation)(x)
    else:
        x = keras.layers.Dense(entry.units)(x)
        x = (keras.layers.Softmax()(x) if entry.layer == "softmax" else
             keras.layers.Activation(entry.activation)(x))
    for layer in entry.after:
        assert layer == "dropout", layer
        x = keras.layers.Dropout(0.5)(x)
    model = keras.Model(inputs, x, name=entry.name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=_object(keras.losses, entry.loss),
                  metrics=[_object(keras.metrics, m) for m in entry.metrics])
    return model


def textbook(entry: Entry) -> Entry:
    """The textbook head for the entry's labels (`fixes.textbook`), as an entry."""
    task = vocab.task(entry.classes, entry.encoding)
    units, activation, loss = fixes.textbook(task, entry.encoding, entry.classes)
    return dataclasses.replace(entry, units=units, activation=activation, loss=loss,
                               metrics=(), layer="dense", after=(), first=0, outcome=None,
                               measured=None)


CHECK_ROWS = 512  # labels check reads (it keeps the first 256 and the first of each class)


def check(entry: Entry, samples_dir: Any = None) -> Any:
    """`check_model` on the entry's model, as written, before training, on its labels."""
    labels = as_written(entry, data(entry, CHECK_ROWS, 0)[1])
    return check_model(build(entry), labels, samples_dir=samples_dir, label_source=entry.name)


@dataclasses.dataclass(frozen=True)
class Tally:
    """How check's verdicts before training compare with the measured outcomes.

    Attributes:
        counts: outcome -> (set-ups, flagged by check, named right by check).
        misses: (entry name, measured outcome, check's verdict) where the two differ.
    """

    counts: dict[str, tuple[int, int, int]]
    misses: tuple[tuple[str, str, str], ...]

    def buggy(self) -> tuple[int, int, int]:
        """(set-ups, flagged, named right) over every outcome but ok."""
        rows = [c for outcome, c in self.counts.items() if outcome != "ok"]
        return tuple(sum(c[i] for c in rows) for i in range(3))  # type: ignore[return-value]

    def fine(self) -> tuple[int, int]:
        """(set-ups measured ok, flagged by check: false alarms)."""
        n, flagged, _ = self.counts.get("ok", (0, 0, 0))
        return n, flagged


def tally(verdicts: list[tuple[Entry, str]]) -> Tally:
    """Compare check's verdicts (the report's `verdict`) with the entries' outcomes."""
    counts = {}
    for outcome in judge.OUTCOMES:
        found = [v for e, v in verdicts if e.outcome == outcome]
        if found:
            counts[outcome] = (len(found), sum(v != "ok" for v in found),
                               sum(v == outcome for v in found))
    misses = tuple((e.name, e.outcome, v) for e, v in verdicts if v != e.outcome)
    return Tally(counts, misses)
