"""Shared fixtures: the committed real-digit fixture, short real trainings on it, and fake run
folders with known numbers."""
import json
from pathlib import Path

import wrongnumber  # noqa: F401  first: it applies the numerics before torch loads (plan/numerics.py)

import numpy as np
import pytest
import torch
import yaml

from wrongnumber.core.data import load_for_config
from wrongnumber.core.models import PaperCNN
from wrongnumber.plan import layout
from wrongnumber.plan.runspec import bases
from wrongnumber.core.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]  # the repository
FIXTURES = Path(__file__).parent / "fixtures"
MNIST_MINI = FIXTURES / "mnist-mini"
FASHION_MINI = FIXTURES / "fashion-mini"
# The options of a run without overrides, per dataset, under config/config.yaml: what the
# studies' run names are spelled against.
BASES = bases(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()))


def short_config(variant: str, **overrides) -> TrainConfig:
    return TrainConfig(dataset="mnist", variant=variant, seed=0, max_epochs=4, patience=4,
                       **overrides)


def train_run(cfg: TrainConfig, out: Path, **kwargs) -> dict:
    data = load_for_config(cfg, torch.device("cpu"), data_dir=MNIST_MINI)
    return train(cfg, data, out, torch.device("cpu"), log=lambda s: None, **kwargs)


def fake_run(results: Path, dataset: str, name: str, seed: int, backbone: str = "paper_cnn", *,
             metrics: dict | None = None, timings: dict | None = None, eval: dict | None = None,
             predictions: list[tuple] | None = None, probes: dict | None = None,
             failures: dict | None = None) -> Path:
    """A run folder where plan/layout.py puts it under the results folder `results`, holding
    the files given (any subset; JSON, prediction rows (index, label, prediction, confidence),
    npz arrays), each under the layout's name; returns the run folder."""
    run = results / Path(layout.run_dir(dataset, name, backbone, seed)).relative_to(layout.ROOT)
    Path(layout.eval_dir(run)).mkdir(parents=True, exist_ok=True)
    for path, record in ((run / layout.METRICS, metrics), (run / layout.TIMINGS, timings),
                         (Path(layout.eval_file(run)), eval)):
        if record is not None:
            path.write_text(json.dumps(record))
    if predictions is not None:
        Path(layout.eval_file(run, layout.PREDICTIONS)).write_text("index,label,prediction,confidence\n" + "".join(
            ",".join(map(str, row)) + "\n" for row in predictions))
    for path, arrays in ((run / layout.PROBES, probes), (Path(layout.eval_file(run, layout.FAILURES)), failures)):
        if arrays is not None:
            np.savez(path, **arrays)
    return run


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory):
    """C and R trained for 4 epochs on the 540-image real fixture (about 10 s on 2 cores)."""
    root = tmp_path_factory.mktemp("runs")
    return {v: (root / v, train_run(short_config(v), root / v)) for v in ("C", "R")}


@pytest.fixture()
def model_and_images():
    """A PaperCNN in eval mode with non-trivial BatchNorm running statistics (so eval mode is
    not the identity), and six random normalised images: enough for the CAM algebra."""
    torch.manual_seed(0)
    model = PaperCNN()
    images = torch.randn(6, 1, 28, 28)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(32, 1, 28, 28))
    model.eval()
    return model, images


@pytest.fixture(scope="module")
def one_thread():
    """For test modules of tiny tensors: a second intra-op thread gains nothing there, and on
    cores shared with other jobs its waits made such modules ~5x slower (load 10, 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class LogitsOnly(torch.nn.Module):
    """Wraps a (logits, feats) model for the grad-cam package, which expects logits only."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]
