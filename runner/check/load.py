"""Reading a user's files as untrusted input: a .keras model in Keras's safe mode, NumPy
arrays without pickle. Every failure is a `UsageError` that says what was expected."""

from __future__ import annotations

import pathlib
import warnings
import zipfile

import numpy as np

from runner.errors import UsageError
from runner.train import backends


def load_model_file(path: str | pathlib.Path):
    """A Keras 3 model from a .keras file, loaded with `safe_mode=True`.

    Only the .keras (zip) format is read: safe mode is what refuses code hidden in
    a file (a Lambda layer's Python bytecode), and it covers that format.

    Raises:
        UsageError: no such file, not a .keras zip, code that safe mode refuses to run,
            or anything else Keras cannot load.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"MODEL: Expected a .keras file. Received: {path} (no such file)")
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        raise UsageError(f"MODEL: Expected a Keras 3 .keras file (a zip; the format that safe "
                         f"mode covers). Received: {path}, which is not one")
    keras = backends.keras()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. optimizer variables it does not restore
        try:
            return keras.saving.load_model(path, safe_mode=True)
        except Exception as e:
            message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            if "safe_mode" in message or "arbitrary code" in message:
                raise UsageError(f"MODEL: Expected a model that loads without running code from "
                                 f"the file. Received: {path}, which needs code execution to "
                                 f"load; refused in safe mode (Keras: {message})") from None
            raise UsageError(f"MODEL: Expected a .keras model Keras can load. Received: {path} "
                             f"({type(e).__name__}: {message})") from None


def load_array(path: str | pathlib.Path, flag: str) -> np.ndarray:
    """A NumPy array from a .npy file, read with `allow_pickle=False`.

    Raises:
        UsageError: no such file, not a .npy array, or an array of Python objects.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"{flag}: Expected a .npy file. Received: {path} (no such file)")
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise UsageError(f"{flag}: Expected a .npy array of numbers. Received: {path} "
                         f"({str(e).splitlines()[0]})") from None
    except Exception as e:
        raise UsageError(f"{flag}: Expected a .npy array. Received: {path} "
                         f"({type(e).__name__}: {e})") from None
    if not isinstance(loaded, np.ndarray):
        loaded.close()
        raise UsageError(f"{flag}: Expected one .npy array. Received: {path}, an .npz archive")
    return loaded
