"""The frozen bases: one registry entry per `keras.applications` model with a no-top form,
built as `keras.applications.<keras_class>(include_top=False, ...)`. Imports no Keras."""

from __future__ import annotations

import dataclasses

from runner.vocab.registry import Registry

DEFAULT_BACKBONE = "vgg16"  # the tutorial's: cells on it keep their ids without the axis
PREPROCESSINGS = ("tutorial", "model")


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    """A `keras.applications` model as configs name it (`backbone.name`, `grid.backbone`)."""

    name: str  # snake case (`mobilenet_v2`)
    keras_class: str
    module: str  # the `keras.applications` module whose `preprocess_input` is its own
    min_input_size: int  # the smallest side its `obtain_input_shape` accepts
    feature_dim: int  # its pooled feature width (the head's input)
    family: str  # its architecture family, for the docs

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.keras_class,)

    @property
    def default_preprocessing(self) -> str:
        """The tutorial's /255 for VGG16 (as the tutorial feeds it), else `preprocess_input`."""
        return "tutorial" if self.name == DEFAULT_BACKBONE else "model"


# (snake name, keras class, feature width) per (module, smallest side, family)
_FAMILIES = (
    ("vgg16", 32, "plain convolutions", (("vgg16", "VGG16", 512),)),
    ("vgg19", 32, "plain convolutions", (("vgg19", "VGG19", 512),)),
    ("resnet", 32, "residual, batch norm", (
        ("resnet50", "ResNet50", 2048), ("resnet101", "ResNet101", 2048),
        ("resnet152", "ResNet152", 2048))),
    ("resnet_v2", 32, "residual, batch norm", (
        ("resnet50_v2", "ResNet50V2", 2048), ("resnet101_v2", "ResNet101V2", 2048),
        ("resnet152_v2", "ResNet152V2", 2048))),
    ("mobilenet", 32, "depthwise separable, batch norm", (("mobilenet", "MobileNet", 1024),)),
    ("mobilenet_v2", 32, "inverted residual, depthwise, batch norm", (
        ("mobilenet_v2", "MobileNetV2", 1280),)),
    ("mobilenet_v3", 32, "inverted residual, depthwise, squeeze-excite, batch norm", (
        ("mobilenet_v3_small", "MobileNetV3Small", 576),
        ("mobilenet_v3_large", "MobileNetV3Large", 960))),
    ("densenet", 32, "dense blocks, batch norm", (
        ("densenet121", "DenseNet121", 1024), ("densenet169", "DenseNet169", 1664),
        ("densenet201", "DenseNet201", 1920))),
    ("efficientnet", 32, "inverted residual, depthwise, squeeze-excite, batch norm",
     tuple((f"efficientnet_b{i}", f"EfficientNetB{i}", width) for i, width in enumerate(
         (1280, 1280, 1408, 1536, 1792, 2048, 2304, 2560)))),
    ("efficientnet_v2", 32, "fused inverted residual, squeeze-excite, batch norm", (
        ("efficientnet_v2_b0", "EfficientNetV2B0", 1280),
        ("efficientnet_v2_b1", "EfficientNetV2B1", 1280),
        ("efficientnet_v2_b2", "EfficientNetV2B2", 1408),
        ("efficientnet_v2_b3", "EfficientNetV2B3", 1536),
        ("efficientnet_v2_s", "EfficientNetV2S", 1280),
        ("efficientnet_v2_m", "EfficientNetV2M", 1280),
        ("efficientnet_v2_l", "EfficientNetV2L", 1280))),
    ("convnext", 32, "depthwise 7x7, layer norm, layer scale", (
        ("convnext_tiny", "ConvNeXtTiny", 768), ("convnext_small", "ConvNeXtSmall", 768),
        ("convnext_base", "ConvNeXtBase", 1024), ("convnext_large", "ConvNeXtLarge", 1536),
        ("convnext_xlarge", "ConvNeXtXLarge", 2048))),
    ("inception_v3", 75, "inception modules, batch norm", (
        ("inception_v3", "InceptionV3", 2048),)),
    ("inception_resnet_v2", 75, "inception-residual modules, batch norm", (
        ("inception_resnet_v2", "InceptionResNetV2", 1536),)),
    ("xception", 71, "depthwise separable, residual, batch norm", (
        ("xception", "Xception", 2048),)),
    ("nasnet", 32, "searched cells, separable convolutions, batch norm", (
        ("nasnet_mobile", "NASNetMobile", 1056), ("nasnet_large", "NASNetLarge", 4032))),
)

BACKBONES = Registry("backbone", [
    BackboneSpec(name, keras_class, module, size, width, family)
    for module, size, family, members in _FAMILIES for name, keras_class, width in members])
