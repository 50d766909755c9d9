"""Seeded random weights that give usable features: the `weights: random` re-init, a He
normal with the fan-in each kind of layer really has (docs/data.md says why)."""

from __future__ import annotations

import numpy as np

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


def reinit_random(base, seed: int, vgg16_rule: bool) -> str:
    """Re-initialise every kernel of `base` in place (the i-th with seed + i), zero its
    biases, and return the label results record in `weights`.

    `vgg16_rule`: Keras's own `HeNormal` on each kernel's shape, as every stored VGG16 run
    has; else a He normal drawn flat at the stated fan-in and reshaped.
    """
    import keras

    i = 0
    for layer in base.layers:
        kernels = _kernels(keras, layer)
        for variable, fan_in in kernels:
            shape = tuple(variable.shape)
            if vgg16_rule:
                values = keras.initializers.HeNormal(seed=seed + i)(shape)
            else:
                flat = keras.initializers.HeNormal(seed=seed + i)(
                    (fan_in, int(np.prod(shape)) // fan_in))
                values = np.asarray(flat, dtype="float32").reshape(shape)
            variable.assign(values)
            i += 1
        bias = getattr(layer, "bias", None)
        if kernels and bias is not None:
            bias.assign(np.zeros(bias.shape, dtype="float32"))
    return (VGG16_LABEL if vgg16_rule else LABEL).format(seed=seed)
