"""The package's layers hold: plan/ is torch-free and imports only itself; core/ imports plan/;
analysis/ imports plan/ and core/; artifacts/ any of those; nothing below imports the CLI."""
import ast
import subprocess
import sys

import pytest

from conftest import ROOT

PKG = ROOT / "src" / "wrongnumber"
LAYERS = ["plan", "core", "analysis", "artifacts"]  # each may import the ones before it


def imported_layers(path) -> set[str]:
    """The top-level wrongnumber modules or subpackages a file imports (relative or absolute)."""
    layer_of = lambda dotted: dotted.split(".")[0]  # noqa: E731
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            here = path.parent.relative_to(PKG).parts  # () at the top, ("plan",) in plan/
            base = list(here[:len(here) - (node.level - 1)]) + (node.module.split(".") if node.module else [])
            out |= {base[0]} if base else {layer_of(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wrongnumber."):
            out.add(node.module.split(".")[1])
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_before_it(layer):
    allowed = set(LAYERS[:LAYERS.index(layer) + 1]) | {"__version__"}
    for path in sorted((PKG / layer).glob("*.py")):
        bad = imported_layers(path) - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_planning_is_torch_free():
    """What the Snakefile imports at parse time loads no torch, numpy, pandas or scipy."""
    code = ("import sys, wrongnumber.plan.studies, wrongnumber.plan.layout, wrongnumber.plan.rename; "
            "[s.plan for s in wrongnumber.plan.studies.STUDIES.values()]; "  # each study's plan module
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'numpy', 'pandas', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_study_has_its_three_modules():
    from wrongnumber.plan.studies import STUDIES
    for key, study in STUDIES.items():
        assert callable(study.plan.expand) and study.plan.Settings.KEY == key
        assert study.analysis.__name__ == f"wrongnumber.analysis.{key}"
        assert callable(study.artifacts.write) and callable(study.artifacts.report_section)
