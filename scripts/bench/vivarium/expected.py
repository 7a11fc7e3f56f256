"""Expected counts of the comparison model under each system's step rules.

An independent, deterministic calculation (no random numbers, neither
simulator's code): the cohort is a fine grid of start ages (uniform in the
scenario's age range), each split by smoking and by the conditions present,
and the probability of every state is carried through the yearly steps. It
predicts the expected deaths (by cause) and incident cases of

- `twin-sim step_start`: every hazard held at its value for the age A at the
  start of the step; competing exponential event times;
- `twin-sim exact`: the same, but Gompertz hazards follow the age A + t within
  the step (integrated here by Gauss-Legendre quadrature);
- `vivarium`: rates looked up at the end-of-step age A + 1 in one-year bins
  that hold the mean of a exp(b y) over [floor(A), floor(A) + 1)
  (build_artifact.py); death with probability 1 - exp(-mu dt) and a cause
  drawn in proportion to its rate; disease transitions afterwards, for
  survivors only, with probability 1 - exp(-lambda dt).

For a person alive at the start of a step, the two twin-sim modes and Vivarium
agree on deaths (mu = background + excess mortality of the conditions present
at the start) and on the survivors' onsets (1 - exp(-lambda)). They differ for
a person who dies in the step: twin-sim counts an onset whose time falls before
the death, lambda / (lambda + mu) (1 - exp(-(lambda + mu))) with constant
hazards, where Vivarium counts none: exp(-mu) (1 - exp(-lambda)) in all. So
twin-sim counts about lambda mu / 2 more onsets per person-year.

    python expected.py scenario.yaml [persons]
"""

from __future__ import annotations

import math
import sys

import numpy as np
import yaml

AGE_POINTS = 4000  # start ages: midpoints of 4000 equal parts of [min, max)
SYSTEMS = ("twin-sim step_start", "twin-sim exact", "vivarium")
NODES, WEIGHTS = np.polynomial.legendre.leggauss(16)
TIMES = 0.5 * (NODES + 1.0)  # quadrature on [0, 1] (one step, in years)
TIME_WEIGHTS = 0.5 * WEIGHTS


def arm_smoking(scenario: dict, arm: dict) -> float:
    """Smoking prevalence of an arm: a share `fraction` of smokers stops at the start."""
    prevalence = float(scenario["population"]["synthetic"]["smoking"])
    for intervention in arm.get("interventions", []):
        prevalence *= 1 - float(intervention.get("fraction", 1))
    return prevalence


class Gompertz:
    def __init__(self, parameters: dict) -> None:
        self.a = float(parameters["a"])
        self.b = float(parameters["b"])

    def at(self, age: np.ndarray) -> np.ndarray:
        return self.a * np.exp(self.b * age)

    def vivarium(self, start_age: np.ndarray) -> np.ndarray:
        """Vivarium's table at the end-of-step age start_age + 1."""
        bin_start = np.floor(start_age + 1.0) - 1.0
        return self.a * np.exp(self.b * bin_start) * (math.expm1(self.b) / self.b)

    def cumulative(self, start_age: np.ndarray, t: float) -> np.ndarray:
        """Integral of a exp(b (A + s)) for s in [0, t]."""
        return self.at(start_age) * (math.expm1(self.b * t) / self.b)


def step_probabilities(system, age, background, incidences, relative_risks, excess):
    """Per start age: P(death by cause), P(onset counted) and P(onset | survival).

    `incidences[i]` is None for a condition already present.
    """
    excess_total = sum(excess)
    if system == "twin-sim exact":
        survival = []  # S(t) at the quadrature times, with its hazard parts
        for t in TIMES:
            survival.append(np.exp(-(background.cumulative(age, t) + excess_total * t)))
        death_background = sum(
            w * background.at(age + t) * s for t, w, s in zip(TIMES, TIME_WEIGHTS, survival)
        )
        death_excess = [
            e * sum(w * s for w, s in zip(TIME_WEIGHTS, survival)) for e in excess
        ]
        onset_counted, onset_survivor = [], []
        for incidence, rr in zip(incidences, relative_risks):
            if incidence is None:
                onset_counted.append(None)
                onset_survivor.append(None)
                continue
            onset_counted.append(
                sum(
                    w * rr * incidence.at(age + t) * np.exp(-rr * incidence.cumulative(age, t)) * s
                    for t, w, s in zip(TIMES, TIME_WEIGHTS, survival)
                )
            )
            onset_survivor.append(-np.expm1(-rr * incidence.cumulative(age, 1.0)))
        survivors = np.exp(-(background.cumulative(age, 1.0) + excess_total))
        return death_background, death_excess, onset_counted, onset_survivor, survivors

    vivarium = system == "vivarium"
    mu_background = background.vivarium(age) if vivarium else background.at(age)
    mu = mu_background + excess_total
    p_death = -np.expm1(-mu)
    death_background = p_death * mu_background / mu
    death_excess = [p_death * e / mu for e in excess]
    onset_counted, onset_survivor = [], []
    for incidence, rr in zip(incidences, relative_risks):
        if incidence is None:
            onset_counted.append(None)
            onset_survivor.append(None)
            continue
        lam = rr * (incidence.vivarium(age) if vivarium else incidence.at(age))
        if vivarium:
            onset_counted.append(np.exp(-mu) * -np.expm1(-lam))
        else:
            onset_counted.append(lam / (lam + mu) * -np.expm1(-(lam + mu)))
        onset_survivor.append(-np.expm1(-lam))
    return death_background, death_excess, onset_counted, onset_survivor, np.exp(-mu)


