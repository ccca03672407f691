"""`wrongnumber` command line: parses arguments and dispatches; the work is in the modules.

Every subcommand turns a bad option or a bad file into one line on stderr and exit code 2,
without a traceback and without leaving an output that looks complete.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

from .core.evaluate import LOW_CONFIDENCE
from .core.train import EARLY_STOP_ON, TrainConfig
from .plan import layout, numerics, settings, xai
from .plan.runspec import DATASETS
from .plan.studies import REPORTED, STUDIES


# ---- what each subcommand does ----

def cmd_train(args) -> int:
    from .core import runinfo
    from .core.data import load_for_config
    from .core.train import train

    cfg = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)}).validate()
    device = runinfo.resolve_device(args.device)
    data = load_for_config(cfg, device, args.data_dir, args.download_root)
    print(f"train {cfg.dataset}/{cfg.variant} seed {cfg.seed} on {device}: "
          f"{len(data.train.labels)} train, {len(data.val.labels)} val images "
          f"(official data: {data.provenance['official']})", flush=True)
    train(cfg, data, args.out, device, resume=args.resume, log=lambda s: print(s, flush=True),
          keep_epoch_states=args.keep_epoch_states)
    return 0


def cmd_restop(args) -> int:
    from .core import runinfo
    from .core.restop import restop

    metrics = restop(args.run, args.out, runinfo.resolve_device(args.device),
                     early_stop_on=args.early_stop_on, patience=args.patience,
                     min_delta=args.min_delta, max_epochs=args.max_epochs,
                     data_dir=args.data_dir, download_root=args.download_root)
    print(f"{args.out}: best epoch {metrics['best_epoch']}, stopped at {metrics['stopped_epoch']} "
          f"(early: {metrics['stopped_early']})", flush=True)
    return 0


def cmd_evaluate(args) -> int:
    from .core import runinfo
    from .core.evaluate import evaluate_run

    r = evaluate_run(args.run, args.out, args.low_confidence, runinfo.resolve_device(args.device),
                     args.data_dir, args.download_root)
    print(f"{r['dataset']}/{r['variant']} seed {r['seed']}: accuracy {100 * r['accuracy']:.2f}% "
          f"({r['true_predictions']} true, {r['false_predictions']} false, "
          f"{r['true_low_confidence']} true low-confidence < {args.low_confidence})", flush=True)
    return 0


def cmd_xai_scores(args) -> int:
    from .core import runinfo
    from .analysis.xai import score_folder

    options = {"methods": list(args.methods), "n_samples": args.n_samples, "seed": args.sample_seed,
               "cam_target": args.cam_target, "n_steps": args.n_steps, "k_percent": args.k_percent,
               "baseline": args.baseline}
    r = score_folder(args.run, args.out, options, args.qualitative, runinfo.resolve_device(args.device),
                     args.data_dir, args.download_root)
    print(f"{args.run}: {len(options['methods'])} methods x {r['n_images']} images scored "
          f"in {r['seconds']:.1f} s", flush=True)
    return 0


def cmd_complexity(args) -> int:
    import json

    from .core.atomic import write_json
    from .analysis.complexity import complexity_report
    from .core.models import described_model

    from .analysis.comparison import load_reported

    report = complexity_report(described_model(args.backbone), load_reported(args.reported)["numbers"])
    if args.out:
        write_json(args.out, report)
    if args.json or not args.out:
        sys.stdout.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0


def cmd_assemble_data(args) -> int:
    from .analysis.provenance import assemble_data

    sources = assemble_data(args.dataset, args.out, train_dir=args.train_dir, test_dir=args.test_dir,
                            download_root=args.download_root)
    print(f"{args.dataset}: {sources['how']} -> {args.out}", flush=True)
    return 0


def cmd_tables(args) -> int:
    from .artifacts.tables import make_tables

    return _print(make_tables(args.runs, args.evals, args.complexity, args.reported, args.out_dir,
                              claims=args.claims))


def cmd_figures(args) -> int:
    from .artifacts.figures import make_figures_from_files

    for fig in make_figures_from_files(args.runs, args.evals, args.reported, args.out_dir):
        print(fig["id"], *fig["files"], flush=True)
    return 0


def cmd_report(args) -> int:
    from .artifacts.report import make_report

    return _print(make_report(reported=args.reported, templates=args.templates, tables=args.tables,
                              figures=args.figures, run_dirs=args.runs, eval_dirs=args.evals,
                              config=args.config, sources=args.sources, bench=args.benchmarks,
                              hashed=args.hash, out_dir=args.out_dir, studies=args.studies,
                              claims=args.claims, config_names=args.config_names))


def cmd_study(args) -> int:
    """`wrongnumber <study>`, for every study of plan/studies.py."""
    from .core import runinfo
    from .study_io import run

    inputs = {name: getattr(args, name) for name in STUDIES[args.command].flags}
    if "device" in inputs:
        inputs["device"] = runinfo.resolve_device(args.device)
    return _print(run(args.command, **inputs))


def cmd_fingerprint(args) -> int:
    import json

    from .core import runinfo
    from .core.fingerprint import expected, fingerprint, mismatch_message

    result = fingerprint(args.data_dir, runinfo.resolve_device(args.device), args.steps, args.seed)
    print(json.dumps(result, indent=2), flush=True)
    if not args.check:
        return 0
    want = expected(args.check, result)
    if want == result["hashes"]:
        print(f"fingerprint matches {args.check}: this machine computes the reference's bits", flush=True)
        return 0
    print(mismatch_message(result, want, args.check), file=sys.stderr, flush=True)
    return 1


def cmd_check_reference(args) -> int:
    from .analysis.reference import compare

    result = compare(args.reference, args.results, args.runs)
    for run, key, want, have in result["moved"]:
        mark = "MOVED" if (run, key, want, have) in result["failures"] else "moved (within tolerance)"
        print(f"{mark}: {run} {key}: reference {want}, this run {have}", flush=True)
    for run, _, differ, _ in (f for f in result["failures"] if f[1] == "config"):
        print(f"OTHER OPTIONS: {run} was trained with other options than the reference ({differ})", flush=True)
    print(f"{result['checked']} numbers checked against {args.reference}: {result['verdict']}; "
          f"{len(result['moved'])} differ, {len(result['failures'])} beyond what that allows", flush=True)
    return 1 if result["failures"] else 0


def cmd_freeze_reference(args) -> int:
    import json

    from .analysis.reference import freeze
    from .core.runinfo import git_commit

    print(json.dumps(freeze(args.root, args.out, args.commit or git_commit()), indent=2), flush=True)
    return 0


def cmd_rename_runs(args) -> int:
    from .plan import rename
    from .core.models import MODELS
    from .plan.runspec import bases

    old, new = rename.load_config(args.old), rename.load_config(args.new)
    moves = rename.plan(Path(args.results), bases(old), bases(new), MODELS)
    for a, b in moves:
        print(f"{a} -> {b}", flush=True)
    if args.apply:
        rename.apply(moves)
    print(f"{len(moves)} moves {'done' if args.apply else 'planned (dry run: add --apply)'}", flush=True)
    return 0


def _print(paths) -> int:
    for path in paths:
        print(path, flush=True)
    return 0


# ---- each subcommand's arguments ----

def add_data_source(p: argparse.ArgumentParser, required: bool) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--data-dir", help="folder with the four IDX files (.gz or raw)")
    src.add_argument("--download-root", help="torchvision download/cache folder (every file must have the official SHA-256)")


def add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (cuda if available), cpu, cuda[:N]")
    p.add_argument("--threads", type=int, default=None,
                   help=f"CPU threads for torch (portable numerics: always {numerics.THREADS}; native: default torch's)")
    p.add_argument("--numerics", choices=numerics.MODES, default=None,
                   help=f"portable: the same bits on every x86-64 CPU with AVX2; native: torch's fastest "
                        f"(default: ${numerics.ENV}, else {numerics.DEFAULT}; docs/numerics.md)")
    p.add_argument("--claim-gpus", type=int, default=0, metavar="N",
                   help="hold N free GPUs of this machine (lock files) and set CUDA_VISIBLE_DEVICES "
                        "to them before CUDA starts; 0 or no GPU: nothing (see wrongnumber.core.gpu_slot)")
    p.add_argument("--gpu-lock-dir", default=None,
                   help="folder of the GPU lock files (default: $WRONGNUMBER_GPU_LOCK_DIR or "
                        "/tmp/wrongnumber-gpu-slots-UID, per SLURM job inside one)")


def add_runs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reported", required=True, help=layout.PAPER_REPORTED)
    p.add_argument("--runs", nargs="+", required=True, help="finished run folders")
    p.add_argument("--evals", nargs="+", required=True, help="their evaluation folders, same order")


def baseline(text: str):
    """--baseline: black, blur or a grey level in [0, 1]."""
    if text in ("black", "blur"):
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be black, blur or a grey level in [0, 1], got {text!r}") from None


def args_train(p: argparse.ArgumentParser) -> None:
    add_data_source(p, required=True)
    p.add_argument("--out", required=True, help="run folder (see docs/outputs.md)")
    p.add_argument("--resume", action="store_true", help="continue from RUN/checkpoint.pt")
    p.add_argument("--keep-epoch-states", action="store_true",
                   help="also write every epoch's weights (epoch_states.pt), for `restop`")
    add_device(p)
    for f in fields(TrainConfig):
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default),
                       default=f.default, help=f.metadata["help"].replace("%", "%%"))


def args_restop(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", required=True, help="finished source run folder")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--early-stop-on", required=True, choices=list(EARLY_STOP_ON))
    p.add_argument("--patience", type=int, required=True)
    p.add_argument("--min-delta", type=float, default=0.0)
    p.add_argument("--max-epochs", type=int, default=None, help="the derived run's limit (default: the source's)")
    add_data_source(p, required=False)
    add_device(p)


def args_evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--run", required=True, help="finished run folder")
    p.add_argument("--out", required=True, help="folder for eval.json, predictions.csv, failures.npz")
    add_data_source(p, required=False)
    p.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE,
                   help="'true low confidence' = correct with max softmax below this")
    add_device(p)


def args_xai_scores(p: argparse.ArgumentParser) -> None:
    from .core.cam_methods import METHODS

    p.add_argument("--run", required=True, help="finished run folder")
    p.add_argument("--out", required=True, help="folder for scores.csv.gz, maps.npz, scores.json")
    add_data_source(p, required=False)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    d = settings.defaults(xai.Settings)  # the xai study's own (plan/xai.py)
    p.add_argument("--n-samples", type=int, default=d["n_samples"], help="test images scored (seeded draw)")
    p.add_argument("--sample-seed", type=int, default=d["sample_seed"], help="seeds the image draw and the random baseline")
    p.add_argument("--cam-target", default=d["cam_target"], choices=("label", "prediction"))
    p.add_argument("--n-steps", type=int, default=d["n_steps"], help="deletion/insertion steps")
    p.add_argument("--baseline", default=d["baseline"], type=baseline, help="black | blur | a grey level in [0, 1]")
    p.add_argument("--k-percent", type=float, default=d["k_percent"], help="share of pixels of the top-k IoU")
    p.add_argument("--qualitative", type=int, nargs="*", default=d["qualitative"],
                   help="test images whose maps are kept for the qualitative grid")
    add_device(p)


def args_complexity(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backbone", default="paper_cnn")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", help="also write the JSON report to this file")
    p.add_argument("--reported", default=layout.PAPER_REPORTED, help="the paper's numbers (Table 2)")


def args_assemble_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", required=True, choices=DATASETS)
    p.add_argument("--out", required=True, help="folder to fill")
    p.add_argument("--download-root", help="download with torchvision into this folder")
    p.add_argument("--train-dir", help="folder with train-images/labels IDX files (.gz or raw)")
    p.add_argument("--test-dir", help="folder with t10k-images/labels IDX files (.gz or raw)")


def args_tables(p: argparse.ArgumentParser) -> None:
    add_runs(p)
    p.add_argument("--claims", default=None,
                   help="paper/claims.yaml: the protocol whose decision seeds give the verdicts "
                        "(default: claims.yaml beside --reported)")
    p.add_argument("--complexity", required=True, help="JSON written by `wrongnumber complexity`")
    p.add_argument("--out-dir", required=True)


def args_figures(p: argparse.ArgumentParser) -> None:
    add_runs(p)
    p.add_argument("--out-dir", required=True)


# A study command's flags (Study.flags names them): name -> (add it to a parser, the study's key)
STUDY_FLAGS = {
    "config": lambda p, key: p.add_argument(
        "--config", required=True, help=f"the resolved workflow config (JSON) with its `{key}` section"),
    "reported": lambda p, key: p.add_argument("--reported", required=True, help=layout.PAPER_REPORTED),
    "claims": lambda p, key: p.add_argument("--claims", default=layout.PAPER_CLAIMS,
                                            help="the paper's claims, the study's results are held against"),
    "runs": lambda p, key: p.add_argument("--runs", nargs="+", required=True,
                                          help="the study's run folders, in its planned order"),
    "evals": lambda p, key: p.add_argument("--evals", nargs="+", required=True,
                                           help="their evaluation folders, same order"),
    "scores": lambda p, key: p.add_argument("--scores", nargs="+", required=True,
                                            help="the xai-scores folder of every run of the study"),
    "low_confidence": lambda p, key: p.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE),
    "device": lambda p, key: add_device(p),
    "out_dir": lambda p, key: p.add_argument("--out-dir", required=True),
}


def args_study(key: str):
    """The arguments of `wrongnumber <key>`: its study's flags."""
    def add(p: argparse.ArgumentParser) -> None:
        for name in STUDIES[key].flags:
            STUDY_FLAGS[name](p, key)
    return add


