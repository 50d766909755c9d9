"""The frozen base (VGG16, or any `keras.applications` model) with global average pooling,
split from the tutorial's model so that its features are computed once per dataset: its
weights resolved (imagenet, a file, or a seeded random re-init that gives usable features,
docs/data.md says how) and its features of images."""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import pathlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from runner import vocab
from runner.config import BackboneConfig
from runner.data.pipeline import image_pipeline
from runner.data.sources import DOWNLOAD_HOST, host_answers, keras_cache_file
from runner.errors import CheatgridWarning, WeightsError
from runner.features import keras_internals

_ALTERNATIVES = ("Use 'random' (offline, seeded), 'auto' (imagenet when it can be had, else "
                 "random) or a path to a .h5/.weights.h5 file")


def _imagenet_error(reason: str) -> WeightsError:
    return WeightsError(f"Invalid value for 'backbone.weights': {reason}. {_ALTERNATIVES}. "
                        "Received: weights='imagenet'", reason)


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A built feature extractor (preprocessed images -> GAP features) and its weights."""

    model: object
    # what results record: 'imagenet', 'random(he_normal,seed=0)', 'file:my.weights.h5@sha256:..'
    weights: str
    input_size: int  # side of the square input images
    # identifies the weights' values for the feature cache: the label for seeded random
    # weights and files (which carry their hash), the ImageNet files' SHA-256 for imagenet
    fingerprint: str = ""
    batch_size: int = 256  # VGG16 at 32x32 on a CPU gains nothing from larger batches
    resolved: str = "random"  # the `weights` that rebuilds exactly these: `auto` resolved
    name: str = vocab.DEFAULT_BACKBONE
    preprocessing: str = "tutorial"
    preprocess: Callable[[Any], Any] | None = None  # `model` preprocessing: its function


def _application(spec: vocab.BackboneSpec, weights: str | None, input_size: int):
    import keras

    return getattr(keras.applications, spec.keras_class)(
        weights=weights, include_top=False, input_shape=(input_size, input_size, 3))


def _feature_model(spec: vocab.BackboneSpec, base, input_size: int, suffix: str = ""):
    """The frozen base + GlobalAveragePooling2D as one model."""
    import keras

    base.trainable = False
    inputs = keras.Input((input_size, input_size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, features, name=f"frozen_{spec.name}_gap{suffix}")


def _imagenet(spec: vocab.BackboneSpec, input_size: int):
    """Keras's ImageNet weights of a base (no top), and the weights files it read (their
    hashes identify the weights): from Keras's cache, or downloaded only when the host
    answers within seconds (probed first where `get_file` cannot be wrapped)."""
    used: list[pathlib.Path] = []

    def wrap(original: Callable) -> Callable:
        def get_file(fname=None, origin=None, *args, **kwargs):
            cached = keras_cache_file(fname) if fname else None
            if cached is not None and kwargs.get("cache_subdir") == "models" and \
                    not cached.is_file() and not host_answers():
                raise _imagenet_error(f"the ImageNet {spec.keras_class} weights are not in "
                                      f"{cached.parent} and {DOWNLOAD_HOST[0]} does not answer")
            path = original(fname, origin, *args, **kwargs)
            used.append(pathlib.Path(path))
            return path
        return get_file

    try:
        with keras_internals.wrapped_get_file(wrap) as wrapped:
            if not wrapped and not host_answers():  # decide once, before building
                raise _imagenet_error(f"the ImageNet {spec.keras_class} weights may need a "
                                      f"download and {DOWNLOAD_HOST[0]} does not answer")
            return _application(spec, "imagenet", input_size), used
    except WeightsError:
        raise
    except Exception as e:  # HTTP/URL/OS errors mid-download, a corrupt cache file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _imagenet_error(f"the ImageNet {spec.keras_class} weights could not be loaded "
                              f"({type(e).__name__}: {first})") from None


def _from_file(config: BackboneConfig, spec: vocab.BackboneSpec):
    """The base with weights from a .h5/.weights.h5 file, its array shapes checked first."""
    import h5py

    path = pathlib.Path(config.weights).expanduser()
    received = f"Received: weights={config.weights!r}"
    if not path.is_file():
        raise WeightsError(f"Invalid value for 'backbone.weights': Expected an existing "
                           f"weights file. {received}")
    base = _application(spec, None, config.input_size)
    expected = [tuple(w.shape) for w in base.weights]
    found: list[tuple[int, ...]] = []  # every array's shape, in file order
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: found.append(tuple(obj.shape))
                         if isinstance(obj, h5py.Dataset) and obj.ndim else None)
    except OSError as e:
        raise WeightsError(f"Invalid value for 'backbone.weights': {path} is not an HDF5 "
                           f"weights file ({e}). {received}") from None
    missing = collections.Counter(expected) - collections.Counter(found)
    extra = collections.Counter(found) - collections.Counter(expected)
    if missing or extra:
        first = next(iter(missing or extra))
        which = "lacks an array of shape" if missing else "has an unexpected array of shape"
        raise WeightsError(
            f"Invalid value for 'backbone.weights': Expected the {len(expected)} arrays of "
            f"{spec.keras_class} without its top at input size {config.input_size} (e.g. "
            f"{base.weights[0].path.split('/')[0]} kernel {expected[0]}); {path.name} holds "
            f"{len(found)} arrays and {which} {first}. {received}")
    try:
        base.load_weights(str(path))
    except Exception as e:
        raise WeightsError(f"Invalid value for 'backbone.weights': {path.name} could not be "
                           f"loaded into {spec.keras_class} ({type(e).__name__}: {e}). "
                           f"{received}") from None
    return base, f"file:{path.name}@sha256:{_sha256(path)[:12]}"


# Labels the results record; VGG16's is the label every stored run has.
VGG16_LABEL = "random(he_normal,seed={seed})"
LABEL = "random(he_normal_fan_in,seed={seed})"


def _kernels(keras, layer) -> list:
    """A layer's kernels and their fan-ins: a depthwise filter sees one channel, so
    height x width (Keras's `HeNormal` would count every input channel)."""
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return [(layer.kernel, int(np.prod(layer.kernel.shape[:2])))]
    if isinstance(layer, keras.layers.SeparableConv2D):
        depthwise, pointwise = layer.depthwise_kernel, layer.pointwise_kernel
        return [(depthwise, int(np.prod(depthwise.shape[:2]))),
                (pointwise, int(pointwise.shape[-2]))]
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
        return [(layer.kernel, int(np.prod(layer.kernel.shape[:-1])))]
    return []


def _reinit_random(base, seed: int, vgg16_rule: bool) -> str:
    """Re-initialise `base`'s kernels (the i-th with seed + i), zero its biases; the label
    for `weights`. `vgg16_rule`: Keras's `HeNormal` on each kernel's shape, as every stored
    VGG16 run has; else a He normal drawn flat at the stated fan-in and reshaped."""
    import keras

    kernels = [(layer, _kernels(keras, layer)) for layer in base.layers]
    for i, (variable, fan_in) in enumerate(k for _, found in kernels for k in found):
        shape = tuple(variable.shape)
        drawn = shape if vgg16_rule else (fan_in, int(np.prod(shape)) // fan_in)
        values = keras.initializers.HeNormal(seed=seed + i)(drawn)
        variable.assign(np.asarray(values, dtype="float32").reshape(shape))
    for layer in (layer for layer, found in kernels if found):
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(np.zeros(layer.bias.shape, dtype="float32"))
    return (VGG16_LABEL if vgg16_rule else LABEL).format(seed=seed)


def build_backbone(config: BackboneConfig, name: str | None = None) -> Backbone:
    """The feature model of the base `name` (default `config.name`) and a record of the
    weights it really uses; `WeightsError` (within seconds when offline) where they cannot be
    had."""
    import keras

    spec = vocab.BACKBONES[name or config.name]
    base, label, files = None, None, []
    if config.weights in ("imagenet", "auto"):
        try:
            (base, files), label = _imagenet(spec, config.input_size), "imagenet"
        except WeightsError as e:
            if config.weights == "imagenet":
                raise
            warnings.warn(f"weights: auto fell back to random weights: {e.reason}",
                          CheatgridWarning, stacklevel=2)
    elif config.weights != "random":
        base, label = _from_file(config, spec)
    if base is None:
        base = _application(spec, None, config.input_size)
        label = _reinit_random(base, config.weights_seed,
                              vgg16_rule=spec.name == vocab.DEFAULT_BACKBONE)
    fingerprint = label
    if label == "imagenet":
        digests = [_sha256(f) for f in files if f.is_file()]
        fingerprint += "@sha256:" + ("+".join(digests) or "unknown")
    resolved = "random" if label.startswith("random") else (
        "imagenet" if label == "imagenet" else config.weights)
    preprocessing = config.preprocessing_of(spec.name)
    if preprocessing != "tutorial":
        fingerprint += f"/preprocessing={preprocessing}"
    model = _feature_model(spec, base, config.input_size)
    if config.precision != "float32":  # the same float32 weights, computing in mixed_<precision>
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(f"mixed_{config.precision}")
        try:
            low = _feature_model(spec, _application(spec, None, config.input_size),
                                 config.input_size, f"_{config.precision}")
        finally:
            keras.config.set_dtype_policy(previous)  # heads are built float32
        low.set_weights(model.get_weights())
        model, fingerprint = low, f"{fingerprint}/{config.precision}"
    preprocess = None if preprocessing == "tutorial" else \
        getattr(keras.applications, spec.module).preprocess_input  # 0-255 RGB in
    return Backbone(model, label, config.input_size, f"{spec.name}/{fingerprint}",
                    resolved=resolved, name=spec.name, preprocessing=preprocessing,
                    preprocess=preprocess)


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_features(backbone: Backbone, images: np.ndarray,
                     progress: Callable[[int], None] | None = None) -> np.ndarray:
    """float32 (N, feature width) features of uint8 (N, H, W[, C]) images, preprocessed by
    the tutorial's pipeline (`data.image_pipeline`) and the base's own `model`
    preprocessing; `progress` gets the number of images done after every batch."""
    import keras

    class Report(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            progress(min((batch + 1) * backbone.batch_size, len(images)))

    batches = image_pipeline(images, backbone.input_size, backbone.batch_size,
                             preprocess=backbone.preprocess)
    callbacks = [Report()] if progress is not None else []
    return np.asarray(backbone.model.predict(batches, verbose=0, callbacks=callbacks),
                      dtype=np.float32)
