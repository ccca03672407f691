#!/usr/bin/env bash
# CI step: build the image with podman and run the smoke workflow inside it with the network
# disabled, results/ bind-mounted from the host and written as a non-root user; then check the
# report as the native run does, and that the default config's data (data/ in the image) is official.
#
#   bash .ci/container-smoke.sh            (as root: podman is set up by the shared tool)
#
# Environment: IMAGE (tag, default wrongnumber:ci), BUILD_ARGS (extra `podman build` arguments,
# e.g. "--no-cache" for a cold build), SHARED_TOOLS (the shared tools folder; default
# ../shared/tools beside this repository, or beside the repository it was cloned from, so that
# .ci/run can call it inside its clean clone).
# Prints each phase's time and a final "container step: ... s" line for the CI log.
set -euo pipefail

step_start=$SECONDS
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/.ci/shared-tools.sh"
find_shared_tools container-engine-setup.sh
image=${IMAGE:-wrongnumber:ci}
cd "$repo"

phase() { echo "== container: $1 ($(( SECONDS - t0 )) s)"; }

t0=$SECONDS
bash "$tools/container-engine-setup.sh"
phase "engine ready"

t0=$SECONDS
# shellcheck disable=SC2086  # BUILD_ARGS is a list of arguments
podman build -t "$image" --build-arg GIT_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    ${BUILD_ARGS:-} .
build_s=$(( SECONDS - t0 ))
size=$(podman image inspect "$image" --format '{{.Size}}')
phase "image $image built, $(( size / 1000000 )) MB"

# The image's torch must be the pinned CUDA build (PyPI: 2.14.1 built for CUDA 13.0).
podman run --rm "$image" python -c "
import torch, torchvision
print('image: torch', torch.__version__, 'CUDA', torch.version.cuda, 'torchvision', torchvision.__version__,
      'cuda available', torch.cuda.is_available())
assert torch.__version__.split('+')[0] == '2.14.1' and torch.version.cuda == '13.0', 'not torch 2.14.1/CUDA 13.0'
assert torchvision.__version__.split('+')[0] == '0.29.1'
"

# Outputs must belong to the caller: run as a non-root user (CI runs as root, so pick one) and
# check the owner of what lands on the host.
if [ "$(id -u)" = 0 ]; then user=${CONTAINER_USER:-1000:1000}; else user="$(id -u):$(id -g)"; fi
results=$(mktemp -d "${TMPDIR:-/tmp}/wrongnumber-container-results.XXXXXX")
chown "$user" "$results"

t0=$SECONDS
podman run --rm --network none --user "$user" -v "$results:/wrongnumber/results" "$image" \
    snakemake --cores 2 --configfile config/smoke.yaml
run_s=$(( SECONDS - t0 ))
phase "smoke workflow ran in the container with --network none, results in $results"

# The default config's data comes with the image: assembled with no network, all files official.
t0=$SECONDS
podman run --rm --network none --user "$user" "$image" sh -c 'snakemake --cores 2 \
    resources/data/mnist/SOURCES.json resources/data/fashion/SOURCES.json --quiet rules && python -c "
from wrongnumber.core.data import DATASET_SPECS, identify, read_idx_folder
bad = [d for d in DATASET_SPECS if not identify(DATASET_SPECS[d], read_idx_folder(f\"resources/data/{d}\")[\"files\"])]
assert not bad, f\"not the official files: {bad}\"
print(\"default config data in the image, assembled with --network none: official\")"'
phase "default config's data assembled offline"

# The report, checked as the native run checks it (every number of paper/reported.yaml present),
# with the image's own Python; then the runs' provenance: in the container, torch/CUDA, device.
podman run --rm --user "$user" -v "$results:/wrongnumber/results:ro" "$image" \
    python .ci/check-report.py results
podman run --rm -i --user "$user" -v "$results:/wrongnumber/results:ro" "$image" python - <<'EOF'
import json, pathlib, sys
timings = sorted(pathlib.Path("results").glob("*/*/*/seed*/timings.json"))
problems = [] if timings else ["no run folder with timings.json"]
for t in timings:
    tm, m = json.loads(t.read_text()), json.loads((t.parent / "metrics.json").read_text())
    if tm.get("in_container") is not True:
        problems.append(f"{t}: in_container is {tm.get('in_container')!r}")
    print(f"  {t.parent}: torch {m['versions']['torch']}, CUDA {m['versions'].get('cuda')}, "
          f"device {m['device']} ({tm['device_name']}), in_container {tm['in_container']}")
if problems:
    sys.exit("container provenance check FAILED:\n  " + "\n  ".join(problems))
print(f"container provenance check: {len(timings)} runs recorded in_container")
EOF

owner=$(stat -c %u:%g "$results/report/report.md")
[ "$owner" = "$user" ] || { echo "results owned by $owner, expected $user" >&2; exit 1; }
echo "results on the host are owned by $owner (the --user)"
echo "container step: build ${build_s} s, smoke run ${run_s} s, total $(( SECONDS - step_start )) s; image $(( size / 1000000 )) MB"
