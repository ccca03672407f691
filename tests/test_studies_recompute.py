"""The studies' answers recomputable from the repository: the committed extension.json and xai.json
(paper/regenerated, issue 25) rebuilt from the committed run files beside them."""
import dataclasses
import json
from pathlib import Path

import pytest

from wrongnumber.analysis import extension, questions, xai
from wrongnumber.analysis.provenance import load_runs
from wrongnumber.analysis.reliability import krippendorff_alpha_of_rankings
from wrongnumber.core.explain_metrics import METRICS
from wrongnumber.plan import layout
from wrongnumber.plan.runspec import bases
from wrongnumber.plan.studies import STUDIES

from conftest import ROOT

REFERENCE = ROOT / "paper" / "regenerated"


def committed(key: str) -> dict:
    path = REFERENCE / layout.study_result(key)
    if not path.is_file():
        pytest.skip(f"{path} is not committed yet")
    return json.loads(path.read_text())


def same(a, b) -> bool:
    """Equal as JSON (NaN included), the way the study wrote them."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_extension_answers_recompute_from_the_committed_runs(monkeypatch):
    doc = committed("extension")
    monkeypatch.chdir(REFERENCE)  # the run folders' paths are relative to the workflow's folder
    config, settings = STUDIES["extension"].resolved(layout.CONFIG)
    folders = [layout.run_dir(r["dataset"], r["name"], r["backbone"], r["seed"]) for r in STUDIES["extension"].runs(config)]
    runs = load_runs(folders, [layout.eval_dir(f) for f in folders], unique=False)
    result = json.loads(json.dumps(extension.summarise(settings, bases(config), runs)))
    for key in ("cells", "r_vs_c", "feature_map", "questions"):
        assert same(result[key], doc[key]), f"extension.json's {key} differ from the committed runs'"
    # and the answers follow from the committed numbers by the protocol's rule
    assert same(questions.extension_questions(doc), doc["questions"])
    assert {q["verdict"] for q in doc["questions"]} <= {questions.HOLDS, questions.FAILS, questions.NOT_DECIDED}


def test_xai_alpha_and_answers_recompute_from_the_committed_scores(monkeypatch):
    doc = committed("xai")
    monkeypatch.chdir(REFERENCE)
    config, settings = STUDIES["xai"].resolved(layout.CONFIG)
    pattern = f"{layout.xai_dir(layout.run_dir('*', '*', '*', '*'))}/{layout.XAI_META}"
    scores = sorted(str(p.parent) for p in Path().glob(pattern))  # relative, as the workflow passes them
    # every training's per-seed alpha, from the committed per-image scores (cheap)
    runs = xai._runs_by_training(settings, bases(config), scores)
    for training, items in runs.items():
        for metric, higher in METRICS.items():
            per_seed = [krippendorff_alpha_of_rankings(xai._wide(t, metric, list(settings.methods)), higher)
                        for _, _, t, _ in sorted(items, key=lambda x: x[0])]
            assert same(per_seed, doc["alpha"][training][metric]["per_seed"]), (training, metric)
    # the bootstrap intervals of C and R in full (the question that is ours; 1,000 resamples each)
    two = dataclasses.replace(settings, variants={k: settings.variants[k] for k in ("C", "R")})
    result = json.loads(json.dumps(xai.summarise(two, bases(config), scores)))
    for training in ("C", "R"):
        assert same(result["alpha"][training], doc["alpha"][training]), training
    assert same(result["questions"][0], next(q for q in doc["questions"] if q["id"] == result["questions"][0]["id"]))
    # every answer follows from the committed intervals by the protocol's majority rule (the
    # parts' order is the metrics' order, which the JSON file keeps sorted by name)
    by_id = lambda qs: {q["id"]: {**q, "parts": sorted(q["parts"], key=lambda p: p["id"])} for q in qs}
    assert same(by_id(questions.xai_questions(doc)), by_id(doc["questions"]))
