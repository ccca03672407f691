"""The official MNIST and Fashion-MNIST in data/: intact, recognised by content, read by the default
config. Hashing and decompressing the 110 MB of IDX bytes takes about a second."""
from __future__ import annotations

import gzip
import hashlib
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from wrongnumber.core import data as D
from wrongnumber.core.data import DataError, load_dataset

from conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
# The default config is where each dataset's folder is written down; the tests read it from there.
CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["data"]
FOLDERS = {name: ROOT / CONFIG[name]["train_dir"] for name in D.DATASET_SPECS}


def checksums(folder: Path) -> dict[str, str]:
    """SHA256SUMS (sha256sum format, decompressed file names) -> {standard .gz name: sha256}."""
    out = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        sha, name = line.split("  ")
        out[f"{name}.gz"] = sha
    return out


def test_default_config_reads_the_vendored_folders():
    for name, d in CONFIG.items():
        assert d["download"] is False and d["train_dir"] == d["test_dir"], name
        assert FOLDERS[name].is_relative_to(ROOT / "data") and FOLDERS[name].is_dir(), name


@pytest.mark.parametrize("name", sorted(D.DATASET_SPECS))
def test_checksum_file_is_what_data_py_knows(name):
    assert checksums(FOLDERS[name]) == D.DATASET_SPECS[name].official


@pytest.mark.parametrize("name", sorted(D.DATASET_SPECS))
def test_every_vendored_file_matches_its_checksum(name):
    sums = checksums(FOLDERS[name])
    assert sorted(p.name for p in FOLDERS[name].glob("*.gz")) == sorted(sums) == sorted(D.FILES.values())
    for fname, sha in sums.items():
        raw = gzip.decompress((FOLDERS[name] / fname).read_bytes())
        assert hashlib.sha256(raw).hexdigest() == sha, f"{FOLDERS[name] / fname} differs from SHA256SUMS"


def test_official_mnist_loads_as_the_paper_used_it():
    b = load_dataset("mnist", data_dir=FOLDERS["mnist"])
    assert b.provenance["official"] is True and all(f["official"] for f in b.provenance["files"].values())
    train = b.provenance["files"]["train-images-idx3-ubyte.gz"]
    assert train["sha256"] == "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    assert train["count"] == 60000
    # 10 % per class, rounded half to even: 5,999 validation images
    assert (len(b.train.labels), len(b.val.labels), len(b.test.labels)) == (54001, 5999, 10000)
    assert b.probes.indices[5] == 0  # the paper's Figure 1 probe: image 0 is the digit five


def test_official_fashion_loads_with_the_paper_subset():
    b = load_dataset("fashion", data_dir=FOLDERS["fashion"], subset="train", subset_fraction=0.15)
    assert b.provenance["official"] is True
    assert (len(b.train.labels), len(b.val.labels), len(b.test.labels)) == (8100, 900, 10000)
    assert b.probes.indices.tolist() == [1, 16, 5, 3, 19, 8, 18, 6, 23, 0]


def test_recompressed_or_raw_copy_is_official_and_one_byte_is_not(tmp_path):
    src = FOLDERS["mnist"]  # its train images are themselves a recompressed copy (data/mnist/README.md)
    (tmp_path / "train-images-idx3-ubyte.gz").symlink_to(src / "train-images-idx3-ubyte.gz")
    labels = gzip.decompress((src / "train-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels, compresslevel=1, mtime=1))
    for f in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # uncompressed
        (tmp_path / f).write_bytes(gzip.decompress((src / f"{f}.gz").read_bytes()))
    spec, files = D.DATASET_SPECS["mnist"], D.read_idx_folder(tmp_path)["files"]
    assert D.identify(spec, files) is True
    raw = (tmp_path / "t10k-labels-idx1-ubyte").read_bytes()
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw[:-1] + bytes([(raw[-1] + 1) % 10]))
    files = D.read_idx_folder(tmp_path)["files"]
    assert D.identify(spec, files) is False
    assert [f for f, i in files.items() if not i["official"]] == ["t10k-labels-idx1-ubyte.gz"]


def test_official_test_set_with_other_training_files(tmp_path):
    for f in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / f).symlink_to(FOLDERS["mnist"] / f)
    for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / f).symlink_to(FIXTURES / "mnist-mini" / f)
    files = load_dataset("mnist", data_dir=tmp_path).provenance["files"]
    assert {f: i["official"] for f, i in files.items()} == {
        "train-images-idx3-ubyte.gz": False, "train-labels-idx1-ubyte.gz": False,
        "t10k-images-idx3-ubyte.gz": True, "t10k-labels-idx1-ubyte.gz": True}


def fake_torchvision(source: Path):
    """A torchvision dataset class that 'downloads' by copying `source`: no network in tests."""
    class Dataset:
        def __init__(self, root, train, download):
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for f in source.glob("*.gz"):
                shutil.copy(f, raw)
    Dataset.__name__ = "MNIST"
    return Dataset


def test_download_must_be_official(tmp_path, monkeypatch):
    spec = D.DATASET_SPECS["mnist"]
    monkeypatch.setitem(D.DATASET_SPECS, "mnist", replace(spec, torchvision_cls=fake_torchvision(FOLDERS["mnist"])))
    assert D.download("mnist", tmp_path / "ok") == tmp_path / "ok" / "MNIST" / "raw"
    monkeypatch.setitem(D.DATASET_SPECS, "mnist", replace(spec, torchvision_cls=fake_torchvision(FIXTURES / "mnist-mini")))
    with pytest.raises(DataError) as e:
        D.download("mnist", tmp_path / "bad")
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz: downloaded, but not the official" in msg
    assert spec.official["train-images-idx3-ubyte.gz"] in msg and "data.mnist.train_dir" in msg


def test_sources_name_the_data_relative_to_the_repository(tmp_path, monkeypatch):
    from wrongnumber.analysis import provenance
    monkeypatch.chdir(ROOT)  # the workflow runs in the repository
    s = provenance.assemble_data("mnist", tmp_path / "out", train_dir="data/mnist", test_dir=FOLDERS["mnist"])
    assert s["train_dir"] == s["test_dir"] == "data/mnist"
    assert {f["origin"] for f in s["files"].values()} == {f"data/mnist/{f}" for f in D.FILES.values()}
    s = provenance.assemble_data("mnist", tmp_path / "out2", train_dir=FIXTURES / "mnist-mini",
                                 test_dir=tmp_path / "out")  # outside the repository: absolute
    assert s["train_dir"] == "tests/fixtures/mnist-mini" and s["test_dir"] == str(tmp_path / "out")
