"""The losses of the grid's loss axis, one registry entry each, with what each compares and
what the tutorial recommends with it. Pure Python, like the other axes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from runner.vocab.axes import ENCODINGS
from runner.vocab.registry import Registry

# What a loss compares, which decides how outputs must be made to learn (`check.rules`):
# each output with its own 0/1 target as a probability, the outputs with each other (a
# distribution over classes), raw scores against a margin at 0, or each output's distance
# to its target value (a regression).
COMPARES = ("per_output", "relative", "margin", "distance")


@dataclasses.dataclass(frozen=True)
class Loss:
    """A Keras loss, built as `keras.losses.<keras_class>(...)` with the cell's arguments."""

    name: str
    keras_class: str
    short: str  # its label in table headers (`BCE`)
    description: str
    compares: str  # one of COMPARES
    # the tutorial's advice: ('binary' | 'multiclass' | 'multilabel', encoding) -> the
    # recommended (activation, from_logits, metric); carried over to losses it does not use
    recommended: Mapping[tuple[str, str], tuple[tuple[str, bool, str], ...]] = \
        dataclasses.field(default_factory=dict)
    # which of the grid's loss arguments its Keras class accepts
    takes: tuple[str, ...] = ("from_logits", "label_smoothing")
    also: tuple[str, ...] = ()  # names users write for it besides its name and class (`mse`)

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class, *self.also)  # the tutorial writes the class names

    def arguments(self, from_logits: bool, label_smoothing: float = 0.0) -> dict[str, Any]:
        """The keyword arguments the loss is built with, as the cell says; one its class does
        not take only away from its no-op value (`from_logits=True`, a non-zero
        `label_smoothing`), so that Keras's own error for it is the cell's result."""
        kwargs: dict[str, Any] = {}
        if from_logits or "from_logits" in self.takes:
            kwargs["from_logits"] = bool(from_logits)
        if label_smoothing:
            kwargs["label_smoothing"] = float(label_smoothing)
        return kwargs

    def build(self, keras: Any, from_logits: bool, label_smoothing: float = 0.0) -> Any:
        """The loss object, from the Keras module of this process (Keras 3 or 2)."""
        return getattr(keras.losses, self.keras_class)(
            **self.arguments(from_logits, label_smoothing))


# a sigmoid on probabilities or raw logits, scored per label: binary and multi-label alike
_PER_LABEL_BCE = (("sigmoid", False, "binary_accuracy"), ("none", True, "binary_accuracy"))
_CCE = (("none", True, "categorical_accuracy"), ("sigmoid", False, "categorical_accuracy"),
        ("softmax", False, "categorical_accuracy"))
_BCE_ADVICE = {("binary", "integer"): _PER_LABEL_BCE,
               ("binary", "onehot"): (("none", True, "categorical_accuracy"),
                                      ("sigmoid", False, "categorical_accuracy")),
               # independent labels (seeds 000, 004), scored per label as 0./1. labels are
               ("multilabel", "multihot"): _PER_LABEL_BCE}
# A hinge loss reads raw scores (no activation, no from_logits) with a margin at 0: the
# tutorial's advice for its logit heads, read at that threshold.
_HINGE_ADVICE = {(task, encoding): (("none", False, "binary_accuracy_logits"),)
                 for task, encoding in (("binary", "integer"), ("multilabel", "multihot"))}
_NO_ARGUMENTS: tuple[str, ...] = ()
LOSSES = Registry("loss", [
    Loss("binary_crossentropy", "BinaryCrossentropy", "BCE",
         "binary cross-entropy, each output on its own", "per_output", _BCE_ADVICE),
    Loss("categorical_crossentropy", "CategoricalCrossentropy", "CCE",
         "cross-entropy against one-hot (or soft) targets", "relative",
         {("multiclass", "onehot"): _CCE}),
    Loss("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "SCCE",
         "cross-entropy against class indices", "relative", {
             ("multiclass", "integer"): (("sigmoid", False, "sparse_categorical_accuracy"),
                                         ("softmax", False, "sparse_categorical_accuracy"),
                                         ("none", True, "sparse_categorical_accuracy"))},
         takes=("from_logits",)),
    # Focal losses: cross-entropy down-weighting easy examples; the advice is their
    # cross-entropy's.
    Loss("binary_focal_crossentropy", "BinaryFocalCrossentropy", "BFCE",
         "binary focal cross-entropy (gamma 2), each output on its own", "per_output",
         _BCE_ADVICE),
    Loss("categorical_focal_crossentropy", "CategoricalFocalCrossentropy", "CFCE",
         "focal cross-entropy against one-hot targets (alpha 0.25, gamma 2)", "relative",
         {("multiclass", "onehot"): _CCE}),
    Loss("hinge", "Hinge", "Hinge", "mean max(1 - y*s, 0) per output, 0/1 labels read as "
         "-1/1; no from_logits, no label_smoothing", "margin", _HINGE_ADVICE, _NO_ARGUMENTS),
    Loss("squared_hinge", "SquaredHinge", "SqHinge", "the hinge, squared", "margin",
         _HINGE_ADVICE, _NO_ARGUMENTS),
    Loss("categorical_hinge", "CategoricalHinge", "CatHinge",
         "max(0, 1 + best wrong score - true score) against one-hot targets", "margin",
         {(task, "onehot"): (("none", False, "categorical_accuracy"),)
          for task in ("binary", "multiclass")}, _NO_ARGUMENTS),
    # Regression losses users write for classification (issue 27's corpus): each output
    # pulled towards its 0/1 target by distance, whatever the activation.
    Loss("mean_squared_error", "MeanSquaredError", "MSE", "mean (y - output)^2 per output; "
         "no from_logits, no label_smoothing", "distance", takes=_NO_ARGUMENTS, also=("mse",)),
    Loss("mean_absolute_error", "MeanAbsoluteError", "MAE", "mean absolute difference of y "
         "and the output, per output; no from_logits, no label_smoothing", "distance",
         takes=_NO_ARGUMENTS, also=("mae",)),
])
TUTORIAL_LOSSES = LOSSES.names[:3]  # what a grid crosses when it lists no loss


def short_loss(name: str) -> str:
    """A loss's label in table headers (`BCE`); an unknown name as it is."""
    return LOSSES[name].short if name in LOSSES else name


def task(num_classes: int, encoding: str) -> str:
    """'multilabel' (multi-hot labels, whatever their number), 'binary' or 'multiclass'."""
    return "multilabel" if ENCODINGS[encoding].multi_label else \
        "binary" if num_classes == 2 else "multiclass"


def recommended(num_classes: int, encoding: str, activation: str, loss: str,
                from_logits: bool, metric: str) -> bool:
    """Whether the tutorial recommends this combination for this task and encoding."""
    advice = LOSSES[loss].recommended if loss in LOSSES else {}
    return (activation, bool(from_logits), metric) in advice.get((task(num_classes, encoding),
                                                                  encoding), ())
