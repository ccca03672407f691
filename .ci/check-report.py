"""CI check of a finished workflow: the report holds every number of paper/reported.yaml and
a verdict for every claim of paper/claims.yaml.

    python3 .ci/check-report.py [RESULTS] [--snakemake-report FILE] [--studies NAME ...]

RESULTS (default results) holds report/index.html and report/report.md; paper/reported.yaml is
read from the current folder (the repository). --snakemake-report also requires that
Snakemake's own report exists and is not empty; --studies that the report holds the section of
each study (readings, extension, xai) with its tables. Used by .ci/run (the local smoke run) and
.ci/slurm-smoke.sh (the same workflow through SLURM). Exit status 1 with the reason on failure.
"""
import argparse
import sys
from pathlib import Path

import yaml


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", default="results")
    ap.add_argument("--snakemake-report", help="Snakemake's --report HTML file")
    ap.add_argument("--studies", nargs="*", default=[], help="studies whose report sections must be present")
    args = ap.parse_args()
    keys = yaml.safe_load(Path("paper/reported.yaml").read_text())["numbers"]
    claims = [c["id"] for c in yaml.safe_load(Path("paper/claims.yaml").read_text())["claims"]]
    problems = []
    for name in ("index.html", "report.md"):
        path = Path(args.results, "report", name)
        text = path.read_text() if path.is_file() else ""
        missing = [k for k in keys if k not in text]
        if not text or missing:
            problems.append(f"{path}: {'empty or absent' if not text else f'missing keys {missing}'}")
        else:
            print(f"{path}: {len(text):,} characters, all {len(keys)} keys of paper/reported.yaml present")
    html = Path(args.results, "report", "index.html")
    html = html.read_text() if html.is_file() else ""
    missing = [c for c in claims if f'id="claim-{c}"' not in html]
    if missing:
        problems.append(f"index.html: no verdict for the claims {missing}")
    else:
        print(f"index.html: a verdict for each of the {len(claims)} claims of paper/claims.yaml")
    for study in args.studies:
        start = html.find(f'<h2 id="{study}">')
        section = html[start:html.find("<h2", start + 1)] if start >= 0 else ""
        if "<table>" not in section:
            problems.append(f"index.html: no section of study {study!r} with a table")
        else:
            print(f"index.html: section {study!r}, {section.count('<tr>')} table rows, "
                  f"{section.count('<img')} images")
    if args.snakemake_report:
        path = Path(args.snakemake_report)
        size = path.stat().st_size if path.is_file() else 0
        if not size:
            problems.append(f"{path}: empty or absent")
        else:
            print(f"{path}: {size:,} bytes")
    if problems:
        print("report check FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
