"""The frozen base (VGG16, or any `keras.applications` model): weights and feature extraction.

The tutorial's model is `Input -> VGG16(frozen, training=False) -> GAP -> Dense`.
Everything before the Dense layer is a fixed function of the image, so its
output (512 floats per image for VGG16) is computed once per dataset split and
every cell trains its Dense head on those features: the same model, split in two.
Any other base (`vocab.BACKBONES`) takes VGG16's place, with its own weights
resolved the same way and its own preprocessing (`backbone.preprocessing`).
"""

from __future__ import annotations

import collections
import contextlib
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
from runner.features.reinit import reinit_random

_ALTERNATIVES = ("Use 'random' (offline, seeded), 'auto' (imagenet when it can be had, else "
                 "random) or a path to a .h5/.weights.h5 file")


def _imagenet_error(reason: str) -> WeightsError:
    return WeightsError(f"Invalid value for 'backbone.weights': {reason}. {_ALTERNATIVES}. "
                        "Received: weights='imagenet'", reason)


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A built feature extractor and the weights it actually uses.

    Attributes:
        model: Keras model mapping preprocessed images to GAP features (N, 512).
        weights: what results record, e.g. 'imagenet', 'random(he_normal,seed=0)' or
            'file:my.weights.h5@sha256:0123456789ab'.
        input_size: side of the square input images.
        fingerprint: identifies the weights' values for the feature cache: the label
            for seeded random weights and files (which carry their hash), the
            ImageNet file's SHA-256 for imagenet.
        batch_size: images per batch when extracting features (larger on accelerators).
        resolved: the `weights` value that rebuilds exactly these weights without
            deciding again ('imagenet', 'random' or the file path): `auto` resolved.
    """

    model: object
    weights: str
    input_size: int
    fingerprint: str = ""
    batch_size: int = 256  # VGG16 at 32x32 on a CPU gains nothing from larger batches
    resolved: str = "random"
    name: str = vocab.DEFAULT_BACKBONE
    preprocessing: str = "tutorial"
    preprocess: Callable[[Any], Any] | None = None  # `model` preprocessing: its function


def _application(spec: vocab.BackboneSpec, weights: str | None, input_size: int):
    import keras

    return getattr(keras.applications, spec.keras_class)(
        weights=weights, include_top=False, input_shape=(input_size, input_size, 3))


def _vgg16(weights: str | None, input_size: int):
    return _application(vocab.BACKBONES[vocab.DEFAULT_BACKBONE], weights, input_size)


@contextlib.contextmanager
def _weights_files(spec: vocab.BackboneSpec, used: list[pathlib.Path]):
    """Every weights file the application asks Keras for: taken from Keras's cache, or
    downloaded only when the download host answers (within seconds); `used` gets their
    paths (their hashes identify the weights). Where Keras's `get_file` cannot be
    wrapped, the host is probed first."""
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

    with keras_internals.wrapped_get_file(wrap) as wrapped:
        if not wrapped and not host_answers():  # decide once, before building
            raise _imagenet_error(f"the ImageNet {spec.keras_class} weights may need a "
                                  f"download and {DOWNLOAD_HOST[0]} does not answer")
        yield


def _imagenet(spec: vocab.BackboneSpec, input_size: int):
    """Keras's ImageNet weights of a base (no top), from its cache or downloaded; never a
    long wait. Returns the base and the weights files it read."""
    used: list[pathlib.Path] = []
    try:
        with _weights_files(spec, used):
            return _application(spec, "imagenet", input_size), used
    except WeightsError:
        raise
    except Exception as e:  # HTTP/URL/OS errors mid-download, a corrupt cache file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _imagenet_error(f"the ImageNet {spec.keras_class} weights could not be loaded "
                              f"({type(e).__name__}: {first})") from None


def _file_shapes(path: pathlib.Path) -> list[tuple[int, ...]]:
    """Shapes of every array in an HDF5 weights file, in file order."""
    import h5py

    shapes: list[tuple[int, ...]] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: shapes.append(tuple(obj.shape))
                     if isinstance(obj, h5py.Dataset) and obj.ndim else None)
    return shapes


def _from_file(config: BackboneConfig, spec: vocab.BackboneSpec):
    """The base with weights from a .h5/.weights.h5 file, its layer shapes checked first."""
    path = pathlib.Path(config.weights).expanduser()
    received = f"Received: weights={config.weights!r}"
    if not path.is_file():
        raise WeightsError(f"Invalid value for 'backbone.weights': Expected an existing "
                           f"weights file. {received}")
    base = _application(spec, None, config.input_size)
    expected = [tuple(w.shape) for w in base.weights]
    try:
        found = _file_shapes(path)
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


def model_preprocess(spec: vocab.BackboneSpec) -> Callable[[Any], Any]:
    """The application's own `preprocess_input` (0-255 RGB in, what the model expects out)."""
    import keras

    return getattr(keras.applications, spec.module).preprocess_input


