#!/usr/bin/env python3
"""Survival and cumulative incidence of cardiovascular events per arm, with xarray.

    .venv/bin/python scripts/analysis/survival_incidence.py runs/quickstart/results.h5

xarray opens each group of the file with the h5netcdf engine; the dimensions
(realisation, time, person) are HDF5 dimension scales, and their coordinate
values live in the root group. Survival is the fraction alive at each time
point; the cumulative incidence is the cumulative sum of cardiovascular events
per 1,000 persons (repeat events of a person count). Both are summarised over
realisations by the mean and the 2.5 / 97.5 percentiles. `--json` prints the
curves as JSON.
"""

import argparse
import json

import xarray as xr


def arm_curves(path: str, arm: str, root: xr.Dataset) -> xr.Dataset:
    """Per realisation and time: fraction alive and cumulative CVD events per 1,000."""
    summary = xr.open_dataset(path, engine="h5netcdf", group=f"arms/{arm}/summary")
    # The group's dimensions have no coordinates of their own: take the root's.
    summary = summary.assign_coords(time=root["time"], realisation=root["realisation"])
    persons = int(root.attrs["n_persons"])
    return xr.Dataset(
        {
            "survival": summary["alive"] / persons,
            "cvd_events_per_1000": summary["cvd_events"].cumsum("time") * 1000 / persons,
        }
    )


def over_realisations(curves: xr.Dataset) -> xr.Dataset:
    """Mean and 95 % interval (2.5 and 97.5 percentiles) over realisations."""
    quantiles = curves.quantile([0.025, 0.975], dim="realisation")  # linear, as numpy
    lower = quantiles.sel(quantile=0.025, drop=True)
    upper = quantiles.sel(quantile=0.975, drop=True)
    mean = curves.mean("realisation")
    return xr.Dataset(
        {
            **{f"{name}_mean": mean[name] for name in curves},
            **{f"{name}_lower95": lower[name] for name in curves},
            **{f"{name}_upper95": upper[name] for name in curves},
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.h5 of a twin-sim run")
    parser.add_argument("--json", action="store_true", help="print the curves as JSON")
    args = parser.parse_args()

    root = xr.open_dataset(args.results, engine="h5netcdf")
    arms = root.attrs["arms"].split(",")
    output = {"time": root["time"].values.tolist(), "arms": {}}
    for arm in arms:
        summary = over_realisations(arm_curves(args.results, arm, root))
        output["arms"][arm] = {name: summary[name].values.tolist() for name in summary}
    if args.json:
        print(json.dumps(output, indent=2))
        return
    horizon = output["time"][-1]
    realisations = root.sizes["realisation"]
    print(f"at the horizon ({horizon:g} years), mean over {realisations} realisation(s):")
    for arm, curves in output["arms"].items():
        print(f"  {arm:>20}: {100 * curves['survival_mean'][-1]:5.1f} % alive, "
              f"{curves['cvd_events_per_1000_mean'][-1]:6.1f} CVD events per 1,000")


if __name__ == "__main__":
    main()
