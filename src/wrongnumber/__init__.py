"""wrongnumber: reproducibility artifact of Ignesti, Martinelli & Moroni (2024)."""
import os

# Idle OpenMP threads sleep instead of spinning: on a shared or oversubscribed CPU spinning
# threads cost up to 6x in throughput (benchmarks/README.md); results are unaffected. It must
# be set before torch loads, which every submodule imports.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# The floating-point environment (portable by default: the same bits on every x86-64 CPU with
# AVX2), also read once, at first use, by torch's CPU kernels, oneDNN and MKL (plan/numerics.py).
import sys  # noqa: E402

from .plan import numerics as _numerics  # noqa: E402  (torch-free)

_numerics.apply(os.environ.get(_numerics.ENV, _numerics.DEFAULT))
if "torch" in sys.modules and _numerics.applied() == "portable":  # its kernels may have chosen already
    import warnings

    warnings.warn("torch was imported before wrongnumber, so the portable numerics may not apply "
                  "to it: import wrongnumber first (runs record what torch actually used)", stacklevel=2)

__version__ = "0.1.0"