def build_backbone(config: BackboneConfig, name: str | None = None) -> Backbone:
    """Build the frozen base + GlobalAveragePooling2D as one feature model.

    Args:
        config: the `backbone` section of the config.
        name: which base (`grid.backbone`); default `config.name`.

    Returns:
        The built backbone and a record of the weights it really uses.

    Raises:
        WeightsError: `weights: imagenet` or a file that cannot be loaded; raised
            within seconds when offline.
    """
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
    preprocessing = config.preprocessing_of(spec.name)
    preprocess = None if preprocessing == "tutorial" else model_preprocess(spec)
    if base is None:
        base = _application(spec, None, config.input_size)
        label = reinit_random(base, config.weights_seed,
                              vgg16_rule=spec.name == vocab.DEFAULT_BACKBONE)
    base.trainable = False
    inputs = keras.Input((config.input_size, config.input_size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    fingerprint = label
    if label == "imagenet":
        digests = [_sha256(f) for f in files if f.is_file()]
        fingerprint += "@sha256:" + ("+".join(digests) or "unknown")
    resolved = "random" if label.startswith("random") else (
        "imagenet" if label == "imagenet" else config.weights)
    if preprocessing != "tutorial":
        fingerprint += f"/preprocessing={preprocessing}"
    model = keras.Model(inputs, features, name=f"frozen_{spec.name}_gap")
    if config.precision != "float32":
        model = _in_precision(model, spec, config)
        fingerprint += f"/{config.precision}"
    return Backbone(model, label, config.input_size, f"{spec.name}/{fingerprint}",
                    resolved=resolved, name=spec.name, preprocessing=preprocessing,
                    preprocess=preprocess)


def _in_precision(model, spec: vocab.BackboneSpec, config: BackboneConfig):
    """The same feature model (same float32 weights) computing under `mixed_<precision>`."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(f"mixed_{config.precision}")
    try:
        base = _application(spec, None, config.input_size)
        base.trainable = False
        inputs = keras.Input((config.input_size, config.input_size, 3))
        features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
        low = keras.Model(inputs, features, name=f"frozen_{spec.name}_gap_{config.precision}")
    finally:
        keras.config.set_dtype_policy(previous)  # heads are built float32
    low.set_weights(model.get_weights())
    return low


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_features(backbone: Backbone, images: np.ndarray,
                     progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Run the frozen base once over raw uint8 images.

    Args:
        backbone: from `build_backbone`.
        images: uint8 (N, H, W) or (N, H, W, C) images, preprocessed here by the
            tutorial's pipeline (`data.image_pipeline`), with the base's own
            preprocessing where it has `model` preprocessing.
        progress: receives the number of images done after every batch.

    Returns:
        float32 (N, feature width) features (512 for VGG16).
    """
    import keras

    class Report(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            progress(min((batch + 1) * backbone.batch_size, len(images)))

    batches = image_pipeline(images, backbone.input_size, backbone.batch_size,
                             preprocess=backbone.preprocess)
    callbacks = [Report()] if progress is not None else []
    return np.asarray(backbone.model.predict(batches, verbose=0, callbacks=callbacks),
                      dtype=np.float32)
