#!/usr/bin/env python3
"""Load one arm of a twin-sim result with h5py and pandas.

    .venv/bin/python scripts/analysis/load_arm.py runs/quickstart/results.h5 --arm statin

Prints the run's provenance, the arm's per-step summary, the first persons of
a per-person series, the first events, and the arm's headline numbers with the
definitions of `twin-sim summary` (docs/analysis.md). `--json` prints only the
headline numbers, as JSON. Layout of the file: docs/hdf5-layout.md.
"""

import argparse
import json

import h5py
import pandas as pd


def load_summary(f: h5py.File, arm: str) -> pd.DataFrame:
    """The arm's summary datasets (shape [realisation, time]) as one DataFrame
    indexed by (realisation, time). At time point k, `alive` counts persons
    alive at k; every other column counts what happened in the step ending at k."""
    group = f[f"arms/{arm}/summary"]
    times = f["time"][...]  # years since the start
    realisations = f["realisation"][...]
    index = pd.MultiIndex.from_product([realisations, times], names=["realisation", "time"])
    return pd.DataFrame({name: group[name][...].ravel() for name in group}, index=index)


def load_series(f: h5py.File, arm: str, name: str, persons: slice) -> pd.DataFrame:
    """Rows `persons` of a per-person series [person, time] (realisation 0).
    Slicing reads only those rows: for a million persons, read blocks of rows."""
    values = f[f"arms/{arm}/{name}"][persons, :]  # float series are NaN after death
    return pd.DataFrame(
        values,
        index=pd.Index(f["person"][persons], name="person"),
        columns=pd.Index(f["time"][...], name="time"),
    )


def load_events(f: h5py.File, arm: str) -> pd.DataFrame:
    """The events table (realisation 0) with kind names from the CF attributes
    flag_values / flag_meanings."""
    events = f[f"arms/{arm}/events"]
    kind = events["kind"]
    names = dict(zip(kind.attrs["flag_values"].tolist(), kind.attrs["flag_meanings"].split()))
    table = pd.DataFrame(
        {"person": events["person"][...], "time": events["time"][...], "kind": kind[...]}
    )
    table["kind_name"] = table["kind"].map(names)
    return table


def headline(summary: pd.DataFrame, persons: int) -> dict:
    """Per realisation, then the mean over realisations: person-years, the
    restricted mean survival time over the horizon (person-years / persons), CVD
    events and deaths per 1,000 persons."""
    per_realisation = summary.groupby(level="realisation").sum()
    return {
        "persons": persons,
        "person_years": float(per_realisation["person_years"].mean()),
        "rmst_years": float((per_realisation["person_years"] / persons).mean()),
        "cvd_events_per_1000": float((1000 * per_realisation["cvd_events"] / persons).mean()),
        "cvd_deaths_per_1000": float((1000 * per_realisation["cvd_deaths"] / persons).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.h5 of a twin-sim run")
    parser.add_argument("--arm", help="arm name (default: the baseline arm)")
    parser.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    args = parser.parse_args()

    with h5py.File(args.results, "r") as f:
        if f.attrs["status"] != "complete":
            raise SystemExit(f"{args.results}: the run did not finish (status {f.attrs['status']})")
        arm = args.arm or f.attrs["baseline_arm"]
        persons = int(f.attrs["n_persons"])
        summary = load_summary(f, arm)
        numbers = {"arm": arm, **headline(summary, persons)}
        if args.json:
            print(json.dumps(numbers, indent=2))
            return
        print(f"scenario {f.attrs['scenario_name']}, seed {f.attrs['seed']}, "
              f"twin-sim {f.attrs['software_version']}, run {f.attrs['run_id']}")
        print(f"arms: {f.attrs['arms']} (baseline {f.attrs['baseline_arm']})\n")
        print(f"summary of arm {arm}, realisation 0:")
        print(summary.loc[0].to_string(), "\n")
        if "sbp" in f[f"arms/{arm}"]:
            print("systolic blood pressure (mmHg) of the first 5 persons:")
            print(load_series(f, arm, "sbp", slice(0, 5)).round(1).to_string(), "\n")
        events = load_events(f, arm)
        print(f"{len(events)} events; by kind:")
        print(events["kind_name"].value_counts().to_string(), "\n")
        for key, value in numbers.items():
            print(f"{key:>24}: {value:.4f}" if isinstance(value, float) else f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
