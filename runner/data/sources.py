"""Can the configured data and weights be had, decided within seconds, never hanging: prepared
TFDS data is used, else the download host is probed with a bounded wait, else `source: auto`
falls back to the embedded stand-in (a warning) and `source: tfds` is an error."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import socket
import threading
import warnings

from runner.config import DatasetConfig
from runner.errors import CheatgridWarning, DataUnavailable

# TFDS's MNIST and horses_or_humans archives and Keras's VGG16 weights are all
# served from this host; a dataset served elsewhere names its host in the catalog.
DOWNLOAD_HOST = ("storage.googleapis.com", 443)
PROBE_TIMEOUT_SECONDS = 4.0  # DNS + TCP connect; the whole decision stays under 10 s
OFFLINE_ENV = "CHEATGRID_OFFLINE"  # set to 1 to skip the probe and act as offline


def host_answers(host: tuple[str, int] | None = None,
                 timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Whether a TCP connection to `host` opens within `timeout_seconds`, DNS included (in a
    daemon thread, so that a resolver that hangs cannot hold the caller)."""
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        return False
    answered = threading.Event()

    def attempt() -> None:
        with contextlib.suppress(OSError), socket.create_connection(
                host or DOWNLOAD_HOST, timeout=timeout_seconds):
            answered.set()

    thread = threading.Thread(target=attempt, daemon=True, name="cheatgrid-probe")
    thread.start()
    thread.join(timeout_seconds)
    return answered.is_set()


@dataclasses.dataclass(frozen=True)
class SourceDecision:
    """Where a dataset's images come from ('tfds', 'embedded', 'folder' or 'npz'), which data
    (`detail`, e.g. 'embedded mnist') and why, when it is worth saying (`note`)."""

    source: str
    detail: str
    note: str = ""


def resolve_source(dataset: DatasetConfig) -> SourceDecision:
    """Where a dataset comes from (see the module docstring); `DataUnavailable` when
    `source: tfds` and TFDS can neither read nor download it."""
    facts, spec = dataset.facts, dataset.spec
    if dataset.source != "tfds" and facts is not None:  # a folder or an .npz, checked
        return SourceDecision(dataset.source, facts.detail)
    if dataset.source == "embedded":
        return SourceDecision("embedded", f"embedded {spec.stand_in}")
    train, test = dataset.splits
    where = dataset.data_dir or os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets"
    if facts is not None:  # any TFDS dataset: no stand-in has its classes
        name, host = dataset.name, DOWNLOAD_HOST
        detail = f"{facts.detail} {train} / {test or 'held out of ' + train}"
        ways_out = (f"Prepare it (`tfds build {name}` where there is a network) and point "
                    "`data_dir` (or $TFDS_DATA_DIR) at it")
    else:
        name, detail = spec.tfds_name, f"tfds {spec.tfds_name} {train} / {test}"
        host = (spec.download_host, DOWNLOAD_HOST[1]) if spec.download_host else DOWNLOAD_HOST
        ways = ["`source: embedded`"] if "embedded" in spec.sources else []
        ways.append("`source: auto` (the embedded stand-in when offline)" if "auto" in
                    spec.sources else f"`name: {spec.stand_in}` (its embedded stand-in)")
        ways_out = (f"Use {' or '.join(ways)}, or point `data_dir` (or $TFDS_DATA_DIR) at a "
                    "prepared copy")
    import tensorflow_datasets as tfds

    if tfds.builder(name, data_dir=dataset.data_dir).is_prepared():
        return SourceDecision("tfds", detail, f"prepared in {where}")
    if host_answers(host):
        return SourceDecision("tfds", detail, f"downloaded into {where}")
    if dataset.source == "tfds" or facts is not None:
        raise DataUnavailable(
            f"Invalid value for 'source' of dataset '{dataset.name}': TFDS '{name}' is not "
            f"prepared in {where} and {host[0]} does not answer. {ways_out}. Received: "
            "source='tfds'")
    warnings.warn(f"dataset '{dataset.name}': TFDS '{name}' is not prepared in {where} and "
                  f"{host[0]} does not answer; using the embedded stand-in '{spec.stand_in}' "
                  "instead (source: auto).", CheatgridWarning, stacklevel=2)
    return SourceDecision("embedded", f"embedded {spec.stand_in}",
                          f"auto: stand-in for TFDS {name}, which is unavailable")


def keras_cache_file(name: str) -> pathlib.Path:
    """Where Keras keeps a downloaded file (`keras.utils.get_file`'s cache)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "models" / name
