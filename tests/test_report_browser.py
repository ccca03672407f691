"""The report in a real browser: headless Chromium through Playwright, at desktop and phone width.

The report comes from real run outputs: the smoke workflow (committed fixtures, 2 epochs) run
end to end in a temporary folder through the real CLI, or the file named by WRONGNUMBER_REPORT
(CI points it at the report its smoke step just built). Fails when the page scrolls sideways, a
figure does not load, a table-of-contents link has no target, the claims scoreboard is missing
or its verdicts are not on the first screen, or the figure grid does not stack on a phone.
Screenshots (top of the page and the whole page, per width) go to WRONGNUMBER_SCREENSHOTS
(CI: its artifacts folder), else to the test's temporary folder.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from wrongnumber.analysis import claims as claims_mod

from conftest import ROOT

CHROMIUM = os.environ.get("WRONGNUMBER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}  # viewport (width, height) in CSS pixels
WORKFLOW_FILES = ["Snakefile", "workflow", "config", "paper", "profiles", "tests/fixtures"]

try:
    from playwright import sync_api as playwright
    MISSING = None if Path(CHROMIUM).is_file() else f"no Chromium at {CHROMIUM} (apt-get install chromium)"
except ImportError:
    MISSING = "playwright is not installed (pip install playwright)"
if MISSING and os.environ.get("WRONGNUMBER_REQUIRE_BROWSER"):  # CI: a missing browser is a failure
    raise RuntimeError(f"WRONGNUMBER_REQUIRE_BROWSER is set, but {MISSING}")

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """index.html rendered from real runs: WRONGNUMBER_REPORT, or the smoke workflow in a tmp copy."""
    if os.environ.get("WRONGNUMBER_REPORT"):
        return Path(os.environ["WRONGNUMBER_REPORT"]).resolve()
    work = tmp_path_factory.mktemp("smoke")
    for name in WORKFLOW_FILES:
        src, dst = ROOT / name, work / name
        shutil.copytree(src, dst) if src.is_dir() else shutil.copy2(src, dst)
    out = subprocess.run(["snakemake", "--cores", "2", "--configfile", "config/smoke.yaml", "--quiet", "rules"],
                         cwd=work, capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return work / "results" / "report" / "index.html"


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    out = Path(os.environ.get("WRONGNUMBER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    return out


PAGE_FACTS = """() => {
  const W = document.documentElement.clientWidth, H = window.innerHeight;
  const imgs = [...document.images];
  const toc = [...document.querySelectorAll('nav#toc a')];
  const claims = [...document.querySelectorAll('ol.claims > li')];
  const first = claims.length ? claims[0].querySelector('.v').getBoundingClientRect() : null;
  const figs = [...document.querySelectorAll('.figs > .fig')].slice(0, 2).map(f => f.getBoundingClientRect().left);
  return {
    scrollWidth: document.documentElement.scrollWidth, width: W,
    images: imgs.length, broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    toc: toc.map(a => a.getAttribute('href')),
    tocMissing: toc.filter(a => !document.getElementById(a.getAttribute('href').slice(1))).map(a => a.getAttribute('href')),
    linksMissing: [...document.querySelectorAll('a[href^="#"]')].filter(a => !document.getElementById(a.getAttribute('href').slice(1))).map(a => a.getAttribute('href')),
    claims: claims.length, verdicts: claims.map(c => c.querySelector('.v').textContent.trim()),
    firstVerdictBottom: first ? first.bottom : null, viewportHeight: H,
    figureColumns: figs.length === 2 && Math.abs(figs[0] - figs[1]) < 1 ? 1 : 2,
  };
}"""


@pytest.mark.parametrize("name", list(WIDTHS))
def test_report_in_chromium(report, browser, shots, name):
    width, height = WIDTHS[name]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(report.as_uri(), wait_until="load")
    page.screenshot(path=shots / f"report-{name}-{width}px-top.png")
    page.screenshot(path=shots / f"report-{name}-{width}px-full.png", full_page=True)
    facts = page.evaluate(PAGE_FACTS)
    page.close()
    claims = yaml.safe_load((ROOT / "paper" / "claims.yaml").read_text())["claims"]

    assert facts["scrollWidth"] <= facts["width"], f"the page scrolls sideways at {width} px: {facts['scrollWidth']} px wide"
    assert facts["images"] >= 14 and not facts["broken"], f"figures that did not load: {facts['broken']}"
    assert len(facts["toc"]) >= 6 and not facts["tocMissing"], f"table-of-contents links without a target: {facts['tocMissing']}"
    assert not facts["linksMissing"], f"in-page links without a target: {facts['linksMissing']}"
    assert facts["claims"] == len(claims), "the claims scoreboard is missing or incomplete"
    assert set(facts["verdicts"]) <= {claims_mod.HOLDS, claims_mod.FAILS, claims_mod.NOT_DECIDED, claims_mod.NOT_ASSESSED}, facts["verdicts"]
    assert facts["firstVerdictBottom"] <= facts["viewportHeight"], "the first verdict is below the first screen"
    assert facts["figureColumns"] == (1 if width < 700 else 2), f"figure grid at {width} px: {facts['figureColumns']} columns"
