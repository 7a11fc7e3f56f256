"""Validation against the real world (docs/validation.md).

A cohort with only background mortality must reproduce the Destatis life
table's remaining life expectancy. The reference here is computed
independently of twin-sim: from the published CSV (scenarios/data) with the
hazard assumption documented in docs/models.md (constant hazard -ln(1 - q(x))
within each year of age; past age 100 the Gompertz-Makeham fit of docs/science.md
section 2), integrated numerically with numpy.
"""

import math
import pathlib

import h5py
import numpy as np
import pytest

from conftest import REPO, mpirun_env, run

DATA = REPO / "scenarios" / "data"
GOMPERTZ_MAKEHAM_2016 = {"male": (1.280e-4, 1.901e-5, 0.1013), "female": (1.416e-4, 5.921e-6, 0.1106)}


def destatis_q(period="2016-2018"):
    """q(x), x = 0..100, by sex, parsed from the published CSV."""
    path = DATA / f"destatis_12621-0001_Sterbetafel{period}.csv"
    q = {"male": [], "female": []}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split(";")
        head = fields[0].split(" ")[0]
        if head.isdigit() and len(fields) > 15:
            q["male"].append(float(fields[1].replace(",", ".")))
            q["female"].append(float(fields[15].replace(",", ".")))
    assert len(q["male"]) == 101 and len(q["female"]) == 101
    return q


def yearly_hazards(sex, q, max_age=200):
    a, b, c = GOMPERTZ_MAKEHAM_2016[sex]
    hazards = [-math.log(1 - value) for value in q[sex]]
    for x in range(101, max_age):
        # Mean Gompertz-Makeham hazard over the year of age [x, x + 1).
        hazards.append(a + b * math.exp(c * x) * (math.exp(c) - 1) / c)
    return np.array(hazards)


def restricted_mean_lifetime(hazards, start_age, horizon):
    """Integral of survival over [0, horizon] from `start_age`, piecewise-constant hazards."""
    total, cumulative, t = 0.0, 0.0, 0.0
    while t < horizon - 1e-12:
        age = start_age + t
        x = int(math.floor(age + 1e-12))
        width = min(x + 1 - age, horizon - t)
        h = hazards[x]
        total += math.exp(-cumulative) * (-math.expm1(-h * width) / h)
        cumulative += h * width
        t += width
    return total


def test_reference_reproduces_published_life_expectancy_at_40():
    q = destatis_q()
    # Published e40 2016/18: men 39.56, women 43.99 (docs/science.md).
    for sex, published in [("male", 39.56), ("female", 43.99)]:
        e40 = restricted_mean_lifetime(yearly_hazards(sex, q), 40.0, 160)
        assert abs(e40 - published) < 0.06, (sex, e40)


def test_cohort_with_background_mortality_reproduces_life_table(twin_sim, tmp_path):
    scenario = REPO / "scenarios" / "cohort-life-table.yaml"
    result = run(["mpirun", "-n", "2", twin_sim, str(scenario), "--output", str(tmp_path),
                  "--quiet"], env=mpirun_env())
    assert result.returncode == 0, result.stderr
    with h5py.File(tmp_path / "results.h5", "r") as f:
        horizon = float(f["time"][-1])
        sex = f["persons/sex"][...]
        age = f["persons/age"][...]
        events = f["arms/baseline/events"]
        person, time, kind = events["person"][...], events["time"][...], events["kind"][...]
    lifetime = np.full(len(sex), horizon)
    deaths = kind == 3  # other_death: the only cause in this scenario
    assert deaths.sum() == len(kind)
    lifetime[person[deaths]] = time[deaths]
    q = destatis_q()
    for code, name in [(1, "male"), (0, "female")]:
        chosen = sex == code
        hazards = yearly_hazards(name, q)
        # Expected restricted mean over the cohort's own start ages.
        expected = np.mean([restricted_mean_lifetime(hazards, a, horizon) for a in age[chosen][:4000]])
        simulated = lifetime[chosen].mean()
        standard_error = lifetime[chosen].std(ddof=1) / math.sqrt(chosen.sum())
        assert abs(simulated - expected) < 4 * standard_error + 0.01, (name, simulated, expected)
        print(f"{name}: simulated {simulated:.3f} expected {expected:.3f} (SE {standard_error:.3f})")


def test_lifelong_smoking_costs_about_a_decade_of_life(twin_sim, tmp_path):
    """Jha 2013 (NEJM 368:341) and Doll 2004 (BMJ 328:1519): lifelong smokers
    lose about ten years of life expectancy against never smokers. The model
    must land in the same range (6 to 13 years from age 30)."""
    scenario = REPO / "scenarios" / "smoking-life-expectancy.yaml"
    result = run(["mpirun", "-n", "2", twin_sim, str(scenario), "--output", str(tmp_path),
                  "--quiet"], env=mpirun_env())
    assert result.returncode == 0, result.stderr
    with h5py.File(tmp_path / "results.h5", "r") as f:
        n = int(f.attrs["n_persons"])
        never = f["arms/never_smoking/summary/person_years"][0, :].sum() / n
        smoking = f["arms/lifelong_smoking/summary/person_years"][0, :].sum() / n
        # Cardiovascular events in the first 30 years (ages 30 to 60).
        cvd_never = f["arms/never_smoking/summary/cvd_events"][0, 1:31].sum()
        cvd_smoking = f["arms/lifelong_smoking/summary/cvd_events"][0, 1:31].sum()
    loss = never - smoking
    print(f"life expectancy from 30: never {never:.2f}, lifelong {smoking:.2f}, loss {loss:.2f}")
    assert 6 < loss < 13
    print(f"cardiovascular events ages 30-60: never {cvd_never}, lifelong {cvd_smoking}")
    assert cvd_smoking > 1.5 * cvd_never
