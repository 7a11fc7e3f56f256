#!/usr/bin/env python3
"""Plot survival and cumulative cardiovascular events per arm with matplotlib.

    .venv/bin/python scripts/analysis/plot_arms.py runs/quickstart/results.h5 -o arms.png

Two panels: the fraction of persons alive, and cardiovascular events per 1,000
persons since the start, one line per arm (mean over realisations) with its
95 % band (2.5 / 97.5 percentiles over realisations; drawn only with two or
more realisations). Writes a PNG file.
"""

import argparse

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402

from survival_incidence import arm_curves  # noqa: E402  (same folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.h5 of a twin-sim run")
    parser.add_argument("-o", "--output", default="arms.png", help="PNG file to write")
    args = parser.parse_args()

    root = xr.open_dataset(args.results, engine="h5netcdf")
    start = root.attrs.get("start_year", "")
    figure, (alive_axes, events_axes) = plt.subplots(
        1, 2, figsize=(12, 4.5), constrained_layout=True)
    for arm in root.attrs["arms"].split(","):
        curves = arm_curves(args.results, arm, root)
        for axes, name in [(alive_axes, "survival"), (events_axes, "cvd_events_per_1000")]:
            mean = curves[name].mean("realisation")
            (line,) = axes.plot(curves["time"], mean, label=arm)
            if curves.sizes["realisation"] > 1:
                band = curves[name].quantile([0.025, 0.975], dim="realisation")
                axes.fill_between(
                    curves["time"], band[0], band[1], color=line.get_color(), alpha=0.2)
    alive_axes.set(title="Survival", xlabel=f"years since the start ({start})",
                   ylabel="fraction alive", ylim=(0, 1))
    events_axes.set(title="Cumulative cardiovascular events",
                    xlabel=f"years since the start ({start})", ylabel="events per 1,000 persons")
    for axes in (alive_axes, events_axes):
        axes.grid(alpha=0.3)
        axes.legend(title="arm (band: 95 % over realisations)"
                    if root.sizes["realisation"] > 1 else "arm")
    figure.suptitle(f"twin-sim: {root.attrs['scenario_name']} (run {root.attrs['run_id'][:8]})")
    figure.savefig(args.output, dpi=120)
    print(args.output)


if __name__ == "__main__":
    main()
