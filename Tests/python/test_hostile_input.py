"""Hostile input through the binary: mutated scenarios and tables must end
`twin-sim validate` and `twin-sim run` with exit 0 or 2 and a message, never
a crash, a trap or a hang. (Thousands of in-process cases for the validator
and the table reader are in Tests/TwinCoreTests/HostileInputTests.swift.)"""

import os
import random
import re
import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import REPO, run

HOSTILE = ["-1", "0", "1e308", ".nan", ".inf", "abc", "''", "~", "[1, 2]", "{a: 1}",
           "99999999999999999999", "x" * 20000, "-0", "true"]


def mutate(text, rng):
    lines = text.split("\n")
    line = rng.randrange(len(lines))
    kind = rng.randrange(7)
    if kind == 0:
        data = bytearray(text.encode())
        for _ in range(4):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return data.decode("utf-8", "replace")
    if kind == 1:
        del lines[line]
    elif kind == 2:
        lines.insert(line, lines[line])
    elif kind == 3 and ":" in lines[line]:
        key = lines[line].split(":", 1)[0]
        lines[line] = f"{key}: {rng.choice(HOSTILE)}"
    elif kind == 4:
        depth = rng.randrange(1, 3000)
        lines.insert(line, "deep: " + "[" * depth + "]" * depth)
    elif kind == 5:
        lines[line] = " " * rng.randrange(1, 6) + lines[line]
    else:
        return text[: rng.randrange(len(text))]
    return "\n".join(lines)


def small(text):
    """Keeps runs short: small populations and horizons in the base scenarios."""
    text = re.sub(r"size: \d+", "size: 300", text)
    return re.sub(r"horizon_years: \d+", "horizon_years: 4", text)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO / "scenarios" / "data", folder / "data")
    rng = random.Random(20261127)
    bases = {name: small((REPO / "scenarios" / name).read_text())
             for name in ["quickstart.yaml", "conditions.yaml", "table-cohort.yaml"]}
    table = (REPO / "scenarios" / "data" / "cohort-example.csv").read_text()
    made = []
    for index in range(150):
        name = rng.choice(sorted(bases))
        path = folder / f"case{index:03d}-{name}"
        text = bases[name]
        if name == "table-cohort.yaml" and index % 2:
            csv = folder / "data" / f"cohort{index:03d}.csv"
            csv.write_text(mutate(table, rng))
            text = text.replace("data/cohort-example.csv", f"data/cohort{index:03d}.csv")
        else:
            text = mutate(text, rng)
        path.write_text(text)
        made.append(path)
    return folder, made


def check(result):
    assert result.returncode in (0, 2), (result.returncode, result.stderr[-2000:])
    if result.returncode == 2:
        assert "error" in result.stderr or ":" in result.stderr
        assert result.stderr.strip()


def test_validate_and_run_survive_mutated_inputs(twin_sim, cases):
    folder, paths = cases

    def one(path):
        validated = run([twin_sim, "validate", str(path)], timeout=60)
        check(validated)
        ran = run([twin_sim, "run", str(path), "--output", str(folder / (path.stem + "-out")),
                   "--quiet"], timeout=120)
        check(ran)
        if validated.returncode == 2:
            assert ran.returncode == 2
        return validated.returncode, ran.returncode

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(one, paths))
    assert sum(1 for v, _ in outcomes if v == 2) > 40   # many mutations are invalid
    assert sum(1 for _, r in outcomes if r == 0) > 10   # and some still run


def test_population_too_large_for_memory_is_refused(twin_sim, tmp_path):
    scenario = tmp_path / "huge.yaml"
    scenario.write_text(textwrap.dedent(
        """\
        name: huge
        population: {size: 100000000, synthetic: {}}
        output: {record: [alive, sbp, total_cholesterol, hdl, risk10, smoking], precision: float64}
        """))
    # 100 million persons need about 19 GiB (about 170 bytes each, the series
    # are not buffered), which a large node holds: the run is told that 128
    # ranks share this node (OpenMPI's variable, read by the memory check), as
    # a job packed onto one node would, so that no node fits it.
    env = dict(os.environ, OMPI_COMM_WORLD_LOCAL_SIZE="128")
    result = run([twin_sim, scenario, "--output", tmp_path / "out"], timeout=60, env=env)
    assert result.returncode == 2
    assert "population.size: 100000000 persons on this rank need about" in result.stderr
    assert "(128 rank(s) on this node" in result.stderr
    assert not (tmp_path / "out" / "results.h5.partial").exists()
