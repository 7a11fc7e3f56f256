"""Progress on standard error (twin-sim run --progress, docs/operations.md).

Under mpirun standard error is a pipe; a line at least every 5 seconds must still
appear, also while one step takes longer than that (a timer repeats the last
position). With a terminal (mpirun's own standard error), rank 0 draws a live line.
"""

import select
import subprocess
import textwrap
import time

from conftest import mpirun_env, run

# One step of the circulation model for 900,000 persons on two ranks takes over 5 s here
# (about 56,000 person-years per CPU-second, docs/benchmarks.md).
SLOW = textwrap.dedent(
    """\
    name: slow-steps
    seed: 3
    time: {start_year: 2025, horizon_years: 1}
    population:
      size: 900000
      synthetic:
        age: {min: 40, max: 75}
    models:
      risk_equation: score2
    physiology:
      model: smith2004
    arms:
      - name: baseline
    output:
      record: [alive]
    """
)


def timed_lines(cmd, env, timeout=300):
    """(seconds since start, line) for every line the command writes to standard error."""
    start = time.monotonic()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env, text=True)
    lines = []
    try:
        while True:
            ready, _, _ = select.select([process.stderr], [], [], timeout)
            assert ready, "no output for the whole timeout"
            line = process.stderr.readline()
            if not line:
                break
            lines.append((time.monotonic() - start, line.rstrip("\n")))
    finally:
        process.wait(timeout=60)
    return process.returncode, start, lines


def test_a_line_at_least_every_five_seconds_under_mpirun_even_in_one_long_step(
        twin_sim, tmp_path):
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(SLOW)
    cmd = ["mpirun", "-n", "2", twin_sim, "run", str(scenario), "--output",
           str(tmp_path / "run")]
    code, _, lines = timed_lines(cmd, mpirun_env())
    assert code == 0, "\n".join(text for _, text in lines)
    progress = [(at, text) for at, text in lines if text.startswith("twin-sim: ")]
    assert progress, lines
    assert progress[-1][1].startswith("twin-sim: wrote ")
    total = progress[-1][0]
    assert total > 6, f"the run took {total:.1f} s: too short to show the rule"
    # No live-line carriage returns through a pipe; gaps of at most 5 s (plus slack).
    assert not any("\r" in text for _, text in progress)
    times = [0.0] + [at for at, _ in progress]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert max(gaps) <= 6.5, list(zip(gaps, [text for _, text in progress]))
    # Within one step the same position is repeated with a later elapsed time.
    positions = [text.split(", elapsed")[0] for _, text in progress[:-1]]
    assert len(positions) > len(set(positions)), positions


def raw(cmd, env=None):
    """Runs a command; standard output and error as bytes (a carriage return stays one)."""
    return subprocess.run(cmd, capture_output=True, timeout=300, env=env)


def test_progress_modes(twin_sim, repo_root, tmp_path):
    scenario = repo_root / "scenarios" / "quickstart.yaml"
    live = raw([twin_sim, "run", str(scenario), "--output", str(tmp_path / "a"),
                "--progress", "live"])
    assert live.returncode == 0, live.stderr
    assert b"\r" in live.stderr
    lines = raw([twin_sim, "run", str(scenario), "--output", str(tmp_path / "b"),
                 "--progress", "lines"])
    assert lines.returncode == 0, lines.stderr
    assert b"\r" not in lines.stderr and b"twin-sim: wrote" in lines.stderr
    for quiet in (["--progress", "none"], ["--quiet"]):
        silent = run([twin_sim, "run", str(scenario), "--output",
                      str(tmp_path / quiet[-1].strip("-")), *quiet])
        assert silent.returncode == 0, silent.stderr
        # No progress; warnings (the risk equation's validity range) stay unless --quiet.
        assert all(line.startswith("twin-sim: warning: ")
                   for line in silent.stderr.splitlines()), silent.stderr
        if quiet == ["--quiet"]:
            assert silent.stderr == ""
    wrong = run([twin_sim, "run", str(scenario), "--progress", "loud"])
    assert wrong.returncode == 2
    assert "live" in wrong.stderr and "lines" in wrong.stderr


def test_auto_is_live_when_mpiruns_standard_error_is_a_terminal(twin_sim, repo_root, tmp_path):
    """`script` gives mpirun a terminal; the ranks themselves write to pipes."""
    scenario = repo_root / "scenarios" / "quickstart.yaml"
    cmd = (f"mpirun -n 2 {twin_sim} run {scenario} --output {tmp_path / 'run'}")
    result = raw(["script", "-qec", cmd, "/dev/null"], env=mpirun_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"\r" in result.stdout.replace(b"\r\n", b"\n")
