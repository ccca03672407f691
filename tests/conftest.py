"""Shared fixtures: the committed real-digit fixture and short real trainings on it."""
from pathlib import Path

import wrongnumber  # noqa: F401  first: it applies the numerics before torch loads (plan/numerics.py)

import pytest
import torch
import yaml

from wrongnumber.core.data import load_dataset
from wrongnumber.core.models import PaperCNN
from wrongnumber.plan.runspec import bases
from wrongnumber.core.train import TrainConfig, train

ROOT = Path(__file__).parents[1]
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
    data = load_dataset(cfg.dataset, data_dir=MNIST_MINI, val_fraction=cfg.val_fraction,
                        subset=cfg.subset, subset_fraction=cfg.subset_fraction, seed=cfg.seed)
    return train(cfg, data, out, torch.device("cpu"), log=lambda s: None, **kwargs)


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
