"""The reproducibility report: results/ + paper/ -> index.html (self-contained) and report.md.

For a reviewer: the paper's claims and their verdicts first (paper/claims.yaml's protocol, run
by `claims.assess`; the verdicts and their inputs also go to claims.json beside the report), then the tables, the figures, the studies, the readings of the
paper's gaps, and the provenance folded away. A function of its inputs: the tables
(tables.json), the figures (figures.json), the run and evaluation folders, the resolved
workflow config and the names of its files, the data folders' SOURCES.json, the Snakemake
benchmark files and the list of outputs to hash, plus the render date and the git commit. Any
missing value (None, "" or an undefined template variable) is an error, never a blank cell.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import re
import subprocess
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import yaml

from ..analysis import claims as claims_mod
from ..analysis import formatting as fmt
from ..core import atomic, runinfo
from ..analysis import evidence, provenance
from ..core.losses import DISTANCE_EPS
from ..analysis.comparison import DERIVED
from ..core.models import MODELS
from ..plan import layout
from ..plan.studies import REPORTED, STUDIES

CODE_CONSTANTS = {  # `used: {code: ...}` in reported.yaml -> the value the code uses
    "cam_layer": lambda backbone: f"{MODELS[backbone].cam_layer} of {backbone}",
    "distance_eps": lambda backbone: f"{DISTANCE_EPS:g} (wrongnumber.core.losses.DISTANCE_EPS)",
}


def _join(values: dict) -> str:
    """{'mnist': 'a', 'fashion': 'a'} -> 'a'; differing values -> 'fashion: a; mnist: b'."""
    distinct = set(values.values())
    return distinct.pop() if len(distinct) == 1 else "; ".join(f"{k}: {v}" for k, v in sorted(values.items()))


def value_used(used: dict, runs, figure_specs: dict) -> str:
    """The value an ambiguity was resolved to, read from what the runs recorded."""
    if "config" in used:
        return _join({r.dataset: ", ".join(f"{k}={r.metrics['config'][k]}" for k in used["config"])
                      for r in runs})
    if "eval" in used:
        return _join({r.dataset: ", ".join(f"{k}={r.eval[k]}" for k in used["eval"]) for r in runs})
    if "code" in used:
        return _join({r.dataset: CODE_CONSTANTS[used["code"]](r.metrics["config"]["backbone"]) for r in runs})
    if "figure" in used:
        spec = figure_specs[used["figure"]]
        return f"{spec['dataset']} {spec['variant']}, class {spec['class']}, epoch rule: {spec['epoch']}"
    raise ValueError(f"reported.yaml ambiguity: unknown `used` {used}")


def _rel(path: str, root: Path) -> str:
    """A path as seen from the workflow's folder (results/..), when it lies inside it."""
    p = Path(path)
    return os.path.relpath(p, root) if p.is_absolute() and p.is_relative_to(root.resolve()) else str(path)


def data_provenance(runs, sources: list[Path], root: Path = Path(".")) -> list[dict]:
    """Per dataset: what the runs read (files, hashes, official) and where the files came from."""
    origin = {}
    for path in sources:
        s = json.loads(Path(path).read_text())
        origin[s["dataset"]] = s
    out = []
    for dataset in sorted({r.dataset for r in runs}):
        run = next(r for r in runs if r.dataset == dataset)
        d = run.metrics["data"]
        src = origin.get(dataset)
        files = [{"name": n, "sha256": f["sha256"], "count": f["count"], "official": f["official"],
                  "origin": _rel(src["files"][n]["origin"] if src else d["folder"], root)}
                 for n, f in sorted(d["files"].items())]
        out.append({"dataset": dataset, "official": d["official"], "folder": _rel(d["folder"], root),
                    "how": src["how"] if src else f"--data-dir {d['folder']}",
                    "subset": d["subset"] if d["subset"] == "none" else f"{d['subset']} ({d['subset_fraction']:g})",
                    "n_train": d["n_train"], "n_val": d["n_val"], "n_test": d["n_test"], "files": files})
    return out


def benchmarks(paths: list[Path], root: Path) -> list[dict]:
    """Wall time and peak memory of each Snakemake job (its benchmark: TSV)."""
    jobs = []
    for p in sorted(paths):
        with open(p) as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        rss = row.get("max_rss", "NA")
        jobs.append({"job": str(Path(p).relative_to(root)) if Path(p).is_relative_to(root) else str(p),
                     "seconds": f"{float(row['s']):.1f}",
                     "max_rss_mb": "not measured" if rss in ("NA", "-", "") else f"{float(rss):.0f}"})
    return jobs


