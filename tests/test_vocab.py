"""The registries: lookups, aliases, and the tutorial's recommendations per loss."""

from __future__ import annotations

import pytest

from runner import vocab


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
    (vocab.ACTIVATIONS, "linear", "none"),
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
        assert spec.encodings == (("multihot",) if spec.multi_label else ("integer", "onehot"))
    assert vocab.spec_of("mnist · jax") is vocab.DATASETS["mnist"]
    assert vocab.spec_of("my_folder") is None
