"""The explanation study: per-run scoring on a real trained model, and the study's alpha and
comparisons on constructed score tables with known answers."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from conftest import BASES, MNIST_MINI, ROOT
from wrongnumber.core.cam import grad_cam
from wrongnumber.core.data import load_dataset, to_model_input
from wrongnumber.core.explain_metrics import METRICS
from wrongnumber.core.models import PaperCNN
from wrongnumber.analysis.xai import compare_alpha, score_run, summarise
from wrongnumber.artifacts.xai import answers, report_section
from wrongnumber.plan import settings
from wrongnumber.plan.xai import Settings, expand

STUDY = yaml.safe_load((ROOT / "config" / "xai.yaml").read_text())["xai"]
S = lambda section: settings.of(Settings, section)  # noqa: E731


def test_expand_names_every_training_variant():
    names = {r["training"]: r["name"] for r in expand(S(STUDY), BASES)}
    assert names == {"C": "C", "R": "R", "focal": "C+classification_loss=focal",
                     "perturbed": "C+perturbation=mask", "focal+R": "R+classification_loss=focal",
                     "perturbed+R": "R+perturbation=mask"}


def test_score_run_on_a_trained_model(trained_runs):
    run, _ = trained_runs["C"]
    model = PaperCNN()
    model.load_state_dict(torch.load(run / "model.pt")["state_dict"])
    data = load_dataset("mnist", data_dir=MNIST_MINI, seed=0)
    options = {"methods": tuple(STUDY["methods"]), "n_samples": 12, "seed": 0, "cam_target": "label",
               "n_steps": 4, "baseline": "black", "k_percent": 20.0}
    scores, maps = score_run(model, data.test, data.spec, options, [0, 3])
    assert len(scores) == 12 * len(STUDY["methods"]) * len(METRICS)
    assert scores["image"].nunique() == 12 and np.isfinite(scores["score"]).all()
    # the kept Grad-CAM maps are the package's Grad-CAM of those images for their labels
    x, _ = to_model_input(data.test.images[[0, 3]], data.spec)
    expected = grad_cam(model.eval(), x, data.test.labels[[0, 3]])[:, 0].detach().numpy()
    i = STUDY["methods"].index("grad_cam")
    np.testing.assert_allclose(maps["maps"][i], expected, atol=1e-6)
    with pytest.raises(ValueError, match="qualitative: test image 999"):
        score_run(model, data.test, data.spec, options, [999])


def write_scores(folder: Path, run: str, seed: int, table: pd.DataFrame) -> str:
    folder.mkdir(parents=True)
    table.to_csv(folder / "scores.csv.gz", index=False)
    (folder / "scores.json").write_text(json.dumps({
        "run": run, "dataset": "mnist", "seed": seed, "official": False,
        "options": {"seed": 0, "cam_target": "label", "n_steps": 4, "baseline": "black", "k_percent": 20}}))
    (folder / "timings.json").write_text(json.dumps({"seconds": 1.0}))
    return str(folder)


def constructed_table(methods, agree: bool, rng) -> pd.DataFrame:
    """Every metric: method m scores m (+ noise); `agree`: no noise, every image ranks alike."""
    rows = []
    for image in range(30):
        for k, m in enumerate(methods):
            for metric in METRICS:
                noise = 0.0 if agree else rng.normal(0, 3)
                rows.append({"method": m, "image": image, "label": 1, "target": 1, "metric": metric,
                             "score": k + noise})
    return pd.DataFrame(rows)


def test_alpha_is_one_where_images_agree_and_the_comparison_says_so(tmp_path):
    study = {**STUDY, "methods": ["grad_cam", "score_cam", "random"], "seeds": [0, 1], "n_boot": 50,
             "variants": {"C": {"variant": "C"}, "focal": {"variant": "C", "classification_loss": "focal"}}}
    rng = np.random.default_rng(0)
    dirs = []
    for training, name, agree in (("C", "C", False), ("focal", "C+classification_loss=focal", True)):
        for seed in (0, 1):
            run = f"results/mnist/{name}/paper_cnn/seed{seed}"
            dirs.append(write_scores(tmp_path / training / str(seed), run, seed,
                                     constructed_table(study["methods"], agree, rng)))
    result = summarise(S(study), BASES, dirs)
    focal, c = result["alpha"]["focal"], result["alpha"]["C"]
    assert focal["energy_pointing_game"]["alpha"] == pytest.approx(1.0)
    assert c["energy_pointing_game"]["alpha"] < 0.6
    assert result["comparisons"]["focal"]["alpha"]["energy_pointing_game"] == "higher"
    mm = result["method_metric"]["focal"]["score_cam"]["topk_iou"]
    assert mm["mean"] == pytest.approx(1.0) and mm["n"] == 2
    lines = answers(result)
    assert lines[0].startswith("not assessed: focal raises benchmark reliability")  # fixtures: unofficial
    assert lines[1].startswith("Alpha intervals: 95% percentile bootstrap resampling the seeds")
    focal_line = next(line for line in lines if line.startswith("focal vs C: "))
    higher = sum(v == "higher" for v in result["comparisons"]["focal"]["alpha"].values())
    assert f"alpha higher (intervals disjoint) on {higher} of {len(METRICS)} metrics" in focal_line
    assert "energy_pointing_game" in focal_line
    section = report_section(dict(result, figures=[]))
    assert section["answers"] == lines and section["data"] == "not the paper's data (official: false)"
    assert [m["training"] for m in section["methods"]] == ["C", "focal"]
    assert section["alpha"]["rows"] and section["alpha"]["columns"] == list(section["alpha"]["rows"][0])
    assert "30 test images per run" in section["setup"] and "seeds 0, 1" in section["setup"]


def test_compare_alpha():
    a = lambda lo, hi: {"alpha": (lo + hi) / 2, "lo": lo, "hi": hi}
    assert compare_alpha(a(0.5, 0.6), a(0.2, 0.4)) == "higher"
    assert compare_alpha(a(0.1, 0.15), a(0.2, 0.4)) == "lower"
    assert compare_alpha(a(0.3, 0.5), a(0.2, 0.4)) == "overlapping"
    assert compare_alpha(a(float("nan"), float("nan")), a(0.2, 0.4)) == "undefined"


def test_two_level_interval_is_wider_when_seeds_disagree():
    from wrongnumber.analysis.reliability import bootstrap_mean_alpha
    rng = np.random.default_rng(1)
    base = np.linspace(0, 1, 6)
    tight = [base + rng.normal(0, 0.3, (80, 6)) for _ in range(3)]
    spread = [base + rng.normal(0, s, (80, 6)) for s in (0.05, 0.3, 1.5)]  # seeds differ a lot
    def width(sets, two):
        _, lo, hi = bootstrap_mean_alpha(sets, True, 200, 0, 0.95, "percentile", two)
        return hi - lo
    assert width(spread, True) > 5 * width(spread, False)   # fixed models hide the seed spread
    assert width(spread, True) > 3 * width(tight, True)
    with pytest.raises(ValueError, match="percentile"):
        bootstrap_mean_alpha(tight, True, 10, resample_models=True)


def example_result(tmp_path) -> dict:
    """An xai.json as the study writes it (without its figures), for tests/test_studies.py."""
    study = {**STUDY, "methods": ["grad_cam", "random"], "seeds": [0], "n_boot": 20,
             "variants": {"C": {"variant": "C"}, "R": {"variant": "R"}}}
    rng = np.random.default_rng(0)
    dirs = [write_scores(tmp_path / name, f"results/mnist/{name}/paper_cnn/seed0", 0,
                         constructed_table(study["methods"], False, rng)) for name in ("C", "R")]
    return dict(summarise(S(study), BASES, dirs), figures=[])
