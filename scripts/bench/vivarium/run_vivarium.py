"""Runs one arm of the comparison model in Vivarium and writes its counts as JSON.

    python run_vivarium.py --scenario scenario.yaml --spec model_spec.yaml \
        --artifact artifact.hdf --arm baseline --size 100000 --seed 0 --output DIR

The model is model_spec.yaml (vivarium-public-health components) with the
artifact built by build_artifact.py. The arm comes from the twin-sim scenario:
an arm whose only intervention is `{type: smoking, action: stop, fraction: f}`
from the start runs with the smoking exposure p (1 - f) instead of p, which is
the same population as twin-sim's (a share f of the p smokers stop at t = 0).

Writes DIR/results_<name>.parquet (the observers' results, as `simulate run`
does) and DIR/counts.json: deaths by cause, incident cases (transitions into
each disease state), simulant-steps (simulants alive at the start of each
step, summed), and the times of set-up and the time steps.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml


def arm_smoking_exposure(scenario: dict, arm_name: str) -> float:
    """Smoking prevalence of the arm: the scenario's, less the share that stops at the start."""
    prevalence = float(scenario["population"]["synthetic"]["smoking"])
    start_year = scenario.get("time", {}).get("start_year", 2025)
    arms = {arm["name"]: arm for arm in scenario.get("arms", [{"name": "baseline"}])}
    if arm_name not in arms:
        raise SystemExit(f"run_vivarium: no arm {arm_name!r} in the scenario ({', '.join(arms)})")
    for intervention in arms[arm_name].get("interventions", []):
        supported = (
            intervention.get("type") == "smoking"
            and intervention.get("action") == "stop"
            and "from_age" not in intervention
            and intervention.get("from_year", start_year) <= start_year
            and isinstance(intervention.get("fraction", 1), (int, float))
        )
        if not supported:
            raise SystemExit(
                "run_vivarium: the comparison supports only smoking-stop interventions "
                f"from the start with a plain fraction; arm {arm_name!r} has {intervention}"
            )
        prevalence *= 1 - float(intervention.get("fraction", 1))
    return prevalence


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--spec", type=Path, required=True)
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--arm", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, required=True)
    arguments = parser.parse_args()

    scenario = yaml.safe_load(arguments.scenario.read_text())
    exposure = arm_smoking_exposure(scenario, arguments.arm)

    from vivarium.engine import InteractiveContext

    imported = time.perf_counter()
    configuration = {
        "input_data": {"artifact_path": str(arguments.artifact.resolve())},
        "population": {"population_size": arguments.size},
        "randomness": {"random_seed": arguments.seed},
        # A scalar exposure replaces the artifact's table (0.25) in other arms.
        "risk_factor.smoking": {"data_sources": {"exposure": exposure}},
    }
    sim = InteractiveContext(
        arguments.spec, configuration=configuration, observe=True, logging_verbosity=0
    )
    set_up = time.perf_counter()

    exposed_at_start = int((sim.get_population("smoking.exposure") == "exposed").sum())
    condition_names = [condition["name"] for condition in scenario["models"]["conditions"]]
    prevalent_at_start = {
        name: int((sim.get_population(name) == name).sum()) for name in condition_names
    }
    simulant_steps = 0
    steps = 0
    stop = sim._clock.stop_time  # the clock has no public stop-time accessor
    while sim.current_time < stop:
        simulant_steps += int(sim.get_population("is_alive").sum())
        sim.step()
        steps += 1
    stepped = time.perf_counter()

    arguments.output.mkdir(parents=True, exist_ok=True)
    results = sim.get_results()
    for name, table in results.items():
        table.to_parquet(arguments.output / f"results_{name}.parquet")

    deaths = {
        str(row.entity): int(row.value) for row in results["deaths"].itertuples(index=False)
    }
    onsets = {
        name: int(results[f"transition_count_{name}"]["value"].sum()) for name in condition_names
    }
    population = sim.get_population(["is_alive"])
    counts = {
        "system": "vivarium",
        "arm": arguments.arm,
        "persons": arguments.size,
        "seed": arguments.seed,
        "smoking_exposure": exposure,
        "smokers_at_start": exposed_at_start,
        "prevalent_at_start": prevalent_at_start,
        "steps": steps,
        "simulant_steps": simulant_steps,
        "deaths": int((~population["is_alive"]).sum()),
        "deaths_by_cause": deaths,
        "onsets": onsets,
        "seconds": {
            "import": imported - started,
            "set_up": set_up - imported,
            "steps": stepped - set_up,
            "results": time.perf_counter() - stepped,
        },
    }
    (arguments.output / "counts.json").write_text(json.dumps(counts, indent=2) + "\n")


if __name__ == "__main__":
    main()
