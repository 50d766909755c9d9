"""`CheckCallback`: one line in a training script, the check printed before the first step.

    model.fit(x, y, epochs=20, callbacks=[CheckCallback()])

At the start of `fit` it checks the model on the labels of the first training
batch and prints the report; at the end (`confirm=True`) it checks again on that
batch's inputs, so the verdicts become the grid's rules on the trained outputs.
A check that cannot run warns and never stops the training.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, TextIO

import numpy as np

from runner.check.checker import check_model
from runner.check.report import CheckReport
from runner.errors import CheatgridWarning, UsageError
from runner.train import backends

_keras = backends.keras()


def first_batch(adapter: Any) -> tuple[Any, Any] | None:
    """The first (inputs, labels) of a Keras 3 data adapter as NumPy, without consuming the
    iterator `fit` trains on (None when the batch has no labels)."""
    if hasattr(adapter, "_first_batches"):  # a generator: Keras has peeked at it already
        batch = adapter._first_batches[0]
    elif hasattr(adapter, "py_dataset"):  # a PyDataset: indexable
        batch = adapter.py_dataset[0]
    else:  # arrays, tf.data, a torch DataLoader: a fresh pass over the data
        batch = next(iter(adapter.get_numpy_iterator()))
    if not isinstance(batch, (tuple, list)) or len(batch) < 2 or batch[1] is None:
        return None
    return batch[0], np.asarray(batch[1])


def _fit_batch(model: Any) -> tuple[Any, Any] | None:
    # Keras gives callbacks no data, so the batch is read from the data adapter of the
    # `fit` call running this callback (its local `epoch_iterator`, in every backend's fit).
    frame = sys._getframe(1)
    while frame is not None:
        local = frame.f_locals
        if frame.f_code.co_name == "fit" and local.get("self") is model and \
                local.get("epoch_iterator") is not None:
            return first_batch(local["epoch_iterator"].data_adapter)
        frame = frame.f_back
    return None


class CheckCallback(_keras.callbacks.Callback):
    """Checks the model at the start of `fit` and prints the report.

    Args:
        labels: the labels to check against; default: the first training batch's.
        confirm: also check at the end of `fit` on the first batch's inputs.
        stream: where the reports are printed (default: stdout).
        samples_dir: a folder of sample runs to cite instead of the shipped facts (see
            `check_model`).

    Attributes:
        report: the report at the start of `fit` (None when it could not run).
        final_report: the report at the end of `fit`, on the model's outputs.
    """

    def __init__(self, labels: Any = None, confirm: bool = True, stream: TextIO | None = None,
                 samples_dir: str | None = None):
        super().__init__()
        self.labels, self.confirm, self.stream = labels, confirm, stream
        self.samples_dir = samples_dir
        self.report: CheckReport | None = None
        self.final_report: CheckReport | None = None
        self._batch: tuple[Any, Any] | None = None

    def _print(self, title: str, report: CheckReport) -> None:
        print(f"{title}\n{report.text()}", file=self.stream or sys.stdout, flush=True)

    def _check(self, labels: Any, inputs: Any = None) -> CheckReport | None:
        try:
            return check_model(self.model, labels, inputs, samples_dir=self.samples_dir,
                               label_source="first training batch" if self.labels is None
                               else "given")
        except UsageError as e:
            warnings.warn(f"CheckCallback: cannot check: {e}", CheatgridWarning, stacklevel=3)
            return None

    def on_train_begin(self, logs=None):
        batch = _fit_batch(self.model) if self.labels is None else None
        labels = self.labels if self.labels is not None else batch and batch[1]
        if labels is None:
            warnings.warn("CheckCallback: cannot see the training labels of this fit; pass "
                          "them: CheckCallback(labels=y)", CheatgridWarning, stacklevel=2)
            return
        self._batch = batch
        self.report = self._check(labels)
        if self.report is not None:
            self._print("CheckCallback, before training:", self.report)

    def on_train_end(self, logs=None):
        if not self.confirm or self._batch is None or self.report is None:
            return
        inputs, labels = self._batch
        self.final_report = self._check(labels, inputs)
        if self.final_report is not None:
            self._print("CheckCallback, after training (on the first batch's outputs):",
                        self.final_report)
