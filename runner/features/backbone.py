"""The frozen VGG16 base: weights resolution and feature extraction.

The tutorial's model is `Input -> VGG16(frozen, training=False) -> GAP -> Dense`.
Everything before the Dense layer is a fixed function of the image, so its
output (512 floats per image) is computed once per dataset split and every
cell trains its Dense head on those features: the same model, split in two.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import pathlib
import warnings
from collections.abc import Callable

import numpy as np

from runner.config import BackboneConfig
from runner.data.pipeline import image_pipeline
from runner.data.sources import DOWNLOAD_HOST, host_answers, keras_cache_file
from runner.errors import CheatgridWarning, WeightsError

IMAGENET_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"  # Keras's cache name
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


def _vgg16(weights: str | None, input_size: int):
    import keras

    return keras.applications.VGG16(weights=weights, include_top=False,
                                    input_shape=(input_size, input_size, 3))


def _reinit_random(base, seed: int) -> None:
    """He-normal conv kernels and zero biases, seeded layer by layer.

    Keras's default init (Glorot uniform) shrinks activations through 13 ReLU
    convolutions until the features are ~1e-3 and a head barely learns; He
    init keeps their scale, so random features are usable (about 86% on MNIST-5k).
    """
    import keras

    convs = [layer for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
    for i, layer in enumerate(convs):
        kernel, bias = layer.kernel, layer.bias
        kernel.assign(keras.initializers.HeNormal(seed=seed + i)(kernel.shape))
        bias.assign(np.zeros(bias.shape, dtype="float32"))


def _imagenet(input_size: int):
    """Keras's ImageNet VGG16 (no top), from its cache or downloaded; never a long wait."""
    cached = keras_cache_file(IMAGENET_FILE)
    if not cached.is_file() and not host_answers():
        raise _imagenet_error(f"the ImageNet VGG16 weights are not in {cached.parent} and "
                              f"{DOWNLOAD_HOST[0]} does not answer")
    try:
        return _vgg16("imagenet", input_size)
    except Exception as e:  # HTTP/URL/OS errors mid-download, a corrupt cache file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _imagenet_error("the ImageNet VGG16 weights could not be loaded "
                              f"({type(e).__name__}: {first})") from None


def _file_shapes(path: pathlib.Path) -> list[tuple[int, ...]]:
    """Shapes of every array in an HDF5 weights file, in file order."""
    import h5py

    shapes: list[tuple[int, ...]] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: shapes.append(tuple(obj.shape))
                     if isinstance(obj, h5py.Dataset) and obj.ndim else None)
    return shapes


def _from_file(config: BackboneConfig):
    """VGG16 with weights from a .h5/.weights.h5 file, its layer shapes checked first."""
    path = pathlib.Path(config.weights).expanduser()
    received = f"Received: weights={config.weights!r}"
    if not path.is_file():
        raise WeightsError(f"Invalid value for 'backbone.weights': Expected an existing "
                           f"weights file. {received}")
    base = _vgg16(None, config.input_size)
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
            f"VGG16 without its top at input size {config.input_size} (e.g. block1_conv1 "
            f"kernel {expected[0]}); {path.name} holds {len(found)} arrays and {which} "
            f"{first}. {received}")
    try:
        base.load_weights(str(path))
    except Exception as e:
        raise WeightsError(f"Invalid value for 'backbone.weights': {path.name} could not be "
                           f"loaded into VGG16 ({type(e).__name__}: {e}). {received}") from None
    return base, f"file:{path.name}@sha256:{_sha256(path)[:12]}"


def build_backbone(config: BackboneConfig) -> Backbone:
    """Build the frozen base + GlobalAveragePooling2D as one feature model.

    Args:
        config: the `backbone` section of the config.

    Returns:
        The built backbone and a record of the weights it really uses.

    Raises:
        WeightsError: `weights: imagenet` or a file that cannot be loaded; raised
            within seconds when offline.
    """
    import keras

    base, label = None, None
    if config.weights in ("imagenet", "auto"):
        try:
            base, label = _imagenet(config.input_size), "imagenet"
        except WeightsError as e:
            if config.weights == "imagenet":
                raise
            warnings.warn(f"weights: auto fell back to random weights: {e.reason}",
                          CheatgridWarning, stacklevel=2)
    elif config.weights != "random":
        base, label = _from_file(config)
    if base is None:
        base = _vgg16(None, config.input_size)
        _reinit_random(base, config.weights_seed)
        label = f"random(he_normal,seed={config.weights_seed})"
    base.trainable = False
    inputs = keras.Input((config.input_size, config.input_size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    fingerprint = label
    if label == "imagenet":
        cached = keras_cache_file(IMAGENET_FILE)
        fingerprint += "@sha256:" + (_sha256(cached) if cached.is_file() else "unknown")
    resolved = "random" if label.startswith("random") else (
        "imagenet" if label == "imagenet" else config.weights)
    model = keras.Model(inputs, features, name="frozen_vgg16_gap")
    if config.precision != "float32":
        model = _in_precision(model, config)
        fingerprint += f"/{config.precision}"
    return Backbone(model, label, config.input_size, f"vgg16/{fingerprint}",
                    resolved=resolved)


def _in_precision(model, config: BackboneConfig):
    """The same feature model (same float32 weights) computing under `mixed_<precision>`."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(f"mixed_{config.precision}")
    try:
        base = _vgg16(None, config.input_size)
        base.trainable = False
        inputs = keras.Input((config.input_size, config.input_size, 3))
        features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
        low = keras.Model(inputs, features, name=f"frozen_vgg16_gap_{config.precision}")
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
            tutorial's pipeline (`data.image_pipeline`).
        progress: receives the number of images done after every batch.

    Returns:
        float32 (N, 512) features.
    """
    import keras

    class Report(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            progress(min((batch + 1) * backbone.batch_size, len(images)))

    batches = image_pipeline(images, backbone.input_size, backbone.batch_size)
    callbacks = [Report()] if progress is not None else []
    return np.asarray(backbone.model.predict(batches, verbose=0, callbacks=callbacks),
                      dtype=np.float32)
