"""Remaining life expectancy from the start age (docs/analysis.md,
`remaining_life_expectancy_years`): the RMST plus the survivors' expected time after the
horizon at the last simulated year's hazard, shown only where every person's age at the
start plus the horizon reaches 100. Checked against an independent numpy computation from
the summary datasets and /persons/age."""

import csv
import io
import json
import textwrap

import h5py
import numpy as np
import pytest

from conftest import run

KEY = "remaining_life_expectancy_years"
LABEL = "remaining life expectancy from the start age"
Z975 = 1.959963984540054


def scenario(horizon, replicates):
    return textwrap.dedent(
        f"""\
        name: remaining-le
        seed: 61
        time: {{start_year: 2025, horizon_years: {horizon}}}
        population:
          size: 10000
          synthetic:
            age: {{min: 60, max: 70}}
            smoking: 0.3
        models:
          risk_equation: none
        arms:
          - name: baseline
          - name: quit
            interventions:
              - {{type: smoking, action: stop, fraction: 0.8}}
        output:
          record: [alive]
        uncertainty: {{replicates: {replicates}}}
        """
    )


def simulate(twin_sim, folder, horizon, replicates):
    path = folder / "scenario.yaml"
    path.write_text(scenario(horizon, replicates))
    done = run([twin_sim, "run", str(path), "--output", str(folder / "run"), "--quiet"])
    assert done.returncode == 0, done.stderr
    results = folder / "run" / "results.h5"
    outputs = {}
    for form in ["json", "csv", "text"]:
        flags = [] if form == "text" else [f"--{form}"]
        printed = run([twin_sim, "summary", str(results), *flags])
        assert printed.returncode == 0, printed.stderr
        outputs[form] = printed.stdout
    outputs["json"] = json.loads(outputs["json"])
    return results, outputs


@pytest.fixture(scope="module")
def replicated(twin_sim, tmp_path_factory):
    """Ages 60-70 for 40 years (100-110 at the end), three replicates."""
    return simulate(twin_sim, tmp_path_factory.mktemp("le-replicated"), 40, 3)


@pytest.fixture(scope="module")
def single(twin_sim, tmp_path_factory):
    """The same for one realisation: within-run errors."""
    return simulate(twin_sim, tmp_path_factory.mktemp("le-single"), 40, 1)


def arm_of(summary, name):
    return next(arm for arm in summary["arms"] if arm["arm"] == name)


def numpy_life_expectancy(path, arm):
    """Per realisation: RMST + (alive at the end / n) / mu, mu = -ln(1 - d / a) from the
    persons alive a at the start of the last year and the deaths d in it."""
    with h5py.File(path, "r") as f:
        n = int(f.attrs["n_persons"])
        times = f["time"][...]
        summary = f[f"arms/{arm}/summary"]
        alive = summary["alive"][...].astype(float)
        deaths = summary["deaths"][...].astype(float)
        person_years = summary["person_years"][...].sum(axis=1)
    start_of_last_year = int(np.flatnonzero(np.isclose(times, times[-1] - 1))[0])
    a = alive[:, start_of_last_year]
    d = deaths[:, start_of_last_year + 1:].sum(axis=1)
    survivors = alive[:, -1]
    assert np.all(a > 0) and np.all(d > 0)
    mu = -np.log(1 - d / a)
    return (person_years + survivors / mu) / n, person_years / n, survivors / n


def test_every_person_reaches_100_by_the_horizon(replicated):
    path, _ = replicated
    with h5py.File(path, "r") as f:
        ages = f["persons/age"][...]
        horizon = f["time"][-1]
    assert ages.min() >= 60 and ages.min() + horizon >= 100


def test_over_realisations_equals_numpy_from_the_summary_datasets(replicated):
    path, outputs = replicated
    summary = outputs["json"]
    assert summary["realisations"] == 3
    for arm in ["baseline", "quit"]:
        expected, rmst, survivors = numpy_life_expectancy(path, arm)
        measure = arm_of(summary, arm)[KEY]
        assert np.allclose(measure["values"], expected, rtol=1e-12, atol=0)
        assert measure["mean"] == pytest.approx(expected.mean(), rel=1e-12)
        assert measure["lower95"] == pytest.approx(np.percentile(expected, 2.5), rel=1e-12)
        assert measure["upper95"] == pytest.approx(np.percentile(expected, 97.5), rel=1e-12)
        assert measure["mcse"] == pytest.approx(np.std(expected, ddof=1) / np.sqrt(3), rel=1e-9)
        # The RMST is part of it, and the tail after age 100-110 is small: about 1 % are
        # alive at the horizon.
        assert np.allclose(arm_of(summary, arm)["rmst_years"]["values"], rmst, rtol=1e-12)
        assert np.all(expected > rmst)
        assert np.all(survivors < 0.02)
        assert np.all(expected - rmst < 0.05)
    # Stopping smoking lengthens life.
    assert arm_of(summary, "quit")[KEY]["mean"] > arm_of(summary, "baseline")[KEY]["mean"]


def test_one_realisation_takes_the_within_run_mcse_of_the_rmst(single):
    path, outputs = single
    summary = outputs["json"]
    assert summary["interval_method"] == "within_run_normal_approximation"
    for arm in ["baseline", "quit"]:
        expected, _, _ = numpy_life_expectancy(path, arm)
        measure = arm_of(summary, arm)[KEY]
        rmst = arm_of(summary, arm)["rmst_years"]
        assert measure["mean"] == pytest.approx(expected[0], rel=1e-12)
        assert measure["mcse"] == rmst["mcse"] and rmst["mcse"] > 0
        assert measure["lower95"] == pytest.approx(expected[0] - Z975 * rmst["mcse"], rel=1e-12)
        assert measure["upper95"] == pytest.approx(expected[0] + Z975 * rmst["mcse"], rel=1e-12)


def test_text_csv_and_report_show_it_with_two_decimals(twin_sim, replicated, tmp_path):
    path, outputs = replicated
    baseline = arm_of(outputs["json"], "baseline")[KEY]
    rows = [row for row in csv.DictReader(io.StringIO(outputs["csv"])) if row["measure"] == KEY]
    assert [row["arm"] for row in rows] == ["baseline", "quit"]
    assert rows[0]["unit"] == "years"
    assert float(rows[0]["mean"]) == pytest.approx(baseline["mean"], rel=1e-15)
    lines = [line for line in outputs["text"].splitlines() if LABEL in line]
    assert len(lines) == 2
    assert f" {baseline['mean']:.2f} " in lines[0]
    report = tmp_path / "report.html"
    made = run([twin_sim, "report", str(path), "-o", str(report)])
    assert made.returncode == 0, made.stderr
    html = report.read_text()
    assert f"{LABEL} (years)" in html
    assert f"{baseline['mean']:.2f}" in html


def test_absent_when_the_horizon_leaves_someone_below_100(twin_sim, tmp_path):
    # Ages 60-70 for 30 years: the youngest are 90 at the end.
    path, outputs = simulate(twin_sim, tmp_path, 30, 1)
    with h5py.File(path, "r") as f:
        assert f["persons/age"][...].min() + f["time"][-1] < 100
    assert all(arm[KEY] is None for arm in outputs["json"]["arms"])
    assert all(arm["rmst_years"]["mean"] is not None for arm in outputs["json"]["arms"])
    assert KEY not in outputs["csv"]
    assert LABEL not in outputs["text"]
    report = tmp_path / "report.html"
    made = run([twin_sim, "report", str(path), "-o", str(report)])
    assert made.returncode == 0, made.stderr
    assert LABEL not in report.read_text()
