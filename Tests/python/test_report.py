"""`twin-sim report`: one self-contained HTML page, checked in headless Chromium.

Chromium (Debian package chromium-headless-shell, installed by scripts/setup) loads
the page from disk, prints every console message on standard error
(`--enable-logging=stderr`, lines with `:CONSOLE`), and saves a screenshot under
test-output/. The report carries a Content-Security-Policy that forbids every
external resource, so anything it tried to fetch would be a console message too.
A test feeds the checker a deliberately broken page to show that it fails.
"""

import re
import shutil
from html import escape as html_escape

import h5py
import pytest

from conftest import REPO, mpirun_env, run

BROWSERS = ["chromium-headless-shell", "chromium"]
SCREENSHOTS = REPO / "test-output"


@pytest.fixture(scope="session")
def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("headless Chromium not found (Debian package chromium-headless-shell): "
                "run scripts/setup")


def load_in_browser(browser, page, screenshot, profile) -> list:
    """Loads `page`, saves a screenshot, returns the console messages."""
    out = run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
               "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}",
               f"--screenshot={screenshot}", "--window-size=1400,7600", page.as_uri()])
    assert out.returncode == 0, out.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return [line for line in out.stderr.splitlines() if ":CONSOLE" in line]


def dump_dom(browser, page, profile) -> str:
    out = run([browser, "--headless", "--disable-gpu", "--no-sandbox",
               f"--user-data-dir={profile}", "--dump-dom", page.as_uri()])
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def results(twin_sim, tmp_path_factory):
    """Result files of the two example scenarios, by scenario name."""
    files = {}
    for name in ["quickstart", "conditions"]:
        folder = tmp_path_factory.mktemp(name)
        out = run([twin_sim, str(REPO / "scenarios" / f"{name}.yaml"), "--output", str(folder),
                   "--quiet"], env=mpirun_env())
        assert out.returncode == 0, out.stderr
        files[name] = folder / "results.h5"
    return files


def report(twin_sim, result, html):
    out = run([twin_sim, "report", str(result), "-o", str(html)])
    assert out.returncode == 0, out.stderr
    return html.read_text()


def test_console_check_fails_on_a_broken_page(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
        "content=\"default-src 'none'; style-src 'unsafe-inline'\"></head><body>"
        "<img src=\"https://example.org/plot.png\">"
        "<script>console.error('deliberate'); notDefined();</script></body></html>")
    messages = load_in_browser(browser, page, tmp_path / "broken.png", tmp_path / "profile")
    text = "\n".join(messages)
    assert "violates the following Content Security Policy" in text
    assert len(messages) >= 2, text


@pytest.mark.parametrize("scenario", ["quickstart", "conditions"])
def test_report_renders_without_console_messages(twin_sim, browser, results, scenario,
                                                 tmp_path):
    html = tmp_path / "report.html"
    text = report(twin_sim, results[scenario], html)
    SCREENSHOTS.mkdir(exist_ok=True)
    screenshot = SCREENSHOTS / f"report-{scenario}.png"
    messages = load_in_browser(browser, html, screenshot, tmp_path / "profile")
    assert messages == [], "\n".join(messages)
    assert screenshot.stat().st_size > 50_000

    dom = dump_dom(browser, html, tmp_path / "profile")
    for section in ["summary", "survival", "incidence", "trajectories", "provenance"]:
        assert f'id="{section}"' in dom
    with h5py.File(results[scenario], "r") as f:
        arms = f.attrs["arms"].split(",")
        recorded = [name for name in ["sbp", "total_cholesterol", "hdl", "bmi", "risk10"]
                    if name in f[f"arms/{arms[0]}"]]
        run_id = f.attrs["run_id"]
        seed = f.attrs["seed"]
        scenario_lines = f.attrs["scenario_yaml"].splitlines()
    # Survival and cumulative events, then one panel per arm and recorded series.
    assert dom.count("<svg") == 2 + len(arms) * len(recorded)
    for arm in arms:
        assert f"<th>{arm}" in dom
    assert run_id in dom and f"<th>seed</th><td>{seed}</td>" in dom
    # The scenario text, as the browser's DOM serialises it (only &, <, > escaped).
    assert all(html_escape(line, quote=False) in dom for line in scenario_lines)
    # Every chart has a title, two axis labels with units, and a legend.
    for svg in re.findall(r"<svg.*?</svg>", text, flags=re.S):
        assert 'class="chart-title"' in svg and svg.count('class="axis-label"') == 2
        assert 'class="legend"' in svg
        assert re.search(r'class="axis-label"[^>]*>[^<]*\([^)]+\)</text>', svg)


def test_report_shows_dmp_slurm_links_and_physiology_outputs_when_present(
        twin_sim, browser, results, tmp_path):
    path = tmp_path / "results.h5"
    shutil.copy(results["quickstart"], path)
    with h5py.File(path, "r+") as f:
        f.attrs["dmp_dataset"] = "https://doi.org/10.1234/twin-run"
        f.attrs["slurm_job_id"] = "4711"
        for arm in f.attrs["arms"].split(","):
            sbp = f[f"arms/{arm}/sbp"][...]
            model = f[f"arms/{arm}"].create_dataset("sbp_model", data=(sbp * 1.02).astype("f4"))
            model.attrs["units"] = "mmHg"
    html = tmp_path / "report.html"
    text = report(twin_sim, path, html)
    assert "<th>dmp_dataset</th><td>https://doi.org/10.1234/twin-run</td>" in text
    assert "<th>slurm_job_id</th><td>4711</td>" in text
    assert "Systolic pressure (physiology model)" in text
    assert "sbp_model: statin" in text
    messages = load_in_browser(browser, html, tmp_path / "links.png", tmp_path / "profile")
    assert messages == [], "\n".join(messages)
