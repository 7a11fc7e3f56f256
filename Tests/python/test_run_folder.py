"""No finished result is ever lost (docs/operations.md, "The run folder").

A run into a folder that holds a complete run, or checkpoints of another scenario,
is refused with exit code 2 and changes no byte of the folder; `--overwrite` moves
the old run aside to DIR.replaced-<run_id>/ (and the catalog's entries with it);
`--resume` keeps working.
"""

import hashlib
import os
import pathlib
import sqlite3
import textwrap

import h5py
import pytest

from conftest import mpirun_env, run

SCENARIO = textwrap.dedent(
    """\
    name: folder-check
    seed: 5
    time: {start_year: 2025, horizon_years: 6}
    population:
      size: 400
      synthetic:
        age: {min: 45, max: 65}
    models:
      risk_equation: score2
    arms:
      - name: baseline
    output:
      record: [alive]
    """
)


def snapshot(folder: pathlib.Path) -> dict:
    """Every file below `folder` (hidden ones too) with its bytes' SHA-256 and mode."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[str(path.relative_to(folder))] = (
                hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
    return files


def command(twin_sim, scenario, output, ranks, *extra):
    cmd = [twin_sim, "run", str(scenario), "--output", str(output), "--quiet", *extra]
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks)] + cmd
    return cmd


def run_id(results: pathlib.Path) -> str:
    with h5py.File(results, "r") as f:
        value = f.attrs["run_id"]
    return value.decode() if isinstance(value, bytes) else str(value)


def finished_run(twin_sim, scenario, output, ranks):
    """A complete run into `output`: (snapshot of the folder, its run id)."""
    first = run(command(twin_sim, scenario, output, ranks), env=mpirun_env())
    assert first.returncode == 0, first.stderr
    return snapshot(output), run_id(output / "results.h5")


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "folder-check.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.mark.parametrize("ranks", [1, 2])
def test_second_run_into_a_finished_folder_is_refused_and_changes_nothing(
        twin_sim, scenario, tmp_path, ranks):
    output = tmp_path / "run"
    before, first_id = finished_run(twin_sim, scenario, output, ranks)

    second = run(command(twin_sim, scenario, output, ranks), env=mpirun_env())
    assert second.returncode == 2, second.stderr
    message = second.stderr
    assert str(output) in message
    assert "'folder-check'" in message and first_id in message
    assert "--output" in message and "--overwrite" in message
    assert f"{output}.replaced-{first_id}" in message
    assert snapshot(output) == before
    assert not list(tmp_path.glob("run.replaced-*"))


@pytest.mark.parametrize("ranks", [1, 2])
def test_overwrite_moves_the_finished_run_aside_and_both_exist(
        twin_sim, scenario, tmp_path, ranks):
    output = tmp_path / "run"
    before, first_id = finished_run(twin_sim, scenario, output, ranks)

    second = run(command(twin_sim, scenario, output, ranks, "--overwrite"), env=mpirun_env())
    assert second.returncode == 0, second.stderr
    aside = tmp_path / f"run.replaced-{first_id}"
    assert aside.is_dir()
    moved = snapshot(aside)
    before.pop(".twin-sim.lock", None)
    moved.pop(".twin-sim.lock", None)
    assert moved == before
    assert run_id(output / "results.h5") != first_id
    with h5py.File(output / "results.h5", "r") as f:
        assert f.attrs["status"] in (b"complete", "complete")
    assert f"aside to {aside}" in (output / "run.log").read_text()

    # A third run moves the second aside too; the first stays where it went.
    second_id = run_id(output / "results.h5")
    third = run(command(twin_sim, scenario, output, ranks, "--overwrite"), env=mpirun_env())
    assert third.returncode == 0, third.stderr
    assert (tmp_path / f"run.replaced-{second_id}" / "results.h5").exists()
    still = snapshot(aside)
    still.pop(".twin-sim.lock", None)
    assert still == moved


def test_checkpoints_of_another_scenario_are_protected(twin_sim, scenario, tmp_path):
    output = tmp_path / "run"
    env = mpirun_env()
    env["TWIN_SIM_INJECT_FAILURE"] = "0:3"
    failed = run(command(twin_sim, scenario, output, 1, "--checkpoint-every", "2"), env=env)
    assert failed.returncode != 0
    assert list(output.glob("checkpoint-*.json"))
    before = snapshot(output)

    other = tmp_path / "other.yaml"
    other.write_text(SCENARIO.replace("seed: 5", "seed: 6"))
    refused = run(command(twin_sim, other, output, 1), env=mpirun_env())
    assert refused.returncode == 2, refused.stderr
    assert "checkpoints of another scenario" in refused.stderr
    assert snapshot(output) == before

    # The same scenario may still continue them, and may start over them.
    resumed = run(command(twin_sim, scenario, output, 1, "--resume"), env=mpirun_env())
    assert resumed.returncode == 0, resumed.stderr


def test_overwrite_and_resume_together_are_a_usage_error(twin_sim, scenario, tmp_path):
    result = run(command(twin_sim, scenario, tmp_path / "run", 1, "--overwrite", "--resume"))
    assert result.returncode == 2
    assert "--overwrite" in result.stderr and "--resume" in result.stderr
    assert not (tmp_path / "run").exists()


def test_catalog_entries_follow_the_run_moved_aside(twin_sim, scenario, tmp_path):
    output = tmp_path / "run"
    db = tmp_path / "catalog.sqlite"
    first = run(command(twin_sim, scenario, output, 1))
    assert first.returncode == 0, first.stderr
    added = run([twin_sim, "catalog", "add", str(output), "--catalog", str(db)])
    assert added.returncode == 0, added.stderr
    first_id = run_id(output / "results.h5")

    second = run(command(twin_sim, scenario, output, 1, "--overwrite", "--catalog", str(db)))
    assert second.returncode == 0, second.stderr
    aside = tmp_path / f"run.replaced-{first_id}"
    with sqlite3.connect(db) as connection:
        folder = connection.execute(
            "SELECT folder FROM run WHERE id = ?", (first_id,)).fetchone()[0]
        paths = [row[0] for row in connection.execute(
            "SELECT path FROM product WHERE run_id = ?", (first_id,))]
        actions = [row[0] for row in connection.execute("SELECT action FROM action")]
    assert folder == str(aside)
    assert paths and all(os.path.dirname(path) == str(aside) for path in paths)
    assert all(os.path.exists(path) for path in paths)
    assert "move" in actions
    verified = run([twin_sim, "catalog", "verify", "--catalog", str(db)])
    assert verified.returncode == 0, verified.stdout + verified.stderr
