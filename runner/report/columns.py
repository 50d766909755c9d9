"""The documented, stable columns of results.csv, in order, and what each one means.

One statement for the code and the docs: `RESULT_COLUMNS` is the order results.csv
writes them in, `COLUMN_GROUPS` the docs' table (docs/outputs.md is generated from
it, and a test fails when the two drift apart). Rows may carry more columns (they
follow these); the per-epoch histories stay in results.jsonl only.
"""

from __future__ import annotations

RESULT_COLUMNS = (
    "cell_id", "name", "dataset", "encoding", "units", "activation", "loss", "from_logits",
    "label_smoothing", "metric", "framework", "environment", "backbone", "seed", "status", "phase",
    "error_type", "error_message",
    "test_metric", "test_loss", "reference_accuracy", "hamming_accuracy", "majority_rate",
    "metric_resolved", "metric_reference", "metric_gap", "verdict", "recommended",
    "constant_predictions", "diverged",
    "equivalence_group", "same_as", "warnings", "head_id", "base_id", "settings_hash",
    "epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder", "train_seconds",
    "eval_seconds", "weights", "weights_requested", "precision", "mode", "heads_trained_together",
    "data_source", "data_detail", "feature_cache", "n_train", "n_test", "num_classes",
    "backend", "keras_version", "tf_version", "numpy_version", "python_version", "device",
    "run_name", "finished_at",
)
HISTORY_COLUMNS = ("history_loss", "history_test_metric", "history_reference_accuracy")

COLUMN_GROUPS = (
    (("cell_id", "name"), "the cell's stable id and readable name"),
    (("dataset", "encoding", "units", "activation", "loss", "from_logits", "label_smoothing",
      "metric"), "the cell's parameters (`label_smoothing`: 0 unless `grid.label_smoothing` "
     "says otherwise)"),
    (("backbone",), "the frozen base whose features the head reads (`vgg16`, or any "
     "`keras.applications` base of `grid.backbone`)"),
    (("framework", "backend"), "which Keras trained the cell (`tensorflow`, `jax`, `torch`, "
     "`tf_keras`) and the array library under it"),
    (("environment",), "where it trained: `current` (the Python cheatgrid runs in), or the "
     "name of an environment of pinned releases, e.g. `keras3.4.1-jax` (see "
     "[Releases](releases.md)); its Keras and TensorFlow are in `keras_version` and "
     "`tf_version`"),
    (("seed",), "the run's seed (one row per cell and seed)"),
    (("status",), "`ok` or `error`"),
    (("phase",), "where an error was raised: `data` (loading or the backbone's pass), `labels`, "
     "`build`, `compile`, `fit`, `evaluate`, or `crashed` (the worker died, or no Ray node "
     "was left for it) / `timeout` (`cell_timeout_seconds`); empty when ok"),
    (("error_type", "error_message"), "the exception's class and one informative line (for "
     "TensorFlow graph errors: the message after the stack, and the Keras function it came "
     "from); `WorkerCrashed` with the signal or exit code, `NodeLost` (`--executor ray`: see "
     "[When a node goes](ray.md#when-a-node-goes)), `CellTimeout`; where a graph fails "
     "in two ops at once the message may name either from run to run, so `compare` goes by "
     "`error_type`"),
    (("test_metric", "test_loss"), "the metric and the loss on the test split after training"),
    (("reference_accuracy",), "the accuracy computed from the head's raw test outputs, without "
     "Keras metrics (see [Reading the table](../README.md#reading-the-cheat-table)): the share "
     "of images whose class is right, or for multi-label data whose every label is right "
     "(exact match)"),
    (("hamming_accuracy",), "multi-label data only: the share of single labels right, over "
     "every image and label (the same thresholds); empty otherwise"),
    (("majority_rate",), "the reference accuracy of always predicting the most common class, "
     "or label set"),
    (("metric_resolved",), "the metric Keras actually built for the name in `metric` (e.g. "
     "`accuracy` on multi-hot labels is `categorical_accuracy`)"),
    (("metric_reference",), "what the metric should report, computed from the head's raw "
     "test outputs without Keras: the reference accuracy for the accuracy metrics, the share "
     "of images whose class is among the 5 highest outputs for the top-k ones; empty for a "
     "metric without a reference (a Keras metric the registry does not list, top-k on "
     "multi-label data)"),
    (("metric_gap", "verdict", "recommended", "constant_predictions"), "test metric minus "
     "`metric_reference` (empty without a reference: such a cell is never `misleading`); "
     "the cell's verdict; whether the tutorial recommends the combination (for the focal "
     "and hinge losses: its advice carried over, see [Losses](data.md#losses)); whether "
     "the head predicts one class (or label set) for every image"),
    (("diverged",), "the training loss became NaN or infinite (recorded, never a crash)"),
    (("equivalence_group", "same_as"), "the cell's group of identical heads in its dataset "
     "(g1, g2, ...), and the first head of that group when it is not this one"),
    (("warnings",), "Keras's warnings for the cell, joined by ` | `"),
    (("head_id",), "12 hex digits identifying the trained head (cells differing only in "
     "metric share it)"),
    (("base_id",), "the cell's id on the default framework in the current environment: "
     "matches a cell across frameworks and environments"),
    (("settings_hash",), "12 hex digits over everything that determines the cell's result at "
     "this seed; resume compares it"),
    (("epochs", "batch_size", "learning_rate", "shuffle", "drop_remainder"), "the cell's "
     "effective training settings (after `overrides`); `drop_remainder` as applied to this "
     "cell"),
    (("train_seconds", "eval_seconds"), "seconds of training and evaluation; for heads trained "
     "together, the shared time divided by the number of heads"),
    (("weights", "weights_requested"), "the backbone weights actually used, e.g. "
     "`random(he_normal,seed=0)` or `imagenet`, and what the config asked for"),
    (("precision",), "the backbone's arithmetic for the features: `float32` (the tutorial's) "
     "or `bfloat16` (`backbone.precision`)"),
    (("mode", "heads_trained_together"), "`cached` (heads on cached features), `end-to-end` "
     "or `fine-tune`; how many heads shared the training run"),
    (("data_source", "data_detail", "feature_cache"), "`tfds`, `embedded`, `folder` or "
     "`npz`; which data exactly and why; `hit`, `miss` or `off`"),
    (("n_train", "n_test", "num_classes"), "how many images were used, and the classes (for "
     "multi-label data: the labels) of the task"),
    (("keras_version", "tf_version", "numpy_version", "python_version", "device"), "the "
     "software and device the cell ran on (`cpu`, `gpu:N [mirrored] (name)`, `tpu:N`)"),
    (("run_name", "finished_at"), "the config's name and the UTC time the cell's group "
     "finished"),
)
