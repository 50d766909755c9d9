"""The frozen VGG16 base: weights resolution and feature extraction.

The tutorial's model is `Input -> VGG16(frozen, training=False) -> GAP -> Dense`.
Everything before the Dense layer is a fixed function of the image, so its
output (512 floats per image) is computed once per dataset split and every
cell trains its Dense head on those features: the same model, split in two.
"""

from __future__ import annotations

import dataclasses
import pathlib
import warnings

import numpy as np

from runner.config import BackboneConfig, CheatgridWarning
from runner.data import image_pipeline

FEATURE_BATCH_SIZE = 256  # large batches amortise VGG16's per-call cost; 32x32 fits easily


class WeightsError(RuntimeError):
    """The configured backbone weights cannot be had."""


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A built feature extractor and the weights it actually uses.

    Attributes:
        model: Keras model mapping preprocessed images to GAP features (N, 512).
        weights: what results record, e.g. 'imagenet' or 'random(he_normal,seed=0)'.
        input_size: side of the square input images.
    """

    model: object
    weights: str
    input_size: int


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
    try:
        return _vgg16("imagenet", input_size)
    except Exception as e:  # offline: URL/HTTP/OS errors, all surfaced the same way
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsError(
            "Invalid value for 'backbone.weights': the ImageNet VGG16 weights could not be "
            f"loaded ({type(e).__name__}: {first}). Use 'random' (offline, seeded), 'auto' "
            "(imagenet when available, else random) or a path to a .h5/.weights.h5 file. "
            "Received: weights='imagenet'") from None


def build_backbone(config: BackboneConfig) -> Backbone:
    """Build the frozen base + GlobalAveragePooling2D as one feature model.

    Args:
        config: the `backbone` section of the config.

    Returns:
        The built backbone and a record of the weights it really uses.

    Raises:
        WeightsError: `weights: imagenet` or a file that cannot be loaded.
    """
    import keras

    if config.weights == "imagenet":
        base, label = _imagenet(config.input_size), "imagenet"
    elif config.weights == "auto":
        try:
            base, label = _imagenet(config.input_size), "imagenet"
        except WeightsError as e:
            warnings.warn(f"weights: auto fell back to random weights: {e}", CheatgridWarning,
                          stacklevel=2)
            base, label = None, None
    elif config.weights == "random":
        base, label = None, None
    else:
        path = pathlib.Path(config.weights)
        if not path.is_file():
            raise WeightsError(f"Invalid value for 'backbone.weights': Expected an existing "
                               f"weights file. Received: weights={config.weights!r}")
        base = _vgg16(None, config.input_size)
        try:
            base.load_weights(str(path))
        except Exception as e:
            raise WeightsError(f"Invalid value for 'backbone.weights': {path} does not hold "
                               f"VGG16 weights ({type(e).__name__}: {e})") from None
        label = f"file:{path.name}"
    if base is None:
        base = _vgg16(None, config.input_size)
        _reinit_random(base, config.weights_seed)
        label = f"random(he_normal,seed={config.weights_seed})"
    base.trainable = False
    inputs = keras.Input((config.input_size, config.input_size, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return Backbone(keras.Model(inputs, features, name="frozen_vgg16_gap"), label,
                    config.input_size)


def extract_features(backbone: Backbone, images: np.ndarray) -> np.ndarray:
    """Run the frozen base once over raw uint8 images.

    Args:
        backbone: from `build_backbone`.
        images: uint8 (N, H, W) or (N, H, W, C) images, preprocessed here by the
            tutorial's pipeline (`data.image_pipeline`).

    Returns:
        float32 (N, 512) features.
    """
    batches = image_pipeline(images, backbone.input_size, FEATURE_BATCH_SIZE)
    return np.asarray(backbone.model.predict(batches, verbose=0), dtype=np.float32)
