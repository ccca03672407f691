"""MNIST / Fashion-MNIST loading: IDX reading, official-file identification, seeded splits.

The whole dataset is held as one uint8 tensor on the target device (as in airbench); the trainer
draws batches from a seeded permutation and converts them with `to_model_input`, which equals
torchvision's ToTensor + Normalize with the paper's constants.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torchvision

FILES = {  # key in read_idx_folder's result -> standard file name
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
SUBSETS = ("none", "train", "pooled", "test")
# Which mean/std normalise the model's input. The paper: each dataset's own literature values.
# The others are slips a reader could make, tried against the paper's Fashion-MNIST numbers
# (config/readings.yaml): MNIST's constants everywhere, MNIST's at test time only (a train/test
# transform mismatch), or none at all (the [0, 1] pixels).
NORMALIZATIONS = ("dataset", "mnist", "mnist_at_test", "none")
POOLED_TEST_FRACTION = 1 / 7  # the original 60k:10k = 6:1 train:test ratio


class DataError(Exception):
    """A data problem, with a message naming the file or option, what is wrong, and the fix."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    mean: float
    std: float
    classes: tuple[str, ...]
    torchvision_cls: type
    # file name -> SHA-256 of the DECOMPRESSED bytes of the official release: a recompressed copy
    # (Debian's Fashion-MNIST, the vendored MNIST training images) is official too. The vendored
    # copies in data/ list the same hashes in their SHA256SUMS (tests/test_vendored_data.py ties them).
    official: dict[str, str]


# dataset name (plan/runspec.py's DATASETS, the one list of names) -> its files and constants
DATASET_SPECS = {
    "mnist": DatasetSpec(
        "mnist", 0.1307, 0.3081, tuple(str(d) for d in range(10)), torchvision.datasets.MNIST,
        {"train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
         "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
         "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
         "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"}),
    "fashion": DatasetSpec(
        "fashion", 0.2860, 0.3530,
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"), torchvision.datasets.FashionMNIST,
        {"train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
         "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
         "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
         "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"}),
}


@dataclass(frozen=True)
class Split:
    images: torch.Tensor   # uint8 (N, 28, 28)
    labels: torch.Tensor   # int64 (N,)
    indices: torch.Tensor  # int64 (N,) positions in the source file ("pooled": test file + n_train_file)


@dataclass(frozen=True)
class DataBundle:
    spec: DatasetSpec       # the training, validation and probe images' normalisation
    train: Split
    val: Split
    test: Split
    probes: Split  # first image of each class in training-file order, before any subset/split
    provenance: dict
    test_spec: DatasetSpec  # the test images' (differs from `spec` only under normalization=mnist_at_test)


