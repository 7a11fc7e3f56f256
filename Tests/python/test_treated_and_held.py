"""Persons treated, the NNT per person treated, and person-time with the risk equation
held at its age limits (docs/analysis.md), against an independent reading of the
per-person series and the events table with h5py and numpy."""

import json
import textwrap

import h5py
import numpy as np
import pytest

from conftest import run

SCENARIO = textwrap.dedent(
    """\
    name: treated-and-held
    seed: 77
    time: {start_year: 2025, horizon_years: 12}
    population:
      size: 3000
      synthetic:
        age: {min: 35, max: 80}
        smoking: 0.3
    models:
      risk_equation: score2
    arms:
      - name: baseline
      - name: statin
        interventions:
          - type: statin
            eligibility: {min_risk10: 0.075}
            fraction: 0.7
            adherence: {uniform: {min: 0.6, max: 0.9}}
      - name: quit
        interventions:
          - {type: smoking, action: stop, from_year: 2028, fraction: 0.5}
    output:
      record: [alive, on_statin, on_smoking]
    uncertainty: {replicates: 1, parameter_draws: 3}
    """
)

SCORE2_AGES = (40.0, 70.0)  # exact ages [40, 70): SCORE2's 40-69 years


@pytest.fixture(scope="module")
def result(twin_sim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("treated")
    scenario = folder / "scenario.yaml"
    scenario.write_text(SCENARIO)
    done = run([twin_sim, "run", str(scenario), "--output", str(folder / "run"), "--quiet"])
    assert done.returncode == 0, done.stderr
    path = folder / "run" / "results.h5"
    summary = run([twin_sim, "summary", str(path), "--json"])
    assert summary.returncode == 0, summary.stderr
    text = run([twin_sim, "summary", str(path)])
    return path, json.loads(summary.stdout), text.stdout


def arm_of(summary, name):
    return next(a for a in summary["arms"] if a["arm"] == name)


def test_persons_treated_are_those_ever_on_an_intervention(result):
    path, summary, _ = result
    with h5py.File(path, "r") as f:
        for arm, series in [("statin", "on_statin"), ("quit", "on_smoking")]:
            on = f[f"arms/{arm}/{series}"][...]
            ever = int((on.max(axis=1) == 1).sum())
            starts = f[f"arms/{arm}/summary/treatment_starts"][...]
            assert int(starts[0].sum()) == ever
            # First time points on the intervention, counted per time point.
            first = np.argmax(on == 1, axis=1)[on.max(axis=1) == 1]
            assert np.array_equal(np.bincount(first, minlength=on.shape[1]), starts[0])
            assert arm_of(summary, arm)["persons_treated"]["values"] == [
                float(s) for s in starts.sum(axis=1)]
        assert not f["arms/baseline/summary/treatment_starts"][...].any()
        # Nobody in the statin arm is on a smoking intervention, and vice versa.
        assert not f["arms/statin/on_smoking"][...].any()
        assert not f["arms/quit/on_statin"][...].any()
        # Quitting starts in 2028 (time 3) for half of the persons.
        on = f["arms/quit/on_smoking"][...]
        assert not on[:, :3].any() and 0.4 < on[:, 3].mean() < 0.6


def test_nnt_per_person_treated_divides_by_the_treated(result):
    path, summary, _ = result
    with h5py.File(path, "r") as f:
        base = f["arms/baseline/summary/cvd_events"][...].sum(axis=1)
        arm = f["arms/statin/summary/cvd_events"][...].sum(axis=1)
        treated = f["arms/statin/summary/treatment_starts"][...].sum(axis=1)
    statin = arm_of(summary, "statin")
    per_treated = 1000 * (base - arm) / treated
    assert np.allclose(statin["events_averted_per_1000_treated"]["values"], per_treated,
                       rtol=1e-12)
    nnt = statin["nnt_treated"]
    if (per_treated > 0).all():
        assert np.allclose(nnt["values"], treated / (base - arm), rtol=1e-12)
        # Targeted: fewer persons treated than in the arm, so a smaller NNT.
        assert nnt["mean"] < statin["nnt"]["mean"]


def test_held_person_time_equals_an_independent_count(result):
    path, summary, _ = result
    with h5py.File(path, "r") as f:
        n = int(f.attrs["n_persons"])
        steps = len(f["time"]) - 1
        age0 = f["persons/age"][...].astype(float)
        for arm in ["baseline", "statin", "quit"]:
            events = f[f"arms/{arm}/events"]
            kinds = events["kind"][...]
            flag_values = list(events["kind"].attrs["flag_values"])
            meanings = events["kind"].attrs["flag_meanings"]
            meanings = (meanings.decode() if isinstance(meanings, bytes) else meanings).split()
            deadly = [v for v, m in zip(flag_values, meanings) if m.endswith("death")]
            death = np.full(n, np.inf)
            is_death = np.isin(kinds, deadly)
            death[events["person"][...][is_death]] = events["time"][...][is_death]
            held = 0.0
            for k in range(steps):
                alive_in_step = np.clip(death - k, 0.0, 1.0)
                age = age0 + k
                outside = (age < SCORE2_AGES[0]) | (age >= SCORE2_AGES[1])
                held += alive_in_step[outside].sum()
            stored = f[f"arms/{arm}/summary/person_years_risk_held"][0].sum()
            assert abs(stored - held) <= 1e-9 * n * steps + 1e-9
            total = f[f"arms/{arm}/summary/person_years"][0].sum()
            share = arm_of(summary, arm)["risk_held_share"]["values"][0]
            assert share == pytest.approx(stored / total, rel=1e-12)
            assert 0.2 < share < 0.8


def test_summary_explains_held_risk_and_parameter_only_intervals(result):
    _, summary, text = result
    assert summary["interval_scope"] == "parameter_uncertainty_only"
    assert "parameter uncertainty only" in text
    # The baseline has no uncertain input: its zero-width intervals say why.
    baseline = text.split("arm baseline (the baseline)")[1].split("\narm ")[0]
    assert "(parameter uncertainty only: none here)" in baseline
    assert "NOTE: the risk equation (score2) was evaluated at the nearest age" in text