def check_complete(obj, where: str = "report") -> None:
    """Raise on None or an empty string anywhere in the context (a blank cell)."""
    if obj is None or obj == "":
        raise ValueError(f"{where}: missing value")
    if isinstance(obj, dict):
        for k, v in obj.items():
            check_complete(v, f"{where}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            check_complete(v, f"{where}[{i}]")


def study_sections(paths: list[Path], out_dir: Path) -> dict:
    """{study name: its report section}, in the registry's order (the report's): each
    results/<study>/<study>.json through its module's `report_section`, rendered by
    paper/section_<study>.{md,html}.j2; figure paths in a section ({"png": path}) get embedded
    like the paper's."""
    sections = {}
    for path in paths:
        name = Path(path).stem
        if name not in REPORTED:
            raise ValueError(f"{path}: no report section for a study named {name!r}; "
                             f"known: {sorted(REPORTED)}")
        section = STUDIES[name].artifacts.report_section(json.loads(Path(path).read_text()))
        sections[name] = _embed(section, out_dir)
    return {name: sections[name] for name in REPORTED if name in sections}


def _embed(obj, out_dir: Path):
    """Replace every {"png": path} in a section by itself plus png_rel and png_data."""
    if isinstance(obj, dict):
        out = {k: _embed(v, out_dir) for k, v in obj.items()}
        if "png" in obj:
            out.update(_png(Path(obj["png"]), out_dir))
        return out
    if isinstance(obj, list):
        return [_embed(v, out_dir) for v in obj]
    return obj


VERDICT_STYLE = {claims_mod.HOLDS: "pass", claims_mod.FAILS: "fail", claims_mod.NOT_DECIDED: "none",
                 claims_mod.NOT_ASSESSED: "none"}


def commit_link(commit: str) -> dict:
    """{"commit", "url"}: the commit's web page when the checkout has a GitHub/GitLab-style remote."""
    try:
        remote = subprocess.run(["git", "remote", "get-url", "origin"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        remote = ""
    m = re.match(r"(?:https://|git@)([^/:]+)[/:](.+?)(?:\.git)?$", remote)
    sha = commit.removesuffix("+dirty")
    return {"commit": commit} | ({"url": f"https://{m[1]}/{m[2]}/commit/{sha}"} if m and sha != "unknown" else {})


def _seeds_text(seeds) -> str:
    seeds = sorted(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds)) or "none"


def _part_view(p: dict) -> dict:
    """One part as the report prints it: verdict, reason, margins at half/double, seeds to decide."""
    out = {"id": p["id"], "what": p["what"], "verdict": p["verdict"], "style": VERDICT_STYLE[p["verdict"]],
           "reason": p["reason"]}
    if p.get("sensitivity"):
        unit = p["margin"]["unit"]
        out["sensitivity"] = "; ".join(f"at ±{s['margin']:g} {unit}: {s['verdict']}" for s in p["sensitivity"])
    if "margin" in p:
        out["margin"] = f"Margin {p['margin']['value']:g} {p['margin']['unit']}: {p['margin']['why']}"
    need = p.get("seeds_to_decide")
    if need:
        out["seeds_to_decide"] = (
            f"At the observed effect, no number of seeds up to 1,000 decides it (80 % power at level {need['level']:.2g})"
            if need["seeds_needed"] is None else
            f"{need['seeds_needed']} seeds would decide it with 80 % power at its Holm level {need['level']:.2g}: "
            f"{need['extra_seeds']} more, about {fmt.duration(need['cost_seconds'])} of training jobs here")
    return out


def _claim_view(c: dict, note: str | None = None) -> dict:
    parts = [_part_view(p) for p in c["parts"]]
    shown = c.get("shown")
    view = {k: c[k] for k in ("id", "short", "paper", "where", "verdict", "reason", "evidence")}
    view.update(style=VERDICT_STYLE[c["verdict"]], parts=parts, split=len(parts) > 1)
    view.update({k: c[k] for k in ("form", "baseline") if c.get(k)})  # only where the claim has one
    if note:
        view["note"] = note
    if shown:
        view["shown"] = {"seeds": _seeds_text(c["shown_seeds"]), "verdict": shown["verdict"],
                         "style": VERDICT_STYLE[shown["verdict"]], "reason": shown["reason"],
                         "parts": [_part_view(p) for p in shown["parts"]]}
    return view


def scoreboard(claim_list: list[dict], runs, data: list[dict], config_names: list[str],
               protocol: dict | None = None, notes: dict | None = None) -> dict:
    """The claims with their styles, the verdict counts and the footer line: which config, how
    many seeds (decision and the others), which data, the date."""
    protocol = protocol or claims_mod.DEFAULT_PROTOCOL
    seeds = sorted({r.seed for r in runs})
    counts = Counter(c["verdict"] for c in claim_list)
    counts = {v: counts[v] for v in VERDICT_STYLE if counts[v]}  # holds, does not hold, not decided, not assessed
    decision = [s for s in seeds if s in protocol["decision_seeds"]]
    return {
        "claims": [_claim_view(c, (notes or {}).get(c["id"])) for c in claim_list],
        "decision_seeds": _seeds_text(protocol["decision_seeds"]),
        "decision_present": _seeds_text(decision),
        "selection_seeds": _seeds_text(protocol["selection_seeds"]),
        "selection_note": protocol.get("selection_note", "seeds 0-2 chose the defaults"),
        "family": sum(len([p for p in c["parts"] if p["test"] in claims_mod.STATISTICAL]) for c in claim_list),
        "alpha": f"{protocol['alpha']:g}",
        "counts": ", ".join(f"{n} {v}" for v, n in counts.items()),
        "config": " + ".join(config_names) or "(not given)",
        "seeds": f"{fmt.plural(len(seeds), 'seed')} ({', '.join(map(str, seeds))})",
        "data": "; ".join(f"{d['dataset']}: {'official' if d['official'] else 'not the official files'}, "
                          f"{d['n_train']:,} train / {d['n_test']:,} test images" for d in data),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _png(png: Path, out_dir: Path) -> dict:
    """A PNG as the report shows it: its path relative to the report, and inline (a data URI)."""
    return {"png_rel": os.path.relpath(png, out_dir),
            "png_data": "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()}


def _figure(f: dict, out_dir: Path) -> dict:
    return f | _png(Path(next(p for p in f["files"] if p.endswith(".png"))), out_dir)


def build_context(reported: dict, tables: dict, figures: list[dict], runs, config: dict,
                  sources: list[Path], bench: list[Path], hashed: list[Path], out_dir: Path,
                  studies: list[Path] = (), claim_specs: list[dict] = (), config_names: list[str] = ()) -> dict:
    config_text = json.dumps(config, sort_keys=True)
    root = layout.root_of(out_dir)  # results/report -> the workflow's folder
    verdicts = Counter(r["verdict"] for t in tables.values() for r in t["rows"]
                       if r.get("key") in reported["numbers"])
    data = data_provenance(runs, sources, root)
    figs = {f["id"]: _figure(f, out_dir) for f in figures}
    env = provenance.environment()
    versions = {k: str(v if v is not None else "none") for k, v in env["versions"].items()}
    run_rows = [{"dataset": r.dataset, "variant": r.variant, "seed": r.seed, "device": r.timings["device_name"],
                 "epochs": r.metrics["stopped_epoch"], "best_epoch": r.metrics["best_epoch"],
                 "train_seconds": f"{r.timings['total_seconds']:,.1f}", "git_commit": r.metrics["git_commit"],
                 "torch": f"{r.metrics['versions']['torch']} (CUDA {r.metrics['versions'].get('cuda') or 'none'})",
                 "in_container": r.timings.get("container") or r.timings["in_container"]}
                for r in runs]
    spec = claim_specs if isinstance(claim_specs, dict) else {"claims": list(claim_specs),
                                                               "protocol": claims_mod.DEFAULT_PROTOCOL}
    results = evidence.from_runs(runs)
    claim_list = claims_mod.assess(spec["claims"], results, spec["protocol"])
    commit = runinfo.git_commit()
    return {
        "claims_document": claims_mod.document(spec, results, claim_list),
        "noise": noise_standard(spec["protocol"]),
        "studies": study_sections(list(studies), out_dir),
        "source": reported["source"],
        "scoreboard": scoreboard(claim_list, runs, data, list(config_names), spec["protocol"],
                                 reported.get("claim_notes")),
        "definitions": reported.get("definitions", {}),
        "verdicts": dict(sorted(verdicts.items())),
        "unofficial": [d for d in data if not d["official"]],
        "table1": tables["table1_layout"],
        "table1_rows": _number_rows(tables["table1"]),
        "tables": [dict(t, name=n, rows=_number_rows(t)) for n, t in tables.items() if n in NUMBER_TABLES],
        "sweep": tables["low_confidence_sweep"],
        "figures": figs,
        "paper_figures": [figs[k] for k in reported["figures"]],
        "ambiguities": [dict(a, value=value_used(a["used"], runs, reported["figures"]))
                        for a in reported["ambiguities"]],
        "keys": list(reported["numbers"]),
        "commit": commit_link(commit),
        "provenance": {
            "git_commit": commit, "versions": versions, "platform": env["platform"],
            "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
            "config_yaml": yaml.safe_dump(config, sort_keys=True),
            "seeds": _join({f"{r.dataset}/{r.variant}": str(sorted(x.seed for x in runs if
                                                               (x.dataset, x.variant) == (r.dataset, r.variant)))
                            for r in runs}),
            "runs": run_rows, "data": data, "jobs": benchmarks(bench, root),
            "outputs": [{"path": _rel(str(p), root), "bytes": f"{Path(p).stat().st_size:,}",
                         "sha256": provenance.sha256_file(p)} for p in sorted({str(p) for p in hashed})],
        },
    }


NUMBER_TABLES = ("table2", "timing", "fashion", "text")  # shown as quantity / paper / ours / difference / verdict


def _number_rows(table: dict) -> list[dict]:
    return [r | {"derived": r.get("key") == DERIVED} for r in table["rows"]]


def noise_standard(protocol: dict) -> str:
    """The report's one noise standard, stated once (docs/protocol.md)."""
    n = len(protocol["decision_seeds"])
    return (f"Seed noise is the spread of the {n} decision seeds (sd with n − 1, Student t). A number the paper "
            f"prints is reproduced (within seed noise) when it lies in the 95 % prediction interval of one more of "
            f"our runs, mean ± t·sd·√(1 + 1/n) (± 2.78 sd with {n} seeds), widened by the paper's printing precision; "
            f"R against C is a paired test across the seeds, Holm-corrected over every claim. With {n} seeds a number "
            f"outside the interval is clearly not what our setup produces; one inside is compatible, not confirmed, "
            f"and a wide spread makes almost any number compatible (seeds 0-2: C's stopping epoch sd ≈ 4 epochs). "
            f"An R − C effect smaller than about 3 sd comes out not decided; the claims say how many seeds would decide it.")


def render(context: dict, templates: Path, out_dir: Path) -> list[Path]:
    """Render report.md and index.html from paper/report.{md,html}.j2, and claims.json (the
    verdicts with every per-seed input they read, `claims.recompute`); write each atomically."""
    doc = context.pop("claims_document", None)
    check_complete(context)
    written = []
    if doc is not None:
        path = out_dir / "claims.json"
        atomic.write_json(path, doc)
        written.append(path)
    for name, template, autoescape in (("report.md", "report.md.j2", False),
                                       ("index.html", "report.html.j2", True)):
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=autoescape,
                                 undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                 trim_blocks=True, lstrip_blocks=True)
        text = env.get_template(template).render(**context)
        path = out_dir / name
        atomic.write_text(path, text)
        written.append(path)
    return written


def make_report(*, reported: str | Path, templates: str | Path, tables: str | Path, figures: str | Path,
                run_dirs: list[str], eval_dirs: list[str], config: str | Path, sources: list[str],
                bench: list[str], hashed: list[str], out_dir: str | Path,
                claims: str | Path, studies: list[str] = (), config_names: list[str] = ()) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    context = build_context(
        yaml.safe_load(Path(reported).read_text()), json.loads(Path(tables).read_text()),
        json.loads(Path(figures).read_text()), provenance.load_runs(run_dirs, eval_dirs),
        json.loads(Path(config).read_text()), [Path(p) for p in sources], [Path(p) for p in bench],
        [Path(p) for p in hashed], out, [Path(p) for p in studies],
        claims_mod.load(claims), list(config_names))
    return render(context, Path(templates), out)
