"""The feature cache: hits skip all backbone work, keys separate, corruption is rebuilt; where
it lives."""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import warnings

import numpy as np
import pytest

from runner.config import BackboneConfig, DatasetConfig
from runner.data.sources import resolve_source
from runner.errors import CheatgridWarning
from runner.features import cache as features_module
from runner.features.backbone import build_backbone
from runner.features.cache import cache_dir, dataset_features, feature_key

DATASET = DatasetConfig("mnist_binary", max_train_samples=24, max_test_samples=8)


@pytest.fixture(scope="module")
def backbone():
    return build_backbone(BackboneConfig(weights="random"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(features_module.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _no_backbone_work(*args, **kwargs):
    raise AssertionError("the backbone ran on a cache hit")


def test_second_call_is_a_hit_without_backbone_work(cache, backbone, monkeypatch):
    decision = resolve_source(DATASET)
    first, meta = dataset_features(DATASET, decision, backbone)
    assert meta["feature_cache"] == "miss" and len(list(cache.glob("features-*.npz"))) == 1
    monkeypatch.setattr(features_module, "extract_features", _no_backbone_work)
    monkeypatch.setattr(features_module, "load_dataset", _no_backbone_work)
    second, meta = dataset_features(DATASET, decision, backbone)
    assert meta["feature_cache"] == "hit" and (meta["n_train"], meta["n_test"]) == (24, 8)
    for name in ("train_x", "train_labels", "test_x", "test_labels"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_no_cache_reads_and_writes_nothing(cache, backbone):
    _, meta = dataset_features(DATASET, resolve_source(DATASET), backbone, use_cache=False)
    assert meta["feature_cache"] == "off" and not cache.exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_corrupt_entry_warns_and_is_rebuilt(cache, backbone, damage):
    decision = resolve_source(DATASET)
    good, _ = dataset_features(DATASET, decision, backbone)
    [path] = cache.glob("features-*.npz")
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file")
    else:  # a valid file whose arrays no longer match their checksum
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["test_x"] = arrays["test_x"] + 1.0
        np.savez(path, **arrays)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rebuilt, meta = dataset_features(DATASET, decision, backbone)
    assert any(w.category is CheatgridWarning and "corrupt" in str(w.message) for w in caught)
    assert meta["feature_cache"] == "miss"
    np.testing.assert_array_equal(rebuilt.test_x, good.test_x)
    assert dataset_features(DATASET, decision, backbone)[1]["feature_cache"] == "hit"


def test_key_separates_everything_that_changes_features(backbone):
    decision = resolve_source(DATASET)
    base, _ = feature_key(DATASET, decision, backbone)
    other_seed = build_backbone(BackboneConfig(weights="random", weights_seed=1))
    variants = [
        feature_key(dataclasses.replace(DATASET, max_train_samples=25), decision, backbone),
        feature_key(dataclasses.replace(DATASET, classes=(3, 8)), decision, backbone),
        feature_key(DATASET, decision, other_seed),
        feature_key(DATASET, decision, dataclasses.replace(backbone, input_size=48)),
    ]
    digests = {base} | {digest for digest, _ in variants}
    assert len(digests) == 5
    assert feature_key(DATASET, decision, backbone)[0] == base  # and stable


def test_the_feature_pass_reports_its_progress(cache, backbone):
    seen = []
    small = dataclasses.replace(backbone, batch_size=10)  # 24 + 8 images: 3 + 1 batches
    features, _ = dataset_features(DATASET, resolve_source(DATASET), small,
                                   progress=lambda *report: seen.append(report))
    assert seen == [("features mnist_binary", n, 32) for n in (10, 20, 24, 32)]
    plain, _ = dataset_features(DATASET, resolve_source(DATASET), small, use_cache=False)
    np.testing.assert_array_equal(features.train_x, plain.train_x)  # reporting changes nothing


@pytest.mark.parametrize("env, expected", [
    ({"CHEATGRID_CACHE_DIR": "{tmp}/mine", "XDG_CACHE_HOME": "{tmp}/xdg"}, "{tmp}/mine"),
    ({"XDG_CACHE_HOME": "{tmp}/xdg"}, "{tmp}/xdg/cheatgrid"),
    ({}, "{home}/.cache/cheatgrid"),
])
def test_the_cache_is_the_users_unless_told(env, expected, tmp_path, monkeypatch):
    if sys.platform != "linux":
        pytest.skip("XDG_CACHE_HOME is Linux's")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CHEATGRID_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert cache_dir() == pathlib.Path(expected.format(tmp=tmp_path, home=tmp_path / "home"))
