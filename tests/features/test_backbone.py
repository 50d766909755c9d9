"""Backbone weights: random, imagenet offline, auto fallback, files checked for shapes."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

from runner.cli import main as cli
from runner.config import BackboneConfig
from runner.data import sources as availability
from runner.errors import CheatgridWarning, WeightsError
from runner.features.backbone import build_backbone, extract_features


@pytest.fixture
def no_imagenet(monkeypatch, tmp_path):
    """An empty Keras cache and a download host that never answers."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv(availability.OFFLINE_ENV, "1")


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (6, 28, 28), dtype=np.uint8)


def test_random_weights_are_seeded_and_usable(images):
    a = build_backbone(BackboneConfig(weights="random", weights_seed=3))
    b = build_backbone(BackboneConfig(weights="random", weights_seed=3))
    c = build_backbone(BackboneConfig(weights="random", weights_seed=4))
    fa, fb, fc = (extract_features(m, images) for m in (a, b, c))
    assert a.weights == "random(he_normal,seed=3)"
    assert fa.shape == (6, 512) and fa.dtype == np.float32
    np.testing.assert_array_equal(fa, fb)
    assert not np.allclose(fa, fc)
    assert fa.std() > 0.01  # He init keeps a usable scale (Keras's default gives ~1e-3)


def test_imagenet_offline_fails_at_once_naming_the_alternatives(no_imagenet):
    start = time.monotonic()
    with pytest.raises(WeightsError) as error:
        build_backbone(BackboneConfig(weights="imagenet"))
    assert time.monotonic() - start < 10
    message = str(error.value)
    for fragment in ("'random'", "'auto'", "a path to a .h5/.weights.h5 file",
                     "Received: weights='imagenet'"):
        assert fragment in message


def test_auto_offline_falls_back_to_random_with_a_warning(no_imagenet):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backbone = build_backbone(BackboneConfig(weights="auto"))
    assert backbone.weights == "random(he_normal,seed=0)"
    assert any(w.category is CheatgridWarning and "fell back to random" in str(w.message)
               for w in caught)


@pytest.mark.slow
def test_cli_exits_2_before_writing_when_imagenet_is_unavailable(no_imagenet, tmp_path,
                                                                  write_config, capsys):
    path = write_config({"datasets": [{"name": "mnist"}], "backbone": {"weights": "imagenet"}})
    assert cli.main(["grid", str(path), "--out", str(tmp_path / "run")]) == 2
    assert "Use 'random'" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_weights_file_round_trip(tmp_path, images):
    source = build_backbone(BackboneConfig(weights="random", weights_seed=5))
    path = tmp_path / "vgg.weights.h5"
    source.model.get_layer("vgg16").save_weights(str(path))
    loaded = build_backbone(BackboneConfig(weights=str(path)))
    assert loaded.weights.startswith("file:vgg.weights.h5@sha256:")
    np.testing.assert_array_equal(extract_features(loaded, images),
                                  extract_features(source, images))


def test_weights_file_with_wrong_shapes_is_a_clear_error(tmp_path):
    import keras

    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    path = tmp_path / "dense.weights.h5"
    other.save_weights(str(path))
    with pytest.raises(WeightsError) as error:
        build_backbone(BackboneConfig(weights=str(path)))
    message = str(error.value)
    assert "Expected the 26 arrays of VGG16" in message and "holds 2 arrays" in message
    assert "block1_conv1 kernel (3, 3, 3, 64)" in message


@pytest.mark.parametrize("content, fragment", [
    (None, "Expected an existing weights file"),
    (b"not hdf5", "is not an HDF5 weights file"),
])
def test_missing_or_garbage_weights_file(tmp_path, content, fragment):
    path = tmp_path / "x.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError, match=fragment):
        build_backbone(BackboneConfig(weights=str(path)))


def test_bfloat16_features_are_close_to_float32_and_cached_apart(images):
    full = build_backbone(BackboneConfig(weights="random"))
    low = build_backbone(BackboneConfig(weights="random", precision="bfloat16"))
    assert low.fingerprint == full.fingerprint + "/bfloat16" and low.weights == full.weights
    a, b = extract_features(full, images), extract_features(low, images)
    assert b.dtype == np.float32 and b.shape == a.shape and not np.array_equal(a, b)
    # bfloat16 keeps 8 bits of mantissa: features agree to a few per cent of their scale
    assert np.max(np.abs(a - b)) < 0.05 * np.max(np.abs(a))
    import keras

    assert keras.config.dtype_policy().name == "float32"  # heads stay float32


def test_vgg16_keeps_its_weights_label_and_cache_fingerprint():
    backbone = build_backbone(BackboneConfig(weights="random"))
    assert (backbone.fingerprint, backbone.preprocessing, backbone.preprocess) == (
        "vgg16/random(he_normal,seed=0)", "tutorial", None)


@pytest.mark.slow
def test_a_second_backbone_s_random_features_are_usable():
    """MobileNetV2 at 32 px, its own preprocessing, He init with depthwise fan-in: a head
    on 200 digits beats chance (0.1) on 100 others. Its random features are weak (VGG16's
    give a head several times this accuracy): the test holds them above chance only,
    where 17 of 100 right would be a 1-in-50 fluke of guessing."""
    import keras

    from runner.data.embedded import embedded_mnist, interleaved_split

    images, labels = embedded_mnist()
    train, test = (ix[:n] for ix, n in zip(interleaved_split(labels, 10), (200, 100),
                                            strict=True))
    backbone = build_backbone(BackboneConfig(name="mobilenet_v2", weights="random"))
    assert backbone.weights == "random(he_normal_fan_in,seed=0)"
    assert backbone.fingerprint == "mobilenet_v2/random(he_normal_fan_in,seed=0)/" \
                                   "preprocessing=model"
    x_train, x_test = (extract_features(backbone, images[ix]) for ix in (train, test))
    assert x_train.shape == (200, 1280) and np.isfinite(x_train).all()
    keras.utils.set_random_seed(0)
    head = keras.Sequential([keras.Input((1280,)), keras.layers.Dense(10)])
    head.compile(keras.optimizers.Adam(1e-2),
                 keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    head.fit(x_train, labels[train], epochs=50, batch_size=32, verbose=0)
    accuracy = float(np.mean(head.predict(x_test, verbose=0).argmax(1) == labels[test]))
    assert accuracy > 0.17, accuracy


def test_imagenet_of_another_backbone_offline_names_it(no_imagenet):
    start = time.monotonic()
    with pytest.raises(WeightsError) as error:
        build_backbone(BackboneConfig(name="mobilenet_v2", weights="imagenet"))
    assert time.monotonic() - start < 10
    assert "the ImageNet MobileNetV2 weights are not in" in str(error.value)
