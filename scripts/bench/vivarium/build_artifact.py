"""Builds the synthetic Vivarium input artifact for the comparison model.

Every number comes from the twin-sim scenario (scenario.yaml beside this file),
so both systems read one set of parameters. Nothing is downloaded: the
artifact holds only tables computed here.

    python build_artifact.py scenario.yaml model_spec.yaml artifact.hdf

How the continuous-age model becomes Vivarium's binned tables (the reasons
are in docs/benchmarks.md, section "twin-sim and Vivarium on the same model"):

- Vivarium looks rates up in tables binned by age (order-0 interpolation).
  The bins here are one year wide, from age 0 to 125.
- Vivarium ages simulants at the start of its time-step phase (BasePopulation,
  priority 0), before mortality (priority 2) and disease transitions
  (priority 5), so a lookup in step k sees the age at the END of the step.
  twin-sim with `hazard_timing: step_start` uses the age at the START of the
  step. The tables are therefore shifted by one step: the bin [x, x + 1)
  holds the hazard for ages [x - 1, x), so that both apply h(age at the start
  of the step).
- Vivarium ages simulants by step_days / 365.25 years per step but scales
  annual rates to a step by step_days / 365 (vivarium-engine's
  rescale_post_processor). With step_size 365.25 days (model_spec.yaml) ages
  advance by exactly one year and every rate table is multiplied by
  365 / 365.25, so that a step's cumulative hazard is the annual hazard x 1
  year, as in twin-sim.
- Within its bin a simulant's age is spread evenly (ages start uniform), so the
  bin holds the mean of a exp(b y) over the bin's ages y: a exp(b y0)
  (exp(b) - 1) / b. The expected hazard of the simulants in a bin then equals
  twin-sim's a exp(b age) averaged over the same persons (to 2e-4 relative:
  deaths tilt the age distribution within a bin slightly).
- Cause-specific mortality is 0 and all-cause mortality is the background
  Gompertz hazard, so Vivarium's cause-deleted "other causes" rate equals
  twin-sim's background hazard; each disease state adds its excess mortality.
- The population attributable fraction of smoking is 0: Vivarium multiplies the
  incidence by RR x (1 - PAF), twin-sim by RR.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

AGE_BIN_EDGES = np.arange(0.0, 126.0, 1.0)  # one-year bins, 0 ... 125 years
SEXES = ("Female", "Male")
YEAR_START, YEAR_END = 2000, 2100  # one calendar bin: the model has no time trend
LOCATION = "Synthetic"


def grid() -> pd.DataFrame:
    """Every age bin x sex with the one calendar bin."""
    starts = AGE_BIN_EDGES[:-1]
    ends = AGE_BIN_EDGES[1:]
    frames = [
        pd.DataFrame(
            {
                "sex": sex,
                "age_start": starts,
                "age_end": ends,
                "year_start": YEAR_START,
                "year_end": YEAR_END,
            }
        )
        for sex in SEXES
    ]
    return pd.concat(frames, ignore_index=True)


def gompertz_bin_mean(a: float, b: float, start: np.ndarray, width: float) -> np.ndarray:
    """Mean of a exp(b y) over y in [start, start + width), per year."""
    if b == 0:
        return np.full_like(start, a)
    return a * np.exp(b * start) * (math.expm1(b * width) / (b * width))


VIVARIUM_RATE_DAYS = 365.0  # vivarium-engine scales annual rates by step days / 365
VIVARIUM_AGE_DAYS = 365.25  # vivarium-public-health ages by step days / 365.25


class Tables:
    """Rate tables for Vivarium from annual hazards, for a step of `step_days` days."""

    def __init__(self, step_days: float) -> None:
        self.shift_years = step_days / VIVARIUM_AGE_DAYS  # the age advance per step
        self.rate_scale = VIVARIUM_RATE_DAYS / VIVARIUM_AGE_DAYS

    def gompertz(self, a: float, b: float) -> pd.DataFrame:
        """Bin [x, x+1) holds the mean of a exp(b y) over [x - shift, x + 1 - shift)."""
        table = grid()
        start = table["age_start"].to_numpy() - self.shift_years
        table["value"] = self.rate_scale * gompertz_bin_mean(a, b, start, 1.0)
        return table

    def constant_rate(self, value: float) -> pd.DataFrame:
        return constant_table(self.rate_scale * value)


def constant_table(value: float) -> pd.DataFrame:
    table = grid()
    table["value"] = value
    return table


def dichotomous(exposed: float, unexposed: float, **extra: object) -> pd.DataFrame:
    frames = []
    for parameter, value in (("exposed", exposed), ("unexposed", unexposed)):
        table = grid()
        for column, column_value in extra.items():
            table[column] = column_value
        table["parameter"] = parameter
        table["value"] = value
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def indexed(table: pd.DataFrame) -> pd.DataFrame:
    """The table indexed by every column but `value`, as Vivarium's artifacts store tables."""
    keys = [column for column in table.columns if column != "value"]
    return table.set_index(keys) if keys else table


