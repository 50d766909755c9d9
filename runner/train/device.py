"""Where the grid runs: `--device auto|cpu|gpu|tpu` -> a tf.distribute strategy (TPU, mirrored
over several GPUs, or the default); `auto` takes a TPU if found, else the GPUs, else the CPU."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Callable
from typing import Any

from runner.errors import DeviceUnavailable

DEVICES = ("auto", "cpu", "gpu", "tpu")
CPU_FEATURE_BATCH = 256  # VGG16 at 32x32 on a CPU: larger batches gain nothing
ACCELERATOR_FEATURE_BATCH = 1024  # keeps an accelerator busy through feature extraction


@dataclasses.dataclass(frozen=True)
class Placement:
    """The chosen device and how to use it."""

    kind: str  # 'cpu', 'gpu' or 'tpu'
    label: str  # what result rows record in `device`, e.g. 'gpu:2 mirrored'
    strategy: Any = None  # the tf.distribute strategy (None: TensorFlow's default)
    feature_batch_size: int = ACCELERATOR_FEATURE_BATCH  # images per batch for the backbone


def plan(requested: str, gpus: int, tpu_found: bool) -> tuple[str, str]:
    """(kind, strategy name) for a request and what is present, e.g. ('gpu', 'mirrored'); raises
    DeviceUnavailable for `gpu` without GPUs or `tpu` without a TPU."""
    if requested not in DEVICES:
        raise DeviceUnavailable(f"Invalid value for '--device': Expected one of "
                                f"{list(DEVICES)}. Received: device={requested!r}")
    if requested == "tpu" and not tpu_found:
        raise DeviceUnavailable("Invalid value for '--device': no TPU found by "
                                "TPUClusterResolver. Use --device auto, gpu or cpu. "
                                "Received: device='tpu'")
    if requested == "gpu" and gpus == 0:
        raise DeviceUnavailable("Invalid value for '--device': TensorFlow sees no GPU "
                                "(is tensorflow[and-cuda] installed: pip install -e '.[gpu]'?)."
                                " Use --device auto or cpu. Received: device='gpu'")
    if requested == "tpu" or (requested == "auto" and tpu_found):
        return "tpu", "tpu"
    if requested in ("gpu", "auto") and gpus > 0:
        return "gpu", "mirrored" if gpus > 1 else "default"
    return "cpu", "default"


def _find_tpu() -> Any:
    """A connected TPU cluster resolver, or None when this is not a TPU host."""
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return resolver
    except (ValueError, RuntimeError, tf.errors.OpError):  # no TPU here
        return None


def tpu_hinted(environ: dict[str, str] | None = None, dev: str = "/dev") -> bool:
    """Whether this looks like a TPU host (Colab's or a Cloud TPU VM's markers): `auto` asks
    TPUClusterResolver only then, as elsewhere it may wait on the cloud metadata server."""
    environ = os.environ if environ is None else environ
    markers = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE", "TPU_WORKER_ID")
    return any(environ.get(m) for m in markers) or os.path.exists(os.path.join(dev, "accel0"))


def place(requested: str = "auto", find_tpu: Callable[[], Any] = _find_tpu,
          strategies: bool = True) -> Placement:
    """Choose the device and build its strategy (before any model); without `strategies` (JAX
    and PyTorch place arrays themselves) only choose it. Raises DeviceUnavailable."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    ask = strategies and (requested == "tpu" or (requested == "auto" and tpu_hinted()))
    resolver = find_tpu() if ask else None
    kind, strategy_name = plan(requested, len(gpus), resolver is not None)
    if kind == "tpu":
        strategy = tf.distribute.TPUStrategy(resolver)
        return Placement("tpu", f"tpu:{strategy.num_replicas_in_sync}", strategy)
    if kind == "gpu" and not strategies:
        return Placement("gpu", f"gpu:{len(gpus)}")
    if kind == "gpu":
        strategy = tf.distribute.MirroredStrategy() if strategy_name == "mirrored" else None
        name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "")
        label = f"gpu:{len(gpus)}" + (" mirrored" if strategy else "") + \
            (f" ({name})" if name else "")
        return Placement("gpu", label, strategy)
    if gpus and requested == "cpu" and strategies:
        tf.config.set_visible_devices([], "GPU")  # must happen before TF initialises them
    return Placement("cpu", "cpu", feature_batch_size=CPU_FEATURE_BATCH)


def nvidia_gpus(timeout_seconds: float = 5.0) -> list[str]:
    """The GPUs `nvidia-smi -L` lists ('NVIDIA H200', ...), or [] when it is absent or fails:
    asked without TensorFlow, so that a GPU it cannot see (no CUDA libraries) is noticed."""
    try:
        done = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                              timeout=timeout_seconds, check=False)
    except (OSError, subprocess.SubprocessError):  # absent, or failed
        return []
    return [line.split(":", 1)[1].split("(UUID")[0].strip() for line in done.stdout.splitlines()
            if line.startswith("GPU ") and ":" in line]
