"""The registries: lookups, aliases, and the tutorial's recommendations per loss."""

from __future__ import annotations

import pytest

from runner import vocab
from runner.config import DatasetConfig
from scripts.docs import keras_docs


@pytest.mark.parametrize("args, expected", [
    ((10, "integer", "softmax", "sparse_categorical_crossentropy", False,
      "sparse_categorical_accuracy"), True),
    ((10, "integer", "softmax", "sparse_categorical_crossentropy", False, "accuracy"), False),
    ((10, "onehot", "none", "categorical_crossentropy", True, "categorical_accuracy"), True),
    ((2, "integer", "sigmoid", "binary_crossentropy", False, "binary_accuracy"), True),
    ((2, "onehot", "sigmoid", "binary_crossentropy", False, "categorical_accuracy"), True),
    ((2, "onehot", "softmax", "categorical_crossentropy", False, "categorical_accuracy"), False),
    ((10, "multihot", "sigmoid", "binary_crossentropy", False, "binary_accuracy"), True),
    ((10, "multihot", "none", "binary_crossentropy", True, "binary_accuracy"), True),
    ((2, "multihot", "sigmoid", "binary_crossentropy", False, "binary_accuracy"), True),
    ((10, "multihot", "softmax", "categorical_crossentropy", False, "categorical_accuracy"),
     False),
    ((10, "multihot", "sigmoid", "binary_crossentropy", False, "accuracy"), False),
])
def test_recommended(args, expected):
    assert vocab.recommended(*args) is expected


@pytest.mark.parametrize("registry, value, expected", [
    (vocab.LOSSES, "BinaryCrossentropy", "binary_crossentropy"),
    (vocab.LOSSES, "binary_crossentropy", "binary_crossentropy"),
    (vocab.METRICS, "SparseCategoricalAccuracy", "sparse_categorical_accuracy"),
    (vocab.ACTIVATIONS, "linear", "none"),  # as users write it
    (vocab.ACTIVATIONS, "relu", "relu"),
    (vocab.ACTIVATIONS, "tanh", "tanh"),
    (vocab.LOSSES, "mse", "mean_squared_error"),
    (vocab.LOSSES, "MeanAbsoluteError", "mean_absolute_error"),
    (vocab.LOSSES, "mae", "mean_absolute_error"),
    (vocab.LOSSES, "bce", None),
    (vocab.METRICS, 3, None),
])
def test_names_and_aliases_resolve(registry, value, expected):
    assert registry.canonical(value) == expected
    assert (value in registry) is (expected is not None)


def test_an_unknown_name_says_what_was_expected():
    with pytest.raises(KeyError, match=r"Unknown loss: Expected one of \['binary_crossentropy'"):
        vocab.LOSSES["bce"]


def test_every_recommendation_names_known_values():
    for loss in vocab.LOSSES:
        for (task, encoding), advice in loss.recommended.items():
            assert task in ("binary", "multiclass", "multilabel") and encoding in vocab.ENCODINGS
            for activation, from_logits, metric in advice:
                assert activation in vocab.ACTIVATIONS and metric in vocab.METRICS
                assert isinstance(from_logits, bool)


def test_datasets_name_their_stand_ins_and_encodings():
    for spec in vocab.DATASETS:
        assert spec.sources and set(spec.sources) <= set(vocab.SOURCES)
        served = vocab.DATASETS[spec.stand_in]  # the embedded entry that serves (or replaces) it
        assert served.multi_label == spec.multi_label
        assert DatasetConfig(spec.name).encodings == (
            ("multihot",) if spec.multi_label else ("integer", "onehot"))
    assert vocab.spec_of("mnist · jax") is vocab.DATASETS["mnist"]
    assert vocab.spec_of("my_folder") is None


@pytest.mark.parametrize("loss, from_logits, label_smoothing, arguments", [
    ("binary_crossentropy", True, 0.0, {"from_logits": True}),
    ("binary_crossentropy", False, 0.1, {"from_logits": False, "label_smoothing": 0.1}),
    ("sparse_categorical_crossentropy", False, 0.0, {"from_logits": False}),
    # SCCE has no label_smoothing: passed, so that Keras's own error is the cell's result
    ("sparse_categorical_crossentropy", True, 0.2, {"from_logits": True,
                                                    "label_smoothing": 0.2}),
    ("categorical_focal_crossentropy", True, 0.1, {"from_logits": True,
                                                   "label_smoothing": 0.1}),
    ("hinge", False, 0.0, {}),  # a hinge takes its outputs as they are: from_logits=False
    ("squared_hinge", True, 0.0, {"from_logits": True}),  # ... which Keras rejects
    ("categorical_hinge", False, 0.1, {"label_smoothing": 0.1}),
])
def test_loss_arguments(loss, from_logits, label_smoothing, arguments):
    assert vocab.LOSSES[loss].arguments(from_logits, label_smoothing) == arguments


def test_what_a_loss_takes_is_what_its_keras_class_takes():
    import inspect

    import keras

    for loss in vocab.LOSSES:
        parameters = inspect.signature(getattr(keras.losses, loss.keras_class)).parameters
        assert set(loss.takes) == {"from_logits", "label_smoothing"} & set(parameters), loss


def test_metrics_build_as_names_or_objects_with_their_arguments():
    import keras

    assert vocab.METRICS["top_k_categorical_accuracy"].build(keras) == \
        "top_k_categorical_accuracy"
    built = vocab.METRICS["binary_accuracy_logits"].build(keras)
    assert isinstance(built, keras.metrics.BinaryAccuracy)
    assert (built.name, built.threshold) == ("binary_accuracy_logits", 0.0)
    other = vocab.metric("auc")  # not listed: a Keras name without a reference
    assert (other.reference, other.build(keras)) == (None, "auc")
    assert "BinaryAccuracy" not in vocab.METRICS.aliases or \
        vocab.METRICS.aliases["BinaryAccuracy"] == "binary_accuracy"


def test_every_backbone_is_a_keras_application_with_its_preprocessing():
    import keras

    for spec in vocab.BACKBONES:
        assert callable(getattr(keras.applications, spec.keras_class)), spec.name
        assert callable(getattr(keras.applications, spec.module).preprocess_input), spec.name
        assert spec.name == spec.name.lower() and spec.min_input_size in (32, 71, 75)
    import inspect

    builders = {n for n in dir(keras.applications)
                if not n.startswith("_") and inspect.isfunction(getattr(keras.applications, n))}
    assert builders == {spec.keras_class for spec in vocab.BACKBONES}  # every one of them
    assert vocab.BACKBONES.canonical("MobileNetV2") == "mobilenet_v2"
    assert [b.default_preprocessing for b in (vocab.BACKBONES["vgg16"],
                                              vocab.BACKBONES["vgg19"])] == ["tutorial", "model"]


def test_activations_and_losses_cite_where_keras_documents_them():
    for entry in (*vocab.ACTIVATIONS, *vocab.LOSSES):
        assert keras_docs(entry).startswith("https://keras.io/api/"), entry.name
    assert {loss.compares for loss in vocab.LOSSES} == set(vocab.COMPARES)
    low, high = vocab.ACTIVATIONS["relu"].bounds
    assert (low, high) == (0.0, None)


def test_a_grid_that_lists_no_activation_crosses_the_tutorials_three():
    assert vocab.TUTORIAL_ACTIVATIONS == ("none", "sigmoid", "softmax")
