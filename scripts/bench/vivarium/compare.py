"""Reads the runs of scripts/bench/vivarium/run, prints the tables, checks agreement.

    python compare.py WORK_DIR scenario.yaml

WORK_DIR/runs/<rep>/<persons>/<run>/ holds one run each: `twin-sim` and
`twin-sim-exact` (results.h5), `vivarium-<arm>` (counts.json), each with
`time.txt` from /usr/bin/time: wall seconds, peak resident kB, user and
system CPU seconds.

Speed. Person-years are simulant-steps x 1 year: the persons alive at the
start of each yearly step, summed over steps and arms (the same count for
both systems; twin-sim's exact person-time is a little lower because it stops
at the death). twin-sim runs both arms in one process; Vivarium runs one
process per arm (one simulation per scenario, as Vivarium users run
branches), so its wall time (and CPU time) is the sum over its arms and its
peak memory the larger arm's. Person-years per CPU second (user + system) are
shown too: on a busy machine they move less than wall-clock rates. Every
figure is the median over the repetitions; the ratios are ratios of the
medians. Wall time includes start-up (Python imports and
Vivarium's set-up, twin-sim's population) and writing results.

Agreement. At the largest size, counts are pooled over the repetitions
(independent seeds). For each arm and each of deaths, deaths by cause and
incident cases of each condition, with T and V the twin-sim and Vivarium
counts out of n persons each:

    z = (T - V - d) / sqrt(T (1 - T/n) + V (1 - V/n))

(binomial variances: a person dies at most once and gets each condition at
most once), where d is the difference the two systems' step rules predict
(expected.py: twin-sim also counts the onsets of persons who die later in the
same step, Vivarium does not). |z| >= 4 in any row fails the run. The raw z
(d = 0) is shown beside it. twin-sim with `hazard_timing: exact` is compared
the same way, for information only (it is a different discretisation).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

import h5py
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from expected import arm_smoking, expected_counts  # noqa: E402

Z_LIMIT = 4.0


def read_time(path: Path) -> dict:
    wall, rss_kb, user, system = path.read_text().split()[-4:]
    return {
        "wall": float(wall),
        "rss_mb": int(rss_kb) / 1024,
        "cpu": float(user) + float(system),
    }


def twin_counts(run: Path, conditions: list[str]) -> dict:
    """Per arm: simulant-steps, deaths by cause and onsets from results.h5."""
    arms = {}
    with h5py.File(run / "results.h5", "r") as results:
        for arm in results.attrs["arms"].split(","):
            summary = results[f"arms/{arm}/summary"]
            alive = summary["alive"][0]
            deaths = int(summary["deaths"][0].sum())
            by_cause = {name: int(summary[f"{name}_deaths"][0].sum()) for name in conditions}
            by_cause["other_causes"] = deaths - sum(by_cause.values())
            arms[arm] = {
                "simulant_steps": int(alive[:-1].sum()),
                "deaths": deaths,
                "deaths_by_cause": by_cause,
                "onsets": {name: int(summary[f"{name}_onsets"][0].sum()) for name in conditions},
            }
    return arms


def quantities(counts: dict) -> dict:
    """Flat name -> count of the compared quantities."""
    flat = {"deaths": counts["deaths"]}
    for cause, value in counts["deaths_by_cause"].items():
        flat[f"deaths: {cause}"] = value
    for name, value in counts["onsets"].items():
        flat[f"onsets: {name}"] = value
    return flat


def main() -> None:
    work, scenario_path = Path(sys.argv[1]), Path(sys.argv[2])
    scenario = yaml.safe_load(scenario_path.read_text())
    conditions = [c["name"] for c in scenario["models"]["conditions"]]
    arms = [arm["name"] for arm in scenario["arms"]]
    runs = work / "runs"
    reps = sorted(int(p.name) for p in runs.iterdir())
    sizes = sorted({int(p.name) for rep in reps for p in (runs / str(rep)).iterdir()})

    # Speed and memory.
    table = {}
    for size in sizes:
        for system in ("twin-sim", "vivarium"):
            walls, rates, memories, cpus, cpu_rates = [], [], [], [], []
            for rep in reps:
                base = runs / str(rep) / str(size)
                if system == "twin-sim":
                    timing = read_time(base / "twin-sim" / "time.txt")
                    counts = twin_counts(base / "twin-sim", conditions)
                    steps = sum(arm["simulant_steps"] for arm in counts.values())
                    wall, memory, cpu = timing["wall"], timing["rss_mb"], timing["cpu"]
                else:
                    timings = [read_time(base / f"vivarium-{arm}" / "time.txt") for arm in arms]
                    steps = sum(
                        json.loads((base / f"vivarium-{arm}" / "counts.json").read_text())[
                            "simulant_steps"
                        ]
                        for arm in arms
                    )
                    wall = sum(t["wall"] for t in timings)
                    memory = max(t["rss_mb"] for t in timings)
                    cpu = sum(t["cpu"] for t in timings)
                walls.append(wall)
                rates.append(steps / wall)
                memories.append(memory)
                cpus.append(cpu)
                cpu_rates.append(steps / cpu)
            table[size, system] = {
                "wall": statistics.median(walls),
                "rate": statistics.median(rates),
                "memory": statistics.median(memories),
                "cpu": statistics.median(cpus),
                "cpu_rate": statistics.median(cpu_rates),
                "person_years": steps,
                "walls": walls,
            }

    print()
    print(f"Speed and memory (medians of {len(reps)} repetitions; both arms; one core each)")
    print()
    print("| persons | system | wall s | CPU s | person-years | person-years/s "
          "| person-years/CPU s | peak RSS MB |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        for system in ("twin-sim", "vivarium"):
            row = table[size, system]
            print(
                f"| {size:,} | {system} | {row['wall']:.2f} | {row['cpu']:.2f} | "
                f"{row['person_years']:,} | {row['rate']:,.0f} | {row['cpu_rate']:,.0f} | "
                f"{row['memory']:.0f} |"
            )
    print()
    print("| persons | speed-up (twin-sim / Vivarium person-years/s) "
          "| the same per CPU second | memory ratio (Vivarium / twin-sim peak RSS) |")
    print("|---:|---:|---:|---:|")
    ratios = {}
    for size in sizes:
        speedup = table[size, "twin-sim"]["rate"] / table[size, "vivarium"]["rate"]
        memory_ratio = table[size, "vivarium"]["memory"] / table[size, "twin-sim"]["memory"]
        ratios[size] = (speedup, memory_ratio)
        cpu_speedup = table[size, "twin-sim"]["cpu_rate"] / table[size, "vivarium"]["cpu_rate"]
        print(f"| {size:,} | {speedup:.1f} | {cpu_speedup:.1f} | {memory_ratio:.1f} |")
    for size in sizes:
        for system in ("twin-sim", "vivarium"):
            walls = ", ".join(f"{w:.2f}" for w in table[size, system]["walls"])
            print(f"wall seconds per repetition, {size:,} persons, {system}: {walls}")

    # Where the wall time goes: each system's own timers (medians).
    print()
    print("Inside the runs (medians; each system's own timers): twin-sim's run.log total "
          "(set-up, models, HDF5; not process start or MPI initialisation) and models; "
          "Vivarium's set-up + steps + results (not Python imports) and steps")
    print()
    print("| persons | system | in-run s | person-years/s "
          "| models (twin-sim) or steps (Vivarium) s | person-years/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in sizes:
        inner = {"twin-sim": ([], []), "vivarium": ([], [])}
        for rep in reps:
            base = runs / str(rep) / str(size)
            log = (base / "twin-sim" / "run.log").read_text()
            timing = log[log.index("timing (rank 0):"):].split(",")
            total = float(timing[0].split()[-2])
            models = float(timing[1].split()[-2])
            inner["twin-sim"][0].append(total)
            inner["twin-sim"][1].append(models)
            seconds = [
                json.loads((base / f"vivarium-{arm}" / "counts.json").read_text())["seconds"]
                for arm in arms
            ]
            inner["vivarium"][0].append(
                sum(s["set_up"] + s["steps"] + s["results"] for s in seconds)
            )
            inner["vivarium"][1].append(sum(s["steps"] for s in seconds))
        for system, (whole, core) in inner.items():
            years = table[size, system]["person_years"]
            print(
                f"| {size:,} | {system} | {statistics.median(whole):.2f} | "
                f"{years / statistics.median(whole):,.0f} | {statistics.median(core):.2f} | "
                f"{years / statistics.median(core):,.0f} |"
            )

    # Agreement at the largest size, pooled over repetitions.
    size = sizes[-1]
    persons = size * len(reps)
    print()
    print(
        f"Agreement at {size:,} persons, {len(reps)} repetitions pooled (n = {persons:,} per arm "
        f"and system); predicted difference d from expected.py; fail if |z| >= {Z_LIMIT:g}"
    )
    failures = []
    for variant, run_name, system_name in (
        ("step_start", "twin-sim", "twin-sim step_start"),
        ("exact", "twin-sim-exact", "twin-sim exact"),
    ):
        print()
        print(f"twin-sim `hazard_timing: {variant}` vs Vivarium"
              + ("" if variant == "step_start" else " (information only)"))
        print()
        print("| arm | quantity | twin-sim | expected | Vivarium | expected | T - V | d "
              "| z (raw) | z |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for arm in arms:
            twin_total: dict = {}
            viv_total: dict = {}
            for rep in reps:
                base = runs / str(rep) / str(size)
                twin = quantities(twin_counts(base / run_name, conditions)[arm])
                viv = quantities(
                    json.loads((base / f"vivarium-{arm}" / "counts.json").read_text())
                )
                for key, value in twin.items():
                    twin_total[key] = twin_total.get(key, 0) + value
                for key, value in viv.items():
                    viv_total[key] = viv_total.get(key, 0) + value
            smoking = arm_smoking(scenario, next(a for a in scenario["arms"] if a["name"] == arm))
            twin_expected = quantities(expected_counts(scenario, smoking, system_name, persons))
            viv_expected = quantities(expected_counts(scenario, smoking, "vivarium", persons))
            for key in twin_expected:
                t, v = twin_total[key], viv_total.get(key, 0)
                sd = math.sqrt(t * (1 - t / persons) + v * (1 - v / persons))
                predicted = twin_expected[key] - viv_expected[key]
                z_raw = (t - v) / sd
                z = (t - v - predicted) / sd
                ok = abs(z) < Z_LIMIT
                if variant == "step_start" and not ok:
                    failures.append(f"{arm} {key}: twin-sim {t}, Vivarium {v}, z = {z:.2f}")
                print(
                    f"| {arm} | {key} | {t:,} | {twin_expected[key]:,.0f} | {v:,} | "
                    f"{viv_expected[key]:,.0f} | {t - v:+,} | {predicted:+,.0f} | {z_raw:+.2f} | "
                    f"{z:+.2f}{'' if ok or variant != 'step_start' else ' FAIL'} |"
                )

    if failures:
        print()
        print(
            "twin-sim and Vivarium disagree beyond Monte Carlo error (|z| >= 4):",
            file=sys.stderr,
        )
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        sys.exit(1)
    print()
    print("agreement: every |z| < 4 (twin-sim step_start vs Vivarium)")
    speedup, memory_ratio = ratios[sizes[-1]]
    label = f"{sizes[-1] // 1000}k" if sizes[-1] % 1000 == 0 else str(sizes[-1])
    print(f"speedup_{label}={speedup:.1f} memory_ratio_{label}={memory_ratio:.1f}")


if __name__ == "__main__":
    main()
