"""Validity ranges are never left silent (docs/models.md, "Validity ranges").

`twin-sim validate` and the run log warn, with the estimated share of person-years,
whenever the risk equation will be evaluated at an age held inside its valid range;
the result file records the share actually held per arm; the summary shows it.
"""

import re
import textwrap

import h5py
import pytest

from conftest import mpirun_env, run

SCENARIO = textwrap.dedent(
    """\
    name: validity
    seed: 8
    time: {start_year: 2025, horizon_years: 25}
    population:
      size: 20000
      synthetic:
        age: {min: 45, max: 75}
    models:
      risk_equation: EQUATION
    arms:
      - name: baseline
    output:
      record: [alive]
    """
)

WARNING = re.compile(r"estimated (\d+\.\d) % of the simulated person-years")


def scenario_file(tmp_path, equation):
    path = tmp_path / f"{equation.replace('+', 'p')}.yaml"
    path.write_text(SCENARIO.replace("EQUATION", equation))
    return path


@pytest.mark.parametrize("equation", ["score2", "score2+op", "pce"])
def test_estimate_before_the_run_matches_the_share_held_in_the_run(
        twin_sim, tmp_path, equation):
    scenario = scenario_file(tmp_path, equation)
    checked = run([twin_sim, "validate", str(scenario)])
    assert checked.returncode == 0, checked.stderr
    estimated = float(WARNING.search(checked.stderr).group(1)) / 100
    output = tmp_path / "run"
    done = run(["mpirun", "-n", "2", twin_sim, "run", str(scenario), "--output", str(output),
                "--quiet"], env=mpirun_env())
    assert done.returncode == 0, done.stderr
    log = (output / "run.log").read_text()
    assert float(WARNING.search(log).group(1)) / 100 == estimated
    with h5py.File(output / "results.h5", "r") as f:
        held = f["arms/baseline/summary/person_years_risk_held"][...].sum()
        total = f["arms/baseline/summary/person_years"][...].sum()
    # The estimate follows background mortality only (no cardiovascular deaths), so
    # it is close to, and a little above, the share the simulation held.
    assert abs(estimated - held / total) < 0.03, (estimated, held / total)
    summary = run([twin_sim, "summary", str(output / "results.h5")])
    assert "NOTE: the risk equation" in summary.stdout


def test_score2_plus_op_holds_far_less_than_score2(twin_sim, tmp_path):
    shares = {}
    for equation in ["score2", "score2+op"]:
        checked = run([twin_sim, "validate", str(scenario_file(tmp_path, equation))])
        shares[equation] = float(WARNING.search(checked.stderr).group(1))
        assert "above age" in checked.stderr
    assert shares["score2"] > 40 and shares["score2+op"] < 5
    assert "score2+op uses SCORE2-OP" in run(
        [twin_sim, "validate", str(scenario_file(tmp_path, "score2"))]).stderr


def test_no_warning_within_the_range(twin_sim, tmp_path):
    path = tmp_path / "young.yaml"
    path.write_text(SCENARIO.replace("EQUATION", "score2").replace("min: 45, max: 75",
                                                                   "min: 40, max: 44")
                    .replace("horizon_years: 25", "horizon_years: 20"))
    checked = run([twin_sim, "validate", str(path)])
    assert checked.returncode == 0 and "warning" not in checked.stderr


def test_quickstart_uses_score2_plus_op(repo_root):
    text = (repo_root / "scenarios" / "quickstart.yaml").read_text()
    assert re.search(r"^\s*risk_equation: score2\+op\b", text, re.M)
