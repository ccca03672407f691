"""wrongnumber: reproducibility artifact of Ignesti, Martinelli & Moroni (2024)."""
import os

# Idle OpenMP threads sleep instead of spinning: on a shared or oversubscribed CPU spinning
# threads cost up to 6x in throughput (benchmarks/README.md); results are unaffected. It must
# be set before torch loads, which every submodule imports.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
