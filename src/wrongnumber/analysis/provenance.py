"""Where inputs come from and what run folders say about themselves.

- `assemble_data`: build one dataset folder (the four standard IDX .gz files) from a training
  folder plus a test folder (the repository's data/mnist, data/fashion-mnist) or from a checked
  download, and record the origin and SHA-256 of every file in SOURCES.json.
- `load_runs`: read finished run and evaluation folders (docs/outputs.md) into `Run` records.
- `environment`, `sha256_file`: what the report prints about the software and the outputs.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..core import atomic
from ..plan import layout
from ..core.data import FILES

TRAIN_FILES = (FILES["train_images"], FILES["train_labels"])
TEST_FILES = (FILES["test_images"], FILES["test_labels"])


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def shown_path(path: str | Path) -> str:
    """`path` relative to the working folder (the repository, for the workflow) when it lies inside,
    so that provenance reads the same on every machine; else absolute."""
    path = Path(os.path.abspath(path))
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _copy_idx(src_dir: Path, name: str, dest: Path) -> dict:
    """Copy `name` (.gz kept byte for byte), or gzip its uncompressed twin (mtime 0: same bytes
    every time). Written via a temp file + rename."""
    gz, raw = src_dir / name, src_dir / name[:-3]
    if not gz.is_file() and not raw.is_file():
        raise FileNotFoundError(f"{src_dir}: neither {name} nor {name[:-3]} is there; the folder must "
                                "hold the standard IDX files (see config/README.md)")
    origin = gz if gz.is_file() else raw
    with atomic.atomic_path(dest) as tmp:
        if origin == gz:
            shutil.copyfile(gz, tmp)
        else:
            with open(raw, "rb") as f, gzip.GzipFile(tmp, "wb", mtime=0) as g:
                shutil.copyfileobj(f, g)
    return {"origin": shown_path(origin), "sha256_gz": sha256_file(dest)}


def assemble_data(dataset: str, out_dir: str | Path, *, train_dir: str | Path | None = None,
                  test_dir: str | Path | None = None, download_root: str | Path | None = None) -> dict:
    """Fill `out_dir` with the four IDX .gz files and SOURCES.json (written last); return it.

    Either both `train_dir` and `test_dir` (the same folder for a complete dataset) or
    `download_root` (torchvision download into that folder; every file must be official).
    """
    if (download_root is None) == (train_dir is None or test_dir is None):
        raise ValueError("assemble-data: give --download-root, or both --train-dir and --test-dir")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "SOURCES.json").unlink(missing_ok=True)
    if download_root is not None:
        from ..core.data import download
        train_dir = test_dir = download(dataset, download_root)
        how = f"torchvision download into {shown_path(download_root)}, official SHA-256 checked"
    else:
        how = "train and test files from local folders"
    files = {name: _copy_idx(Path(train_dir), name, out / name) for name in TRAIN_FILES}
    files |= {name: _copy_idx(Path(test_dir), name, out / name) for name in TEST_FILES}
    sources = {"dataset": dataset, "how": how, "train_dir": shown_path(train_dir),
               "test_dir": shown_path(test_dir), "files": files}
    atomic.write_json(out / "SOURCES.json", sources)
    return sources


@dataclass(frozen=True)
class Run:
    """One finished (dataset, variant, seed): training run folder + its evaluation folder."""
    run_dir: Path
    eval_dir: Path
    metrics: dict
    timings: dict
    eval: dict

    @property
    def dataset(self) -> str:
        return self.metrics["config"]["dataset"]

    @property
    def variant(self) -> str:
        return self.metrics["config"]["variant"]

    @property
    def seed(self) -> int:
        return self.metrics["seed"]

    @property
    def name(self) -> str:
        """The run name (the variant plus its option overrides, wrongnumber.plan.runspec)."""
        return layout.run_name_of(self.run_dir)

    @property
    def backbone(self) -> str:
        return self.metrics["config"]["backbone"]

    @property
    def probes(self) -> Path:
        return self.run_dir / layout.PROBES

    @property
    def failures(self) -> Path:
        return self.eval_dir / layout.FAILURES


def load_runs(run_dirs: list[str], eval_dirs: list[str], unique: bool = True) -> list[Run]:
    """Pair run folders with their evaluation folders (same order); sorted by dataset, variant, seed.

    `unique`: the paper's tables need one run per (dataset, variant, seed); the studies hold
    many (their runs differ in options, backbone or name) and pass False: then only a folder
    listed twice is an error.
    """
    if len(run_dirs) != len(eval_dirs):
        raise ValueError(f"{len(run_dirs)} run folders but {len(eval_dirs)} evaluation folders")
    runs = []
    for r, e in zip(run_dirs, eval_dirs):
        r, e = Path(r), Path(e)
        run = Run(r, e, *(json.loads(p.read_text()) for p in
                          (r / layout.METRICS, r / layout.TIMINGS, e / layout.EVAL)))
        if (run.eval["dataset"], run.eval["variant"], run.eval["seed"]) != (run.dataset, run.variant, run.seed):
            raise ValueError(f"{e / layout.EVAL} evaluates {run.eval['dataset']}/{run.eval['variant']} seed "
                             f"{run.eval['seed']}, not the run in {r}")
        runs.append(run)
    keys = [(x.dataset, x.variant, x.seed) if unique else x.run_dir.resolve() for x in runs]
    if len(set(keys)) != len(keys):
        what = "(dataset, variant, seed)" if unique else "run folder"
        raise ValueError(f"the same {what} appears twice among {run_dirs}")
    return sorted(runs, key=lambda x: (x.dataset, x.variant, x.seed, str(x.run_dir)))


def environment() -> dict:
    """Versions of the software that turned results/ into the report, and the machine."""
    names = ("wrongnumber", "torch", "torchvision", "numpy", "pandas", "matplotlib", "jinja2",
             "pyyaml", "snakemake")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"versions": versions, "platform": platform.platform()}
