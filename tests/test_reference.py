"""check-reference: under portable numerics equal numbers pass bit for bit on any CPU model and
any moved number fails; under native numerics another CPU falls back to the stated tolerance,
which still fails a run that trained R into C; a run with other options always fails."""
import json
from pathlib import Path

from conftest import fake_run
from wrongnumber.cli import main
from wrongnumber.plan import layout

RUN = layout.run_dir("mnist", "R", "paper_cnn", 0)
XEON = "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"
PINS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "COMPATIBLE"}
# seed 0 of the 2026-12-02 reference (paper/regenerated): R and C at their restored epochs
R0 = {"accuracy": 0.9842, "stopped": 6, "best": 4, "val_contrastive": 18.49, "low": 119}
C0 = {"accuracy": 0.9927, "stopped": 12, "best": 10, "val_contrastive": 47.15, "low": 30}


def write(root: Path, run=R0, numerics="portable", threads=1, capability="AVX2", cpu=XEON,
          variant="R", **moved):
    run = run | moved
    history = [{"epoch": e, "val_contrastive": run["val_contrastive"] + (e != run["best"])}
               for e in range(1, run["stopped"] + 1)]
    n_true = round(run["accuracy"] * 10_000)
    fake_run(root / layout.ROOT, "mnist", "R", 0, timings={"cpu": cpu}, metrics={
        "config": {"variant": variant, "seed": 0}, "history": history,
        "stopped_epoch": run["stopped"], "best_epoch": run["best"], "threads": threads, "device": "cpu",
        "versions": {"torch": "2.14.1", "cpu_capability": capability},
        "numerics": {"mode": numerics, "cpu": cpu, "env": PINS if numerics == "portable" else {}}}, eval={
        "accuracy": run["accuracy"], "true_predictions": n_true, "false_predictions": 10_000 - n_true,
        "true_low_confidence": run["low"]})


def check(tmp_path, ref="ref", new="new") -> int:
    return main(["check-reference", "--reference", str(tmp_path / ref), "--results", str(tmp_path / new),
                 "--runs", RUN])


def test_portable_runs_are_equal_bit_for_bit_on_another_cpu_model(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new", cpu="AMD EPYC")
    assert check(tmp_path) == 0
    out = capsys.readouterr().out
    assert "7 numbers checked" in out and "bit for bit: portable numerics" in out


def test_under_portable_numerics_any_moved_number_fails_and_is_named(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new", cpu="AMD EPYC", stopped=7)
    assert check(tmp_path) == 1
    assert f"MOVED: {RUN} stopped_epoch: reference 6, this run 7" in capsys.readouterr().out


def test_native_numerics_on_another_cpu_are_held_to_the_tolerance(tmp_path, capsys):
    write(tmp_path / "ref", numerics="native", capability="AVX512")
    write(tmp_path / "new", numerics="native", capability="AVX512", cpu="AMD EPYC", accuracy=0.9850, stopped=9)
    assert check(tmp_path) == 0
    out = capsys.readouterr().out
    assert "within tolerance only" in out and f"cpu {XEON} -> AMD EPYC" in out
    write(tmp_path / "far", numerics="native", threads=2, accuracy=0.9700)  # 1.42 pp: beyond another seed
    assert check(tmp_path, new="far") == 1


def test_a_run_that_trained_r_into_c_fails_the_native_tolerance(tmp_path, capsys):
    """C's numbers under R's name: its accuracy is within 1 pp of R's, but its contrastive loss
    at the restored epoch is 2.5x R's, far beyond the seeds' spread."""
    write(tmp_path / "ref", numerics="native")
    write(tmp_path / "new", run=C0, numerics="native", cpu="AMD EPYC")
    assert check(tmp_path) == 1
    out = capsys.readouterr().out
    assert "moved (within tolerance): results/mnist/R/paper_cnn/seed0 accuracy" in out
    assert f"MOVED: {RUN} val_contrastive: reference 18.49, this run 47.15" in out


def test_a_reference_without_numerics_cannot_promise_bits(tmp_path, capsys):
    write(tmp_path / "ref", numerics=None), write(tmp_path / "new")
    assert check(tmp_path) == 0
    out = capsys.readouterr().out
    assert "the reference records no numerics" in out and "every number is nevertheless equal" in out


def test_a_run_with_other_options_fails_whatever_its_numbers(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new", variant="C")
    assert check(tmp_path) == 1
    assert f"OTHER OPTIONS: {RUN} was trained with other options than the reference (variant)" in capsys.readouterr().out


def test_freeze_keeps_results_but_no_models_and_refuses_an_unfinished_run(tmp_path):
    import pytest

    root = tmp_path / "root"
    write(root)
    run = root / RUN
    (run / "model.pt").write_bytes(b"weights")
    (run / "probes.npz").write_bytes(b"arrays")
    (run / "xai").mkdir()
    (run / "xai/scores.csv.gz").write_bytes(b"xai study's per-image scores")
    (root / "results/config.json").write_text("{}\n")
    with pytest.raises(SystemExit, match="index.html is missing"):
        main(["freeze-reference", "--root", str(root), "--out", str(tmp_path / "ref"), "--commit", "abc"])
    (root / "results/report").mkdir(parents=True)
    (root / "results/report/index.html").write_text("<html></html>")
    assert main(["freeze-reference", "--root", str(root), "--out", str(tmp_path / "ref"), "--commit", "abc"]) == 0
    kept = sorted(str(p.relative_to(tmp_path / "ref")) for p in (tmp_path / "ref").rglob("*") if p.is_file())
    assert kept == ["SOURCE.json", "results/config.json", f"{RUN}/eval/eval.json", f"{RUN}/metrics.json",
                    f"{RUN}/probes.npz", f"{RUN}/timings.json", f"{RUN}/xai/scores.csv.gz",
                    "results/report/index.html"]
    source = json.loads((tmp_path / "ref/SOURCE.json").read_text())
    assert source["commit"] == "abc" and source["files"] == 7
    # the frozen copy is a reference check-reference reads
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results", str(root),
                 "--runs", RUN]) == 0