def args_check_reference(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reference", default="paper/regenerated", help="the reference's root folder")
    p.add_argument("--results", default=".", help="the fresh run's root folder")
    p.add_argument("--runs", nargs="+", required=True,
                   help="run folders relative to both roots, e.g. results/mnist/R/paper_cnn/seed0")



def args_fingerprint(p: argparse.ArgumentParser) -> None:
    from .core.fingerprint import STEPS

    p.add_argument("--data-dir", default="data/mnist", help="the official MNIST (four IDX files)")
    p.add_argument("--steps", type=int, default=STEPS, help="training steps of C and of R (batch 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--check", default=None, metavar="FILE",
                   help="compare with the committed hashes (paper/fingerprint.json); exit 1 on a mismatch")
    add_device(p)


def args_freeze_reference(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=".", help="the folder that holds results/")
    p.add_argument("--out", default="paper/regenerated")
    p.add_argument("--commit", default=None, help="the commit that produced it (default: this checkout's)")

def args_rename_runs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--old", nargs="+", default=[layout.CONFIG],
                   help="the config the runs were named under: the workflow's resolved results/config.json, "
                        "or the config files as they were, in --configfile order")
    p.add_argument("--new", nargs="+", required=True,
                   help="the config files of the new defaults, in --configfile order "
                        "(e.g. config/config.yaml config/quick.yaml)")
    p.add_argument("--results", default=layout.ROOT)
    p.add_argument("--apply", action="store_true", help="move the folders (default: print the plan)")


