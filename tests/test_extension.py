"""The extension study: which runs it asks for, and its statistics on known answers."""
from types import SimpleNamespace

import pytest
import yaml

from conftest import BASES, ROOT
from conftest import fake_run as written_run
from wrongnumber.analysis.extension import summarise
from wrongnumber.artifacts.extension import report_section, table_rows
from wrongnumber.plan import settings
from wrongnumber.plan.extension import Settings, backbone_plan, expand

S = lambda section: settings.of(Settings, section)  # noqa: E731


def merged(*names) -> dict:
    study = {}
    for n in names:
        for k, v in yaml.safe_load((ROOT / "config" / n).read_text())["extension"].items():
            study[k] = ({**study.get(k, {}), **{b: {**(study.get(k, {}).get(b) or {}), **(e or {})}
                                               for b, e in v.items()}} if k == "backbones" else v)
    return study


def test_default_study_is_six_seeds_of_every_backbone():
    study = merged("extension.yaml")
    runs = expand(S(study), BASES)
    assert {r["seed"] for r in runs} == set(range(3, 9))  # the held-out seeds (docs/protocol.md)
    assert {r["backbone"] for r in runs} == {"paper_cnn", "resnet18", "resnet18_noskip", "convnext",
                                             "convnext_cam14"}
    keys = [(r["dataset"], r["name"], r["backbone"], r["seed"]) for r in runs]
    assert len(keys) == len(set(keys))  # convnext is in both groups, listed once
    # 4 backbones x 2 datasets x 2 variants x 6 seeds + convnext_cam14 on both datasets
    assert len(runs) == 4 * 2 * 2 * 6 + 2 * 2 * 6


def test_per_backbone_budget_becomes_part_of_the_run_name():
    plan = {p["backbone"]: p for p in backbone_plan(S({**merged("extension.yaml"), "backbones": {
        "paper_cnn": {}, "resnet18": {"datasets": ["mnist"], "seeds": [0], "overrides": {"max_epochs": 8}}}}))}
    assert plan["paper_cnn"]["seeds"] == list(range(3, 9)) and plan["resnet18"]["seeds"] == [0]
    runs = expand(S({**merged("extension.yaml"), "feature_map": {"backbones": {}}, "backbones": {
        "resnet18": {"datasets": ["mnist"], "seeds": [0], "overrides": {"max_epochs": 8}}}}), BASES)
    assert sorted(r["name"] for r in runs) == ["C+max_epochs=8", "R+max_epochs=8"]


def fake_run(tmp_path, dataset, name, backbone, seed, correct, quality):
    """A finished run as provenance.Run exposes it, with a real predictions.csv (conftest's fake_run)."""
    folder = written_run(tmp_path, dataset, name, seed, backbone,
                         predictions=[(i, 1, 1 if c else 0, 0.9) for i, c in enumerate(correct)]) / "eval"
    return SimpleNamespace(
        dataset=dataset, name=name, backbone=backbone, seed=seed, variant=name[0], eval_dir=folder,
        probes=folder.parent / "probes.npz",
        eval={"accuracy": sum(correct) / len(correct), "cam_quality": quality},
        metrics={"n_params": 10, "stopped_epoch": 5, "data": {"official": False}},
        timings={"total_seconds": 30.0})


def test_r_against_c_known_answer(tmp_path):
    study = {"seeds": [0, 1, 2], "datasets": ["mnist"], "variants": ["C", "R"],
             "backbones": {"paper_cnn": {}}, "confidence": 0.95}
    q = lambda e: {"distance": 10 - e, "l1": 0.3, "l2": 0.4, "ssim": 0.1 + e / 10, "energy_in_mask": 0.3 + e / 10}
    runs = []
    for s in range(3):
        # C right on all 40; R wrong on 6 of C's right ones and right on none C got wrong
        runs.append(fake_run(tmp_path, "mnist", "C", "paper_cnn", s, [True] * 40, q(0)))
        runs.append(fake_run(tmp_path, "mnist", "R", "paper_cnn", s, [True] * 34 + [False] * 6, q(1 + s / 10)))
    result = summarise(S(study), BASES, runs)
    (t,) = result["r_vs_c"]
    assert [(m["b"], m["c"]) for m in t["mcnemar"]] == [(0, 6)] * 3
    assert t["mcnemar"][0]["test"] == "McNemar (exact binomial)"
    assert t["mcnemar"][0]["p_value"] == pytest.approx(2 / 2 ** 6)
    acc = t["paired"]["accuracy"]
    assert acc["mean_difference"] == pytest.approx(-15.0) and "zero spread" in acc["t_test"]["note"]
    energy = t["paired"]["energy_in_mask"]
    assert energy["mean_difference"] == pytest.approx(0.11) and energy["t_test"]["p_value"] < 0.01
    cells = {c["variant"]: c for c in result["cells"]}
    assert cells["R"]["summary"]["accuracy"]["mean"] == pytest.approx(85.0)
    assert cells["R"]["seeds"] == [0, 1, 2]
    rows = table_rows(result)
    assert {"summary", "r_vs_c", "mcnemar"} <= set(rows)
    section = report_section(dict(result, figures=[]))
    # fake runs, seeds 0-2: the question is shown, not decided (docs/protocol.md)
    assert section["statements"][0].startswith("not assessed: R improves on C: paper_cnn on mnist")
    assert "unofficial data" in section["statements"][0]
    assert section["statements"][1].startswith("3 seeds ran in all ([0, 1, 2])")
    assert "mnist (official: false)" in section["statements"][1]
    assert section["statements"][2].startswith("mnist paper_cnn: R - C accuracy -15.00 pp over 3 seeds")
    assert section["statements"][2].endswith("McNemar p < 0.05 on 3 of 3 seeds.")  # p = 2/64 each
    assert section["training_time"] == "paper_cnn 3.0 min"  # six runs of 30 s
    assert [t["name"] for t in section["tables"]] == list(rows)


def test_a_missing_run_is_named(tmp_path):
    study = {"seeds": [0, 1], "datasets": ["mnist"], "variants": ["C", "R"], "backbones": {"paper_cnn": {}}}
    runs = [fake_run(tmp_path, "mnist", "C", "paper_cnn", 0, [True], {"distance": 1, "l1": 0, "l2": 0,
                                                                       "ssim": 0, "energy_in_mask": 0})]
    with pytest.raises(ValueError, match="no finished run mnist/C/paper_cnn seed 1"):
        summarise(S(study), BASES, runs)



def example_result(tmp_path) -> dict:
    """An extension.json as the study writes it (without its figures), for tests/test_studies.py."""
    study = {"seeds": [0, 1], "datasets": ["mnist"], "variants": ["C", "R"], "backbones": {"paper_cnn": {}}}
    q = {"distance": 1, "l1": 0.3, "l2": 0.4, "ssim": 0.2, "energy_in_mask": 0.4}
    runs = [fake_run(tmp_path, "mnist", v, "paper_cnn", s, [True] * (9 + s) + [False], q)
            for s in (0, 1) for v in ("C", "R")]
    return dict(summarise(S(study), BASES, runs), figures=[])