def plain_number(value: object, key: str) -> float:
    """The scenario's value as a number; the comparison model uses no distributions."""
    if not isinstance(value, (int, float)):
        raise SystemExit(f"build_artifact: {key} must be a plain number, found {value!r}")
    return float(value)


def build(scenario_path: Path, spec_path: Path, artifact_path: Path) -> None:
    from vivarium.artifact import Artifact

    scenario = yaml.safe_load(scenario_path.read_text())
    spec = yaml.safe_load(spec_path.read_text())
    tables = Tables(float(spec["configuration"]["time"]["step_size"]))
    if scenario["time"].get("step", "year") != "year" or tables.shift_years != 1.0:
        raise SystemExit("build_artifact: the comparison needs yearly steps in both systems")
    models = scenario["models"]
    if models.get("hazard_timing") != "step_start":
        raise SystemExit("build_artifact: the comparison needs models.hazard_timing: step_start")
    background = models["mortality"]["gompertz"]
    smoking_prevalence = plain_number(scenario["population"]["synthetic"]["smoking"], "smoking")

    if artifact_path.exists():
        artifact_path.unlink()
    raw = Artifact(artifact_path)

    class IndexingArtifact:
        def write(self, key: str, data: object) -> None:
            raw.write(key, indexed(data) if isinstance(data, pd.DataFrame) else data)

    artifact = IndexingArtifact()

    # Population: uniform in age (every one-year bin the same weight) and sex.
    structure = grid()
    structure["location"] = LOCATION
    structure["value"] = 1000.0
    artifact.write("population.structure", structure)
    artifact.write(
        "population.age_bins",
        pd.DataFrame(
            {
                "age_start": AGE_BIN_EDGES[:-1],
                "age_end": AGE_BIN_EDGES[1:],
                "age_group_name": [f"{int(x)}" for x in AGE_BIN_EDGES[:-1]],
            }
        ),
    )
    artifact.write("population.location", LOCATION)
    artifact.write("population.demographic_dimensions", grid())
    artifact.write(
        "population.theoretical_minimum_risk_life_expectancy",
        pd.DataFrame(
            {"age_start": AGE_BIN_EDGES[:-1], "age_end": AGE_BIN_EDGES[1:], "value": 0.0}
        ),
    )

    artifact.write(
        "cause.all_causes.cause_specific_mortality_rate",
        tables.gompertz(
            plain_number(background["a"], "mortality.gompertz.a"),
            plain_number(background["b"], "mortality.gompertz.b"),
        ),
    )

    exposure = dichotomous(smoking_prevalence, 1 - smoking_prevalence)
    artifact.write("risk_factor.smoking.distribution", "dichotomous")
    artifact.write("risk_factor.smoking.exposure", exposure)
    relative_risks = []
    attributable_fractions = []
    for condition in models["conditions"]:
        name = condition["name"]
        incidence = condition["incidence"]["gompertz"]
        artifact.write(
            f"cause.{name}.incidence_rate",
            tables.gompertz(
                plain_number(incidence["a"], f"{name}.incidence.a"),
                plain_number(incidence["b"], f"{name}.incidence.b"),
            ),
        )
        artifact.write(
            f"cause.{name}.prevalence",
            constant_table(plain_number(condition.get("prevalence", 0), f"{name}.prevalence")),
        )
        artifact.write(
            f"cause.{name}.excess_mortality_rate",
            tables.constant_rate(
                plain_number(condition.get("excess_mortality", 0), f"{name}.excess_mortality")
            ),
        )
        artifact.write(f"cause.{name}.cause_specific_mortality_rate", constant_table(0.0))
        artifact.write(f"cause.{name}.disability_weight", pd.DataFrame({"value": [0.0]}))
        artifact.write(f"cause.{name}.restrictions", {"yld_only": False})
        smoking_rr = plain_number(
            condition.get("relative_risks", {}).get("smoking", 1), f"{name}.relative_risks.smoking"
        )
        relative_risks.append(
            dichotomous(
                smoking_rr, 1.0, affected_entity=name, affected_measure="incidence_rate"
            )
        )
        paf = constant_table(0.0)
        paf["affected_entity"] = name
        paf["affected_measure"] = "incidence_rate"
        attributable_fractions.append(paf)
    artifact.write(
        "risk_factor.smoking.relative_risk", pd.concat(relative_risks, ignore_index=True)
    )
    artifact.write(
        "risk_factor.smoking.population_attributable_fraction",
        pd.concat(attributable_fractions, ignore_index=True),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path, help="twin-sim scenario (the parameters)")
    parser.add_argument("spec", type=Path, help="Vivarium model specification (the step size)")
    parser.add_argument("artifact", type=Path, help="artifact file to write (.hdf)")
    arguments = parser.parse_args()
    build(arguments.scenario, arguments.spec, arguments.artifact)


if __name__ == "__main__":
    main()
