"""Seeded random weights that give usable features: the `weights: random` re-init.

Keras's default init of VGG16 (Glorot uniform) shrinks activations through its 13
ReLU convolutions until the features are ~1e-3 and a head barely learns; He init
(a normal of variance 2 / fan-in) keeps their scale, so random features are usable.

For the other `keras.applications` bases the same rule is applied to every
kernel, with the fan-in each kind of layer really has:

- `Conv2D` and `Dense`: kernel height x width x input channels (per group); VGG16's
  convolutions are re-initialised exactly as before (Keras's `HeNormal`, seed + i).
- `DepthwiseConv2D` and the depthwise half of `SeparableConv2D`: each filter sees
  one channel, so the fan-in is height x width only. Keras's `HeNormal` would count
  every input channel and shrink these filters by the square root of the channel
  count, which starves MobileNets, EfficientNets, Xception and ConvNeXt.
- Biases are zeroed. Batch normalization keeps its fresh state (scale 1, offset 0,
  moving mean 0, moving variance 1), so at inference it is the identity: the random
  network is an un-normalised one. Residual sums grow with depth (ResNet's random
  features are large, still usable); squeeze-excite gates (sigmoids near 0.5) and
  swish shrink them: EfficientNet B0-B7's random features end near 1e-6 and a head
  on them stays at chance. At small input sizes the deep 3x3 filters of MobileNet
  v1/v3 see mostly padding, and their features fade to ~1e-3. Setting the batch-norm
  statistics from seeded noise images was tried and made every base worse (noise is
  not images); from the data itself would make the base depend on the dataset.
- Layer normalization (ConvNeXt) still normalises; ConvNeXt's layer scale stays at
  Keras's 1e-6, so its random residual branches barely contribute.

Random weights are the offline stand-in; `imagenet` is what a base is for.
"""

from __future__ import annotations

import numpy as np

# Labels the results record; VGG16's is the label every stored run has.
VGG16_LABEL = "random(he_normal,seed={seed})"
LABEL = "random(he_normal_fan_in,seed={seed})"


def _he(keras, shape: tuple[int, ...], fan_in: int, seed: int) -> np.ndarray:
    """Keras's He normal (a truncated normal) with a stated fan-in."""
    flat = keras.initializers.HeNormal(seed=seed)((fan_in, int(np.prod(shape)) // fan_in))
    return np.asarray(flat, dtype="float32").reshape(shape)


def reinit_random(base, seed: int, vgg16_rule: bool) -> str:
    """Re-initialise every kernel of `base` in place, seeded layer by layer.

    Args:
        base: a `keras.applications` model built with `weights=None`.
        seed: the `weights_seed`; layer i gets seed + i.
        vgg16_rule: VGG16's rule (its convolutions only), as every stored VGG16 run has.

    Returns:
        What results record in `weights`, e.g. 'random(he_normal,seed=0)'.
    """
    import keras

    if vgg16_rule:
        convs = [layer for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
        for i, layer in enumerate(convs):
            kernel, bias = layer.kernel, layer.bias
            kernel.assign(keras.initializers.HeNormal(seed=seed + i)(kernel.shape))
            bias.assign(np.zeros(bias.shape, dtype="float32"))
        return VGG16_LABEL.format(seed=seed)
    i = 0
    for layer in base.layers:
        kernels = []
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kernels.append((layer.kernel, int(np.prod(layer.kernel.shape[:2]))))
        elif isinstance(layer, keras.layers.SeparableConv2D):
            depthwise, pointwise = layer.depthwise_kernel, layer.pointwise_kernel
            kernels += [(depthwise, int(np.prod(depthwise.shape[:2]))),
                        (pointwise, int(pointwise.shape[-2]))]
        elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel = layer.kernel
            kernels.append((kernel, int(np.prod(kernel.shape[:-1]))))
        for variable, fan_in in kernels:
            variable.assign(_he(keras, tuple(variable.shape), fan_in, seed + i))
            i += 1
        bias = getattr(layer, "bias", None)
        if kernels and bias is not None:
            bias.assign(np.zeros(bias.shape, dtype="float32"))
    return LABEL.format(seed=seed)