def args_report(p: argparse.ArgumentParser) -> None:
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
                   help=f"results/<study>/<study>.json of the studies run ({', '.join(REPORTED)}): "
                        "one report section each")
    p.add_argument("--out-dir", required=True)


# name: (help, arguments, command, show defaults in --help)
COMMANDS = {
    "train": ("train one run (dataset, variant, seed)", args_train, cmd_train, True),
    "restop": ("the run another early-stopping rule gives, derived exactly from a longer run trained "
               "with --keep-epoch-states", args_restop, cmd_restop, True),
    "evaluate": ("test-set metrics of a finished run", args_evaluate, cmd_evaluate, True),
    "xai-scores": ("score every CAM method by every explanation metric on a run's test images",
                   args_xai_scores, cmd_xai_scores, True),
    "complexity": ("parameters, MACs and FLOPs (Table 2)", args_complexity, cmd_complexity, False),
    "assemble-data": ("one dataset folder (four IDX .gz + SOURCES.json)", args_assemble_data,
                      cmd_assemble_data, False),
    "tables": ("the paper's tables, regenerated and compared (CSV, MD, TeX)", args_tables, cmd_tables, False),
    "figures": ("the paper's Figures 1-8 and training curves (PNG, PDF)", args_figures, cmd_figures, False),
    **{key: (s.help, args_study(key), cmd_study, False) for key, s in STUDIES.items()},
    "check-reference": ("compare a fresh run's Table 1 numbers and stopping epochs with the committed "
                        "reference run (exit 1 naming each number that moved)", args_check_reference,
                        cmd_check_reference, False),
    "fingerprint": ("hash a few training steps of C and R: does this machine compute the reference's "
                    "bits? (exit 1 naming CPU, ISA, MKL branch and threads when not)", args_fingerprint,
                    cmd_fingerprint, True),
    "freeze-reference": ("copy a finished run's results (no models or checkpoints) to the committed "
                         "reference folder, with the commit and config hash", args_freeze_reference,
                         cmd_freeze_reference, False),
    "rename-runs": ("rename run folders after the config's train defaults change", args_rename_runs,
                    cmd_rename_runs, False),
    "report": ("render index.html and report.md from paper/*.j2", args_report, cmd_report, False),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wrongnumber", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, command, show_defaults) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, formatter_class=argparse.ArgumentDefaultsHelpFormatter
                           if show_defaults else argparse.HelpFormatter)
        add_arguments(p)
        p.set_defaults(func=command)
    return parser


