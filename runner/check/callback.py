"""`CheckCallback`: the check printed before `fit`'s first step, and again on the trained
outputs at its end. Keras hands callbacks no data, so the labels are passed in; a check that
cannot run warns and never stops the training."""

from __future__ import annotations

import sys
import warnings
from typing import Any, TextIO

from runner.check.checker import check_model
from runner.check.report import CheckReport
from runner.errors import CheatgridWarning, UsageError
from runner.train import backends

_keras = backends.keras()
CONFIRM_ROWS = 512  # the check at the end predicts these rows: a second or two, not an epoch


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
