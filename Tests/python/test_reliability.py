"""Reliability: checkpoints and resume on other rank counts, Slurm signals,
killed ranks, corrupt checkpoints, a full disk, and two runs on one folder
(docs/operations.md)."""

import os
import re
import shutil
import signal
import subprocess
import textwrap
import time

import h5py
import pytest

from conftest import mpirun_env, run
from h5compare import differences
from test_engine_run import SCENARIO as ENGINE_SCENARIO

# The engine tests' scenario (every kind of intervention, a condition, PSA).
SCENARIO = ENGINE_SCENARIO.replace("size: 2003", "size: SIZE")


def mpirun(ranks, twin_sim, *args, env=None):
    cmd = ["mpirun", "-n", str(ranks)] + (["--oversubscribe"] if ranks > 2 else [])
    return cmd + [twin_sim, *map(str, args)]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reliability")
    small = folder / "small.yaml"
    small.write_text(SCENARIO.replace("SIZE", "2003"))
    big = folder / "big.yaml"
    big.write_text(SCENARIO.replace("SIZE", "100000"))
    return {"small": small, "big": big}


@pytest.fixture(scope="module")
def reference(twin_sim, scenarios, tmp_path_factory):
    """Uninterrupted single-rank results of both scenarios."""
    results = {}
    for name, scenario in scenarios.items():
        output = tmp_path_factory.mktemp(f"reference-{name}")
        result = run([twin_sim, scenario, "--output", output, "--quiet"])
        assert result.returncode == 0, result.stderr
        results[name] = output / "results.h5"
    return results


def interrupted_run(twin_sim, scenario, output, ranks=2, at="1:10"):
    """A run with checkpoints every 4 steps that fails on purpose."""
    env = mpirun_env()
    env["TWIN_SIM_INJECT_FAILURE"] = at
    result = run(mpirun(ranks, twin_sim, scenario, "--output", output, "--quiet",
                        "--checkpoint-every", "4"), env=env, timeout=120)
    assert result.returncode != 0
    assert "injected failure" in result.stderr
    assert not (output / "results.h5").exists()
    assert sorted(p.name for p in output.glob("checkpoint-*.json"))
    return output


def test_checkpointing_does_not_change_results(twin_sim, scenarios, reference, tmp_path):
    result = run(mpirun(2, twin_sim, scenarios["small"], "--output", tmp_path, "--quiet",
                        "--checkpoint-every", "3"), env=mpirun_env())
    assert result.returncode == 0, result.stderr
    assert differences(reference["small"], tmp_path / "results.h5") == []
    # A complete run removes its checkpoints.
    assert list(tmp_path.glob("checkpoint-*")) == []


