"""Bounded memory of the analysis commands: `twin-sim summary` and `report` read
persons and events in blocks (docs/analysis.md, "Memory"), so their peak resident
memory must not grow with the number of persons. Measured with /usr/bin/time on a
40,000- and a 400,000-person file (30 years, recording [alive, sbp]): reading the
larger file's SBP series whole would take 400,000 x 31 x 8 bytes = 99 MB more;
the blocks keep the difference far below that. scripts/bench/analysis-memory runs
the same measurement at 1,000,000 persons.
"""

import shutil
import textwrap

import pytest

from conftest import mpirun_env, run

SMALL, LARGE = 40_000, 400_000
# A whole-array read of the large file's SBP series (as float64) would add 99 MB.
ALLOWED_GROWTH_MB = 40


def scenario(size: int) -> str:
    return textwrap.dedent(f"""\
        name: memory-{size}
        seed: 3
        time: {{start_year: 2025, horizon_years: 30}}
        population:
          size: {size}
          synthetic: {{age: {{min: 30, max: 70}}}}
        models: {{risk_equation: score2}}
        arms:
          - name: baseline
        output: {{record: [alive, sbp]}}
        """)


def peak_mb(command, tmp_path) -> float:
    report = tmp_path / "time.txt"
    out = run(["/usr/bin/time", "-f", "%M", "-o", str(report), *command])
    assert out.returncode == 0, out.stderr
    return int(report.read_text().split()[-1]) / 1024


@pytest.fixture(scope="module")
def files(twin_sim, tmp_path_factory):
    if shutil.which("/usr/bin/time") is None:
        pytest.fail("/usr/bin/time not found (Debian package time): run scripts/setup")
    made = {}
    for size in (SMALL, LARGE):
        folder = tmp_path_factory.mktemp(f"memory-{size}")
        path = folder / "scenario.yaml"
        path.write_text(scenario(size))
        out = run(["mpirun", "-n", "2", twin_sim, str(path), "--output", str(folder / "run"),
                   "--quiet"], env=mpirun_env())
        assert out.returncode == 0, out.stderr
        made[size] = folder / "run" / "results.h5"
    return made


@pytest.mark.parametrize("command", ["summary", "report"])
def test_peak_memory_does_not_grow_with_persons(twin_sim, files, command, tmp_path):
    def measure(size):
        extra = ["--json"] if command == "summary" else ["-o", str(tmp_path / "r.html")]
        return peak_mb([twin_sim, command, str(files[size]), *extra], tmp_path)

    small, large = measure(SMALL), measure(LARGE)
    assert large - small < ALLOWED_GROWTH_MB, (
        f"{command}: {small:.0f} MB for {SMALL} persons, {large:.0f} MB for {LARGE}")
