#!/usr/bin/env bash
# CI step: the smoke workflow on a real one-node SLURM cluster, through Snakemake's SLURM executor
# plugin and the project's profile (workflow/profiles/slurm), then the same report check as the
# local run.
#
#   bash .ci/slurm-smoke.sh            (as root, or with sudo: it starts slurmctld, slurmd,
#                                       slurmdbd, MariaDB and munged, and stops them on exit)
#
# 1. starts the cluster with the shared tools' slurm-single-node.sh (partition debug, account
#    ciacct, 2 CPUs, no GPU/GRES);
# 2. copies this working tree (tracked and untracked, not ignored: no results/, resources/ or
#    .snakemake/) into a scratch folder, so the run starts clean and leaves the repository alone;
# 3. runs `snakemake --profile workflow/profiles/slurm --configfile config/smoke.yaml`: train and
#    evaluate go to SLURM (sbatch), the rest run locally. The cluster has no GPU, so no GPU is
#    asked for (smoke.yaml and this command: gpus_per_job=0);
# 4. checks with sacct that every train/evaluate job was a SLURM job that COMPLETED with exit
#    code 0:0, that no job asked for a GPU and no local rule was submitted, and prints the job
#    list (ids, rule, wildcards, state, elapsed);
# 5. a dry rerun through the profile finds nothing to do; .ci/check-report.py checks the report;
#    if this repository holds a local run of the same config from the same clean commit (.ci/run's
#    smoke step), the models, probe CAMs and predictions must be bit-identical to it.
#
# Environment: SHARED_TOOLS (folder with slurm-single-node.sh; default ../shared/tools beside
# this repository or beside the repository it was cloned from), CI_PYTHON (default python3, with
# snakemake, the plugin and wrongnumber installed), SLURM_SMOKE_DIR (scratch folder; default a
# new /tmp folder, kept afterwards for inspection), KEEP_SLURM=1 (leave the daemons running).
# Prints each phase's time and a final "slurm step: ..." line for the CI log.
set -euo pipefail

step_start=$SECONDS
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/.ci/shared-tools.sh"
find_shared_tools slurm-single-node.sh
PY=${CI_PYTHON:-python3}
export PATH="$(dirname "$(command -v "$PY")"):$PATH"  # snakemake and wrongnumber next to $PY
run=${SLURM_SMOKE_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/wrongnumber-slurm.XXXXXX")}
log=$run/snakemake-slurm.log

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root (or sudo) for: $*" >&2; return 1; fi
}
phase() { echo "== slurm: $1 ($(( SECONDS - t0 )) s)"; }

on_exit() {
    local rc=$?
    if [ "$rc" != 0 ] && [ -d "$run/.snakemake/slurm_logs" ]; then
        echo "== slurm: FAILED (exit $rc); SLURM job logs and rule logs:" >&2
        find "$run/.snakemake/slurm_logs" "$run/results/logs" -name '*.log' 2>/dev/null |
            while read -r f; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
        as_root tail -n 20 /var/log/slurm/slurmctld.log >&2 || true
    fi
    if [ "${KEEP_SLURM:-0}" != 1 ]; then as_root bash "$tools/slurm-single-node.sh" stop || true; fi
    exit "$rc"
}
trap on_exit EXIT

t0=$SECONDS
as_root bash "$tools/slurm-single-node.sh"
phase "cluster up: $(sinfo -h -o '%P %D nodes, %c CPUs, GRES %G')"

t0=$SECONDS
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
    tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$run"
cd "$run"
"$PY" -c "import snakemake_executor_plugin_slurm as p, wrongnumber, importlib.metadata as m; \
print('plugin', m.version('snakemake-executor-plugin-slurm'), '| snakemake', m.version('snakemake'), \
'| wrongnumber from', wrongnumber.__file__)"
phase "working tree copied to $run"

# The cluster's account and partition, as a user sets theirs; small memory and time limits that
# fit the smoke jobs; status checks 5 s after submission (the profile's 60 s suits hour-long jobs);
# SLURM logs kept so that the job list can be matched to rules.
t0=$SECONDS
snakemake --profile workflow/profiles/slurm --configfile config/smoke.yaml \
    --config gpus_per_job=0 \
    --default-resources slurm_account=ciacct slurm_partition=debug mem_mb=1000 runtime=10 \
    --set-resources train:mem_mb=2000 train:runtime=15 evaluate:mem_mb=2000 evaluate:runtime=15 \
    --slurm-init-seconds-before-status-checks 5 --slurm-keep-successful-logs \
    2>&1 | tee "$log"
