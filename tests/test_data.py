"""Known-answer tests for wrongnumber.core.data on the committed real-image fixtures (CPU, no network)."""
from __future__ import annotations

import gzip
import json
import shutil
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from wrongnumber.core import data as D
from wrongnumber.core.data import DataError, load_dataset, read_idx_folder, stratified_split

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VENDORED = Path(__file__).resolve().parents[1] / "data"  # the official files (tests/test_vendored_data.py)

FIRST_LABELS = {  # first 10 labels of the fixture train / t10k files (= the source test files)
    "mnist": ([7, 2, 1, 0, 4, 1, 4, 9, 5, 9], [3, 9, 9, 8, 4, 1, 0, 6, 0, 9]),
    "fashion": ([9, 2, 1, 1, 6, 1, 4, 6, 5, 7], [2, 3, 6, 4, 6, 3, 6, 9, 4, 9]),
}
FIXTURE_SHA = {  # decompressed sha256, as in tests/fixtures/README.md
    "mnist": "0c49fc86fc03b9680aca95e5e5bf185556548e4411a62c634934c8c8d15d3ac8",
    "fashion": "0bd794855bd7da3c50727eef4b949d44221dda47c13ac7e6bae9e8d6c2c46a71",
}


def fixture(name: str) -> Path:
    return FIXTURES / f"{name}-mini"


def idx_array(path: Path) -> np.ndarray:
    blob = gzip.decompress(path.read_bytes())
    dims = struct.unpack(f">{blob[3]}I", blob[4:4 + 4 * blob[3]])
    return np.frombuffer(blob, np.uint8, offset=4 + 4 * blob[3]).reshape(dims)


def gz_write(path: Path, raw: bytes) -> None:
    path.write_bytes(gzip.compress(raw, mtime=0))


# --- reading and identification -------------------------------------------------------------

@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_read_fixture_counts_labels_hashes(name):
    r = read_idx_folder(fixture(name))
    assert r["train_images"].shape == (600, 28, 28) and r["train_images"].dtype == torch.uint8
    assert r["test_images"].shape == (200, 28, 28)
    assert r["train_labels"][:10].tolist() == FIRST_LABELS[name][0]
    assert r["test_labels"][:10].tolist() == FIRST_LABELS[name][1]
    assert torch.bincount(r["train_labels"].long()).tolist() == [60] * 10
    assert torch.bincount(r["test_labels"].long()).tolist() == [20] * 10
    assert r["files"]["train-images-idx3-ubyte.gz"]["sha256"] == FIXTURE_SHA[name]
    assert r["files"]["t10k-labels-idx1-ubyte.gz"]["count"] == 200


@pytest.mark.parametrize("name", ["mnist", "fashion"])
def test_fixture_is_not_official(name):
    b = load_dataset(name, data_dir=fixture(name))
    assert b.provenance["official"] is False
    assert not any(f["official"] for f in b.provenance["files"].values())
    json.dumps(b.provenance)  # must be JSON-serialisable


@pytest.mark.parametrize("name,src", [("mnist", VENDORED / "mnist"), ("fashion", VENDORED / "fashion-mnist")])
def test_fixture_matches_source_rule(name, src):
    images, labels = idx_array(src / "t10k-images-idx3-ubyte.gz"), idx_array(src / "t10k-labels-idx1-ubyte.gz")
    r = read_idx_folder(fixture(name))
    for key, (lo, hi, k) in (("train", (0, 5000, 60)), ("test", (5000, 10000, 20))):
        seen, picked = [0] * 10, []
        for i in range(lo, hi):
            if seen[labels[i]] < k:
                seen[labels[i]] += 1
                picked.append(i)
        assert np.array_equal(r[f"{key}_images"].numpy(), images[picked])
        assert np.array_equal(r[f"{key}_labels"].numpy(), labels[picked])


def test_uncompressed_raw_layout(tmp_path):
    for f in fixture("mnist").glob("*.gz"):
        (tmp_path / f.name[:-3]).write_bytes(gzip.decompress(f.read_bytes()))
    r, ref = read_idx_folder(tmp_path), read_idx_folder(fixture("mnist"))
    assert torch.equal(r["train_images"], ref["train_images"])
    assert r["files"]["train-images-idx3-ubyte.gz"]["read"] == "train-images-idx3-ubyte"
    assert r["files"]["train-images-idx3-ubyte.gz"]["sha256"] == FIXTURE_SHA["mnist"]
    shutil.copy(fixture("mnist") / "t10k-images-idx3-ubyte.gz", tmp_path)  # torchvision keeps both
    b = load_dataset("mnist", data_dir=tmp_path)
    assert b.provenance["files"]["t10k-images-idx3-ubyte.gz"]["read"] == "t10k-images-idx3-ubyte.gz"
    assert len(b.test.labels) == 200


# --- splits and subsets ---------------------------------------------------------------------

