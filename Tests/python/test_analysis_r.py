"""The R example scripts/analysis/compare_arms.R (hdf5r) computes what compare_arms.py
computes: on real runs, both scripts' JSON numbers agree to 1e-12 relative (1e-9 absolute
per 1,000 persons where differences cancel digits) and their text output is identical
character for character.

Three runs cover both ways of computing the uncertainty and the choice of
cardiovascular event kinds: quickstart.yaml (one realisation: paired per-person
errors, no declared conditions), conditions.yaml (2 replicates x 4 parameter draws:
percentiles over realisations) and conditions.yaml reduced to one realisation (per-person
errors with a condition that counts as cardiovascular and one that does not).

R is not optional here: scripts/setup installs r-base-core and r-cran-hdf5r, so a
missing Rscript or hdf5r fails the test instead of skipping it.
"""

import json
import math
import shutil
import sys

import pytest
import yaml

from conftest import REPO, mpirun_env, run

EXAMPLES = REPO / "scripts" / "analysis"
STATISTICS = ["mean", "lower95", "upper95", "mcse"]
# R sums in long double (numpy pairwise in double) and interpolates percentiles by
# another formula: the numbers agree to 1e-12 relative, or 1e-9 absolute (per 1,000
# persons) where a difference of two arms' totals of ~1e5 person-years cancels digits
# (one unit in the last place of such a total is 6e-11 years).
REL, ABS = 1e-12, 1e-9


@pytest.fixture(scope="session")
def rscript() -> str:
    binary = shutil.which("Rscript")
    if binary is None:
        pytest.fail("Rscript not found: install r-base-core and r-cran-hdf5r "
                    "(scripts/setup does)")
    check = run([binary, "-e", "library(hdf5r)"])
    if check.returncode != 0:
        pytest.fail(f"R package hdf5r not usable: install r-cran-hdf5r (scripts/setup does)\n"
                    f"{check.stderr}")
    return binary


def simulate(twin_sim, scenario, folder):
    result = run([twin_sim, str(scenario), "--output", str(folder), "--quiet"],
                 env=mpirun_env())
    assert result.returncode == 0, result.stderr
    return folder / "results.h5"


@pytest.fixture(scope="module")
def quickstart(twin_sim, tmp_path_factory):
    return simulate(twin_sim, REPO / "scenarios" / "quickstart.yaml",
                    tmp_path_factory.mktemp("quickstart"))


@pytest.fixture(scope="module")
def conditions(twin_sim, tmp_path_factory):
    return simulate(twin_sim, REPO / "scenarios" / "conditions.yaml",
                    tmp_path_factory.mktemp("conditions"))


@pytest.fixture(scope="module")
def conditions_single(twin_sim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("conditions_single")
    scenario = yaml.safe_load((REPO / "scenarios" / "conditions.yaml").read_text())
    scenario["uncertainty"] = {"replicates": 1, "parameter_draws": 0}
    flags = [c.get("counts_as_cvd", False) for c in scenario["models"]["conditions"]]
    assert True in flags and False in flags  # both kinds of condition are exercised
    path = folder / "conditions_single.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return simulate(twin_sim, path, folder / "run")


@pytest.fixture(params=["quickstart", "conditions", "conditions_single"])
def result(request):
    return request.getfixturevalue(request.param)


def python_example(*args) -> str:
    out = run([sys.executable, str(EXAMPLES / "compare_arms.py"), *map(str, args)])
    assert out.returncode == 0, out.stderr
    return out.stdout


def r_example(rscript, *args) -> str:
    out = run([rscript, str(EXAMPLES / "compare_arms.R"), *map(str, args)])
    assert out.returncode == 0, f"compare_arms.R failed:\n{out.stderr}"
    return out.stdout


def test_r_json_numbers_equal_python(rscript, result):
    python = json.loads(python_example(result, "--json"))
    r = json.loads(r_example(rscript, result, "--json"))
    assert list(r) == list(python)  # the same arms, in scenario order
    assert python  # at least one arm besides the baseline
    for arm, measures in python.items():
        assert list(r[arm]) == list(measures)
        for measure, statistics in measures.items():
            assert list(r[arm][measure]) == STATISTICS
            for statistic in STATISTICS:
                mine, theirs = r[arm][measure][statistic], statistics[statistic]
                if theirs is None:
                    assert mine is None, (arm, measure, statistic, mine)
                else:
                    assert mine is not None and math.isclose(
                        mine, theirs, rel_tol=REL, abs_tol=ABS), (
                        arm, measure, statistic, mine, theirs)


def test_r_text_output_is_the_python_text(rscript, result):
    assert r_example(rscript, result) == python_example(result)


def test_single_realisation_cases_are_covered(rscript, quickstart, conditions_single):
    # No NNT where no events are averted on average (lifelong smoking): a null mean and
    # "n/a" in both (the interval may still reach positive events averted).
    r = json.loads(r_example(rscript, quickstart, "--json"))
    python = json.loads(python_example(quickstart, "--json"))
    assert r["lifelong_smoking"]["nnt"]["mean"] is None
    assert r["lifelong_smoking"]["nnt"] == python["lifelong_smoking"]["nnt"]
    assert "nnt: n/a" in r_example(rscript, quickstart)
    # The paired per-person errors exist (sd over persons, not over realisations).
    for arm in json.loads(r_example(rscript, conditions_single, "--json")).values():
        assert arm["events_averted_per_1000"]["mcse"] > 0


def test_r_refuses_a_missing_file_and_unknown_options(rscript, tmp_path):
    missing = run([rscript, str(EXAMPLES / "compare_arms.R"), str(tmp_path / "nowhere.h5")])
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = run([rscript, str(EXAMPLES / "compare_arms.R"), "x.h5", "--csv"])
    assert unknown.returncode == 2 and "--csv" in unknown.stderr
