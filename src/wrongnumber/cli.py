"""`wrongnumber` command line: parses arguments and dispatches; the work is in the modules.

Every subcommand turns a bad option or a bad file into one line on stderr and exit code 2,
without a traceback and without leaving an output that looks complete.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from .train import EARLY_STOP_ON, TrainConfig
from .evaluate import LOW_CONFIDENCE

DEFAULTS = TrainConfig()


def add_data_source(p: argparse.ArgumentParser, required: bool) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--data-dir", help="folder with the four IDX files (.gz or raw)")
    src.add_argument("--download-root", help="torchvision download/cache folder (every file must have the official SHA-256)")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda[:N]")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's)")
    p.add_argument("--claim-gpus", type=int, default=0, metavar="N",
                   help="hold N free GPUs of this machine (lock files) and set CUDA_VISIBLE_DEVICES "
                        "to them before CUDA starts; 0 or no GPU: nothing (see wrongnumber.gpu_slot)")
    p.add_argument("--gpu-lock-dir", default=None,
                   help="folder of the GPU lock files (default: $WRONGNUMBER_GPU_LOCK_DIR or "
                        "/tmp/wrongnumber-gpu-slots-UID, per SLURM job inside one)")


def cmd_train(args) -> int:
    from . import runinfo
    from .data import load_dataset
    from .train import train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)}).validate()
    device = runinfo.resolve_device(args.device)
    data = load_dataset(cfg.dataset, data_dir=args.data_dir, download_root=args.download_root,
                        val_fraction=cfg.val_fraction, subset=cfg.subset,
                        subset_fraction=cfg.subset_fraction, seed=cfg.seed, device=device,
                        normalization=cfg.normalization)
    print(f"train {cfg.dataset}/{cfg.variant} seed {cfg.seed} on {device}: "
          f"{len(data.train.labels)} train, {len(data.val.labels)} val images "
          f"(official data: {data.provenance['official']})", flush=True)
    train(cfg, data, args.out, device, resume=args.resume, log=lambda s: print(s, flush=True),
          keep_epoch_states=args.keep_epoch_states)
    return 0


def cmd_restop(args) -> int:
    from . import runinfo
    from .restop import restop

    metrics = restop(args.run, args.out, runinfo.resolve_device(args.device),
                     early_stop_on=args.early_stop_on, patience=args.patience,
                     min_delta=args.min_delta, max_epochs=args.max_epochs,
                     data_dir=args.data_dir, download_root=args.download_root)
    print(f"{args.out}: best epoch {metrics['best_epoch']}, stopped at {metrics['stopped_epoch']} "
          f"(early: {metrics['stopped_early']})", flush=True)
    return 0


def load_finished_run(args):
    """(run folder, metrics, config, device, data, model) of `--run`, on the data it was trained
    with unless --data-dir/--download-root say otherwise; the model holds the restored weights."""
    import torch

    from . import runinfo
    from .data import load_for_run
    from .models import build_model
    from .train import to_memory_format

    run = Path(args.run)
    if not (run / "metrics.json").exists() or not (run / "model.pt").exists():
        raise FileNotFoundError(f"{run} is not a finished training run (metrics.json and model.pt "
                                f"are written last); run `wrongnumber train --out {run}` first")
    metrics = json.loads((run / "metrics.json").read_text())
    cfg = TrainConfig(**metrics["config"])
    device = runinfo.resolve_device(args.device)
    data = load_for_run(cfg, metrics["data"], device, args.data_dir, args.download_root)
    model = to_memory_format(build_model(cfg.backbone, dropout=cfg.dropout).to(device), cfg)
    model.load_state_dict(torch.load(run / "model.pt", map_location=device)["state_dict"])
    return run, metrics, cfg, device, data, model


def cmd_evaluate(args) -> int:
    import numpy as np
    import pandas as pd
    import torch

    from . import runinfo
    from .evaluate import evaluate

    if not 0 < args.low_confidence < 1:
        raise ValueError(f"--low-confidence must be in (0, 1), got {args.low_confidence}")
    run, metrics, cfg, device, data, model = load_finished_run(args)
    summary, per_sample, failures = evaluate(model, data.test, data.test_spec, cfg.cam_target,
                                             args.low_confidence)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").unlink(missing_ok=True)  # written last: marks a finished evaluation
    pd.DataFrame(per_sample).to_csv(out / "predictions.csv.tmp", index=False)
    os.replace(out / "predictions.csv.tmp", out / "predictions.csv")
    with open(out / "failures.npz.tmp", "wb") as f:
        np.savez_compressed(f, **failures)
    os.replace(out / "failures.npz.tmp", out / "failures.npz")
    record = {"dataset": cfg.dataset, "variant": cfg.variant, "seed": cfg.seed,
              "official": data.provenance["official"], "run": str(run), **summary,
              "data": data.provenance, "versions": runinfo.versions(), "device": device.type,
              "threads": torch.get_num_threads()}
    runinfo.write_json_atomic(out / "eval.json", record)
    print(f"{cfg.dataset}/{cfg.variant} seed {cfg.seed}: accuracy {100 * summary['accuracy']:.2f}% "
          f"({summary['true_predictions']} true, {summary['false_predictions']} false, "
          f"{summary['true_low_confidence']} true low-confidence < {args.low_confidence})", flush=True)
    return 0


def cmd_xai_scores(args) -> int:
    import time

    import numpy as np

    from . import runinfo
    from .xai import score_run

    baseline = args.baseline
    if baseline not in ("black", "blur"):
        try:
            baseline = float(baseline)
        except ValueError:
            raise ValueError(f"--baseline must be black, blur or a grey level in [0, 1], got {baseline!r}") from None
    options = {"methods": list(args.methods), "n_samples": args.n_samples, "seed": args.sample_seed,
               "cam_target": args.cam_target, "n_steps": args.n_steps, "k_percent": args.k_percent,
               "baseline": baseline}
    run, metrics, cfg, device, data, model = load_finished_run(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scores.json").unlink(missing_ok=True)  # written last: marks a finished scoring
    t0 = time.perf_counter()
    scores, maps = score_run(model, data.test, data.test_spec, options, args.qualitative)
    seconds = time.perf_counter() - t0
    scores.to_csv(out / "scores.csv.gz.tmp", index=False, compression={"method": "gzip", "mtime": 0})
    os.replace(out / "scores.csv.gz.tmp", out / "scores.csv.gz")
    with open(out / "maps.npz.tmp", "wb") as f:
        np.savez_compressed(f, **maps)
    os.replace(out / "maps.npz.tmp", out / "maps.npz")
    runinfo.write_json_atomic(out / "scores.json", {
        "run": str(run), "dataset": cfg.dataset, "variant": cfg.variant, "seed": cfg.seed,
        "backbone": cfg.backbone, "options": options, "qualitative": args.qualitative,
        "n_images": int(scores["image"].nunique()), "official": data.provenance["official"],
        "test_indices": data.test.indices[sorted(scores["image"].unique())].cpu().tolist(),
        "versions": runinfo.versions(), "device": device.type})
    runinfo.write_json_atomic(out / "timings.json", {"seconds": seconds, "device_name": runinfo.device_name(device)})
    print(f"{run}: {len(options['methods'])} methods x {scores['image'].nunique()} images scored "
          f"in {seconds:.1f} s", flush=True)
    return 0


def cmd_complexity(args) -> int:
    from .complexity import complexity_report
    from .models import described_model

    report = complexity_report(described_model(args.backbone))
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if args.out:
        from .runinfo import write_json_atomic
        write_json_atomic(args.out, report)
    if args.json or not args.out:
        sys.stdout.write(text)
    return 0


def cmd_assemble_data(args) -> int:
    from .provenance import assemble_data

    sources = assemble_data(args.dataset, args.out, train_dir=args.train_dir, test_dir=args.test_dir,
                            download_root=args.download_root)
    print(f"{args.dataset}: {sources['how']} -> {args.out}", flush=True)
    return 0


def cmd_tables(args) -> int:
    from .provenance import load_runs
    from .table_files import write_tables
    from .tables import build_tables, load_reported

    tables = build_tables(load_runs(args.runs, args.evals), json.loads(Path(args.complexity).read_text()),
                          load_reported(args.reported))
    for path in write_tables(tables, args.out_dir):
        print(path, flush=True)
    return 0


def cmd_figures(args) -> int:
    from .figures import make_figures
    from .provenance import load_runs
    from .tables import load_reported

    reported = load_reported(args.reported)
    paper_counts = {v: reported["numbers"][f"table1.{v}.true_low_confidence"]["value"] for v in ("R", "C")}
    for fig in make_figures(load_runs(args.runs, args.evals), reported["figures"], args.out_dir, paper_counts):
        print(fig["id"], *fig["files"], flush=True)
    return 0


def cmd_report(args) -> int:
    from .report import make_report

    for path in make_report(reported=args.reported, templates=args.templates, tables=args.tables,
                            figures=args.figures, run_dirs=args.runs, eval_dirs=args.evals,
                            config=args.config, sources=args.sources, bench=args.benchmarks,
                            hashed=args.hash, out_dir=args.out_dir, studies=args.studies,
                            claims=args.claims, config_names=args.config_names):
        print(path, flush=True)
    return 0


def _study_config(path: str, key: str, config_file: str) -> dict:
    config = json.loads(Path(path).read_text())
    if not config.get(key):
        raise ValueError(f"{path}: the resolved config has no `{key}` section; run the workflow with "
                         f"--configfile <data config> {config_file}")
    return config


def cmd_readings(args) -> int:
    from .provenance import load_runs
    from .readings import score, write
    from .runspec import bases
    from .tables import load_reported

    from . import claims, evidence

    config = _study_config(args.config, "readings", "config/readings.yaml")
    runs = load_runs(args.runs, args.evals, unique=False)
    result = score(config["readings"], bases(config), runs, load_reported(args.reported)["numbers"],
                   claims=claims.load(args.claims)["claims"],
                   seed_results={r.run_dir: evidence.seed_result(r) for r in runs})
    for path in write(result, args.out_dir):
        print(path, flush=True)
    return 0


def cmd_stopping(args) -> int:
    from . import runinfo, stopping
    from .restop import evaluate_epochs
    from .runinfo import write_json_atomic
    from .runspec import bases
    from .table_files import write_tables
    from .tables import load_reported

    config = _study_config(args.config, "stopping", "config/stopping.yaml")
    study = config["stopping"]
    planned = stopping.expand(study, bases(config))
    if len(planned) != len(args.runs):
        raise ValueError(f"--runs: {len(args.runs)} folders for the {len(planned)} runs the study plans")
    paths = {(r["name"], r["seed"]): Path(p) for r, p in zip(planned, args.runs)}
    histories = {key: json.loads((path / "metrics.json").read_text())["history"]
                 for key, path in paths.items()}
    decisions = stopping.decide(study, histories, config["train"]["max_epochs"])
    device = runinfo.resolve_device(args.device)
    evals = {}
    for key, path in paths.items():
        epochs = {d["best_epoch"] for (k, _), d in decisions.items() if k == key and d["decided"]}
        for epoch, summary in evaluate_epochs(path, epochs, device, args.low_confidence).items():
            evals[key, epoch] = summary
    result = stopping.score(study, planned, decisions, evals, load_reported(args.reported)["numbers"])
    train = config["train"]
    result["default"] = {"reading": "R", "rule_label": stopping.rule_label(train)}
    out = Path(args.out_dir)
    write_tables({"ranking": {"title": "Channel-weight readings x early-stopping rules, ranked "
                              "against the paper's Table 1 and stopping epochs",
                              "rows": stopping.table_rows(result)}}, out)
    write_json_atomic(out / "stopping.json", result)
    print(out / "stopping.json", flush=True)
    return 0


def cmd_check_reference(args) -> int:
    from .reference import compare

    result = compare(args.reference, args.results, args.runs)
    for run, key, want, have in result["moved"]:
        mark = "MOVED" if (run, key, want, have) in result["failures"] else "moved (within tolerance)"
        print(f"{mark}: {run} {key}: reference {want}, this run {have}", flush=True)
    print(f"{result['checked']} numbers checked against {args.reference}: {result['verdict']}; "
          f"{len(result['moved'])} differ, {len(result['failures'])} beyond what that allows", flush=True)
    return 1 if result["failures"] else 0


def cmd_freeze_reference(args) -> int:
    from .reference import freeze
    from .runinfo import git_commit

    print(json.dumps(freeze(args.root, args.out, args.commit or git_commit()), indent=2), flush=True)
    return 0


def cmd_extension(args) -> int:
    from . import extension
    from .provenance import load_runs
    from .runspec import bases

    config = _study_config(args.config, "extension", "config/extension.yaml")
    runs = load_runs(args.runs, args.evals, unique=False)
    result = extension.summarise(config["extension"], bases(config), runs)
    for path in extension.write(result, runs, args.out_dir):
        print(path, flush=True)
    return 0


def cmd_xai(args) -> int:
    from . import xai
    from .runspec import bases

    config = _study_config(args.config, "xai", "config/xai.yaml")
    study = config["xai"]
    result = xai.summarise(study, bases(config), args.scores)
    for path in xai.write(result, args.out_dir):
        print(path, flush=True)
    return 0


def cmd_rename_runs(args) -> int:
    import yaml

    from . import rename
    from .models import MODELS
    from .runspec import bases

    old, new = (rename.merge_configs([yaml.safe_load(Path(f).read_text()) for f in files])
                for files in (args.old, args.new))  # YAML files or the workflow's JSON
    moves = rename.plan(Path(args.results), bases(old), bases(new), MODELS)
    for a, b in moves:
        print(f"{a} -> {b}", flush=True)
    if args.apply:
        rename.apply(moves)
    print(f"{len(moves)} moves {'done' if args.apply else 'planned (dry run: add --apply)'}", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wrongnumber", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one run (dataset, variant, seed)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_data_source(p, required=True)
    p.add_argument("--out", required=True, help="run folder (see docs/outputs.md)")
    p.add_argument("--resume", action="store_true", help="continue from RUN/checkpoint.pt")
    p.add_argument("--keep-epoch-states", action="store_true",
                   help="also write every epoch's weights (epoch_states.pt), for `restop`")
    add_device(p)
    help_text = {
        "dataset": "mnist | fashion", "variant": "C = cross-entropy; R = CE + CAM contrastive",
        "backbone": "model architecture", "seed": "fixes split, init, batch order, dropout",
        "max_epochs": "upper bound on epochs", "patience": "early-stopping patience (epochs)",
        "batch_size": "not in the paper", "lr": "Adam learning rate (paper: 1e-3)",
        "val_fraction": "stratified validation share of the training set",
        "dropout": "dropout probability before the FC layers (not in the paper)",
        "cam_target": "class the CAM explains: label | prediction",
        "pair_label": "contrastive y: always_similar | prediction_correct",
        "cam_weights": "Grad-CAM channel weights: detached (as hooks) | differentiable",
        "margin": "contrastive margin m (Eq. 1)", "contrastive_weight": "lambda in CE + lambda*L",
        "subset": "reading of 'subset of 15 %%': none | train | pooled | test (see data.py)",
        "subset_fraction": "fraction for --subset",
        "normalization": "input mean/std: dataset (the paper's) | mnist | mnist_at_test | none (slips, data.py)",
        "early_stop_on": "validation quantity watched: total (loss) | ce | accuracy",
        "min_delta": "smallest change of the watched quantity that counts as an improvement",
        "classification_loss": "classification term: ce (the paper) | focal (Lin et al. 2017)",
        "focal_gamma": "gamma of the focal loss (0 = cross-entropy)",
        "perturbation": "none | mask: delete a random share of the pixels of some training images",
        "perturbation_prob": "share of training images that --perturbation mask perturbs",
        "memory_format": "channels_last (NHWC, fastest on CPU) | contiguous (NCHW; not bit-identical)",
        "compile": "none | default: torch.compile the model (not bit-identical; no gain on CPU)",
        "adam_impl": "fused (one kernel) | foreach | auto (torch's choice); not bit-identical to each other",
        "amp": "none | bf16: autocast the forward, for CUDA (not bit-identical; slow on most CPUs)"}
    for f in fields(TrainConfig):
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default),
                       default=f.default, help=help_text[f.name])
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("restop", help="the run another early-stopping rule gives, derived exactly "
                       "from a longer run trained with --keep-epoch-states",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--run", required=True, help="finished source run folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--early-stop-on", required=True, choices=list(EARLY_STOP_ON))
    p.add_argument("--patience", type=int, required=True)
    p.add_argument("--min-delta", type=float, default=0.0)
    p.add_argument("--max-epochs", type=int, default=None, help="the derived run's limit (default: the source's)")
    add_data_source(p, required=False)
    add_device(p)
    p.set_defaults(func=cmd_restop)

    p = sub.add_parser("evaluate", help="test-set metrics of a finished run",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--run", required=True, help="finished run folder")
    p.add_argument("--out", required=True, help="folder for eval.json, predictions.csv, failures.npz")
    add_data_source(p, required=False)
    p.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE,
                   help="'true low confidence' = correct with max softmax below this")
    add_device(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("xai-scores", help="score every CAM method by every explanation metric on a run's test images",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--run", required=True, help="finished run folder")
    p.add_argument("--out", required=True, help="folder for scores.csv.gz, maps.npz, scores.json")
    add_data_source(p, required=False)
    from .cam_methods import METHODS
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--n-samples", type=int, default=500, help="test images scored (seeded draw)")
    p.add_argument("--sample-seed", type=int, default=0, help="seeds the image draw and the random baseline")
    p.add_argument("--cam-target", default="label", choices=("label", "prediction"))
    p.add_argument("--n-steps", type=int, default=28, help="deletion/insertion steps")
    p.add_argument("--baseline", default="black", help="black | blur | a grey level in [0, 1]")
    p.add_argument("--k-percent", type=float, default=20.0, help="share of pixels of the top-k IoU")
    p.add_argument("--qualitative", type=int, nargs="*", default=[0, 1, 2, 3, 4],
                   help="test images whose maps are kept for the qualitative grid")
    add_device(p)
    p.set_defaults(func=cmd_xai_scores)

    p = sub.add_parser("complexity", help="parameters, MACs and FLOPs (Table 2)")
    p.add_argument("--backbone", default="paper_cnn")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", help="also write the JSON report to this file")
    p.set_defaults(func=cmd_complexity)

    p = sub.add_parser("assemble-data", help="one dataset folder (four IDX .gz + SOURCES.json)")
    p.add_argument("--dataset", required=True, choices=("mnist", "fashion"))
    p.add_argument("--out", required=True, help="folder to fill")
    p.add_argument("--download-root", help="download with torchvision into this folder")
    p.add_argument("--train-dir", help="folder with train-images/labels IDX files (.gz or raw)")
    p.add_argument("--test-dir", help="folder with t10k-images/labels IDX files (.gz or raw)")
    p.set_defaults(func=cmd_assemble_data)

    def add_runs(p: argparse.ArgumentParser) -> None:
        p.add_argument("--reported", required=True, help="paper/reported.yaml")
        p.add_argument("--runs", nargs="+", required=True, help="finished run folders")
        p.add_argument("--evals", nargs="+", required=True, help="their evaluation folders, same order")

    p = sub.add_parser("tables", help="the paper's tables, regenerated and compared (CSV, MD, TeX)")
    add_runs(p)
    p.add_argument("--complexity", required=True, help="JSON written by `wrongnumber complexity`")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("figures", help="the paper's Figures 1-8 and training curves (PNG, PDF)")
    add_runs(p)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("readings", help="rank the readings of the paper's open choices by distance to its numbers")
    add_runs(p)
    p.add_argument("--config", required=True, help="the resolved workflow config (JSON) with its `readings` section")
    p.add_argument("--claims", default="paper/claims.yaml", help="the paper's claims, each reading is scored on")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_readings)

    p = sub.add_parser("stopping", help="replay every early-stopping rule on the study's long runs and "
                       "score each (reading, rule) against the paper")
    p.add_argument("--runs", nargs="+", required=True, help="the study's run folders, in its planned order")
    p.add_argument("--config", required=True, help="the resolved workflow config (JSON) with its `stopping` section")
    p.add_argument("--reported", required=True, help="paper/reported.yaml")
    p.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE)
    p.add_argument("--out-dir", required=True)
    add_device(p)
    p.set_defaults(func=cmd_stopping)

    p = sub.add_parser("check-reference", help="compare a fresh run's Table 1 numbers and stopping "
                       "epochs with the committed reference run (exit 1 naming each number that moved)")
    p.add_argument("--reference", default="paper/regenerated", help="the reference's root folder")
    p.add_argument("--results", default=".", help="the fresh run's root folder")
    p.add_argument("--runs", nargs="+", required=True,
                   help="run folders relative to both roots, e.g. results/mnist/R/paper_cnn/seed0")
    p.set_defaults(func=cmd_check_reference)

    p = sub.add_parser("freeze-reference", help="copy a finished run's results (no models or checkpoints) "
                       "to the committed reference folder, with the commit and config hash")
    p.add_argument("--root", default=".", help="the folder that holds results/")
    p.add_argument("--out", default="paper/regenerated")
    p.add_argument("--commit", default=None, help="the commit that produced it (default: this checkout's)")
    p.set_defaults(func=cmd_freeze_reference)

    p = sub.add_parser("extension", help="the six-seed backbone study: summaries, paired tests, plots")
    p.add_argument("--runs", nargs="+", required=True, help="finished run folders of the study")
    p.add_argument("--evals", nargs="+", required=True, help="their evaluation folders, same order")
    p.add_argument("--config", required=True, help="the resolved workflow config (JSON) with its `extension` section")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_extension)

    p = sub.add_parser("xai", help="the CAM-method study: method x metric tables, Krippendorff's alpha, answers")
    p.add_argument("--config", required=True, help="the resolved workflow config (JSON) with its `xai` section")
    p.add_argument("--scores", nargs="+", required=True, help="the xai-scores folder of every run of the study")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_xai)

    p = sub.add_parser("rename-runs", help="rename run folders after the config's train defaults change")
    p.add_argument("--old", nargs="+", default=["results/config.json"],
                   help="the config the runs were named under: the workflow's resolved results/config.json, "
                        "or the config files as they were, in --configfile order")
    p.add_argument("--new", nargs="+", required=True,
                   help="the config files of the new defaults, in --configfile order "
                        "(e.g. config/config.yaml config/quick.yaml)")
    p.add_argument("--results", default="results")
    p.add_argument("--apply", action="store_true", help="move the folders (default: print the plan)")
    p.set_defaults(func=cmd_rename_runs)

    p = sub.add_parser("report", help="render index.html and report.md from paper/*.j2")
    add_runs(p)
    p.add_argument("--templates", required=True, help="folder with report.md.j2 and report.html.j2")
    p.add_argument("--claims", required=True, help="paper/claims.yaml: the paper's claims and their tests")
    p.add_argument("--config-names", nargs="*", default=[], help="the config files of the run (the scoreboard names them)")
    p.add_argument("--tables", required=True, help="tables.json written by `wrongnumber tables`")
    p.add_argument("--figures", required=True, help="figures.json written by `wrongnumber figures`")
    p.add_argument("--config", required=True, help="the resolved workflow config (JSON)")
    p.add_argument("--sources", nargs="*", default=[], help="SOURCES.json of each dataset folder")
    p.add_argument("--benchmarks", nargs="*", default=[], help="Snakemake benchmark TSV files")
    p.add_argument("--hash", nargs="*", default=[], help="output files whose SHA-256 the report lists")
    p.add_argument("--studies", nargs="*", default=[],
                   help="results/<study>/<study>.json of the studies run (readings, extension, xai): "
                        "one report section each")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "threads", None):
        import torch
        torch.set_num_threads(args.threads)
    from .data import DataError
    try:
        if getattr(args, "claim_gpus", 0):  # before anything touches CUDA
            from .gpu_slot import claim_gpus
            claim_gpus(args.claim_gpus, lock_dir=args.gpu_lock_dir)
        return args.func(args)
    except (DataError, ValueError, OSError) as exc:  # ConfigError is a ValueError; OSError: files
        print(f"wrongnumber {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