def use_numerics(args, argv: list[str] | None) -> None:
    """Run under the numerics asked for: the package applied $WRONGNUMBER_NUMERICS (or the
    default) before torch loaded, so another mode re-executes the command with it set. Portable
    numerics fix the thread count."""
    mode = getattr(args, "numerics", None) or numerics.applied()
    if mode != numerics.applied():
        if argv is not None:  # called in-process (tests): never replace the caller's process
            raise numerics.NumericsError(f"this process runs {numerics.applied()} numerics; set "
                                         f"{numerics.ENV}={mode} before importing wrongnumber")
        env = dict(os.environ, **{numerics.ENV: mode})
        os.execve(sys.executable, [sys.executable, "-m", "wrongnumber.cli", *sys.argv[1:]], env)
    if not hasattr(args, "threads"):
        return
    import torch
    if mode == "portable" and args.threads not in (None, numerics.THREADS):
        raise numerics.NumericsError(f"--threads {args.threads}: portable numerics run "
                                     f"{numerics.THREADS} thread per job (run jobs side by side, or "
                                     "use --numerics native to choose the threads)")
    threads = numerics.THREADS if mode == "portable" else args.threads
    if threads:
        torch.set_num_threads(threads)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        use_numerics(args, argv)
    except numerics.NumericsError as exc:
        print(f"wrongnumber {args.command}: error: {exc}", file=sys.stderr)
        return 2
    from .core.data import DataError
    try:
        if getattr(args, "claim_gpus", 0):  # before anything touches CUDA
            from .core.gpu_slot import claim_gpus
            claim_gpus(args.claim_gpus, lock_dir=args.gpu_lock_dir)
        return args.func(args)
    except (DataError, ValueError, OSError) as exc:  # ConfigError is a ValueError; OSError: files
        print(f"wrongnumber {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
