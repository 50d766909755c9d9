"""What a run shows before its cells train: the lines of what it decided, live bars."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from runner.config import Config
from runner.train.device import nvidia_gpus


def decision_lines(config: Config, decisions: dict[str, Any], common: dict[str, Any],
                   device: str) -> list[str]:
    """What a run decided before its first cell, one line each: device, data, weights.

    Args:
        decisions: the first worker's (`Prepared.decisions`: sources and weights).
        common: the provenance its rows carry (device label, Keras version, ...).
        device: the `--device` asked for.
    """
    label = common.get("device", "?")
    lines = [f"device: {label} (--device {device}); Keras {common.get('keras_version', '?')} "
             f"on {common.get('backend', '?')}"]
    gpus = nvidia_gpus() if label == "cpu" and device == "auto" else []
    if gpus:
        lines.append(f"warning: nvidia-smi shows {len(gpus)} GPU(s) ({gpus[0]}) but TensorFlow "
                     "sees none, so this run uses the CPU: install TensorFlow's CUDA libraries "
                     "with `pip install -e '.[gpu]'` (`make install` does it where nvidia-smi "
                     "answers)")
    for name, decision in decisions["sources"].items():
        note = f" ({decision.note})" if decision.note else ""
        lines.append(f"data {name}: {decision.detail}{note}")
    asked = config.backbone.weights
    weights = decisions["weights_label"]
    lines.append(f"weights: {weights}" + ("" if asked == weights else f" (asked: {asked})"))
    return lines


class ProgressBars:
    """Live bars for what happens before cells train: reading data, the backbone's pass.

    Each (what, done, total) report moves the bar of `what` ('features mnist'); a
    finished bar leaves one line, e.g. `features mnist: 6000 images in 27.9 s`.
    """

    def __init__(self, enabled: bool, listener: Callable[[str, int, int], None] | None = None):
        self.enabled, self.listener = enabled, listener
        self._bars: dict[str, tuple[Any, float]] = {}

    def update(self, what: str, done: int, total: int) -> None:
        if self.listener is not None:  # e.g. the bench, timing the first feature batch
            self.listener(what, done, total)
        if not self.enabled:
            return
        from tqdm.auto import tqdm  # widgets in Jupyter, text in a terminal

        if what not in self._bars:
            unit = "image" if what.startswith("features") else "example"
            bar = tqdm(total=total or None, desc=what, unit=unit, leave=False,
                       dynamic_ncols=True)
            self._bars[what] = (bar, time.monotonic())
        bar, started = self._bars[what]
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()
            del self._bars[what]
            noun = "images" if what.startswith("features") else "examples"
            tqdm.write(f"{what}: {done} {noun} in {time.monotonic() - started:.1f} s",
                       file=sys.stderr)

    def close(self) -> None:
        for bar, _ in self._bars.values():
            bar.close()
        self._bars.clear()
