"""`twin-sim secure pack` and `verify`: signed job bundles, checked against OpenSSH.

`ssh-keygen -Y verify` (openssh-client) is the independent reference for the
SSHSIG signature; the decrypted inputs are compared with the original files.
"""

import json
import os
import shutil

import pytest

from conftest import run

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None or shutil.which("age") is None,
    reason="needs openssh-client and age (scripts/setup)")


@pytest.fixture
def bundle(twin_sim, repo_root, tmp_path):
    key = tmp_path / "id_ed25519"
    assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice",
                "-f", str(key)]).returncode == 0
    signers = tmp_path / "allowed_signers"
    signers.write_text(f'alice@example.org namespaces="twin-sim" {(tmp_path / "id_ed25519.pub").read_text()}')
    user_key = tmp_path / "user.txt"
    recipient = run([twin_sim, "secure", "keygen", "-o", str(user_key)]).stdout.strip()
    job = tmp_path / "job1"
    result = run([twin_sim, "secure", "pack", str(repo_root / "scenarios" / "table-cohort.yaml"),
                  "-o", str(job), "-r", recipient, "--sign-key", str(key)])
    assert result.returncode == 0, result.stderr
    return {"job": job, "signers": signers, "user_key": user_key, "key": key, "tmp": tmp_path}


def verify(twin_sim, bundle, *extra):
    return run([twin_sim, "secure", "verify", str(bundle["job"]),
                "--allowed-signers", str(bundle["signers"]), *extra])


def ssh_keygen_verify(bundle, principal="alice@example.org"):
    manifest = bundle["job"] / "manifest.json"
    with open(manifest, "rb") as message:
        return run(["ssh-keygen", "-Y", "verify", "-f", str(bundle["signers"]), "-I", principal,
                    "-n", "twin-sim", "-s", str(manifest) + ".sig"], stdin=message)


def test_packed_scenario_bundle_verifies_here_and_with_ssh_keygen(twin_sim, repo_root, bundle):
    result = verify(twin_sim, bundle, "--identity", "alice@example.org")
    assert result.returncode == 0, result.stderr
    assert "good signature by alice@example.org" in result.stdout
    assert ssh_keygen_verify(bundle).returncode == 0
    manifest = json.loads((bundle["job"] / "manifest.json").read_text())
    assert manifest["partition"] == "secure"
    paths = [entry["path"] for entry in manifest["files"]]
    # The population table the scenario references was found and packed.
    assert "inputs/data/cohort-example.csv.age" in paths
    assert "inputs/table-cohort.yaml.age" in paths
    # The user recovers the job key, which opens the table: same bytes as the original.
    job_key = bundle["tmp"] / "job-key.txt"
    assert run(["age", "-d", "-i", str(bundle["user_key"]), "-o", str(job_key),
                str(bundle["job"] / "job-identity.age")]).returncode == 0
    opened = bundle["tmp"] / "cohort.csv"
    assert run(["age", "-d", "-i", str(job_key), "-o", str(opened),
                str(bundle["job"] / "inputs/data/cohort-example.csv.age")]).returncode == 0
    original = repo_root / "scenarios" / "data" / "cohort-example.csv"
    assert opened.read_bytes() == original.read_bytes()


def test_edited_batch_script_is_refused(twin_sim, bundle):
    with open(bundle["job"] / "job.sbatch", "a") as script:
        script.write("cp -r \"$work\" /tmp/stolen\n")
    result = verify(twin_sim, bundle)
    assert result.returncode == 1
    assert "job.sbatch: SHA-256 differs from the signed manifest" in result.stderr


def test_edited_manifest_is_refused_here_and_by_ssh_keygen(twin_sim, bundle):
    manifest = bundle["job"] / "manifest.json"
    data = json.loads(manifest.read_text())
    data["partition"] = "normal"
    manifest.write_text(json.dumps(data, indent=2))
    result = verify(twin_sim, bundle)
    assert result.returncode == 1
    assert "signature does not match" in result.stderr
    assert ssh_keygen_verify(bundle).returncode != 0


def test_extra_file_is_refused(twin_sim, bundle):
    (bundle["job"] / "inputs" / "payload.sh").write_text("#!/bin/sh\n")
    result = verify(twin_sim, bundle)
    assert result.returncode == 1
    assert "inputs/payload.sh: in the bundle but not in the signed manifest" in result.stderr


def test_wrong_signer_or_principal_is_refused(twin_sim, bundle):
    result = verify(twin_sim, bundle, "--identity", "bob@example.org")
    assert result.returncode == 1 and "signer not allowed" in result.stderr
    assert ssh_keygen_verify(bundle, "bob@example.org").returncode != 0
    other = bundle["tmp"] / "mallory"
    assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)]).returncode == 0
    os.unlink(bundle["job"] / "manifest.json.sig")
    assert run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(other), "-n", "twin-sim",
                str(bundle["job"] / "manifest.json")]).returncode == 0
    result = verify(twin_sim, bundle)
    assert result.returncode == 1 and "not in the allowed signers file" in result.stderr
    assert ssh_keygen_verify(bundle).returncode != 0


def test_expired_bundle_is_refused(twin_sim, repo_root, bundle):
    # An expiry in the past cannot be produced by pack (>= 1 hour); re-sign an edited manifest.
    manifest = bundle["job"] / "manifest.json"
    data = json.loads(manifest.read_text())
    data["expires"] = "2020-01-01T00:00:00Z"
    manifest.write_text(json.dumps(data, indent=2))
    os.unlink(str(manifest) + ".sig")
    assert run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(bundle["key"]), "-n", "twin-sim",
                str(manifest)]).returncode == 0
    assert ssh_keygen_verify(bundle).returncode == 0
    result = verify(twin_sim, bundle)
    assert result.returncode == 1
    assert "the bundle expired at 2020-01-01T00:00:00Z" in result.stderr
