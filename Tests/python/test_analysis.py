"""The analysts' view on real runs: `twin-sim summary` and `export`, and the Python
examples of scripts/analysis, which compute every number again from the HDF5 file
with h5py, pandas, xarray and numpy (independently of twin-sim's Swift code) and
must agree with `twin-sim summary --json`.

quickstart.yaml has one realisation (within-run, per-person standard errors);
conditions.yaml has 2 replicates x 4 parameter draws (statistics over realisations).
"""

import csv
import io
import json
import math
import pathlib
import shutil
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import REPO, mpirun_env, run

EXAMPLES = REPO / "scripts" / "analysis"


def simulate(twin_sim, scenario, folder) -> pathlib.Path:
    result = run([twin_sim, str(REPO / "scenarios" / scenario), "--output", str(folder),
                  "--quiet"], env=mpirun_env())
    assert result.returncode == 0, result.stderr
    return folder / "results.h5"


@pytest.fixture(scope="module")
def quickstart(twin_sim, tmp_path_factory):
    return simulate(twin_sim, "quickstart.yaml", tmp_path_factory.mktemp("quickstart"))


@pytest.fixture(scope="module")
def conditions(twin_sim, tmp_path_factory):
    return simulate(twin_sim, "conditions.yaml", tmp_path_factory.mktemp("conditions"))


@pytest.fixture(params=["quickstart", "conditions"])
def result(request):
    return request.getfixturevalue(request.param)


def summary_json(twin_sim, path) -> dict:
    out = run([twin_sim, "summary", str(path), "--json"])
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def example(name, *args) -> str:
    out = run([sys.executable, str(EXAMPLES / name), *map(str, args)], cwd=str(EXAMPLES))
    assert out.returncode == 0, out.stderr
    return out.stdout


def arm_of(summary, name):
    return next(arm for arm in summary["arms"] if arm["arm"] == name)


def agree(python_value, swift_value, rel=1e-9, abs_=1e-9):
    if python_value is None or swift_value is None:
        return python_value is None and swift_value is None
    return math.isclose(python_value, swift_value, rel_tol=rel, abs_tol=abs_)


# --- the Python examples agree with twin-sim summary ---------------------------------


def test_load_arm_headline_numbers_equal_summary(twin_sim, result):
    summary = summary_json(twin_sim, result)
    for arm in summary["arms"]:
        numbers = json.loads(example("load_arm.py", result, "--arm", arm["arm"], "--json"))
        for key in ["persons", "person_years", "rmst_years", "cvd_events_per_1000",
                    "cvd_deaths_per_1000"]:
            assert agree(numbers[key], arm[key]["mean"]), (arm["arm"], key)


def test_survival_incidence_cumulative_events_equal_summary_with_interval(twin_sim, result):
    summary = summary_json(twin_sim, result)
    curves = json.loads(example("survival_incidence.py", result, "--json"))
    for arm in summary["arms"]:
        mine = curves["arms"][arm["arm"]]
        swift = arm["cvd_events_per_1000"]
        assert agree(mine["cvd_events_per_1000_mean"][-1], swift["mean"])
        if summary["realisations"] > 1:
            # Both are 2.5 / 97.5 percentiles over realisations of the same totals.
            assert agree(mine["cvd_events_per_1000_lower95"][-1], swift["lower95"])
            assert agree(mine["cvd_events_per_1000_upper95"][-1], swift["upper95"])
        assert mine["survival_mean"][0] == 1.0
        assert all(a >= b for a, b in zip(mine["survival_mean"], mine["survival_mean"][1:]))


def test_compare_arms_equals_summary_including_intervals_and_mcse(twin_sim, result):
    summary = summary_json(twin_sim, result)
    comparison = json.loads(example("compare_arms.py", result, "--json"))
    assert set(comparison) == {a["arm"] for a in summary["arms"] if not a["baseline"]}
    for name, measures in comparison.items():
        swift_arm = arm_of(summary, name)
        for measure, mine in measures.items():
            for statistic in ["mean", "lower95", "upper95", "mcse"]:
                assert agree(mine[statistic], swift_arm[measure][statistic], rel=1e-7), (
                    name, measure, statistic, mine[statistic], swift_arm[measure][statistic])


