# The wrongnumber workflow in a CUDA-capable image (docs/container.md has every build/run line).
#
#   docker build -t wrongnumber .
#   docker run --rm --gpus all --ipc=host --user "$(id -u):$(id -g)" \
#       -v "$PWD/results:/wrongnumber/results" wrongnumber          # = snakemake --cores all
#
# The official datasets come in with the repository (data/), so neither the build nor the run
# needs the datasets' servers: `docker run --network none` regenerates the paper.
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

# The repository (see .dockerignore), data/ included: the official MNIST and Fashion-MNIST that
# config/config.yaml reads, so the image runs the paper's setup with no network (42 MB).
# Installed exactly as natively: pip install -c requirements.lock -e '.[test]'.
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

# Any user (docker run --user "$(id -u):$(id -g)", Apptainer): writable caches under /tmp, and
# writable folders for what the workflow writes: .snakemake/ (in the work folder), resources/
# (the data it assembles) and results/ (meant to be bind-mounted). Only these folders change
# mode, so no file is copied into another layer.
RUN mkdir -p results resources \
 && chmod a+rwx /wrongnumber results resources \
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
    WRONGNUMBER_CONTAINER="wrongnumber image (torch index: ${TORCH_INDEX_URL:-pypi})" \
    WRONGNUMBER_GIT_COMMIT=${GIT_COMMIT}

CMD ["snakemake", "--cores", "all"]
