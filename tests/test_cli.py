"""The console script: help texts, a full train/evaluate round trip, and one-line errors."""
import gzip
import json
import shutil
import subprocess
import sys

import pytest

from conftest import MNIST_MINI


def cli(*args):
    return subprocess.run([sys.executable, "-m", "wrongnumber.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", ["train", "evaluate", "complexity"])
def test_help(command):
    out = cli(command, "--help")
    assert out.returncode == 0 and "usage: wrongnumber " + command in out.stdout


def test_train_then_evaluate(tmp_path):
    run = tmp_path / "run"
    out = cli("train", "--dataset", "mnist", "--data-dir", MNIST_MINI, "--variant", "C",
              "--max-epochs", "1", "--out", run, "--threads", "1")
    assert out.returncode == 0, out.stderr
    assert "epoch   1" in out.stdout
    out = cli("evaluate", "--run", run, "--out", run / "eval")
    assert out.returncode == 0, out.stderr
    record = json.loads((run / "eval" / "eval.json").read_text())
    assert record["n_test"] == 200 and record["official"] is False
    assert (run / "eval" / "predictions.csv").read_text().count("\n") == 201


def test_bad_option_value_is_one_line(tmp_path):
    out = cli("train", "--dataset", "mnist", "--data-dir", MNIST_MINI, "--variant", "X",
              "--out", tmp_path / "r")
    assert out.returncode == 2
    assert "--variant must be one of C, R" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_bad_file_is_one_line_and_leaves_nothing_complete(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(MNIST_MINI, broken)
    data = gzip.open(broken / "train-images-idx3-ubyte.gz").read()
    with gzip.open(broken / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(data[: len(data) // 2])  # truncated payload
    out = cli("train", "--dataset", "mnist", "--data-dir", broken, "--out", tmp_path / "r")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "train-images-idx3-ubyte" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_evaluate_unfinished_run(tmp_path):
    out = cli("evaluate", "--run", tmp_path, "--out", tmp_path / "e")
    assert out.returncode == 2 and "not a finished training run" in out.stderr
