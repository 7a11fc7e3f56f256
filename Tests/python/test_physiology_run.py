"""The physiology coupled into the engine (issue 4, part 5), as a user runs it.

`physiology: {model: smith2004}` makes every person carry the circulation model, solved once a
simulated year. Checked here: the HDF5 datasets and their attributes, the risk-equation rule at
time 0, results that do not depend on the number of ranks, bit-identical identical arms, and
checkpoint/resume (also in the middle of a year of a monthly run) on another rank count.
"""

import textwrap

import h5py
import numpy as np
import pytest

from conftest import REPO, mpirun_env, run
from h5compare import differences

SCENARIO = textwrap.dedent(
    """\
    name: physiology-check
    seed: 21
    time: {start_year: 2025, horizon_years: 8}
    population:
      size: 601
      synthetic:
        age: {min: 40, max: 75}
        smoking: 0.3
    models:
      risk_equation: score2
    physiology: {model: smith2004}
    arms:
      - name: baseline
      - name: treat
        interventions:
          - {type: antihypertensive, from_year: 2027, eligibility: {min_sbp: 135}}
      - name: treat_again
        interventions:
          - {type: antihypertensive, from_year: 2027, eligibility: {min_sbp: 135}}
      - name: quit
        interventions:
          - {type: smoking, action: stop, from_year: 2027}
          - {type: statin, eligibility: {min_risk10: 0.05}}
    uncertainty: {replicates: 2}
    """
)

MONTHLY = SCENARIO.replace("horizon_years: 8}", "horizon_years: 2, step: month}").replace(
    "name: physiology-check", "name: physiology-monthly").replace("from_year: 2027",
                                                                 "from_year: 2026")

PHYSIOLOGY_DATASETS = {
    "sbp_model": "mmHg",
    "dbp_model": "mmHg",
    "pulse_pressure": "mmHg",
    "cardiac_output": "L/min",
    "ejection_fraction": "percent",
    "pwv": "m/s",
    "sbp_risk": "mmHg",
}


def mpirun(ranks, twin_sim, *args):
    cmd = ["mpirun", "-n", str(ranks)] + (["--oversubscribe"] if ranks > 2 else [])
    return cmd + [twin_sim, *map(str, args)]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    folder = tmp_path_factory.mktemp("physiology-scenarios")
    paths = {}
    for name, text in [("yearly", SCENARIO), ("monthly", MONTHLY)]:
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_text(text)
    return paths


@pytest.fixture(scope="module")
def reference(twin_sim, scenarios, tmp_path_factory):
    """Uninterrupted single-rank results of both scenarios."""
    results = {}
    for name, scenario in scenarios.items():
        output = tmp_path_factory.mktemp(f"physiology-{name}")
        result = run([twin_sim, scenario, "--output", output, "--quiet"])
        assert result.returncode == 0, result.stderr
        results[name] = output / "results.h5"
    return results


def test_physiology_datasets_have_units_and_descriptions(reference):
    with h5py.File(reference["yearly"], "r") as f:
        assert f.attrs["physiology"] == "smith2004"
        for arm in ["baseline", "treat", "quit"]:
            group = f[f"arms/{arm}"]
            for name, units in PHYSIOLOGY_DATASETS.items():
                dataset = group[name]
                assert dataset.shape == (601, 9), name
                assert dataset.attrs["units"] == units, name
                assert len(dataset.attrs["description"]) > 20, name
        alive = f["arms/baseline/alive"][()] == 1
        sbp_model = f["arms/baseline/sbp_model"][()]
        # Values while alive, NaN after death.
        assert np.all(np.isfinite(sbp_model[alive]))
        assert np.all(np.isnan(sbp_model[~alive]))
        assert (~alive).any()
        # Plausible central systolic pressures, flows and PWV for adults aged 40-83 (diastolic
        # pressures: see the elastance exponent test below).
        assert 90 < np.nanmean(sbp_model) < 170
        assert 3.5 < np.nanmean(f["arms/baseline/cardiac_output"][()]) < 6
        assert 6 < np.nanmean(f["arms/baseline/pwv"][()]) < 14
        assert f.attrs["physiology_elastance_exponent"] == "2"


