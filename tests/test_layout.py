"""Every path of a run and of results/ comes from plan/layout.py: no run file spelled out and no
`parent.parent` in the package or the workflow (docstrings, comments and help texts may name them)."""
import ast
import re

from conftest import ROOT

from wrongnumber.plan import layout

# a run's file names as the layout spells them (and its folders' files: eval/, xai/)
NAMES = {layout.METRICS, layout.TIMINGS, layout.MODEL, layout.PROBES, layout.CHECKPOINT,
         layout.EPOCH_STATES, layout.EVAL, layout.PREDICTIONS, layout.FAILURES, layout.XAI_SCORES,
         layout.XAI_MAPS, layout.XAI_META}
# a string that is a path ending in one of them ("metrics.json", "{RUN}/eval/eval.json"), not prose
PATH = re.compile(r"^[^\s]*(^|/)(" + "|".join(re.escape(n) for n in sorted(NAMES)) + r")$")
LAYOUT = ROOT / "src" / "wrongnumber" / "plan" / "layout.py"


def python_strings(path) -> list[tuple[int, str]]:
    """(line, text) of every string constant of a module, f-strings' literal parts included,
    docstrings left out."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def workflow_strings(path) -> list[tuple[int, str]]:
    """(line, text) of every quoted string in a Snakemake file, comments left out."""
    out = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        code = re.sub(r"(^|\s)#.*$", "", line)
        out += [(i, m.group(2)) for m in re.finditer(r"""(["'])(.*?)\1""", code)]
    return out


def sources():
    yield from ((p, python_strings(p)) for p in sorted((ROOT / "src").rglob("*.py")) if p != LAYOUT)
    smk = [ROOT / "Snakefile", *sorted((ROOT / "workflow").rglob("*.smk"))]
    yield from ((p, workflow_strings(p)) for p in smk)


def test_no_run_file_name_outside_the_layout():
    found = [f"{p.relative_to(ROOT)}:{line}: {text!r}" for p, strings in sources()
             for line, text in strings if PATH.match(text)]
    assert not found, "spell these through wrongnumber.plan.layout:\n" + "\n".join(found)


def test_no_parent_parent_outside_the_layout():
    files = [p for p in (ROOT / "src").rglob("*.py") if p != LAYOUT]
    files += [ROOT / "Snakefile", *(ROOT / "workflow").rglob("*.smk")]
    found = [f"{p.relative_to(ROOT)}:{i}" for p in sorted(files)
             for i, line in enumerate(p.read_text().splitlines(), 1) if ".parent.parent" in line]
    assert not found, "ask wrongnumber.plan.layout (run_of, root_of, run_name_of): " + ", ".join(found)


def test_the_layout_knows_a_run_folders_files():
    run = layout.run_dir("mnist", "R", "paper_cnn", 3)
    assert run == "results/mnist/R/paper_cnn/seed3"
    assert layout.eval_file(run) == run + "/eval/eval.json"
    assert layout.run_of(layout.xai_dir(run)).as_posix() == run
    assert layout.root_of("results/report").as_posix() == "."
    assert layout.root_of("/w/results/report").as_posix() == "/w"
    assert [f"{run}/{f}" for f in layout.RUN_FILES][4] == layout.eval_file(run)
    assert layout.study_result("xai") == "results/xai/xai.json"
    assert layout.table_files(["md"])[0] == "results/tables/table1.md"
    assert layout.figure_files()[:2] == ["results/figures/fig1.png", "results/figures/fig2.png"]
