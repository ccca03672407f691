# The wrongnumber workflow in a CUDA-capable image (docs/container.md has every build/run line).
#
#   docker build -t wrongnumber .
#   docker run --rm --gpus all --ipc=host --user "$(id -u):$(id -g)" \
#       -v "$PWD/results:/wrongnumber/results" wrongnumber          # = snakemake --cores all
#
# Python comes from Debian; every Python package is pinned by requirements.lock, the same file
# the native install (CI, README) uses. torch/torchvision from PyPI are CUDA 13.0 builds carrying
# their CUDA runtime libraries (nvidia-* wheels): the host needs only the NVIDIA driver (>= 580)
# and the NVIDIA container toolkit. Older drivers: pick another wheel index with TORCH_INDEX_URL.
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

# Python 3.11 (Debian bookworm) in a venv first on PATH: `python`, `pip`, `snakemake`, `wrongnumber`.
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install pip==26.3
ENV PATH=/opt/venv/bin:$PATH

# The pinned dependencies: one layer, rebuilt only when requirements.lock or TORCH_INDEX_URL
# changes (each ARG is declared right before its first use so that changing it keeps the layers
# above cached). Everything in the lock is installed, the pinned SLURM executor plugin included
# (its profile's tests dry-run it).
# Empty: torch/torchvision as pinned in requirements.lock (PyPI, CUDA 13.0, driver >= 580).
# Else a PyTorch wheel index, e.g. https://download.pytorch.org/whl/cu126 (driver >= 560),
# .../cu128 (driver >= 570), .../cpu (no CUDA, about 5 GB smaller); see docs/container.md.
ARG TORCH_INDEX_URL=""
COPY requirements.lock /opt/venv/requirements.lock
# With TORCH_INDEX_URL: torch/torchvision alone from that index (--no-deps, so an index without
# 2.14.1 fails here instead of PyPI's CUDA 13.0 build being taken silently); the wheels they
# need (nvidia-*-cuXX, triton) then resolve from PyPI as their metadata pins them; every other
# package still comes pinned from the lock.
RUN set -eu; \
    lock=/opt/venv/requirements.lock; cons=/opt/venv/constraints.txt; extra=""; \
    if [ -n "$TORCH_INDEX_URL" ]; then \
        grep -Ev '^(torch|torchvision|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)==' "$lock" > "$cons"; \
        pip install --no-deps --index-url "$TORCH_INDEX_URL" torch==2.14.1 torchvision==0.29.1; \
        extra="torch==2.14.1 torchvision==0.29.1"; \
    else \
        cp "$lock" "$cons"; \
    fi; \
    pip install -c "$cons" -r "$cons" $extra; \
    python -c "import torch, torchvision; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'torchvision', torchvision.__version__)"

# The repository (see .dockerignore), installed exactly as natively:
# pip install -c requirements.lock -e '.[test]'  (everything is already there but the project).
# Then the lock must still describe the environment: a dependency added to pyproject.toml but not
# to requirements.lock would come in unpinned, so the build stops and names it.
WORKDIR /wrongnumber
COPY . /wrongnumber
RUN set -eu; \
    pip install -c /opt/venv/constraints.txt -e '.[test]'; \
    pip check; \
    names() { grep -E '^[A-Za-z0-9]' | cut -d= -f1 | tr 'A-Z_.' 'a-z--' | sort -u; }; \
    pip freeze --exclude-editable | names > /tmp/installed; names < /opt/venv/constraints.txt > /tmp/pinned; \
    unpinned=$(comm -23 /tmp/installed /tmp/pinned | grep -Ev '^(torch|torchvision|triton|nvidia-.*|cuda-.*)$' || true); \
    rm /tmp/installed /tmp/pinned; \
    if [ -n "$unpinned" ]; then \
        echo "installed but not pinned in requirements.lock: $unpinned (regenerate it: see its header)" >&2; \
        exit 1; fi

# Bake the data with the project's own download (torchvision verifies the md5s); any failure
# stops the build. Files land where `wrongnumber assemble-data --download-root resources/downloads`
# (the default config) looks, so that rule finds them and downloads nothing.
# 0: no data in the image (the default config downloads at run time into resources/downloads/).
# 1: bake MNIST (torchvision download, checksums verified; needs network at BUILD time) and
#    Fashion-MNIST (Debian's dataset-fashion-mnist) into resources/downloads/, where the default
#    config (config/config.yaml, download: true) finds them, so runs need no network.
#    A space-separated subset ("fashion", "mnist") bakes only those.
ARG BAKE_DATA=0
RUN set -eu; \
    if [ "$BAKE_DATA" = 0 ]; then exit 0; fi; \
    sets="$BAKE_DATA"; if [ "$sets" = 1 ]; then sets="mnist fashion"; fi; \
    root=/wrongnumber/resources/downloads; \
    case " $sets " in *" fashion "*) \
        apt-get update; apt-get install -y --no-install-recommends dataset-fashion-mnist; \
        apt-get clean; rm -rf /var/lib/apt/lists/*;; esac; \
    for d in $sets; do \
      case "$d" in \
        mnist) ;; \
        fashion) mkdir -p "$root/FashionMNIST/raw"; \
                 for f in /usr/share/datasets/fashion-mnist/*-ubyte.gz; do \
                     gunzip -c "$f" > "$root/FashionMNIST/raw/$(basename "$f" .gz)"; done ;; \
        *) echo "BAKE_DATA: unknown dataset '$d' (use 0, 1, or a list of: mnist fashion)" >&2; exit 1 ;; \
      esac; \
      python -c "import sys; from wrongnumber import data; \
folder = data.download('$d', '$root'); files = data.read_idx_folder(folder)['files']; \
ok = data.identify(data.DATASETS['$d'], files); \
print('baked', '$d', folder, 'official' if ok else 'NOT the official files', \
      {k: v['count'] for k, v in files.items()}); sys.exit(0 if ok else 1)"; \
    done; \
    if dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then apt-get purge -y dataset-fashion-mnist; fi

# Any user (docker run --user "$(id -u):$(id -g)", Apptainer): writable caches under /tmp, and
# writable folders for what the workflow writes: .snakemake/ (in the work folder), resources/
# (data it assembles or downloads) and results/ (meant to be bind-mounted). Only these folders
# change mode, so no file is copied into another layer.
RUN mkdir -p results resources/downloads \
 && chmod a+rwx /wrongnumber results resources resources/downloads \
 && mkdir -p -m 1777 /tmp/home /tmp/cache
# The commit the image was built from (there is no .git in the image): `--build-arg
# GIT_COMMIT=$(git rev-parse HEAD)`.
ARG GIT_COMMIT=unknown
ENV HOME=/tmp/home \
    XDG_CACHE_HOME=/tmp/cache \
    TORCH_HOME=/tmp/cache/torch \
    MPLCONFIGDIR=/tmp/cache/matplotlib \
    TRITON_CACHE_DIR=/tmp/cache/triton \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    WRONGNUMBER_CONTAINER="wrongnumber image (torch index: ${TORCH_INDEX_URL:-pypi}; data baked: ${BAKE_DATA})" \
    WRONGNUMBER_GIT_COMMIT=${GIT_COMMIT}

CMD ["snakemake", "--cores", "all"]
