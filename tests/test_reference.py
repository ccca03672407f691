"""check-reference: equal numbers pass, a moved number fails naming it, another environment
falls back to the stated tolerance."""
import json
from pathlib import Path

from wrongnumber.cli import main

RUN = "results/mnist/R/paper_cnn/seed0"


XEON = "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"


def write(root: Path, accuracy=0.9844, stopped=9, threads=1, capability="AVX2", cpu=XEON):
    run = root / RUN
    (run / "eval").mkdir(parents=True)
    (run / "timings.json").write_text(json.dumps({"device_name": f"{cpu or 'x86_64'} ({threads} threads)"}
                                                 | ({"cpu": cpu} if cpu else {})))
    (run / "metrics.json").write_text(json.dumps({
        "stopped_epoch": stopped, "best_epoch": stopped - 3, "threads": threads, "device": "cpu",
        "versions": {"torch": "2.14.1", "cpu_capability": capability}}))
    (run / "eval" / "eval.json").write_text(json.dumps({
        "accuracy": accuracy, "true_predictions": round(accuracy * 10_000),
        "false_predictions": 10_000 - round(accuracy * 10_000), "true_low_confidence": 119}))


def test_equal_numbers_pass_bit_for_bit(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new")
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results",
                 str(tmp_path / "new"), "--runs", RUN]) == 0
    out = capsys.readouterr().out
    assert "6 numbers checked" in out and "bit for bit" in out


def test_a_moved_number_fails_and_is_named(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new", stopped=10)
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results",
                 str(tmp_path / "new"), "--runs", RUN]) == 1
    assert f"MOVED: {RUN} stopped_epoch: reference 9, this run 10" in capsys.readouterr().out


def test_another_cpu_is_held_to_the_tolerance(tmp_path, capsys):
    write(tmp_path / "ref"), write(tmp_path / "new", accuracy=0.9850, capability="AVX512")
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results",
                 str(tmp_path / "new"), "--runs", RUN]) == 0
    out = capsys.readouterr().out
    assert "within tolerance only" in out and "cpu_capability AVX2 -> AVX512" in out
    write(tmp_path / "far", accuracy=0.9700, threads=2)  # 1.44 pp: beyond another seed
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results",
                 str(tmp_path / "far"), "--runs", RUN]) == 1


def test_another_cpu_model_or_none_recorded_is_held_to_the_tolerance(tmp_path, capsys):
    """Same instruction set, another vendor: not bit for bit. A reference that recorded no CPU
    model cannot promise bits either; equal numbers are still said to be equal."""
    write(tmp_path / "ref", cpu=None), write(tmp_path / "new")
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results",
                 str(tmp_path / "new"), "--runs", RUN]) == 0
    out = capsys.readouterr().out
    assert "within tolerance only" in out and "the reference records no cpu" in out
    assert "every number is nevertheless equal to the bit" in out
    write(tmp_path / "amd", stopped=12, cpu="AMD EPYC")  # 3 epochs later: within another seed
    assert main(["check-reference", "--reference", str(tmp_path / "new"), "--results",
                 str(tmp_path / "amd"), "--runs", RUN]) == 0
    assert f"cpu {XEON} -> AMD EPYC" in capsys.readouterr().out


def test_freeze_keeps_results_but_no_models_and_refuses_an_unfinished_run(tmp_path):
    import pytest

    root = tmp_path / "root"
    write(root)
    run = root / RUN
    (run / "model.pt").write_bytes(b"weights")
    (run / "probes.npz").write_bytes(b"arrays")
    (root / "results/config.json").write_text("{}\n")
    with pytest.raises(SystemExit, match="index.html is missing"):
        main(["freeze-reference", "--root", str(root), "--out", str(tmp_path / "ref"), "--commit", "abc"])
    (root / "results/report").mkdir(parents=True)
    (root / "results/report/index.html").write_text("<html></html>")
    assert main(["freeze-reference", "--root", str(root), "--out", str(tmp_path / "ref"), "--commit", "abc"]) == 0
    kept = sorted(str(p.relative_to(tmp_path / "ref")) for p in (tmp_path / "ref").rglob("*") if p.is_file())
    assert kept == ["SOURCE.json", "results/config.json", f"{RUN}/eval/eval.json", f"{RUN}/metrics.json",
                    f"{RUN}/timings.json", "results/report/index.html"]
    source = json.loads((tmp_path / "ref/SOURCE.json").read_text())
    assert source["commit"] == "abc" and source["files"] == 5
    # the frozen copy is a reference check-reference reads
    assert main(["check-reference", "--reference", str(tmp_path / "ref"), "--results", str(root),
                 "--runs", RUN]) == 0
