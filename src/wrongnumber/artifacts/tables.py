"""The paper's tables regenerated from results/, each number set against paper/reported.yaml.

The rows and their verdicts come from `analysis.comparison` (see there); this module groups them
into the paper's tables, lays Table 1 out as the paper prints it, adds the low-confidence sweep,
and writes the files. A number of reported.yaml that no table covers, or a row without a value,
is an error.
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

import yaml

from ..analysis import formatting as f
from ..analysis.claims import DEFAULT_PROTOCOL
from ..analysis.comparison import (DIFF_UNIT, PAPER_TEST_IMAGES, TABLE1_FIELDS, _select,
                                   comparison_rows, load_reported)
from ..analysis.provenance import load_runs
from .table_files import write_tables

TABLES = {  # name -> (title, the reported.yaml key prefixes it holds)
    "table1": ("Table 1: MNIST test set, R and C", ("table1.",)),
    "table2": ("Table 2: model complexity", ("table2.",)),
    "timing": ("Training time and early stopping", ("timing.",)),
    "fashion": ("Fashion-MNIST subset accuracy", ("fashion.",)),
    "text": ("Other numbers printed in the text", ("prose.", "data.")),
}

def table1_layout(rows: list[dict], numbers: dict) -> dict:
    """Table 1 as the paper prints it: one row per quantity; columns paper and ours for R and C,
    and R − C for both (counts per 10,000 test images when ours used another test-set size)."""
    by_key = {r["key"]: r for r in rows}
    out = []
    for field, label in TABLE1_FIELDS.items():
        r, c = by_key[f"table1.R.{field}"], by_key[f"table1.C.{field}"]
        unit = numbers[f"table1.R.{field}"]["unit"]
        paper_r, paper_c = numbers[f"table1.R.{field}"]["value"], numbers[f"table1.C.{field}"]["value"]
        du = DIFF_UNIT.get(unit, unit)
        dd = 0 if unit == "images" else None  # counts: whole numbers
        out.append({"quantity": label, "R paper": f.number(paper_r, unit), "R ours": r["ours"],
                    "C paper": f.number(paper_c, unit), "C ours": c["ours"],
                    "R − C paper": f.signed(paper_r - paper_c, du),
                    "R − C ours": f.signed(r["value"] - c["value"], f.PER_10K if f.PER_10K in r["ours"] else du, dd),
                    "R style": r["style"], "C style": c["style"]}
                   | {f"{v} shown": x["shown"] for v, x in (("R", r), ("C", c)) if "shown" in x})
    return {"title": "Table 1 in the paper's layout: MNIST test set", "rows": out,
            "columns": ["quantity", "R paper", "R ours", "C paper", "C ours", "R − C paper", "R − C ours"]}


def sweep_table(runs, numbers: dict) -> dict:
    """True low-confidence count by threshold (MNIST, mean over seeds, per 10,000 test images)
    beside the paper's counts."""
    sel = {v: _select(runs, "mnist", v) for v in ("R", "C")}
    paper = {v: numbers[f"table1.{v}.true_low_confidence"]["value"] for v in sel}
    rows, closest = [], {}
    for t in sel["R"][0].eval["low_confidence_sweep"]:
        row = {"threshold": t}
        for v, rs in sel.items():
            n = statistics.fmean(r.eval["low_confidence_sweep"][t] * PAPER_TEST_IMAGES / r.eval["n_test"] for r in rs)
            row[f"{v} per 10,000"] = f"{n:,.0f}"
            row[f"{v} minus paper ({paper[v]:g})"] = f.signed(n - paper[v], "", 0)
            if v not in closest or abs(n - paper[v]) < closest[v][0]:
                closest[v] = (abs(n - paper[v]), t, n)
        rows.append(row)
    note = "; ".join(f"{v}: the count is closest to the paper's {paper[v]:g} at threshold {t} ({n:,.0f})"
                     for v, (_, t, n) in closest.items())
    return {"title": "True low confidence by threshold (MNIST test set, per 10,000 images)", "rows": rows, "note": note}


def build_tables(runs, complexity: dict, reported: dict, protocol: dict = DEFAULT_PROTOCOL) -> dict:
    """{table name: {"title", "rows"}}; every key of reported.yaml lands in exactly one table.
    `protocol`: paper/claims.yaml's, whose decision seeds alone give the verdicts."""
    rows = comparison_rows(runs, complexity, reported["numbers"], reported["source"], protocol)
    tables = {}
    for name, (title, prefixes) in TABLES.items():
        mine = [r for r in rows if r["owner"].startswith(prefixes)]
        tables[name] = {"title": title, "rows": mine}
    covered = {r["key"] for t in tables.values() for r in t["rows"]}
    missing = set(reported["numbers"]) - covered
    if missing:
        raise ValueError(f"numbers of paper/reported.yaml in no table: {sorted(missing)}")
    tables["table1_layout"] = table1_layout(rows, reported["numbers"])
    tables["low_confidence_sweep"] = sweep_table(runs, reported["numbers"])
    for name, t in tables.items():
        for r in t["rows"]:
            blank = [c for c, v in r.items() if c not in ("key", "value", "owner") and (v is None or v == "")]
            if blank:
                raise ValueError(f"table {name}: row {r.get('quantity')!r} has no value in {blank}")
    return tables


def make_tables(run_dirs: list[str], eval_dirs: list[str], complexity: str | Path, reported: str | Path,
                out_dir: str | Path, claims: str | Path | None = None) -> list[Path]:
    """The paper's tables from the finished runs, written as files; the paths written. `claims`:
    the protocol's file (its decision seeds), paper/claims.yaml beside reported.yaml by default."""
    claims = Path(claims) if claims else Path(reported).with_name("claims.yaml")
    tables = build_tables(load_runs(run_dirs, eval_dirs), json.loads(Path(complexity).read_text()),
                          load_reported(reported), yaml.safe_load(claims.read_text())["protocol"])
    return write_tables(tables, out_dir)
