"""Tables, figures and the report from synthetic run folders with known numbers (no training).

The run folders follow docs/outputs.md; their numbers are chosen so every verdict is known.
"""
import base64
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from wrongnumber.artifacts import figures, report, table_files, tables
from wrongnumber.analysis import claims, comparison, provenance

from conftest import ROOT, fake_run

REPORTED = comparison.load_reported(ROOT / "paper" / "reported.yaml")
COMPLEXITY = {"params": 390_858, "macs": 7_748_608, "flops": 15_497_216,
              "flops_counter": "2 per MAC", "reconciliation": {
                  "finding": "no convention gives 16.53 M",
                  "conventions": [{"name": "2 x MACs", "flops": 15_497_216}]}}
# (dataset, variant) -> test accuracy, correct-but-unsure count, epochs run
PAPER_COUNTS = {"R": 119, "C": 30}
KNOWN = {("mnist", "R"): (0.9844, 119, 9), ("mnist", "C"): (0.9917, 30, 13),
         ("fashion", "R"): (0.65, 40, 5), ("fashion", "C"): (0.64, 40, 5)}


def write_run(root: Path, dataset: str, variant: str, seed: int, official: bool = True,
              n_test: int = 10_000) -> tuple[Path, Path]:
    acc, low, epochs = KNOWN[(dataset, variant)]
    rng = np.random.default_rng(seed)
    history = [{"epoch": e, "train_loss": 1 / e, "train_ce": 1 / e, "train_contrastive": 0.0,
                "val_loss": 1 / e, "val_ce": 1 / e, "val_contrastive": 0.0,
                "val_accuracy": 0.9, "nan_guard_hits": 0} for e in range(1, epochs + 1)]
    n_train = 54_000 if dataset == "mnist" else 8_100
    data = {"dataset": dataset, "source": "data_dir", "folder": str(root), "official": official,
            "files": {"train-images-idx3-ubyte.gz": {"sha256": "ab" * 32, "count": 60_000,
                                                     "official": official}},
            "subset": "none" if dataset == "mnist" else "train", "subset_fraction": 0.15,
            "n_train": n_train, "n_val": 6_000 if dataset == "mnist" else 900, "n_test": n_test}
    config = {"dataset": dataset, "variant": variant, "backbone": "paper_cnn", "seed": seed,
              "subset": data["subset"], "subset_fraction": 0.15, "cam_target": "prediction",
              "pair_label": "always_similar", "cam_weights": "detached", "margin": 2.0,
              "contrastive_weight": 1.0, "batch_size": 64, "dropout": 0.5, "patience": 2, "min_delta": 0.001,
              "max_epochs": 50, "early_stop_on": "ce", "val_fraction": 0.1}
    true = round(acc * n_test)
    labels = np.arange(n_test) % 10
    images = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    cams = rng.random((epochs, 10, 28, 28), dtype=np.float32)
    run = fake_run(
        root, dataset, variant, seed,
        metrics={"config": config, "seed": seed, "data": data, "history": history, "best_epoch": epochs - 3,
                 "stopped_epoch": epochs, "stopped_early": True, "n_params": 390_858, "git_commit": "0" * 40,
                 "versions": {"torch": "2.14.1"}},
        timings={"device": "cpu", "device_name": "test cpu", "in_container": False,
                 "epoch_seconds": [3600.0] * epochs, "total_seconds": 3600.0 * epochs,
                 "images_per_epoch": n_train},
        eval={"dataset": dataset, "variant": variant, "seed": seed, "official": official, "n_test": n_test,
              "accuracy": acc, "true_predictions": true, "false_predictions": n_test - true,
              "low_confidence_threshold": 0.9, "true_low_confidence": low,
              "low_confidence_sweep": {"0.5": low // 2, "0.9": low, "0.99": low * 3},
              "cam_target": "prediction", "failure_rule": "lowest confidence", "data": data,
              "cam_quality": {"ssim": 0.3, "energy_in_mask": 0.5, "l1": 0.2, "l2": 0.3, "distance": 8.0}},
        predictions=[(i, y, y if i < true else (y + 1) % 10, 0.95) for i, y in enumerate(labels)],
        probes={"images": images, "labels": np.arange(10), "indices": np.arange(10) * 7,
                "cams": cams, "epochs": np.arange(1, epochs + 1)},
        failures={"classes": np.arange(10), "indices": np.where(np.arange(10) == 3, -1, 5),
                  "images": images, "cams": cams[0], "predictions": np.arange(10)[::-1],
                  "confidences": np.full(10, 0.5, np.float32), "labels": np.arange(10)})
    return run, run / "eval"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    pairs = [write_run(root, d, v, s) for d, v in KNOWN for s in (0, 1)]
    return provenance.load_runs([str(r) for r, _ in pairs], [str(e) for _, e in pairs])


@pytest.fixture(scope="module")
def drawn(runs, tmp_path_factory):
    """Tables and figures written once for the module: (results folder, tables written, manifest)."""
    out = tmp_path_factory.mktemp("out")
    written = table_files.write_tables(tables.build_tables(runs, COMPLEXITY, REPORTED), out / "tables")
    return out, written, figures.make_figures(runs, REPORTED["figures"], out / "figures", PAPER_COUNTS)


def test_verdict_noise_standard_boundary_sign_and_labels():
    spec = {"value": 98.44, "tolerance": 0.005, "unit": "%", "where": "Table 1"}
    # the 95 % prediction interval of one more seed, widened by the printing precision
    assert comparison.verdict(spec, 98.94, half_width=0.495) == comparison.REPRODUCED
    assert comparison.verdict(spec, 98.95, half_width=0.495) == comparison.NOT_REPRODUCED
    assert comparison.verdict(spec, 98.44, official=False) == comparison.UNOFFICIAL  # neutral, never red
    assert comparison.verdict(spec, 98.44, decided=False) == comparison.NOT_RUN       # no decision seeds: no verdict
    assert comparison.verdict({"comparison": "hardware", "value": 1}, 99) == comparison.NOT_COMPARABLE
    setting = dict(spec, comparison="setting", tolerance=0)
    assert comparison.verdict(setting, 98.44) == comparison.SETTING_SAME  # a config echo is never "reproduced"
    six = [98.0, 98.2, 98.4, 98.6, 98.8, 98.6]  # sd 0.29: interval ± t(0.975, 5) x 0.29 x sqrt(7/6) = ±0.81
    row = comparison.compare("k", spec, six, "q", "how", seeds=[3, 4, 5, 6, 7, 8])
    assert row["ours"] == "seeds 3-8: 98.43 ± 0.29 % (6 seeds)" and row["verdict"] == comparison.REPRODUCED
    assert row["difference"] == "−0.01 pp (95 % prediction interval of one more seed and printing precision: ±0.82 pp)"
    far = comparison.compare("k", spec, [x - 1.5 for x in six], "q", "how", seeds=[3, 4, 5, 6, 7, 8])
    assert far["style"] == "fail"
    shown = comparison.compare("k", spec, [97.0, 98.0], "q", "how", seeds=[0, 1], decision=False)
    assert shown["verdict"] == comparison.NOT_RUN and shown["style"] == "none"
    assert shown["ours"] == "seeds 0, 1 (chose the defaults, no verdict): 97.50 ± 0.71 % (2 seeds)"
    counts = comparison.compare("k", dict(spec, unit="images", value=9844, tolerance=0), [9839.7, 9872.0, 9808.0], "q", "how")
    assert counts["ours"] == "9,840 ± 32 images (3 seeds)"  # whole images
    with pytest.raises(ValueError, match="no regenerated value"):
        comparison.compare("k", spec, [], "q", "how")


TEST_PROTOCOL = {"decision_seeds": [0, 1], "selection_seeds": [], "alpha": 0.05, "power": 0.8,
                 "margin_factors": [0.5, 2.0]}  # the fixture's two seeds decide, for known answers


def test_tables_known_answers(runs):
    t = tables.build_tables(runs, COMPLEXITY, REPORTED, TEST_PROTOCOL)
    rows = {r["key"]: r for table in t.values() for r in table["rows"] if r.get("key")}
    assert set(REPORTED["numbers"]) <= set(rows)  # every printed number has a row
    for key in ("table1.R.test_accuracy", "table1.C.true_low_confidence", "table2.params",
                "table2.macs", "timing.R.stopped_epoch", "fashion.C.test_accuracy"):
        assert rows[key]["verdict"] == comparison.REPRODUCED, (key, rows[key])
    assert rows["data.mnist.n_train"]["verdict"] == comparison.SETTING_SAME
    assert rows["table1.R.true_predictions"]["ours"] == "seeds 0, 1: 9,844 ± 0 images (2 seeds)"
    assert rows["table2.flops"]["verdict"] == comparison.NOT_REPRODUCED  # 15.50 M vs 16.53 M
    # 9 epochs of 3600 s over 54,000 images against 18.88 h for 9 x 60,000: never a verdict, and the
    # speed is compared per training image (0.0667 s against 0.1259 s), with its direction
    hours = rows["timing.R.total_hours"]
    assert hours["verdict"] == comparison.NOT_COMPARABLE and hours["ours"] == "9.00 h (9 epochs of 54,000 images)"
    derived = [r for r in t["timing"]["rows"] if r["key"] == comparison.DERIVED]
    assert "R is 1.89× faster per training image than the paper's run" in [r["difference"] for r in derived]
    assert {r["verdict"] for r in derived} == {comparison.NO_VERDICT}
    layout = {r["quantity"]: r for r in t["table1_layout"]["rows"]}
    assert layout["Test accuracy"]["R − C paper"] == "−0.73 pp" and layout["Test accuracy"]["R − C ours"] == "−0.73 pp"
    assert layout["True low confidence"]["R − C ours"] == "+89 images"
    sweep = t["low_confidence_sweep"]
    assert "R: the count is closest to the paper's 119 at threshold 0.9 (119)" in sweep["note"]


def test_unofficial_data_and_missing_runs_are_explicit(tmp_path):
    pairs = [write_run(tmp_path, d, v, 0, official=d != "mnist", n_test=200) for d, v in KNOWN]
    runs = provenance.load_runs([str(r) for r, _ in pairs], [str(e) for _, e in pairs])
    rows = {r["key"]: r for t in tables.build_tables(runs, COMPLEXITY, REPORTED).values()
            for r in t["rows"] if r.get("key")}
    assert rows["table1.R.test_accuracy"]["verdict"] == comparison.UNOFFICIAL
    # counts over 200 test images are put on the paper's scale: per 10,000
    assert rows["table1.R.true_predictions"]["ours"] == "seeds 0 (chose the defaults, no verdict): 9,850 per 10,000 (197 images of 200)"
    assert rows["table1.R.true_predictions"]["difference"] == "+6 per 10,000 (one seed: its noise unknown)"
    assert rows["fashion.R.test_accuracy"]["verdict"] == comparison.NOT_RUN  # official, but seed 0 decides nothing
    with pytest.raises(ValueError, match="no finished run for mnist/R"):
        tables.build_tables(runs[:-1], COMPLEXITY, REPORTED)
    extra = dict(REPORTED, numbers=dict(REPORTED["numbers"], **{"table9.x": {"value": 1}}))
    with pytest.raises(ValueError, match="no rule regenerates 'table9.x'"):
        tables.build_tables(runs, COMPLEXITY, extra)


def test_write_tables_formats(drawn):
    out, written, _ = drawn
    names = {p.name for p in written}
    for name in ("table1", "table2", "timing", "fashion", "text", "table1_layout", "low_confidence_sweep"):
        assert {f"{name}.csv", f"{name}.md", f"{name}.tex"} <= names
    tex = (out / "tables" / "table1.tex").read_text()
    assert r"98.44 \%" in tex and r"table1.R.test\_accuracy" in tex and r"\end{tabular}" in tex
    assert "| table1.R.test_accuracy |" in (out / "tables" / "table1.md").read_text()


def test_resolve_epoch_rules():
    epochs = np.arange(1, 6)
    assert figures.resolve_epoch("first", epochs)[0] == 1
    assert figures.resolve_epoch("last", epochs)[0] == 5
    assert figures.resolve_epoch(9, epochs) == (5, "epoch min(9, last epoch run = 5)")
    assert figures.resolve_epoch(9, np.arange(1, 12))[0] == 9


def test_figures_pick_lowest_seed_and_state_missing_failures(runs, drawn, tmp_path):
    manifest = drawn[2]
    ids = [m["id"] for m in manifest]
    assert ids == [f"fig{i}" for i in range(1, 9)] + ["compare_mnist", "strip_mnist", "strip_fashion",
                                                      "low_confidence_sweep", "curves_fashion", "curves_mnist"]
    for m in manifest:
        png = Path(m["files"][0]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and Path(m["files"][1]).read_bytes()[:4] == b"%PDF"
    captions = {m["id"]: m["caption"] for m in manifest}
    assert "seed 0" in captions["fig3"] and "epoch min(9, last epoch run = 9)" in captions["fig3"]
    assert "the last epoch run (13)" in captions["fig4"]
    assert "training-file index 35" in captions["fig1"]  # probe of class 5 sits at index 5 * 7
    assert "no failure case of class 3" in captions["fig8"]  # indices[3] == -1
    assert "restored from epoch 10 (the best validation loss of 13 epochs run)" in captions["fig7"]
    by_id = {m["id"]: m for m in manifest}
    assert "deviation" not in by_id["fig3"] and "C model at its last epoch" in by_id["fig4"]["deviation"]
    assert by_id["fig1"]["quality"].startswith("energy in the digit ") and "min-max scaled" in captions["fig1"]
    # same bytes on a second run: no timestamps in PNG or PDF
    again = figures.make_figures(runs, REPORTED["figures"], tmp_path / "g", PAPER_COUNTS)
    assert all(Path(a).read_bytes() == Path(b).read_bytes()
               for m, n in zip(manifest, again) for a, b in zip(m["files"], n["files"]))


def test_report_is_complete_and_self_contained(runs, drawn):
    out, written, manifest = drawn
    (out / "config.json").write_text(json.dumps({"seeds": [0, 1]}))
    bench = out / "benchmarks" / "train.tsv"
    bench.parent.mkdir()
    bench.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t512.3\n")
    report.make_report(reported=ROOT / "paper" / "reported.yaml", templates=ROOT / "paper",
                       tables=out / "tables" / "tables.json", figures=out / "figures" / "figures.json",
                       run_dirs=[str(r.run_dir) for r in runs], eval_dirs=[str(r.eval_dir) for r in runs],
                       config=out / "config.json", sources=[], bench=[bench],
                       hashed=[str(p) for p in written], out_dir=out / "report",
                       claims=ROOT / "paper" / "claims.yaml", config_names=["config/test.yaml"])
    html = (out / "report" / "index.html").read_text()
    md = (out / "report" / "report.md").read_text()
    for key in REPORTED["numbers"]:
        assert key in html and key in md, key
    for m in manifest:
        assert m["caption"] in md
        assert m["paper_caption"] in html or not m["id"].startswith("fig")
    n_claims = len(yaml.safe_load((ROOT / "paper" / "claims.yaml").read_text())["claims"])
    # seeds 0 and 1 are not decision seeds: every claim is not assessed, with the reason, and
    # the same tests on seeds 0-1 are shown, labelled
    assert 'id="summary"' in html and html.count('<li class="none" id="claim-') == n_claims  # the scoreboard
    assert "decision seeds 3, 4, 5, 6, 7, 8 not run" in html and "which chose the defaults (no verdict)" in html
    assert html.count('id="noise-standard"') == 1 and "One noise standard" in md
    doc = json.loads((out / "report" / "claims.json").read_text())
    assert claims.recompute(doc) == doc["verdicts"] and set(doc["inputs"]) == {"mnist/R", "mnist/C", "fashion/R", "fashion/C"}
    assert "Config config/test.yaml · 2 seeds (0, 1)" in md
    assert "None" not in md and "<td></td>" not in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == len(manifest)
    assert all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert not re.search(r'src="(?!data:)', html)  # self-contained: every image embedded
    assert provenance.sha256_file(written[0]) in html
    assert "12.5" in md and "cam_target" in md


def test_check_complete_rejects_blank_cells():
    report.check_complete({"a": [{"b": 1}], "c": "x"})
    for bad in ({"a": None}, {"a": [{"b": ""}]}):
        with pytest.raises(ValueError, match="missing value"):
            report.check_complete(bad)


def test_assemble_data_keeps_gz_bytes_and_gzips_raw_files(tmp_path):
    fixture = ROOT / "tests" / "fixtures" / "mnist-mini"
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in provenance.TEST_FILES:  # test files uncompressed, as torchvision's raw folder
        (raw / name[:-3]).write_bytes(gzip.decompress((fixture / name).read_bytes()))
    sources = provenance.assemble_data("mnist", tmp_path / "a", train_dir=fixture, test_dir=raw)
    for name in provenance.TRAIN_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (fixture / name).read_bytes()
    for name in provenance.TEST_FILES:
        assert gzip.decompress((tmp_path / "a" / name).read_bytes()) == (raw / name[:-3]).read_bytes()
        assert sources["files"][name]["origin"].endswith(name[:-3])
    again = provenance.assemble_data("mnist", tmp_path / "b", train_dir=fixture, test_dir=raw)
    assert [f["sha256_gz"] for f in again["files"].values()] == \
           [f["sha256_gz"] for f in sources["files"].values()]  # gzip mtime 0: same bytes
    assert json.loads((tmp_path / "a" / "SOURCES.json").read_text()) == sources
    with pytest.raises(FileNotFoundError, match="neither"):
        provenance.assemble_data("mnist", tmp_path / "c", train_dir=tmp_path, test_dir=raw)
    with pytest.raises(ValueError, match="give --download-root"):
        provenance.assemble_data("mnist", tmp_path / "d", train_dir=fixture)


def test_reported_yaml_is_well_formed():
    for key, spec in REPORTED["numbers"].items():
        assert {"value", "unit", "where", "why"} <= set(spec), key
        assert ("tolerance" in spec) != (spec.get("comparison") == "hardware"), key
    assert set(REPORTED["figures"]) == {f"fig{i}" for i in range(1, 9)}
    assert yaml.safe_load((ROOT / "paper" / "reported.yaml").read_text())["source"]["device"]


def test_probe_classes_are_the_paper_figures():
    """The one statement of the probe classes in code is the classes of reported.yaml's probe figures."""
    shown = {(s["dataset"], s["class"]) for s in REPORTED["figures"].values() if s["kind"] == "probe"}
    assert shown == set(figures.PROBE_CLASS.items())
