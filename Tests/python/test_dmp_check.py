"""`twin-sim dmp check`: a run's outputs, inputs and site against its DMP."""

import json
import os

from conftest import run
from dmp_support import REPO

PLAN = REPO / "scenarios" / "dmp" / "plan.json"
SYNTHETIC = REPO / "scenarios" / "dmp" / "synthetic.yaml"
COHORT = REPO / "scenarios" / "dmp" / "cohort.yaml"


def check(twin_sim, scenario, step, location="DE", extra=(), from_scenario=False):
    env = dict(os.environ)
    env.pop("TWIN_SIM_SITE_CONFIG", None)
    env.pop("TWIN_SIM_SITE_LOCATION", None)
    if location is not None:
        env["TWIN_SIM_SITE_LOCATION"] = location
    else:
        env["TWIN_SIM_SITE_CONFIG"] = "/nonexistent/twin-sim-site.json"
    flags = [] if from_scenario else ["--dmp", str(PLAN), "--step", step]
    return run([twin_sim, "dmp", "check", str(scenario), *flags, *extra], cwd=REPO, env=env)


def test_synthetic_run_obeys_the_example_plan(twin_sim):
    result = check(twin_sim, SYNTHETIC, "simulate")
    assert result.returncode == 0, result.stderr
    assert "obeys the DMP" in result.stdout


def test_site_outside_allow_list_is_refused_citing_the_allow_list(twin_sim):
    result = check(twin_sim, SYNTHETIC, "simulate", location="US")
    assert result.returncode == 2
    assert "DMP entry /dmp/twin_sim:allowed_geo_locations" in result.stderr


def test_unreadable_site_config_is_invalid_input(twin_sim):
    result = check(twin_sim, SYNTHETIC, "simulate", location=None)
    assert result.returncode == 2
    assert "twin-sim-site.json" in result.stderr


def test_output_of_wrong_step_is_refused_citing_the_steps_writes(twin_sim, tmp_path):
    result = check(twin_sim, SYNTHETIC, "secure-simulate")
    assert result.returncode == 2
    assert "DMP entry /dmp/twin_sim:workflow/steps/1/writes" in result.stderr


def test_undeclared_output_folder_is_refused(twin_sim, tmp_path):
    result = check(twin_sim, SYNTHETIC, "simulate", extra=["--output", str(tmp_path / "x")])
    assert result.returncode == 2
    assert "is not a file of any dataset" in result.stderr
    assert "DMP entry /dmp/dataset)" in result.stderr


def test_personal_data_needs_an_encrypted_secure_run(twin_sim):
    plain = check(twin_sim, COHORT, "secure-simulate")
    assert plain.returncode == 2
    assert "must be written encrypted" in plain.stderr
    assert "DMP entry /dmp/dataset/2/personal_data" in plain.stderr
    secure = check(twin_sim, COHORT, "secure-simulate", extra=["--encrypted-output"])
    assert secure.returncode == 0, secure.stderr


def test_step_may_not_read_the_cohort_it_is_not_granted(twin_sim, tmp_path):
    # The cohort scenario writing where step `simulate` writes: the output is
    # allowed, the input (the clinic cohort) is not.
    output = REPO / "runs" / "dmp-example" / "simulate"
    result = check(twin_sim, COHORT, "simulate", extra=["--output", str(output)])
    assert result.returncode == 2
    assert "may not read dataset" in result.stderr
    assert "DMP entry /dmp/twin_sim:workflow/steps/0/reads" in result.stderr


def test_example_scenarios_with_dmp_key_are_valid(twin_sim):
    result = run([twin_sim, "validate", str(SYNTHETIC), str(COHORT)], cwd=REPO)
    assert result.returncode == 0, result.stderr


def test_dmp_and_step_come_from_the_scenario_key(twin_sim):
    synthetic = check(twin_sim, SYNTHETIC, None, from_scenario=True)
    assert synthetic.returncode == 0, synthetic.stderr
    assert "as step simulate" in synthetic.stdout
    cohort = check(twin_sim, COHORT, None, from_scenario=True)
    assert cohort.returncode == 2
    assert "DMP entry /dmp/dataset/2/personal_data" in cohort.stderr


def test_scenario_without_dmp_needs_the_flags(twin_sim):
    result = run([twin_sim, "dmp", "check", str(REPO / "scenarios" / "quickstart.yaml")],
                 cwd=REPO)
    assert result.returncode == 2
    assert "no DMP to check against" in result.stderr
