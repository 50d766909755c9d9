"""The fixes `check` proposes, as lines of code: the metric that reports the grid's
reference accuracy, the tutorial's head for the labels, the textbook head."""

from __future__ import annotations

from runner import vocab
from runner.check.inspect import Head, Labels
from runner.grid import tutorial_units
from runner.vocab import keras_changes as versions

# A 1-unit logit head's accuracy where `BinaryAccuracy(threshold=0.0)` raises (Keras 3.0-3.4):
# the same comparison, logit > 0, as a metric of its own.
LOGIT_ACCURACY = ("metrics=[keras.metrics.MeanMetricWrapper(lambda y, z: keras.ops.cast("
                  "keras.ops.equal(keras.ops.reshape(y, (-1,)) > 0.5, keras.ops.reshape(z, "
                  "(-1,)) > 0), 'float32'), name='binary_accuracy')]  # from Keras 3.5: "
                  "metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]")


def textbook(task: str, encoding: str, classes: int) -> tuple[int, str, str]:
    """The textbook head for these labels: (units, activation, loss)."""
    if task == "multilabel":
        return classes, "sigmoid", "binary_crossentropy"
    if encoding == "integer" and classes == 2:
        return 1, "sigmoid", "binary_crossentropy"
    return classes, "softmax", ("sparse_categorical_crossentropy" if encoding == "integer"
                                else "categorical_crossentropy")


def textbook_code(labels: Labels) -> str:
    """The textbook head for these labels, as a line of Python."""
    units, activation, loss = textbook(labels.task, labels.encoding, labels.classes)
    return (f"head, loss = keras.layers.Dense({units}, activation={activation!r}), "
            f"keras.losses.{vocab.LOSSES[loss].keras_class}()")


def right_metric(labels: Labels, head: Head) -> str:
    """The metric of the grid's reference accuracy, as code for the Keras of the head."""
    cut = head.threshold
    if labels.task == "multilabel":
        return ("def exact_match(y_true, y_pred): return keras.ops.cast(keras.ops.all("
                f"(y_true > 0.5) == (y_pred > {cut:g}), axis=-1), 'float32')  # metrics="
                "[exact_match]; keep 'binary_accuracy' if per-label accuracy is what you want")
    if head.units == 1:
        if cut == 0.5:
            return "metrics=['binary_accuracy']"
        return ("metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"
                if versions.holds(versions.THRESHOLD_ZERO, head.keras_version)
                else LOGIT_ACCURACY)
    name = "sparse_categorical_accuracy" if labels.encoding == "integer" else \
        "categorical_accuracy"
    return f"metrics=[{name!r}]"


def right_head(labels: Labels, head: Head) -> str:
    """The tutorial's head and loss for these labels (the model's activation if allowed)."""
    options = [(loss.name, *advice) for loss in vocab.LOSSES
               for advice in loss.recommended.get((labels.task, labels.encoding), ())]
    if not options:
        return "# the tutorial recommends no head for these labels: see the cheat table"
    loss, activation, from_logits, _ = next(
        (o for o in options if o[1] == head.activation), options[0])
    units = tutorial_units(labels.classes, labels.encoding)
    dense = (f"keras.layers.Dense({units})" if activation == "none" else
             f"keras.layers.Dense({units}, activation={activation!r})")
    arguments = "from_logits=True" if from_logits else ""
    return f"head, loss = {dense}, keras.losses.{vocab.LOSSES[loss].keras_class}({arguments})"
