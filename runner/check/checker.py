"""`check_model`: the labels and the model read (`inspect`), a probe head run on the labels
(`probe`), the head and each metric judged (`head`, `rules`), the sample cells cited
(`evidence`); with `inputs`, the model's own outputs judged by the grid's `train.judge`;
`check_flags` on a configuration given by name; `CheckCallback` in `fit`."""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import warnings
from typing import Any, TextIO

import numpy as np

from runner import vocab
from runner.check import evidence, findings, fixes, inspect, rules
from runner.check.head import judge_head
from runner.check.head import measured as measured_head
from runner.check.inspect import read_labels, read_model
from runner.check.probe import MetricProbe, metric_values, run_probe
from runner.check.report import CheckReport, MetricReport
from runner.data.pipeline import encode_labels
from runner.errors import CheatgridWarning, UsageError
from runner.grid import tutorial_units
from runner.train import backends, judge

PREDICT_BATCH_SIZE = 256  # the model's outputs for `inputs`, predicted this many rows at a time
SYNTHETIC_ROWS = 512  # the flags' labels: every class many times, the probe keeps 256
CONFIRM_ROWS = 512  # the callback's check at the end predicts these rows: seconds, not an epoch
_keras = backends.keras()


def check_model(model: Any, labels: Any, inputs: Any = None, *,
                samples_dir: str | pathlib.Path | None = None,
                label_source: str = "given", trained: bool | None = None) -> CheckReport:
    """Check a compiled model against its labels, before (or after) it trains.

    Args:
        model: a compiled Keras 3 model with one output of shape (batch, units).
        labels: the labels it is (to be) fitted on: class indices, float 0./1., one-hot
            or multi-hot rows, as an array.
        inputs: optional inputs for the same rows; the verdicts are then the grid's rules
            on the model's outputs, so pass a trained model (one whose optimizer has taken
            no step is judged before training, and the report says so).
        samples_dir: a folder of sample runs (`<run>/results.csv`) to cite instead of
            the facts the package ships (`evidence`); one without them: none is cited.
        label_source: how the report names where the labels came from.
        trained: whether the model's outputs are a trained head's (None: its optimizer
            says, by the steps it has taken; a model that only applies an activation to
            a trained head's stored outputs says True).

    Returns:
        The report; `report.exit_code` is 0 when the head's and every metric's verdict is ok.

    Raises:
        UsageError: labels that fit no encoding, a model check cannot read, or inputs
            the model does not accept or of another length than the labels.
    """
    seen = read_labels(labels)
    head = read_model(model)
    if seen.encoding == "integer" and head.units > seen.classes:
        # K units read class indices as K classes (labels, a first batch, may miss some)
        seen = dataclasses.replace(seen, classes=head.units)
    outputs = None if inputs is None else _outputs(model, inputs, seen.rows)
    untrained = outputs is not None and (trained is False or (
        trained is None and inspect.trained(model) is False))
    if untrained:  # its outputs say nothing about training: judged before training
        outputs = None
    samples = pathlib.Path(samples_dir) if samples_dir is not None else None
    backend = backends.backend()
    probe = run_probe(seen, head)
    key = evidence.key(seen.task, seen.encoding, head.units, seen.classes, head.activation,
                       head.loss_name, head.from_logits)  # no sample cell has another's
    # the sample run that stands for this backend: on TensorFlow the default run, else the
    # users run (relu, tanh, the regression losses); on the others the frameworks run
    runs = [evidence.FRAMEWORKS_RUN] if backend != "tensorflow" else [evidence.DEFAULT_RUN,
                                                                      evidence.USERS_RUN]
    run, rows = next(((run, rows) for run in runs
                      if (rows := evidence.cells(key, run, backend, samples))), (runs[0], []))
    values = metric_values(head, seen, outputs, probe.metrics) if outputs is not None else {}
    base = judge.judge(outputs, seen.judged, head.activation) if outputs is not None else {}
    verdict = judge_head(seen, head, probe, rows, run, samples)
    if outputs is not None:
        verdict = measured_head(verdict, base)
    reports = []
    for metric in probe.metrics:
        judgement = rules.verdict(seen, head, probe, metric)
        found = None
        if metric.label in values:
            found = {**base, "test_metric": values[metric.label],
                     "metric_gap": values[metric.label] - base["reference_accuracy"]}
            judgement = rules.measured({"status": "ok", **found}, judgement)
        row = evidence.metric_row(rows, grid_metric(metric))
        error = metric.error and {k: metric.error[k] for k in ("phase", "error_type",
                                                               "error_message")}
        reports.append(MetricReport(
            metric.label, metric.resolved, judgement.verdict, judgement.why, judgement.fix,
            judgement.certainty, error, found, row and evidence.cite(row, run)))
    first = grid_metric(probe.metrics[0]) if probe.metrics else None
    sample = next((r for r in rows if r["status"] == "ok"), None)  # any metric: one head
    notes = [findings.portability(seen, head, backend, key, first, samples),
             findings.identical_heads(sample, run, samples)]
    notes += findings.hints(seen, head) + findings.keras_warnings(probe)
    if untrained:
        notes.append(findings.UNTRAINED)
    if not head.metrics:
        notes.append(findings.Finding("model", "no metric is compiled: only the head is judged",
                                      fixes.right_metric(seen, head)))
    return CheckReport(
        seen.encoding, seen.detail, seen.classes, seen.rows, head.units, head.activation,
        head.loss_name, head.from_logits, backend, head.keras_version,
        "outputs" if outputs is not None else "before training", label_source, verdict,
        tuple(reports), tuple(n for n in notes if n is not None))


