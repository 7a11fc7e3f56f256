#!/usr/bin/env python3
"""Compare every arm with the baseline: events averted, life-years gained, NNT.

    .venv/bin/python scripts/analysis/compare_arms.py runs/quickstart/results.h5

Arms share their random numbers (common random numbers), so differences are
taken within each realisation. With two or more realisations the uncertainty
is the spread over realisations: 2.5 / 97.5 percentiles and the Monte Carlo
standard error sd / sqrt(R). With one realisation it comes from the persons:
per-person lifetimes and CVD event counts from the events table, differenced
person by person against the baseline (paired), standard error sd / sqrt(n),
interval +- 1.96 standard errors. The same definitions as `twin-sim summary`
(docs/analysis.md); `--json` prints the numbers as JSON.
"""

import argparse
import json

import h5py
import numpy as np
import pandas as pd
import yaml

Z975 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)


def totals(f: h5py.File, arm: str) -> pd.DataFrame:
    """Per realisation: person-years, CVD events and deaths summed over time."""
    summary = f[f"arms/{arm}/summary"]
    return pd.DataFrame(
        {name: summary[name][...].sum(axis=1)
         for name in ["person_years", "cvd_events", "cvd_deaths"]}
    )


def cardiovascular_kinds(f: h5py.File) -> set:
    """Event kinds that count as cardiovascular events: cvd_event (1), cvd_death
    (2) and the onsets (16 + 2c) of conditions with counts_as_cvd: true in the
    scenario stored in the file."""
    scenario = yaml.safe_load(f.attrs["scenario_yaml"])
    conditions = (scenario.get("models") or {}).get("conditions") or []
    return {1, 2} | {16 + 2 * c for c, condition in enumerate(conditions)
                     if condition.get("counts_as_cvd", False)}


def per_person(f: h5py.File, arm: str, cvd_kinds: set) -> pd.DataFrame:
    """Lifetime within the horizon and CVD events of every person (realisation 0)."""
    persons = int(f.attrs["n_persons"])
    horizon = float(f["time"][-1])
    events = pd.DataFrame(
        {name: f[f"arms/{arm}/events/{name}"][...] for name in ["person", "time", "kind"]})
    death_kinds = {2, 3} | {k for k in np.unique(events["kind"]) if k >= 17 and k % 2 == 1}
    lifetime = np.full(persons, horizon)
    deaths = events[events["kind"].isin(death_kinds)]
    lifetime[deaths["person"].to_numpy()] = np.minimum(deaths["time"].to_numpy(), horizon)
    cvd = np.bincount(events.loc[events["kind"].isin(cvd_kinds), "person"], minlength=persons)
    return pd.DataFrame({"lifetime": lifetime, "cvd_events": cvd})


def over_realisations(values: np.ndarray) -> dict:
    return {
        "mean": float(np.mean(values)),
        "lower95": float(np.percentile(values, 2.5)),
        "upper95": float(np.percentile(values, 97.5)),
        "mcse": float(np.std(values, ddof=1) / np.sqrt(len(values))),
    }


def within_run(value: float, per_person_difference: np.ndarray) -> dict:
    se = 1000 * np.std(per_person_difference, ddof=1) / np.sqrt(len(per_person_difference))
    return {"mean": value, "lower95": value - Z975 * se, "upper95": value + Z975 * se,
            "mcse": float(se)}


def number_needed_to_treat(averted: dict) -> dict:
    """1,000 / events averted per 1,000; the interval inverts the averted one
    (Altman 1998), unbounded (None) when that reaches zero."""
    def invert(x):
        return 1000 / x if x is not None and x > 0 else None
    mean = invert(averted["mean"])
    return {
        "mean": mean,
        "lower95": invert(averted["upper95"]),
        "upper95": invert(averted["lower95"]),
        "mcse": 1000 * averted["mcse"] / averted["mean"] ** 2 if mean is not None else None,
    }


def compare(path: str) -> dict:
    with h5py.File(path, "r") as f:
        arms = f.attrs["arms"].split(",")
        baseline = f.attrs["baseline_arm"]
        persons = int(f.attrs["n_persons"])
        arm_totals = {arm: totals(f, arm) for arm in arms}
        single = int(f.attrs["realisations"]) == 1
        if single:
            kinds = cardiovascular_kinds(f)
            people = {arm: per_person(f, arm, kinds) for arm in arms}
    result = {}
    for arm in arms:
        if arm == baseline:
            continue
        base, this = arm_totals[baseline], arm_totals[arm]
        averted = 1000 * (base["cvd_events"] - this["cvd_events"]) / persons
        gained = 1000 * (this["person_years"] - base["person_years"]) / persons
        if single:
            averted_stats = within_run(
                float(averted.iloc[0]), people[baseline]["cvd_events"] - people[arm]["cvd_events"])
            gained_stats = within_run(
                float(gained.iloc[0]), people[arm]["lifetime"] - people[baseline]["lifetime"])
        else:
            averted_stats = over_realisations(averted.to_numpy())
            gained_stats = over_realisations(gained.to_numpy())
        result[arm] = {
            "events_averted_per_1000": averted_stats,
            "life_years_gained_per_1000": gained_stats,
            "nnt": number_needed_to_treat(averted_stats),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.h5 of a twin-sim run")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = parser.parse_args()
    result = compare(args.results)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for arm, measures in result.items():
        print(arm)
        for name, s in measures.items():
            if s["mean"] is None:
                print(f"  {name:>28}: n/a")
                continue
            upper = "unbounded" if s["upper95"] is None else f"{s['upper95']:.1f}"
            print(f"  {name:>28}: {s['mean']:8.1f}  "
                  f"(95 % {s['lower95']:.1f} to {upper}, MCSE {s['mcse']:.2f})")


if __name__ == "__main__":
    main()