def _read_one(folder: Path, name: str, magic: int) -> tuple[np.ndarray, dict]:
    gz, raw = folder / name, folder / name[:-3]
    path = gz if gz.is_file() else raw  # torchvision's raw folder holds both
    if not path.is_file():
        raise DataError(f"{gz}: missing (looked for '{gz.name}' and '{raw.name}' in {folder}). Fix: "
                        "pass --data-dir pointing at a folder with the four IDX files (the repository's "
                        "data/mnist or data/fashion-mnist), or --download-root DIR.")
    blob = path.read_bytes()
    info = {"read": path.name}
    if path == gz:
        try:
            blob = gzip.decompress(blob)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: truncated or corrupt gzip ({e}). Fix: replace it with the original "
                            "(git checkout data/ for the repository's copies).") from None
    fix = "Fix: replace it with the original IDX file."
    got = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else None
    if got != magic:
        raise DataError(f"{path}: magic number {got}, expected {magic} "
                        f"({'images' if magic == 2051 else 'labels'}). {fix}")
    ndim = magic - 2048
    dims = [int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    if ndim == 3 and dims[1:] != [28, 28]:
        raise DataError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28. {fix}")
    head = 4 + 4 * ndim
    if len(blob) != head + int(np.prod(dims)):
        raise DataError(f"{path}: payload is {len(blob) - head} bytes but the header {dims} needs "
                        f"{int(np.prod(dims))} (truncated or padded file). {fix}")
    info.update(sha256=hashlib.sha256(blob).hexdigest(), count=dims[0])
    return np.frombuffer(blob, np.uint8, offset=head).reshape(dims), info


def read_idx_folder(folder: str | Path) -> dict:
    """Read and check the four IDX files in `folder` (each as `<name>.gz`, else uncompressed `<name>`).

    Returns {"train_images", "train_labels", "test_images", "test_labels"}: uint8 torch tensors
    ((N,28,28) / (N,)), and "files": {standard .gz name: {"read", "sha256" (decompressed), "count"}}.
    Any problem raises DataError naming the file.
    """
    folder = Path(folder)
    out, files = {}, {}
    for key, name in FILES.items():
        arr, files[name] = _read_one(folder, name, 2051 if key.endswith("images") else 2049)
        out[key] = torch.from_numpy(arr.copy())
    for split in ("train", "test"):
        im, lb = FILES[f"{split}_images"], FILES[f"{split}_labels"]
        if files[im]["count"] != files[lb]["count"]:
            raise DataError(f"{folder / lb}: {files[lb]['count']} labels but {folder / im} has "
                            f"{files[im]['count']} images. Fix: use files from the same release.")
        bad = out[f"{split}_labels"] > 9
        if bad.any():
            raise DataError(f"{folder / lb}: label {int(out[f'{split}_labels'][bad][0])} outside 0..9 "
                            "(not an MNIST-family label file). Fix: replace it with the original.")
    out["files"] = files
    return out


def identify(spec: DatasetSpec, files: dict) -> bool:
    """Per-file `official` flags (added in place) and True only if all four files are official."""
    for name, info in files.items():
        info["official"] = info["sha256"] == spec.official.get(name)
    return all(files.get(n, {}).get("official", False) for n in FILES.values())


def download(name: str, root: str | Path) -> Path:
    """Fetch both splits with torchvision and return the raw folder with the four files, each checked
    against the official SHA-256: a mirror serving other bytes is an error, never silent data."""
    spec = _spec(name)
    try:
        for train in (True, False):
            spec.torchvision_cls(str(root), train=train, download=True)
    except Exception as e:  # torchvision raises several types (URLError, RuntimeError, OSError)
        raise DataError(f"{spec.name}: download into {root} failed ({type(e).__name__}: {e}). Fix: "
                        "check the network, or use the repository's data/ folders (download: false, "
                        "config/config.yaml).") from e
    folder = Path(root) / spec.torchvision_cls.__name__ / "raw"
    files = read_idx_folder(folder)["files"]
    identify(spec, files)
    for fname, info in files.items():
        if not info["official"]:
            raise DataError(
                f"{folder / info['read']}: downloaded, but not the official {fname} (SHA-256 of the "
                f"decompressed bytes {info['sha256']}, official {spec.official[fname]}). Fix: delete "
                f"{folder} and download again; to run on these files anyway, set download: false and "
                f"point data.{spec.name}.train_dir/test_dir at {folder} (reported as official: false).")
    return folder


def stratified_split(labels: torch.Tensor, fraction: float,
                     generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Per class (ascending), pick round(fraction * n_class) positions (Python round: half to even; at
    least 1 if the class is present and fraction > 0) by a seeded randperm.
    Returns (selected, rest), both sorted ascending."""
    labels = labels.cpu()
    picked, rest = [], []
    for c in torch.unique(labels).tolist():
        idx = torch.nonzero(labels == c).flatten()
        k = min(len(idx), max(round(fraction * len(idx)), 1 if fraction > 0 else 0))
        perm = idx[torch.randperm(len(idx), generator=generator)]
        picked.append(perm[:k])
        rest.append(perm[k:])
    return _sorted_cat(picked), _sorted_cat(rest)


def _sorted_cat(parts: list[torch.Tensor]) -> torch.Tensor:
    return torch.sort(torch.cat(parts + [torch.empty(0, dtype=torch.long)])).values


def to_model_input(images_u8: torch.Tensor, spec: DatasetSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_norm, x01), both float32 (B,1,28,28): x01 = images/255 (the [0,1] input the contrastive loss
    compares the CAM with); x_norm = (x01 - mean)/std, as torchvision ToTensor + Normalize."""
    x01 = images_u8.unsqueeze(1).float().div(255)
    mean = torch.tensor(spec.mean, dtype=torch.float32, device=x01.device)
    std = torch.tensor(spec.std, dtype=torch.float32, device=x01.device)
    return x01.sub(mean).div(std), x01


def _spec(name: str) -> DatasetSpec:
    if name not in DATASET_SPECS:
        raise DataError(f"dataset: unknown value {name!r}; choose one of {sorted(DATASET_SPECS)}.")
    return DATASET_SPECS[name]


def normalised(spec: DatasetSpec, normalization: str) -> tuple[DatasetSpec, DatasetSpec]:
    """(training spec, test spec) under a NORMALIZATIONS reading: only mean/std change."""
    if normalization not in NORMALIZATIONS:
        raise DataError(f"normalization: unknown value {normalization!r}; choose one of {list(NORMALIZATIONS)}.")
    mnist = replace(spec, mean=DATASET_SPECS["mnist"].mean, std=DATASET_SPECS["mnist"].std)
    return {"dataset": (spec, spec), "mnist": (mnist, mnist), "mnist_at_test": (spec, mnist),
            "none": (replace(spec, mean=0.0, std=1.0),) * 2}[normalization]


def load_dataset(name: str, *, data_dir=None, download_root=None, val_fraction: float = 0.1,
                 subset: str = "none", subset_fraction: float = 0.15, seed: int = 0,
                 device: str | torch.device = "cpu", normalization: str = "dataset") -> DataBundle:
    """Load `name` from `data_dir` (the four IDX files) or via torchvision into `download_root`.

    `subset` - readings of the paper's Fashion-MNIST "subset of 15 %" (fraction = `subset_fraction`):
      "none":   the files as they are;
      "train":  a stratified `subset_fraction` of the training file; the test file untouched;
      "pooled": pool training + test files, take a stratified `subset_fraction` of the pool, split it
                stratified into train/test 6:1 (test = 1/7 per class, the 60k:10k ratio); indices of
                pooled test-file images are offset by the training-file size (`pooled_test_offset`);
      "test":   the whole training file; evaluation on a stratified `subset_fraction` of the test file.
    Then `val_fraction` of the training part goes, stratified, to validation (0 -> empty val).
    Randomness: torch.Generator().manual_seed(seed) on CPU, drawn subset first, then train/val.
    `normalization`: see NORMALIZATIONS.
    """
    spec = _spec(name)
    train_spec, test_spec = normalised(spec, normalization)
    if (data_dir is None) == (download_root is None):
        raise DataError("data_dir/download_root: give exactly one (--data-dir DIR or --download-root DIR).")
    if subset not in SUBSETS:
        raise DataError(f"subset: unknown value {subset!r}; choose one of {list(SUBSETS)}.")
    if not 0 < subset_fraction <= 1:
        raise DataError(f"subset_fraction: {subset_fraction} is outside (0, 1].")
    if not 0 <= val_fraction < 1:
        raise DataError(f"val_fraction: {val_fraction} is outside [0, 1).")
    folder = Path(data_dir) if data_dir is not None else download(name, download_root)
    raw = read_idx_folder(folder)
    official = identify(spec, raw["files"])

    tr_x, tr_y = raw["train_images"], raw["train_labels"].long()
    te_x, te_y = raw["test_images"], raw["test_labels"].long()
    tr_i, te_i = torch.arange(len(tr_y)), torch.arange(len(te_y))
    missing = set(range(10)) - set(tr_y.unique().tolist())
    if missing:
        raise DataError(f"{folder / FILES['train_labels']}: no training image of class(es) "
                        f"{sorted(missing)}, so there are no probes. Fix: use a complete training file.")
    probe_i = torch.stack([torch.nonzero(tr_y == c)[0, 0] for c in range(10)])

    g = torch.Generator().manual_seed(seed)
    if subset == "train":
        keep, _ = stratified_split(tr_y, subset_fraction, g)
        tr_x, tr_y, tr_i = tr_x[keep], tr_y[keep], tr_i[keep]
    elif subset == "test":
        keep, _ = stratified_split(te_y, subset_fraction, g)
        te_x, te_y, te_i = te_x[keep], te_y[keep], te_i[keep]
    elif subset == "pooled":
        px, py = torch.cat([tr_x, te_x]), torch.cat([tr_y, te_y])
        pi = torch.cat([tr_i, te_i + len(tr_i)])
        keep, _ = stratified_split(py, subset_fraction, g)
        test_pos, train_pos = stratified_split(py[keep], POOLED_TEST_FRACTION, g)
        tr_x, tr_y, tr_i = px[keep[train_pos]], py[keep[train_pos]], pi[keep[train_pos]]
        te_x, te_y, te_i = px[keep[test_pos]], py[keep[test_pos]], pi[keep[test_pos]]
    val_pos, train_pos = stratified_split(tr_y, val_fraction, g)

    def split(x, y, i) -> Split:
        return Split(x.to(device), y.to(device), i.to(device))

    bundle = DataBundle(
        train_spec,
        train=split(tr_x[train_pos], tr_y[train_pos], tr_i[train_pos]),
        val=split(tr_x[val_pos], tr_y[val_pos], tr_i[val_pos]),
        test=split(te_x, te_y, te_i),
        probes=split(raw["train_images"][probe_i], raw["train_labels"][probe_i].long(), probe_i),
        provenance={
            "dataset": spec.name, "source": "data_dir" if data_dir is not None else "download",
            "folder": str(data_dir if data_dir is not None else download_root),
            "official": official, "files": raw["files"],
            "subset": subset, "subset_fraction": None if subset == "none" else subset_fraction,
            "val_fraction": val_fraction, "seed": seed,
            "n_train": len(train_pos), "n_val": len(val_pos), "n_test": len(te_y),
        },
        test_spec=test_spec,
    )
    if subset == "pooled":
        bundle.provenance["pooled_test_offset"] = len(raw["train_labels"])
    return bundle


def load_for_run(cfg, provenance: dict, device, data_dir=None, download_root=None) -> DataBundle:
    """The data of a finished run: its dataset, subset and split (`cfg`, a TrainConfig) from the
    folder its provenance records, unless `data_dir` / `download_root` point elsewhere."""
    if data_dir is None and download_root is None:
        folder = provenance["folder"]
        data_dir, download_root = (folder, None) if provenance["source"] == "data_dir" else (None, folder)
    return load_for_config(cfg, device, data_dir, download_root)


def load_for_config(cfg, device, data_dir=None, download_root=None) -> DataBundle:
    """The data a run with options `cfg` (a TrainConfig) trains on: its dataset, subset, split
    and normalisation, from `data_dir` or `download_root`."""
    return load_dataset(cfg.dataset, data_dir=data_dir, download_root=download_root,
                        val_fraction=cfg.val_fraction, subset=cfg.subset,
                        subset_fraction=cfg.subset_fraction, seed=cfg.seed, device=device,
                        normalization=cfg.normalization)