def grid_metric(metric: MetricProbe) -> str | None:
    """The grid's metric name that compiles to the same metric, or None (e.g. a threshold
    the grid never used, or `keras.metrics.Accuracy`, which the string 'accuracy' is not)."""
    if isinstance(metric.metric, str):
        return metric.metric if metric.metric in vocab.METRICS.names else None
    name = getattr(metric.metric, "__name__", None) or metric.resolved
    if metric.threshold not in (None, 0.5) or name == "accuracy":
        return None
    return name if name in vocab.METRICS.names else None


def _outputs(model: Any, inputs: Any, rows: int) -> np.ndarray:
    length = len(inputs[0]) if isinstance(inputs, (list, tuple)) else len(inputs)
    if length != rows:
        raise UsageError(f"inputs: Expected as many rows as labels ({rows}). Received: {length}")
    try:
        outputs = model.predict(inputs, batch_size=PREDICT_BATCH_SIZE, verbose=0)
    except Exception as e:
        message = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise UsageError(f"inputs: Expected inputs the model accepts. Received: "
                         f"{type(e).__name__}: {message}") from None
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.isfinite(outputs).all():
        raise UsageError("inputs: Expected finite model outputs. Received: NaN or infinite "
                         "outputs (has the model diverged?)")
    return outputs


def synthetic_labels(encoding: str, classes: int, units: int,
                     rows: int = SYNTHETIC_ROWS) -> np.ndarray:
    """Labels of an encoding: every class in turn; multi-hot rows of one label, two every
    other row."""
    indices = np.arange(rows) % classes
    if not vocab.ENCODINGS[encoding].multi_label:
        return encode_labels(indices, encoding, classes, units)
    hot = np.eye(classes, dtype=np.int64)[indices]
    second = (indices + 1 + (np.arange(rows) // classes) % (classes - 1)) % classes
    odd = np.arange(1, rows, 2)
    hot[odd, second[odd]] = 1
    return encode_labels(hot, encoding, classes, units)


def check_flags(encoding: str, classes: int, activation: str, loss: str, from_logits: bool,
                metrics: list[str], units: int | None = None, **options: Any) -> CheckReport:
    """Check a configuration given by name: the grid's head on 512 features, compiled
    with the loss and metrics, on synthetic labels of the encoding.

    Raises:
        UsageError: an unknown encoding, activation, loss or metric, or fewer than 2 classes.
    """
    for registry, value in ((vocab.ENCODINGS, encoding), (vocab.ACTIVATIONS, activation),
                            (vocab.LOSSES, loss), *((vocab.METRICS, m) for m in metrics)):
        if value not in registry:
            raise UsageError(f"Invalid value for '{registry.kind}': Expected one of "
                             f"{list(registry.names)}. Received: {registry.kind}={value!r}")
    if classes < 2:
        raise UsageError(f"--classes: Expected at least 2. Received: {classes}")
    keras = backends.keras()
    units = units or tutorial_units(classes, encoding)
    inputs = keras.Input((512,))
    dense = keras.layers.Dense(units, activation=vocab.ACTIVATIONS[activation].keras)
    model = keras.Model(inputs, dense(inputs))
    model.compile(optimizer="adam", loss=vocab.LOSSES[loss].build(keras, from_logits),
                  metrics=[vocab.METRICS[m].name for m in metrics])
    labels = synthetic_labels(vocab.ENCODINGS[encoding].name, classes, units)
    return check_model(model, labels, label_source=f"synthetic {encoding} labels from flags",
                       **options)


class CheckCallback(_keras.callbacks.Callback):
    """Checks the model at the start of `fit` and prints the report.

    Args:
        labels: the labels `fit` trains on (an array; `y` of `fit(x, y)`).
        inputs: the inputs of the same rows, for the check at the end of `fit`.
        confirm: also check at the end of `fit` on the first `CONFIRM_ROWS` inputs (needs
            `inputs`).
        stream: where the reports are printed (default: stdout).
        samples_dir: a folder of sample runs to cite instead of the shipped facts (see
            `check_model`).

    Attributes:
        report: the report at the start of `fit` (None when it could not run).
        final_report: the report at the end of `fit`, on the model's outputs.
    """

    def __init__(self, labels: Any, inputs: Any = None, confirm: bool = True,
                 stream: TextIO | None = None, samples_dir: str | None = None):
        super().__init__()
        self.labels, self.inputs, self.confirm, self.stream = labels, inputs, confirm, stream
        self.samples_dir = samples_dir
        self.report: CheckReport | None = None
        self.final_report: CheckReport | None = None

    def _check(self, title: str, labels: Any, inputs: Any = None) -> CheckReport | None:
        """The report on these rows, printed under `title`; None (a warning) where it cannot run."""
        try:
            report = check_model(self.model, labels, inputs, samples_dir=self.samples_dir)
        except UsageError as e:
            warnings.warn(f"CheckCallback: cannot check: {e}", CheatgridWarning, stacklevel=3)
            return None
        print(f"{title}\n{report.text()}", file=self.stream or sys.stdout, flush=True)
        return report

    def on_train_begin(self, logs=None):
        self.report = self._check("CheckCallback, before training:", self.labels)

    def on_train_end(self, logs=None):
        if self.confirm and self.inputs is not None and self.report is not None:
            rows = slice(0, CONFIRM_ROWS)
            self.final_report = self._check(
                f"CheckCallback, after training (on the outputs for the first {CONFIRM_ROWS} "
                "rows at most):", self.labels[rows], self.inputs[rows])
