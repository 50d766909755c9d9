"""Can the configured data and weights be had, decided within seconds, never hanging?

Offline, `tfds.load` retries a download for minutes before it fails. cheatgrid
decides first: a dataset already prepared in the TFDS data dir is used; else
the download host is asked, with a bounded wait; else `source: auto` falls back
to the embedded stand-in (with a warning) and `source: tfds` is an error that
names the ways out. All of this happens before anything is trained or written.
"""

from __future__ import annotations

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
    """Whether a TCP connection to `host` opens within `timeout_seconds`, DNS included.

    The connection attempt runs in a daemon thread so that a resolver that
    hangs cannot hold the caller beyond the timeout.
    """
    if os.environ.get(OFFLINE_ENV, "") not in ("", "0"):
        return False
    host = host or DOWNLOAD_HOST
    answered = threading.Event()

    def attempt() -> None:
        try:
            with socket.create_connection(host, timeout=timeout_seconds):
                answered.set()
        except OSError:
            pass

    thread = threading.Thread(target=attempt, daemon=True, name="cheatgrid-probe")
    thread.start()
    thread.join(timeout_seconds)
    return answered.is_set()


def tfds_prepared(tfds_name: str, data_dir: str | None) -> bool:
    """Whether TFDS has `tfds_name` prepared in `data_dir` (default: TFDS's own)."""
    import tensorflow_datasets as tfds

    return tfds.builder(tfds_name, data_dir=data_dir).is_prepared()


@dataclasses.dataclass(frozen=True)
class SourceDecision:
    """Where a dataset's images will come from, and why.

    Attributes:
        source: 'tfds', 'embedded', 'folder' or 'npz'.
        detail: which data, e.g. 'tfds mnist train[:10%] / test[:10%]' or 'embedded mnist'.
        note: why, when it is worth saying, e.g. 'prepared in ~/tensorflow_datasets'.
    """

    source: str
    detail: str
    note: str = ""


def _data_dir_text(dataset: DatasetConfig) -> str:
    return dataset.data_dir or os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets"


def resolve_source(dataset: DatasetConfig) -> SourceDecision:
    """Decide where a dataset comes from (see the module docstring).

    Raises:
        DataUnavailable: `source: tfds` and TFDS can neither read nor download it.
    """
    if dataset.facts is not None:
        return _resolve_open(dataset)
    spec = dataset.spec
    if dataset.source == "embedded":
        return SourceDecision("embedded", f"embedded {spec.stand_in}")
    train, test = dataset.splits
    where = _data_dir_text(dataset)
    tfds_detail = f"tfds {spec.tfds_name} {train} / {test}"
    if tfds_prepared(spec.tfds_name, dataset.data_dir):
        return SourceDecision("tfds", tfds_detail, f"prepared in {where}")
    address = (spec.download_host, DOWNLOAD_HOST[1]) if spec.download_host else DOWNLOAD_HOST
    if host_answers(address):
        return SourceDecision("tfds", tfds_detail, f"downloaded into {where}")
    host = address[0]
    if dataset.source == "tfds":
        ways_out = ["`source: embedded`"] if "embedded" in spec.sources else []
        ways_out.append("`source: auto` (the embedded stand-in when offline)"
                        if "auto" in spec.sources
                        else f"`name: {spec.stand_in}` (its embedded stand-in)")
        raise DataUnavailable(
            f"Invalid value for 'source' of dataset '{dataset.name}': TFDS '{spec.tfds_name}' "
            f"is not prepared in {where} and {host} does not answer. Use "
            f"{' or '.join(ways_out)}, or point `data_dir` (or $TFDS_DATA_DIR) at a prepared "
            f"copy. Received: source='tfds'")
    warnings.warn(f"dataset '{dataset.name}': TFDS '{spec.tfds_name}' is not prepared in "
                  f"{where} and {host} does not answer; using the embedded stand-in "
                  f"'{spec.stand_in}' instead (source: auto).", CheatgridWarning, stacklevel=2)
    return SourceDecision("embedded", f"embedded {spec.stand_in}",
                          f"auto: stand-in for TFDS {spec.tfds_name}, which is unavailable")


def _resolve_open(dataset: DatasetConfig) -> SourceDecision:
    """A folder or an .npz is there (the config checked it); any TFDS dataset is prepared
    or downloadable, or unavailable: no stand-in has its classes."""
    facts = dataset.facts
    if dataset.source != "tfds":
        return SourceDecision(dataset.source, facts.detail)
    train, test = dataset.splits
    detail = f"{facts.detail} {train} / {test or 'held out of ' + train}"
    where = _data_dir_text(dataset)
    if tfds_prepared(dataset.name, dataset.data_dir):
        return SourceDecision("tfds", detail, f"prepared in {where}")
    if host_answers():
        return SourceDecision("tfds", detail, f"downloaded into {where}")
    raise DataUnavailable(
        f"Invalid value for 'source' of dataset '{dataset.name}': TFDS '{dataset.name}' is "
        f"not prepared in {where} and {DOWNLOAD_HOST[0]} does not answer. Prepare it "
        f"(`tfds build {dataset.name}` where there is a network) and point `data_dir` (or "
        "$TFDS_DATA_DIR) at it. Received: source='tfds'")


def keras_cache_file(name: str) -> pathlib.Path:
    """Where Keras keeps a downloaded file (`keras.utils.get_file`'s cache)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(home) / "models" / name