def test_elastance_exponent_one_keeps_diastolic_pressures_plausible(
        twin_sim, scenarios, reference, tmp_path):
    """docs/physiology.md, "Arterial elastance": with the default k = 2 (E_sa proportional to
    PWV^2) the lumped model turns the stiffening of older persons into pulse pressure, so their
    diastolic pressure falls far below survey values; k = 1 keeps it near them."""
    linear = tmp_path / "linear.yaml"
    linear.write_text(scenarios["yearly"].read_text().replace(
        "physiology: {model: smith2004}",
        "physiology: {model: smith2004, elastance_exponent: 1}"))
    result = run([twin_sim, linear, "--output", tmp_path / "out", "--quiet"])
    assert result.returncode == 0, result.stderr
    with h5py.File(tmp_path / "out" / "results.h5", "r") as f:
        assert f.attrs["physiology_elastance_exponent"] == "1"
        age = f["arms/baseline/age"][()] if "age" in f["arms/baseline"] else None
        dbp_linear = f["arms/baseline/dbp_model"][()]
        sbp_linear = f["arms/baseline/sbp_model"][()]
    with h5py.File(reference["yearly"], "r") as f:
        dbp_square = f["arms/baseline/dbp_model"][()]
        sbp_square = f["arms/baseline/sbp_model"][()]
    assert age is None  # not recorded by default
    # Both calibrate SBP the same way (to the person's sbp), so the means agree closely.
    assert abs(np.nanmean(sbp_linear) - np.nanmean(sbp_square)) < 2
    # k = 1: mean central DBP of adults aged 40-83 within 55-85 mmHg (NHANES cuff means 68-77).
    assert 55 < np.nanmean(dbp_linear) < 85
    # k = 2: far lower (the documented limitation of the lumped model).
    assert np.nanmean(dbp_square) < np.nanmean(dbp_linear) - 15


def test_risk_equations_see_observed_baseline_plus_modelled_change(reference):
    with h5py.File(reference["yearly"], "r") as f:
        arm = f["arms/quit"]
        sbp = arm["sbp"][()].astype(np.float64)
        model = arm["sbp_model"][()].astype(np.float64)
        risk_sbp = arm["sbp_risk"][()].astype(np.float64)
    # At time 0 the equations see the observed SBP itself.
    assert np.array_equal(risk_sbp[:, 0], sbp[:, 0])
    # Later, observed SBP at time 0 plus the modelled change (float32 storage: 1e-4 mmHg).
    expected = sbp[:, [0]] + (model - model[:, [0]])
    alive = np.isfinite(risk_sbp)
    assert np.allclose(risk_sbp[alive], expected[alive], atol=1e-3)


def test_arms_with_identical_interventions_are_bit_identical(reference):
    with h5py.File(reference["yearly"], "r") as f:
        a, b = f["arms/treat"], f["arms/treat_again"]
        names = []
        a.visit(names.append)
        for name in names:
            if isinstance(a[name], h5py.Dataset):
                assert a[name][()].tobytes() == b[name][()].tobytes(), name
        # and treatment lowers the modelled pressure
        assert np.nanmean(f["arms/treat/sbp_model"][:, -1]) < \
            np.nanmean(f["arms/baseline/sbp_model"][:, -1]) - 1


@pytest.mark.parametrize("ranks", [2, 3])
def test_results_are_bit_identical_for_any_rank_count(
        twin_sim, scenarios, reference, tmp_path, ranks):
    result = run(mpirun(ranks, twin_sim, scenarios["yearly"], "--output", tmp_path, "--quiet"),
                 env=mpirun_env())
    assert result.returncode == 0, result.stderr
    assert differences(reference["yearly"], tmp_path / "results.h5") == []


@pytest.mark.parametrize("name, first, second, failure", [
    ("yearly", 2, 1, "0:6"),      # checkpoint after time point 3 of the first arm
    ("monthly", 1, 3, "0:20"),    # checkpoint at time point 15: in the middle of year 2
])
def test_resume_with_physiology_is_bit_identical(
        twin_sim, scenarios, reference, tmp_path, name, first, second, failure):
    env = mpirun_env()
    env["TWIN_SIM_INJECT_FAILURE"] = failure
    interrupted = run(mpirun(first, twin_sim, scenarios[name], "--output", tmp_path, "--quiet",
                             "--checkpoint-every", "5" if name == "monthly" else "3"),
                      env=env, timeout=300)
    assert interrupted.returncode != 0
    assert "injected failure" in interrupted.stderr
    assert list(tmp_path.glob("checkpoint-*.json"))
    with h5py.File(sorted(tmp_path.glob("checkpoint-*.h5"))[-1], "r") as f:
        assert "physiology_V_lv" in f["checkpoint"]
    resumed = run(mpirun(second, twin_sim, scenarios[name], "--output", tmp_path, "--quiet",
                         "--resume"), env=mpirun_env(), timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert differences(reference[name], tmp_path / "results.h5") == []


def test_run_log_reports_the_physiology_work(reference):
    log = (reference["yearly"].parent / "run.log").read_text()
    lines = [line for line in log.splitlines() if "physiology (rank 0)" in line]
    # One line per arm and realisation.
    assert len(lines) == 8
    assert "RHS evaluations per solve" in lines[0]


def test_example_scenario_runs(twin_sim, tmp_path):
    result = run([twin_sim, REPO / "scenarios" / "physiology.yaml", "--output", tmp_path,
                  "--quiet"], timeout=300)
    assert result.returncode == 0, result.stderr
    with h5py.File(tmp_path / "results.h5", "r") as f:
        assert set(PHYSIOLOGY_DATASETS) <= set(f["arms/quit_smoking"])
        # Quitting lowers PWV and the modelled SBP, not the statistical `sbp`.
        assert np.nanmean(f["arms/quit_smoking/pwv"][:, -1]) < \
            np.nanmean(f["arms/baseline/pwv"][:, -1])