def expected_counts(scenario: dict, smoking: float, system: str, persons: float) -> dict:
    """Expected deaths by cause and onsets for `persons` persons in one arm."""
    synthetic = scenario["population"]["synthetic"]
    lo, hi = float(synthetic["age"]["min"]), float(synthetic["age"]["max"])
    start_ages = lo + (np.arange(AGE_POINTS) + 0.5) * (hi - lo) / AGE_POINTS
    models = scenario["models"]
    background = Gompertz(models["mortality"]["gompertz"])
    conditions = models["conditions"]
    names = [c["name"] for c in conditions]
    incidence_models = [Gompertz(c["incidence"]["gompertz"]) for c in conditions]
    smoking_rr = [float(c.get("relative_risks", {}).get("smoking", 1)) for c in conditions]
    excess_rates = [float(c.get("excess_mortality", 0)) for c in conditions]
    masks = 1 << len(conditions)

    # state[smoker][mask]: probability, per start age, of being alive with the
    # conditions in `mask` (bit i: condition i).
    state = {}
    for smoker, share in ((0, 1 - smoking), (1, smoking)):
        for mask in range(masks):
            weight = share / AGE_POINTS
            for index, condition in enumerate(conditions):
                prevalence = float(condition.get("prevalence", 0))
                weight *= prevalence if mask >> index & 1 else 1 - prevalence
            state[smoker, mask] = np.full(AGE_POINTS, weight)

    deaths = dict.fromkeys(["other_causes", *names], 0.0)
    onsets = dict.fromkeys(names, 0.0)
    for step in range(int(scenario["time"]["horizon_years"])):
        age = start_ages + step
        next_state = {key: np.zeros(AGE_POINTS) for key in state}
        for (smoker, mask), alive in state.items():
            present = [bool(mask >> i & 1) for i in range(len(conditions))]
            death_background, death_excess, counted, survivor_onset, survivors = (
                step_probabilities(
                    system,
                    age,
                    background,
                    [None if p else m for p, m in zip(present, incidence_models)],
                    [rr if smoker else 1.0 for rr in smoking_rr],
                    [e if p else 0.0 for p, e in zip(present, excess_rates)],
                )
            )
            deaths["other_causes"] += float(np.sum(alive * death_background))
            for index, name in enumerate(names):
                deaths[name] += float(np.sum(alive * death_excess[index]))
                if counted[index] is not None:
                    onsets[name] += float(np.sum(alive * counted[index]))
            for new in range(masks):
                if new & mask != mask:
                    continue  # conditions do not remit
                weight = alive * survivors
                for index in range(len(conditions)):
                    if present[index]:
                        continue
                    p = survivor_onset[index]
                    weight = weight * (p if new >> index & 1 else 1 - p)
                next_state[smoker, new] += weight
        state = next_state
    return {
        "deaths": persons * sum(deaths.values()),
        "deaths_by_cause": {k: persons * v for k, v in deaths.items()},
        "onsets": {k: persons * v for k, v in onsets.items()},
    }


def main() -> None:
    scenario = yaml.safe_load(open(sys.argv[1]).read())
    persons = float(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    for arm in scenario["arms"]:
        smoking = arm_smoking(scenario, arm)
        for system in SYSTEMS:
            counts = expected_counts(scenario, smoking, system, persons)
            onsets = ", ".join(f"{k} {v:.1f}" for k, v in counts["onsets"].items())
            causes = ", ".join(f"{k} {v:.1f}" for k, v in counts["deaths_by_cause"].items())
            print(
                f"{arm['name']:<12} {system:<20} deaths {counts['deaths']:.1f} ({causes}); "
                f"onsets {onsets}"
            )


if __name__ == "__main__":
    main()
