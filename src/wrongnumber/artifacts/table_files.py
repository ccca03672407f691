"""Any set of tables {name: {"title", "rows"[, "columns"]}} as files: <name>.csv, .md and .tex
each, and tables.json with all of them (what the report reads). Used by the paper's tables and
by every study's.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..core import atomic
from ..analysis.formatting import MINUS

COLUMNS = ("quantity", "paper", "ours", "difference", "verdict", "key", "measured_as", "where")  # comparison rows


def _md(rows: list[dict], cols: list[str]) -> str:
    esc = lambda v: str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(lines + ["| " + " | ".join(esc(r[c]) for c in cols) + " |" for r in rows]) + "\n"


TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
               "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
               "^": r"\textasciicircum{}", "±": r"$\pm$", MINUS: "$-$", "×": r"$\times$",
               "≤": r"$\le$", "≥": r"$\ge$"}


def _tex(rows: list[dict], cols: list[str], title: str) -> str:
    esc = lambda v: "".join(TEX_ESCAPES.get(ch, ch) for ch in str(v))
    head = " & ".join(esc(c) for c in cols)
    body = "\n".join(" & ".join(esc(r[c]) for c in cols) + r" \\" for r in rows)
    return (f"% {title}\n\\begin{{tabular}}{{{'l' * len(cols)}}}\n\\hline\n{head} \\\\\n\\hline\n"
            f"{body}\n\\hline\n\\end{{tabular}}\n")


def write_tables(tables: dict, out_dir: str | Path) -> list[Path]:
    """<name>.csv/.md/.tex per table and tables.json (all of them, for the report); paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, t in tables.items():
        cols = t.get("columns") or ([c for c in COLUMNS if c in t["rows"][0]] if "key" in t["rows"][0]
                                    else list(t["rows"][0]))
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(t["rows"])
        shown = [c for c in cols if c not in ("where", "measured_as")]
        for ext, text in (("csv", buf.getvalue()), ("md", f"**{t['title']}**\n\n" + _md(t["rows"], shown)),
                          ("tex", _tex(t["rows"], shown, t["title"]))):
            atomic.write_text(out / f"{name}.{ext}", text)
            written.append(out / f"{name}.{ext}")
    atomic.write_json(out / "tables.json", tables, sort_keys=False)
    return written + [out / "tables.json"]