@pytest.mark.parametrize("first, second", [(2, 1), (1, 2), (2, 3)])
def test_resume_on_another_rank_count_is_bit_identical(
        twin_sim, scenarios, reference, tmp_path, first, second):
    output = interrupted_run(twin_sim, scenarios["small"], tmp_path, ranks=first,
                             at="0:10")
    result = run(mpirun(second, twin_sim, scenarios["small"], "--output", output, "--quiet",
                        "--resume"), env=mpirun_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    with h5py.File(output / "results.h5", "r") as f:
        assert f.attrs["status"] == "complete"
        assert int(f.attrs["mpi_ranks"]) == second
        assert "checkpoint" not in f
    assert differences(reference["small"], output / "results.h5") == []
    # run.log holds both sessions (docs/operations.md: appended across resumes): the
    # failure that stopped the first, then the resume; each with its MPI start-up time.
    log = (output / "run.log").read_text()
    assert log.count("MPI start-up: MPI_Init took") == 2
    assert log.index("injected failure") < log.index("resume from checkpoint-")


def test_resume_refuses_a_checkpoint_of_another_scenario(twin_sim, scenarios, tmp_path):
    output = interrupted_run(twin_sim, scenarios["small"], tmp_path)
    changed = tmp_path / "changed.yaml"
    changed.write_text(scenarios["small"].read_text().replace("seed: 11", "seed: 12"))
    result = run(mpirun(2, twin_sim, changed, "--output", output, "--resume"),
                 env=mpirun_env(), timeout=120)
    assert result.returncode == 2
    assert "belongs to a different scenario" in result.stderr


def test_resume_without_checkpoint_is_a_clear_error(twin_sim, scenarios, tmp_path):
    result = run([twin_sim, scenarios["small"], "--output", tmp_path, "--resume"])
    assert result.returncode == 2
    assert "no checkpoint" in result.stderr


def test_corrupt_newest_checkpoint_falls_back_to_the_previous(
        twin_sim, scenarios, reference, tmp_path):
    output = interrupted_run(twin_sim, scenarios["small"], tmp_path)
    checkpoints = sorted(output.glob("checkpoint-*.h5"))
    assert len(checkpoints) == 2
    newest = checkpoints[-1]
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    result = run(mpirun(2, twin_sim, scenarios["small"], "--output", output, "--quiet",
                        "--resume"), env=mpirun_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{newest.name}: checksum" in result.stderr and "corrupt" in result.stderr
    assert differences(reference["small"], output / "results.h5") == []


def test_truncated_checkpoints_only_give_a_clear_error(twin_sim, scenarios, tmp_path):
    output = interrupted_run(twin_sim, scenarios["small"], tmp_path)
    for checkpoint in output.glob("checkpoint-*.h5"):
        with open(checkpoint, "r+b") as f:
            f.truncate(1000)
    result = run([twin_sim, scenarios["small"], "--output", output, "--resume"])
    assert result.returncode == 2
    assert "no valid checkpoint" in result.stderr


def wait_for_checkpoint(folder, proc, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if list(folder.glob("checkpoint-*.json")):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def test_sigusr1_to_mpirun_checkpoints_exits_3_and_resumes_identically(
        twin_sim, scenarios, reference, tmp_path):
    proc = subprocess.Popen(mpirun(2, twin_sim, scenarios["big"], "--output", tmp_path,
                                   "--quiet", "--checkpoint-every", "20"),
                            env=mpirun_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGUSR1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert not (tmp_path / "results.h5").exists()
    assert list(tmp_path.glob("checkpoint-*.json"))
    assert "stopped by signal" in (tmp_path / "run.log").read_text()
    result = run(mpirun(2, twin_sim, scenarios["big"], "--output", tmp_path, "--quiet",
                        "--resume"), env=mpirun_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert differences(reference["big"], tmp_path / "results.h5") == []


def test_a_signal_to_one_rank_only_stops_every_rank_at_the_same_step(
        twin_sim, scenarios, reference, tmp_path):
    # The ranks agree at step boundaries (one boundary late, without waiting for
    # each other in between) on whether any of them was asked to stop: the rank
    # that got no signal must stop at the same step, or the job would hang.
    proc = subprocess.Popen(mpirun(3, twin_sim, scenarios["big"], "--output", tmp_path,
                                   "--quiet"),
                            env=mpirun_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 60
    while not (tmp_path / "results.h5.partial").exists() and time.time() < deadline:
        time.sleep(0.05)
    ranks = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    pids = [int(p) for p in ranks.stdout.split()]
    assert len(pids) == 3, ranks.stdout
    os.kill(pids[1], signal.SIGUSR1)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert not (tmp_path / "results.h5").exists()
    assert "stopped by signal" in (tmp_path / "run.log").read_text()
    result = run(mpirun(2, twin_sim, scenarios["big"], "--output", tmp_path, "--quiet",
                        "--resume"), env=mpirun_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert differences(reference["big"], tmp_path / "results.h5") == []


def test_killed_rank_ends_the_job_and_resume_gives_the_identical_result(
        twin_sim, scenarios, reference, tmp_path):
    proc = subprocess.Popen(mpirun(2, twin_sim, scenarios["big"], "--output", tmp_path,
                                   "--quiet", "--checkpoint-every", "5"),
                            env=mpirun_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert wait_for_checkpoint(tmp_path, proc)
    ranks = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    pids = [int(p) for p in ranks.stdout.split()]
    assert pids, "no rank processes found under mpirun"
    os.kill(pids[-1], signal.SIGKILL)
    start = time.time()
    proc.communicate(timeout=60)  # bounded: a hang fails the test
    assert time.time() - start < 60
    assert proc.returncode != 0
    assert not (tmp_path / "results.h5").exists()
    # The survivor wrote what happened: the signal, where it was, which rank ended.
    log = (tmp_path / "run.log").read_text()
    assert "rank 0 received SIGTERM at arm " in log
    assert f"rank(s) {len(pids) - 1} of this node have ended" in log
    # An unfinished checkpoint copy of the killed job is removed by the next run.
    (tmp_path / "checkpoint-000099.h5.tmp").write_bytes(b"unfinished copy")
    result = run(mpirun(2, twin_sim, scenarios["big"], "--output", tmp_path, "--quiet",
                        "--resume"), env=mpirun_env(), timeout=300)
    assert result.returncode == 0, result.stderr
    assert differences(reference["big"], tmp_path / "results.h5") == []
    assert not list(tmp_path.glob("*.tmp"))
    assert "removed unfinished checkpoint files of an earlier run: checkpoint-000099.h5.tmp" in (
        tmp_path / "run.log").read_text()


def test_checkpoint_on_a_full_disk_names_the_room_and_leaves_no_copy(
        twin_sim, scenarios, reference, tmp_path):
    """The result file fits, its checkpoint copy does not."""
    size = reference["big"].stat().st_size
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={int(size * 1.6)}", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        output = mount / "run"
        result = run(mpirun(2, twin_sim, scenarios["big"], "--output", output, "--quiet",
                            "--checkpoint-every", "3"), env=mpirun_env(), timeout=120)
        assert result.returncode not in (0, 2)
        assert "NSCocoaErrorDomain" not in result.stderr
        assert re.search(
            rf"cannot write checkpoint checkpoint-\d{{6}}\.h5 in {re.escape(str(output))}: it "
            r"needs about \d+ bytes, \d+ bytes are free \(disk full\)", result.stderr), (
            result.stderr)
        assert "(disk full)" in result.stderr
        assert not list(output.glob("*.tmp")), sorted(p.name for p in output.iterdir())
        assert not (output / "results.h5").exists()
        assert "failed on rank 0: cannot write checkpoint" in (output / "run.log").read_text()
    finally:
        subprocess.run(["umount", str(mount)])


def test_second_run_on_the_same_folder_is_refused(twin_sim, scenarios, tmp_path):
    proc = subprocess.Popen([twin_sim, scenarios["big"], "--output", tmp_path, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (tmp_path / "results.h5.partial").exists() and time.time() < deadline:
        time.sleep(0.05)
    second = run([twin_sim, scenarios["small"], "--output", tmp_path, "--quiet"])
    proc.communicate(timeout=300)
    assert second.returncode == 2
    assert "is in use by another twin-sim run" in second.stderr
    assert proc.returncode == 0
    with h5py.File(tmp_path / "results.h5", "r") as f:
        assert int(f.attrs["n_persons"]) == 100000  # the first run's, not interleaved


def test_full_disk_is_a_clear_error_and_nothing_is_complete(twin_sim, scenarios, tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    try:
        output = mount / "run"
        result = run(mpirun(2, twin_sim, scenarios["big"], "--output", output, "--quiet"),
                     env=mpirun_env(), timeout=120)
        assert result.returncode not in (0, 2)
        assert str(output) in result.stderr
        assert "bytes free: disk full?" in result.stderr
        assert not (output / "results.h5").exists()
    finally:
        subprocess.run(["umount", str(mount)])


def test_slurm_template_checkpoints_requeues_and_resumes(
        twin_sim, scenarios, reference, tmp_path, repo_root):
    """scripts/slurm/twin-sim.sbatch without Slurm: mpirun as the launcher and a
    recording `scontrol`; SIGUSR1 to the batch shell (as --signal=B:USR1 sends
    it) must end in exit 3 and a requeue, and the requeued job must resume."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    requeues = tmp_path / "requeues"
    scontrol = bin_dir / "scontrol"
    scontrol.write_text(f"#!/bin/sh\necho \"$@\" >> {requeues}\n")
    scontrol.chmod(0o755)
    env = mpirun_env()
    env.update({
        "PATH": f"{bin_dir}:{env['PATH']}", "TWIN_SIM": twin_sim,
        "TWIN_SIM_LAUNCH": "mpirun -n 2", "SLURM_JOB_ID": "4242",
    })
    template = repo_root / "scripts" / "slurm" / "twin-sim.sbatch"
    output = tmp_path / "run"
    job = subprocess.Popen(["bash", str(template), str(scenarios["big"]), str(output)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (output / "results.h5.partial").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    job.send_signal(signal.SIGUSR1)
    out, err = job.communicate(timeout=120)
    assert job.returncode == 3, out + err
    assert requeues.read_text().strip() == "requeue 4242"
    second = run(["bash", str(template), str(scenarios["big"]), str(output)], env=env,
                 timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resuming from the checkpoints" in second.stdout
    assert differences(reference["big"], output / "results.h5") == []