def test_single_realisation_uses_paired_per_person_errors(twin_sim, quickstart):
    summary = summary_json(twin_sim, quickstart)
    assert summary["realisations"] == 1
    assert summary["interval_method"] == "within_run_normal_approximation"
    assert summary["count_error_method"] == "per_person"
    statin = arm_of(summary, "statin")
    averted = statin["events_averted_per_1000"]
    # Common random numbers: the paired error is far below that of two independent
    # Poisson counts, sqrt(E_base + E_statin) / n.
    base = arm_of(summary, "baseline")["cvd_events_per_1000"]["mean"]
    independent = 1000 * math.sqrt((base + statin["cvd_events_per_1000"]["mean"]) * 10) / 10000
    assert averted["mcse"] < 0.5 * independent
    assert 0 < averted["lower95"] < averted["mean"] < averted["upper95"]


def test_several_realisations_use_percentiles_over_them(twin_sim, conditions):
    summary = summary_json(twin_sim, conditions)
    assert summary["realisations"] == 8
    assert summary["interval_method"] == "percentiles_over_realisations"
    with h5py.File(conditions, "r") as f:
        years = f["arms/baseline/summary/person_years"][...].sum(axis=1) / 5000
    life = arm_of(summary, "baseline")["rmst_years"]
    # The old key stays for one release, with the same numbers.
    assert arm_of(summary, "baseline")["life_expectancy_years"] == life
    assert np.allclose(life["values"], years, rtol=1e-12)
    assert agree(life["lower95"], float(np.percentile(years, 2.5)))
    assert agree(life["mcse"], float(np.std(years, ddof=1) / np.sqrt(8)))


def test_plot_example_writes_a_png(quickstart, tmp_path):
    png = tmp_path / "arms.png"
    example("plot_arms.py", quickstart, "-o", png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


# --- summary formats ---------------------------------------------------------------


def test_summary_csv_and_text_carry_the_json_numbers(twin_sim, quickstart):
    summary = summary_json(twin_sim, quickstart)
    out = run([twin_sim, "summary", str(quickstart), "--csv"])
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert set(rows[0]) == {"arm", "measure", "unit", "mean", "lower95", "upper95", "mcse",
                            "interval_method"}
    for row in rows:
        swift = arm_of(summary, row["arm"])[row["measure"]]
        for statistic in ["mean", "lower95", "upper95", "mcse"]:
            expected = swift[statistic]
            assert (row[statistic] == "") if expected is None else agree(
                float(row[statistic]), expected)
    # lifelong smoking averts no events: no NNT.
    nnt = next(r for r in rows if r["arm"] == "lifelong_smoking" and r["measure"] == "nnt")
    assert nnt["mean"] == ""
    text = run([twin_sim, "summary", str(quickstart)]).stdout
    for arm in summary["arms"]:
        assert arm["arm"] in text
    assert "RMST, restricted mean survival time over the horizon (years)" in text


# --- export ------------------------------------------------------------------------


def test_export_tables_hold_the_file_values(twin_sim, quickstart, tmp_path):
    out = run([twin_sim, "export", str(quickstart), "--arm", "statin", "--format", "csv",
               "-o", str(tmp_path)])
    assert out.returncode == 0, out.stderr
    # Values are the shortest decimals that read back exactly: pandas' exact parser.
    read = lambda name: pd.read_csv(tmp_path / name, float_precision="round_trip")  # noqa: E731
    series = read("statin_series.csv")
    events = read("statin_events.csv")
    summary = read("statin_summary.csv")
    with h5py.File(quickstart, "r") as f:
        arm = f["arms/statin"]
        times = f["time"][...]
        recorded = sorted(name for name in arm if isinstance(arm[name], h5py.Dataset))
        assert sorted(series["variable"].unique()) == recorded
        assert len(series) == f.attrs["n_persons"] * len(times) * len(recorded)
        for name in recorded:
            wide = series[series["variable"] == name].pivot(
                index="person", columns="time", values="value")
            stored = arm[name][...]
            # float32 values are written as the shortest decimal that reads back to the
            # same float32; NaN (after death) as an empty field.
            np.testing.assert_array_equal(wide.to_numpy().astype(stored.dtype), stored)
        kind = arm["events/kind"]
        names = dict(zip(kind.attrs["flag_values"].tolist(),
                         kind.attrs["flag_meanings"].split()))
        identifiers = f["person"][...][arm["events/person"][...]]
        np.testing.assert_array_equal(events["person"], identifiers)
        np.testing.assert_array_equal(events["time"], arm["events/time"][...])
        assert list(events["kind"]) == [names[k] for k in kind[...]]
        for name in arm["summary"]:
            values = summary[summary["variable"] == name].pivot(
                index="realisation", columns="time", values="value")
            np.testing.assert_array_equal(values.to_numpy(), arm["summary"][name][...])


def test_export_persons_table_holds_the_persons_at_the_start(twin_sim, result, tmp_path):
    out = run([twin_sim, "export", str(result), "--arm", "baseline", "-o", str(tmp_path)])
    assert out.returncode == 0, out.stderr
    assert f"{tmp_path / 'persons.csv'}\t" in out.stdout
    persons = pd.read_csv(tmp_path / "persons.csv", float_precision="round_trip")
    with h5py.File(result, "r") as f:
        stored = f["persons"]
        conditions = [c for c in f.attrs["conditions"].split(",") if c]
        assert list(persons.columns) == [
            "person", "sex", "age", "sbp", "total_cholesterol", "hdl", "bmi", "smoking",
            "diabetes", "bp_treated", *conditions]
        assert set(persons.columns[1:]) == set(stored)
        assert len(persons) == f.attrs["n_persons"]
        np.testing.assert_array_equal(persons["person"], f["person"][...])
        # sex by name (0 female, 1 male), as the events table names its kinds.
        np.testing.assert_array_equal(
            persons["sex"], np.where(stored["sex"][...] == 1, "male", "female"))
        assert set(np.unique(stored["sex"][...])) <= {0, 1}
        for name in persons.columns[2:]:
            values = stored[name][...]
            assert persons[name].to_numpy().astype(values.dtype).tobytes() == values.tobytes(), name


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["summary"], ["report", "-o", "/dev/null"],
                                     ["export", "--arm", "baseline", "-o", "/tmp"]])