def test_stratified_split_proportions_and_seeds():
    labels = read_idx_folder(fixture("fashion"))["train_labels"].long()
    sel, rest = stratified_split(labels, 0.25, torch.Generator().manual_seed(0))
    assert torch.bincount(labels[sel]).tolist() == [15] * 10
    assert torch.equal(torch.sort(torch.cat([sel, rest])).values, torch.arange(600))
    assert torch.equal(sel, torch.sort(sel).values) and torch.equal(rest, torch.sort(rest).values)
    again, _ = stratified_split(labels, 0.25, torch.Generator().manual_seed(0))
    other, _ = stratified_split(labels, 0.25, torch.Generator().manual_seed(1))
    assert torch.equal(sel, again) and not torch.equal(sel, other)
    tiny = torch.tensor([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    sel, _ = stratified_split(tiny, 0.1, torch.Generator().manual_seed(0))
    assert torch.bincount(tiny[sel]).tolist() == [1, 1]  # at least one per present class
    sel, rest = stratified_split(tiny, 0.0, torch.Generator().manual_seed(0))
    assert len(sel) == 0 and len(rest) == 12


@pytest.mark.parametrize("subset,sizes", [
    ("none", (540, 60, 200)),    # val 10 % of 60/class = 6
    ("train", (80, 10, 200)),    # 15 % of 60/class = 9 -> val 1, train 8
    ("pooled", (90, 10, 20)),    # 15 % of 80/class = 12 -> test round(12/7) = 2, val 1, train 9
    ("test", (540, 60, 30)),     # 15 % of 20/class = 3
])
def test_subset_readings_sizes(subset, sizes):
    b = load_dataset("fashion", data_dir=fixture("fashion"), subset=subset, seed=3)
    got = (len(b.train.labels), len(b.val.labels), len(b.test.labels))
    assert got == sizes == (b.provenance["n_train"], b.provenance["n_val"], b.provenance["n_test"])
    for s, n in zip((b.train, b.val, b.test), sizes):
        assert torch.bincount(s.labels, minlength=10).tolist() == [n // 10] * 10
        assert s.images.dtype == torch.uint8 and s.labels.dtype == torch.int64 and s.indices.dtype == torch.int64
    assert b.provenance["subset"] == subset
    assert b.provenance["subset_fraction"] == (None if subset == "none" else 0.15)
    r = read_idx_folder(fixture("fashion"))
    pool_x, pool_y = torch.cat([r["train_images"], r["test_images"]]), torch.cat([r["train_labels"], r["test_labels"]])
    for s, src in ((b.train, "train"), (b.val, "train"), (b.test, "test")):  # indices point at the source
        x, y = (pool_x, pool_y) if subset == "pooled" else (r[f"{src}_images"], r[f"{src}_labels"])
        assert torch.equal(s.images, x[s.indices]) and torch.equal(s.labels, y[s.indices].long())
    train_idx = set(b.train.indices.tolist())
    assert not train_idx & set(b.val.indices.tolist())
    if subset == "pooled":
        assert b.provenance["pooled_test_offset"] == 600
        assert not train_idx & set(b.test.indices.tolist())


def test_split_determinism():
    a = load_dataset("mnist", data_dir=fixture("mnist"), seed=0)
    b = load_dataset("mnist", data_dir=fixture("mnist"), seed=0)
    c = load_dataset("mnist", data_dir=fixture("mnist"), seed=1)
    assert torch.equal(a.val.indices, b.val.indices) and torch.equal(a.train.images, b.train.images)
    assert not torch.equal(a.val.indices, c.val.indices)
    assert torch.equal(torch.sort(torch.cat([a.train.indices, a.val.indices])).values, torch.arange(600))
    empty = load_dataset("mnist", data_dir=fixture("mnist"), val_fraction=0)
    assert len(empty.val.labels) == 0 and len(empty.train.labels) == 600


def test_probes_first_image_of_each_class():
    b = load_dataset("mnist", data_dir=fixture("mnist"), subset="train")
    assert b.probes.indices.tolist() == [3, 2, 1, 18, 4, 8, 11, 0, 61, 7]  # first 0..9 in the MNIST test file
    assert b.probes.labels.tolist() == list(range(10))
    r = read_idx_folder(fixture("mnist"))
    assert torch.equal(b.probes.images, r["train_images"][b.probes.indices])


def test_normalisation_matches_torchvision():
    from PIL import Image
    from torchvision import transforms as T
    for name in ("mnist", "fashion"):
        spec = D.DATASET_SPECS[name]
        images = read_idx_folder(fixture(name))["train_images"][:6]
        x_norm, x01 = D.to_model_input(images, spec)
        tf = T.Compose([T.ToTensor(), T.Normalize((spec.mean,), (spec.std,))])
        ref = torch.stack([tf(Image.fromarray(im.numpy())) for im in images])
        assert x_norm.shape == x01.shape == (6, 1, 28, 28) and x01.dtype == torch.float32
        assert torch.equal(x_norm, ref)
        assert torch.equal(x01, torch.stack([T.ToTensor()(Image.fromarray(im.numpy())) for im in images]))
    assert (D.DATASET_SPECS["mnist"].mean, D.DATASET_SPECS["mnist"].std) == (0.1307, 0.3081)
    assert (D.DATASET_SPECS["fashion"].mean, D.DATASET_SPECS["fashion"].std) == (0.2860, 0.3530)


# --- errors ---------------------------------------------------------------------------------

def _break(folder: Path, how: str) -> str:
    """Damage one file of a fixture copy; return the file name the error must mention."""
    imgs, lbls = folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    img_raw, lbl_raw = gzip.decompress(imgs.read_bytes()), gzip.decompress(lbls.read_bytes())
    if how == "missing":
        (folder / "t10k-labels-idx1-ubyte.gz").unlink()
        return "t10k-labels-idx1-ubyte"
    if how == "truncated":
        imgs.write_bytes(imgs.read_bytes()[:5000])
    elif how == "magic":
        gz_write(lbls, struct.pack(">I", 2051) + lbl_raw[4:])
        return lbls.name
    elif how == "dims":
        gz_write(imgs, img_raw[:8] + struct.pack(">II", 14, 56) + img_raw[16:])
    elif how == "payload":
        gz_write(imgs, img_raw[:-100])
    elif how == "count":
        gz_write(lbls, struct.pack(">II", 2049, 599) + lbl_raw[8:-1])
        return lbls.name
    elif how == "label_range":
        gz_write(lbls, lbl_raw[:8] + bytes([10]) + lbl_raw[9:])
        return lbls.name
    return imgs.name


@pytest.mark.parametrize("how,words", [
    ("missing", "--download"), ("truncated", "gzip"), ("magic", "magic number 2051"),
    ("dims", "28x28"), ("payload", "payload"), ("count", "599 labels"), ("label_range", "outside 0..9"),
])
def test_bad_files_raise_named_errors(tmp_path, how, words):
    folder = tmp_path / "d"
    shutil.copytree(fixture("mnist"), folder)
    fname = _break(folder, how)
    with pytest.raises(DataError) as e:
        load_dataset("mnist", data_dir=folder)
    assert fname in str(e.value) and words in str(e.value)


@pytest.mark.parametrize("kwargs,option", [
    (dict(name="cifar"), "dataset"), (dict(subset="half"), "subset"),
    (dict(subset_fraction=0.0), "subset_fraction"), (dict(subset_fraction=1.5), "subset_fraction"),
    (dict(val_fraction=1.0), "val_fraction"), (dict(val_fraction=-0.1), "val_fraction"),
    (dict(download_root="x"), "download_root"), (dict(data_dir=None), "data_dir"),
])
def test_bad_options(kwargs, option):
    args = dict(name="mnist", data_dir=fixture("mnist")) | kwargs
    with pytest.raises(DataError, match=option):
        load_dataset(args.pop("name"), **args)


def test_download_uses_torchvision_and_wraps_failures(tmp_path, monkeypatch):
    calls = []

    class MNIST:  # stands in for torchvision.datasets.MNIST: no network in tests
        def __init__(self, root, train, download):
            calls.append((train, download))
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for f in (VENDORED / "mnist").glob("*.gz"):  # a download must be the official files
                shutil.copy(f, raw)

    monkeypatch.setitem(D.DATASET_SPECS, "mnist", replace(D.DATASET_SPECS["mnist"], torchvision_cls=MNIST))
    b = load_dataset("mnist", download_root=tmp_path)
    assert calls == [(True, True), (False, True)]
    assert b.provenance["source"] == "download" and b.provenance["folder"] == str(tmp_path)
    assert len(b.test.labels) == 10000 and b.provenance["official"] is True

    class Offline:
        def __init__(self, *a, **k):
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setitem(D.DATASET_SPECS, "mnist", replace(D.DATASET_SPECS["mnist"], torchvision_cls=Offline))
    with pytest.raises(DataError, match="failed .*check the network"):
        D.download("mnist", tmp_path / "none")


def test_normalization_readings_change_only_mean_and_std():
    """The paper's constants per dataset; the slips swap in MNIST's (everywhere or at test time
    only) or none; the images, splits and provenance stay the same."""
    from wrongnumber.core.data import DATASET_SPECS, normalised
    fashion, mnist = DATASET_SPECS["fashion"], DATASET_SPECS["mnist"]
    assert normalised(fashion, "dataset") == (fashion, fashion)
    train, test = normalised(fashion, "mnist_at_test")
    assert (train.mean, train.std, test.mean, test.std) == (0.2860, 0.3530, 0.1307, 0.3081)
    assert normalised(fashion, "mnist")[0].mean == normalised(fashion, "mnist")[1].mean == 0.1307
    assert normalised(fashion, "none")[1].mean == 0.0 and normalised(fashion, "none")[1].std == 1.0
    assert normalised(mnist, "mnist_at_test") == (mnist, mnist)  # a no-op on MNIST itself
    base = load_dataset("fashion", data_dir=FIXTURES / "fashion-mini", seed=0)
    slip = load_dataset("fashion", data_dir=FIXTURES / "fashion-mini", seed=0, normalization="mnist_at_test")
    assert slip.spec == base.spec and slip.test_spec.mean == 0.1307
    assert torch.equal(slip.test.images, base.test.images) and slip.provenance == base.provenance