run_s=$(( SECONDS - t0 ))
phase "smoke workflow through SLURM: ${run_s} s"

# Every train/evaluate job: a SLURM job that completed; nothing else was submitted.
"$PY" - "$log" <<'EOF'
import glob, re, subprocess, sys
submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: .*?/slurm_logs/rule_(\w+)/([^/]+)/\d+\.log\)",
                       open(sys.argv[1]).read())
runs = len(glob.glob("results/*/*/*/seed*/metrics.json"))
fields = "JobID,JobName%40,Partition,Account,AllocCPUS,AllocTRES%45,State,ExitCode,Elapsed"
out = subprocess.run(["sacct", "-X", "-n", "-P", "-j", ",".join(j for j, _, _ in submitted),
                      "--format", fields], capture_output=True, text=True, check=True).stdout
acct = {line.split("|")[0]: dict(zip(fields.split(","), line.split("|"))) for line in out.splitlines()}
print(f"{'jobid':>6} {'rule':9} {'wildcards':42} {'state':10} {'exit':5} {'elapsed':9} alloc")
problems = []
for jobid, rule, wildcards in submitted:
    a = acct.get(jobid, {})
    print(f"{jobid:>6} {rule:9} {wildcards:42} {a.get('State', '?'):10} {a.get('ExitCode', '?'):5} "
          f"{a.get('Elapsed', '?'):9} {a.get('AllocTRES%45', '?')}")
    if a.get("State") != "COMPLETED" or a.get("ExitCode") != "0:0":
        problems.append(f"job {jobid} ({rule} {wildcards}): {a.get('State')} {a.get('ExitCode')}")
    if "gpu" in a.get("AllocTRES%45", ""):
        problems.append(f"job {jobid} ({rule}) was given a GPU: {a['AllocTRES%45']}")
rules = [r for _, r, _ in submitted]
if sorted(set(rules)) != ["evaluate", "train"]:
    problems.append(f"submitted rules {sorted(set(rules))}, expected exactly train and evaluate")
if runs == 0 or rules.count("train") != runs or rules.count("evaluate") != runs:
    problems.append(f"{runs} run folders but {rules.count('train')} train and "
                    f"{rules.count('evaluate')} evaluate SLURM jobs")
if problems:
    sys.exit("sacct check FAILED:\n  " + "\n  ".join(problems))
print(f"sacct: {len(submitted)} SLURM jobs ({runs} train + {runs} evaluate), all COMPLETED 0:0, no GPU")
EOF

t0=$SECONDS
snakemake -n --profile workflow/profiles/slurm --configfile config/smoke.yaml --config gpus_per_job=0 \
    | tee "$run/rerun.txt" | tail -n 2
grep -q "Nothing to be done" "$run/rerun.txt"  # finished SLURM jobs are never redone
"$PY" .ci/check-report.py results
phase "rerun finds nothing to do; report complete"

# Beside a local run of the same config and the same clean commit (.ci/run's smoke step, in
# $repo/results), the SLURM jobs must have produced the same bytes: same seeds, same CPU code
# path, another scheduler. A dirty tree or an older local run is not comparable: skipped.
"$PY" - "$repo/results" <<'EOF'
import filecmp, json, sys
from pathlib import Path
ref, new = Path(sys.argv[1]), Path("results")
commits = {json.loads(m.read_text())["git_commit"]
           for d in (ref, new) for m in d.glob("*/*/*/seed*/metrics.json")}
same_config = (ref / "config.json").is_file() and filecmp.cmp(ref / "config.json", new / "config.json", False)
if not same_config or len(commits) != 1 or commits.pop().endswith(("+dirty", "unknown")):
    print(f"== slurm: no local run of the same config and clean commit in {ref}, nothing to compare")
    sys.exit(0)
files = [f for pattern in ("model.pt", "probes.npz", "eval/predictions.csv")
         for f in sorted(new.glob(f"*/*/*/seed*/{pattern}"))]
differ = [str(f) for f in files if not filecmp.cmp(f, ref / f.relative_to(new), shallow=False)]
if differ:
    sys.exit(f"SLURM and local runs differ: {differ}")
print(f"== slurm: {len(files)} files (model.pt, probes.npz, predictions.csv) bit-identical to the local run in {ref}")
EOF
echo "slurm step: smoke run ${run_s} s, total $(( SECONDS - step_start )) s; run folder $run"