def test_missing_file_is_refused_with_exit_2(twin_sim, tmp_path, command):
    missing = tmp_path / "nowhere.h5"
    out = run([twin_sim, command[0], str(missing), *command[1:]])
    assert out.returncode == 2
    assert f"twin-sim: error: {missing}: no such file" in out.stderr


def test_foreign_hdf5_file_is_refused_with_exit_2(twin_sim, tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    out = run([twin_sim, "summary", str(path)])
    assert out.returncode == 2
    assert "not a twin-sim result file" in out.stderr and "'status'" in out.stderr


def test_unfinished_run_is_refused_unless_allowed_then_warned(twin_sim, quickstart, tmp_path):
    path = tmp_path / "results.h5.partial"
    shutil.copy(quickstart, path)
    with h5py.File(path, "r+") as f:
        f.attrs["status"] = "running"
    refused = run([twin_sim, "summary", str(path)])
    assert refused.returncode == 2
    assert "did not finish (status 'running'" in refused.stderr
    assert "--allow-incomplete" in refused.stderr
    allowed = run([twin_sim, "summary", str(path), "--allow-incomplete", "--json"])
    assert allowed.returncode == 0, allowed.stderr
    assert "twin-sim: warning:" in allowed.stderr
    assert json.loads(allowed.stdout)["status"] == "running"


def test_unknown_arm_is_refused_naming_the_arms(twin_sim, quickstart, tmp_path):
    out = run([twin_sim, "export", str(quickstart), "--arm", "statins", "-o", str(tmp_path / "x")])
    assert out.returncode == 2
    assert "no arm named 'statins'" in out.stderr
    assert "'baseline', 'lifelong_smoking', 'vegan', 'statin'" in out.stderr
    assert not (tmp_path / "x").exists()


def test_quickstart_script_ends_with_the_summary(repo_root, tmp_path):
    """scripts/quickstart (set-up skipped: this suite's set-up ran) prints the answer last."""
    env = mpirun_env()
    env.update(TWIN_SIM_SKIP_APT="1", TWIN_SIM_SKIP_BUILD="1",
               TWIN_SIM_QUICKSTART_OUTPUT=str(tmp_path / "quickstart"))
    first = run([str(repo_root / "scripts" / "quickstart")], env=env, timeout=900)
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "twin-sim summary of" in out and "arm statin versus baseline" in out
    assert out.index("twin-sim summary of") > out.index("valid (10000 persons")
    # A second quickstart moves the first aside instead of overwriting it.
    second = run([str(repo_root / "scripts" / "quickstart")], env=env, timeout=900)
    assert second.returncode == 0, second.stderr
    assert len(list(tmp_path.glob("quickstart.replaced-*"))) == 1
