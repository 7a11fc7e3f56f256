"""The node side of a secure job without Slurm: `secure prolog` prepares the
job's node-local folder, the signed `job.sbatch` runs in it (Slurm's variables
set by the test), `secure epilog` signs and publishes the encrypted outputs and
wipes the node; `secure fetch` and `secure open` verify and decrypt on the
workstation. scripts/e2e/secure-slurm runs the same under a real slurmd.

Key delivery `kms` runs against a real `twin-sim kms serve` (KeyServer of
test_kms.py) and, for the exact command sequence, against a stand-in.

`ssh-keygen -Y verify` is the independent reference for the node signature;
h5py reads the decrypted results.
"""

import hashlib
import hmac
import json
import os
import shutil
import stat

import pytest

from conftest import mpirun_env, run
from test_kms import KeyServer

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None or shutil.which("mpirun") is None,
    reason="needs openssh-client and openmpi-bin (scripts/setup)")

NODE = "node01"


def user_and_node(twin_sim, tmp_path):
    """The keys of a user and a node in `tmp_path`: the user's SSH key and age
    identity, the node's SSH key, the allowed-signers files for bundles
    (namespace twin-sim) and for output manifests (twin-sim-node), and an empty
    node-local folder. Returns (user_key, node_key, user, signers,
    node_signers, identity, recipient, node_tmp)."""
    def keygen(name, comment):
        path = tmp_path / name
        assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
                    "-f", str(path)]).returncode == 0
        return path, (tmp_path / f"{name}.pub").read_text().strip()
    user_key, user_public = keygen("id_user", "alice")
    node_key, node_public = keygen("node_ed25519", NODE)
    user = os.environ.get("USER") or "alice"
    signers = tmp_path / "allowed_signers"
    signers.write_text(f'{user} namespaces="twin-sim" {user_public}\n')
    node_signers = tmp_path / "node_signers"
    node_signers.write_text(f'{NODE} namespaces="twin-sim-node" {node_public}\n')
    identity = tmp_path / "user.txt"
    recipient = run([twin_sim, "secure", "keygen", "-o", str(identity)]).stdout.strip()
    node_tmp = tmp_path / "node-local"
    node_tmp.mkdir()
    return user_key, node_key, user, signers, node_signers, identity, recipient, node_tmp


@pytest.fixture
def site(twin_sim, repo_root, tmp_path):
    """A user (SSH key, age identity, a packed bundle) and a node (node key,
    allowed signers, node-local folder, job environment)."""
    (user_key, node_key, user, signers, node_signers, identity, recipient,
     node_tmp) = user_and_node(twin_sim, tmp_path)
    bundle = tmp_path / "job1"
    result = run([twin_sim, "secure", "pack", str(repo_root / "scenarios" / "table-cohort.yaml"),
                  "-o", str(bundle), "-r", recipient, "--sign-key", str(user_key),
                  "--node-tmp", str(node_tmp)])
    assert result.returncode == 0, result.stderr
    workstation = tmp_path / "workstation-copy"
    shutil.copytree(bundle, workstation)
    job_env = tmp_path / "job.env"
    job_env.write_text("TWIN_SIM_LAUNCH=mpirun\nTWIN_SIM_KEY_DELIVERY=identity-file\n"
                       "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n")
    return {"tmp": tmp_path, "bundle": bundle, "workstation": workstation, "user": user,
            "signers": signers, "node_signers": node_signers, "node_key": node_key,
            "identity": identity, "node_tmp": node_tmp, "records": tmp_path / "records",
            "job_env": job_env}


def slurm_env(site, job_id, **extra):
    env = dict(os.environ, SLURM_JOB_ID=job_id, SLURM_JOB_USER=site["user"],
               SLURM_JOB_PARTITION="secure", SLURM_JOB_UID=str(os.getuid()),
               SLURM_JOB_GID=str(os.getgid()), SLURMD_NODENAME=NODE)
    env.update(extra)
    return env


def prolog(twin_sim, site, job_id="41"):
    return run([twin_sim, "secure", "prolog", "--allowed-signers", str(site["signers"]),
                "--replay-list", str(site["tmp"] / "nonces"),
                "--log", str(site["tmp"] / "prolog.log"),
                "--job-script", str(site["bundle"] / "job.sbatch"), "--bundle", str(site["bundle"]),
                "--node-tmp", str(site["node_tmp"]), "--job-records", str(site["records"]),
                "--job-environment", str(site["job_env"])], env=slurm_env(site, job_id))


def deliver_key(twin_sim, site):
    """The fallback key delivery: the per-job identity, opened by the user and
    put on the node out of band."""
    key = site["tmp"] / "delivered.key"
    result = run([twin_sim, "secure", "decrypt", "-i", str(site["identity"]), "-o", str(key),
                  str(site["workstation"] / "job-identity.age")])
    assert result.returncode == 0, result.stderr
    return key


def job(site, job_id="41", key=None, **extra):
    env = slurm_env(site, job_id, SLURM_SUBMIT_DIR=str(site["bundle"]), **extra)
    env.update({k: v for k, v in mpirun_env().items() if k.startswith("OMPI_")})
    if key is not None:
        env["TWIN_SIM_JOB_IDENTITY"] = str(key)
    return run(["bash", str(site["bundle"] / "job.sbatch")], env=env, cwd=site["bundle"])


def epilog(twin_sim, site, job_id="41", exit_code="0:0"):
    return run([twin_sim, "secure", "epilog", "--node-key", str(site["node_key"]),
                "--log", str(site["tmp"] / "epilog.log"), "--node-tmp", str(site["node_tmp"]),
                "--job-records", str(site["records"])],
               env=slurm_env(site, job_id, SLURM_JOB_EXIT_CODE2=exit_code))


def fetch(twin_sim, site, target="fetched", source=None, bundle=None):
    return run([twin_sim, "secure", "fetch", "--bundle", str(bundle or site["workstation"]),
                "--node-signers", str(site["node_signers"]),
                "--from", str(source or site["bundle"] / "results"),
                "-o", str(site["tmp"] / target)])


def open_results(twin_sim, site, folder, target="opened"):
    return run([twin_sim, "secure", "open", str(folder), "--bundle", str(site["workstation"]),
                "--node-signers", str(site["node_signers"]), "-i", str(site["identity"]),
                "-o", str(site["tmp"] / target)])


def all_files(folder):
    return [os.path.join(base, name) for base, _, names in os.walk(folder) for name in names]


def run_whole_job(twin_sim, site):
    assert prolog(twin_sim, site).returncode == 0
    key = deliver_key(twin_sim, site)
    result = job(site, key=key)
    assert result.returncode == 0, result.stderr + (site["bundle"] / "results").as_posix()
    done = epilog(twin_sim, site)
    assert done.returncode == 0, done.stderr
    return key


def test_job_runs_and_only_the_user_opens_the_node_signed_results(twin_sim, site):
    h5py = pytest.importorskip("h5py")
    key = run_whole_job(twin_sim, site)
    assert not key.exists()  # the delivered identity is consumed
    results = site["bundle"] / "results"
    assert sorted(os.listdir(results)) == [
        "job.log.age", "output-manifest.json", "output-manifest.json.sig", "results.h5.age"]
    # Nothing left on the node: folder and record wiped.
    assert os.listdir(site["node_tmp"]) == [] and os.listdir(site["records"]) == []
    entry = json.loads((site["tmp"] / "epilog.log").read_text().splitlines()[-1])
    assert entry["verdict"] == "published" and int(entry["wiped_files"]) > 0
    # The node signature checks with ssh-keygen, for principal NODE in namespace twin-sim-node.
    manifest_path = results / "output-manifest.json"
    with open(manifest_path, "rb") as message:
        verified = run(["ssh-keygen", "-Y", "verify", "-f", str(site["node_signers"]), "-I", NODE,
                        "-n", "twin-sim-node", "-s", str(manifest_path) + ".sig"], stdin=message)
    assert verified.returncode == 0, verified.stderr
    manifest = json.loads(manifest_path.read_text())
    bundle_manifest = json.loads((site["workstation"] / "manifest.json").read_text())
    assert manifest["job_nonce"] == bundle_manifest["job_nonce"]
    assert manifest["job_id"] == "41" and manifest["node"] == NODE
    assert manifest["exit_code"] == "0:0" and manifest["script_status"] == "0"
    assert [o["path"] for o in manifest["outputs"]] == ["job.log.age", "results.h5.age"]

    fetched = fetch(twin_sim, site)
    assert fetched.returncode == 0, fetched.stderr
    assert "verified job 41 on node01" in fetched.stdout
    opened = open_results(twin_sim, site, site["tmp"] / "fetched")
    assert opened.returncode == 0, opened.stderr
    with h5py.File(site["tmp"] / "opened" / "results.h5", "r") as h5:
        assert len(h5.keys()) > 0
    # The per-job key cannot open the results; only the user's identity can.
    job_key = site["tmp"] / "job-key.txt"
    assert run([twin_sim, "secure", "decrypt", "-i", str(site["identity"]), "-o", str(job_key),
                str(site["workstation"] / "job-identity.age")]).returncode == 0
    refused = run([twin_sim, "secure", "decrypt", "-i", str(job_key), "-o",
                   str(site["tmp"] / "x.h5"), str(results / "results.h5.age")])
    assert refused.returncode == 1 and "no identity matches" in refused.stderr


def test_fetch_refuses_changed_outputs_foreign_nodes_and_other_bundles(twin_sim, site):
    run_whole_job(twin_sim, site)
    results = site["bundle"] / "results"
    # A changed output.
    changed = site["tmp"] / "changed"
    shutil.copytree(results, changed)
    with open(changed / "results.h5.age", "ab") as handle:
        handle.write(b"\0")
    result = fetch(twin_sim, site, "f1", source=changed)
    assert result.returncode == 1
    assert "results.h5.age: SHA-256 differs" in result.stderr
    assert not (site["tmp"] / "f1").exists()
    # Outputs replaced by other ciphertext for the user (anyone can encrypt to a recipient).
    forged = site["tmp"] / "forged"
    shutil.copytree(results, forged)
    recipient = json.loads((site["workstation"] / "manifest.json").read_text())["user_recipient"]
    (site["tmp"] / "fake.h5").write_bytes(b"fake")
    os.unlink(forged / "results.h5.age")
    assert run([twin_sim, "secure", "encrypt", "-r", recipient, "-o",
                str(forged / "results.h5.age"), str(site["tmp"] / "fake.h5")]).returncode == 0
    result = open_results(twin_sim, site, forged, "o2")
    assert result.returncode == 1 and "results.h5.age: SHA-256 differs" in result.stderr
    assert not (site["tmp"] / "o2" / "results.h5").exists()
    # A manifest re-signed by a key that is not a node key of the site.
    other = site["tmp"] / "other_key"
    assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)]).returncode == 0
    resigned = site["tmp"] / "resigned"
    shutil.copytree(results, resigned)
    os.unlink(resigned / "output-manifest.json.sig")
    assert run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(other), "-n", "twin-sim-node",
                str(resigned / "output-manifest.json")]).returncode == 0
    result = fetch(twin_sim, site, "f3", source=resigned)
    assert result.returncode == 1
    assert "not an allowed node signer for node 'node01'" in result.stderr
    # Genuine results, but of another bundle than the user's.
    other_bundle = site["tmp"] / "other-bundle"
    shutil.copytree(site["workstation"], other_bundle)
    data = json.loads((other_bundle / "manifest.json").read_text())
    data["job_nonce"] = "00" * 32
    (other_bundle / "manifest.json").write_text(json.dumps(data))
    result = fetch(twin_sim, site, "f4", bundle=other_bundle)
    assert result.returncode == 1 and "results of another job" in result.stderr
    # The genuine results still fetch.
    assert fetch(twin_sim, site, "f5").returncode == 0


def test_epilog_wipes_a_job_that_died_and_publishes_its_log(twin_sim, site):
    assert prolog(twin_sim, site).returncode == 0
    folder = site["node_tmp"] / "twin-sim-job-41"
    # What a job killed mid-run leaves: key and plaintext, no encrypted results.
    (folder / "key").mkdir()
    (folder / "key" / "job-identity.txt").write_text("AGE-SECRET-KEY-1DEADJOB\n")
    (folder / "in").mkdir()
    (folder / "in" / "cohort.csv").write_text("patient_id,gender\n1001,F\n")
    (folder / "out").mkdir()
    # A link a job left to a file outside must be removed, not followed.
    outside = site["tmp"] / "outside.txt"
    outside.write_text("keep me\n")
    (folder / "out" / "escape.age").symlink_to(outside)
    result = epilog(twin_sim, site, exit_code="0:9")
    assert result.returncode == 0, result.stderr
    assert not folder.exists() and os.listdir(site["records"]) == []
    assert outside.read_text() == "keep me\n"
    entry = json.loads((site["tmp"] / "epilog.log").read_text().splitlines()[-1])
    assert entry["verdict"] == "publish-failed" and "escape.age" in entry["reason"]
    assert entry["exit_code"] == "0:9"
    # Nothing published, and nothing plaintext anywhere below the test folder's shared parts.
    assert [p for p in os.listdir(site["bundle"] / "results") if not p.startswith("slurm")] == []


def test_a_job_killed_before_its_end_is_not_reported_as_success(twin_sim, site):
    # Slurm may report 0:0 for a job whose script was killed; the script's own
    # status (written on exit) is missing then, and fetch says the job failed.
    assert prolog(twin_sim, site).returncode == 0
    (site["node_tmp"] / "twin-sim-job-41" / "out").mkdir()
    assert epilog(twin_sim, site, exit_code="0:0").returncode == 0
    manifest = json.loads((site["bundle"] / "results" / "output-manifest.json").read_text())
    assert manifest["script_status"] == "none" and manifest["outputs"] == []
    fetched = fetch(twin_sim, site)
    assert fetched.returncode == 1
    assert "the job failed (exit code 0:0, script status none)" in fetched.stderr


def test_epilog_for_a_job_without_a_folder_does_nothing(twin_sim, site):
    result = epilog(twin_sim, site, job_id="99")
    assert result.returncode == 0
    entry = json.loads((site["tmp"] / "epilog.log").read_text())
    assert entry["verdict"] == "nothing"


def test_script_without_the_prologs_folder_stops_before_any_key_or_input(twin_sim, site):
    key = deliver_key(twin_sim, site)
    result = job(site, key=key)
    assert result.returncode == 1
    assert "the secure prolog did not prepare this job" in result.stderr
    assert key.exists()  # not consumed
    assert os.listdir(site["node_tmp"]) == []


def test_input_swapped_after_the_prolog_is_not_decrypted(twin_sim, site):
    assert prolog(twin_sim, site).returncode == 0
    manifest = json.loads((site["bundle"] / "manifest.json").read_text())
    forged = site["tmp"] / "forged.csv"
    forged.write_text("sex,age\nfemale,40\n")
    target = site["bundle"] / "inputs" / "data" / "cohort-example.csv.age"
    target.unlink()
    assert run([twin_sim, "secure", "encrypt", "-r", manifest["job_recipient"], "-o",
                str(target), str(forged)]).returncode == 0
    result = job(site, key=deliver_key(twin_sim, site))
    assert result.returncode != 0
    folder = site["node_tmp"] / "twin-sim-job-41"
    # The job wiped its key and inputs; only the encrypted log and its exit
    # status wait for the epilog.
    assert sorted(os.listdir(folder)) == ["out", "site.env", "status"]
    assert (folder / "status").read_text() == "1\n"
    assert os.listdir(folder / "out") == ["job.log.age"]
    assert epilog(twin_sim, site, exit_code="1:0").returncode == 0
    assert os.listdir(site["node_tmp"]) == []
    fetched = fetch(twin_sim, site)
    assert fetched.returncode == 1 and "the job failed (exit code 1:0, script status 1)" in fetched.stderr
    opened = open_results(twin_sim, site, site["tmp"] / "fetched")
    assert opened.returncode == 0, opened.stderr
    log = (site["tmp"] / "opened" / "job.log").read_text()
    assert "inputs/data/cohort-example.csv.age differs from the signed hash" in log


def test_site_config_must_belong_to_root_and_be_writable_by_root_only(twin_sim, repo_root, site):
    etc = site["tmp"] / "etc"
    etc.mkdir()
    config = etc / "twin-sim-secure.conf"
    log = site["tmp"] / "site-prolog.log"
    config.write_text(f"TWIN_SIM_BIN={twin_sim}\nTWIN_SIM_PROLOG_LOG={log}\n")
    config.chmod(0o664)
    env = dict(os.environ, SLURM_CONF=str(etc / "slurm.conf"), SLURM_JOB_ID="5",
               SLURM_JOB_USER="alice", SLURM_JOB_PARTITION="batch")
    script = str(repo_root / "scripts" / "slurm" / "secure-prolog")
    result = run([script], env=env)
    assert result.returncode == 1 and "writable by root only" in result.stderr
    if os.getuid() == 0:
        config.chmod(0o644)
        assert config.stat().st_mode & stat.S_IWGRP == 0
        result = run([script], env=dict(env, SLURM_JOB_PARTITION="secure"))
        # The site file's log path is used: the refusal (no such job) is logged there.
        assert result.returncode == 1
        assert json.loads(log.read_text())["verdict"] == "refused"


def test_kms_key_delivery_unwraps_once_and_reads_the_jobs_path(twin_sim, site):
    """The exact command sequence of key delivery, against a stand-in for
    `twin-sim kms` that records each call: the job unwraps the wrapping token
    once (without the submitter's VAULT_TOKEN), reads `identity` at
    secret/twin-sim/jobs/NONCE with the token it got, with VAULT_ADDR and
    VAULT_CACERT from the site, never from the submitter. The tests below run
    the same against a real `twin-sim kms serve`."""
    tmp = site["tmp"]
    nonce = json.loads((site["workstation"] / "manifest.json").read_text())["job_nonce"]
    identity = deliver_key(twin_sim, site)  # what the user stored in the key service
    calls = tmp / "kms-calls"
    stand_in = tmp / "twin-sim-with-kms"
    stand_in.write_text(f"""#!/bin/sh
if [ "$1" = kms ]; then
  echo "$*|$VAULT_ADDR|$VAULT_CACERT|${{VAULT_TOKEN:-}}|${{TWIN_SIM_WRAP_TOKEN:-}}" >> {calls}
  if [ "$2 $3 $4 $5" = "unwrap -field token s.wrapping" ] && [ ! -e {tmp}/spent ]; then
    touch {tmp}/spent; echo s.job-token; exit 0
  fi
  if [ "$2 $3 $4 $5 $6" = "kv get -field identity secret/twin-sim/jobs/{nonce}" ] &&
     [ "$VAULT_TOKEN" = s.job-token ]; then
    cat {identity}; exit 0
  fi
  echo "kms stand-in: refused" >&2; exit 2
fi
exec {twin_sim} "$@"
""")
    stand_in.chmod(0o755)
    site["job_env"].write_text(
        site["job_env"].read_text() + f"TWIN_SIM_BIN={stand_in}\nTWIN_SIM_KEY_DELIVERY=kms\n"
        "VAULT_ADDR=https://kms.site.example:8200\nVAULT_CACERT=/etc/twin-sim/kms-ca.pem\n")
    assert prolog(twin_sim, site).returncode == 0
    result = job(site, TWIN_SIM_WRAP_TOKEN="s.wrapping", VAULT_ADDR="https://evil.example",
                 VAULT_TOKEN="s.submitters-own-token")
    assert result.returncode == 0, result.stderr
    assert epilog(twin_sim, site).returncode == 0
    lines = calls.read_text().splitlines()
    assert lines == [
        "kms unwrap -field token s.wrapping|https://kms.site.example:8200|"
        "/etc/twin-sim/kms-ca.pem||",
        f"kms kv get -field identity secret/twin-sim/jobs/{nonce}|https://kms.site.example:8200|"
        "/etc/twin-sim/kms-ca.pem|s.job-token|"]
    assert fetch(twin_sim, site).returncode == 0
    # The same wrapping token a second time (a replayed or intercepted token) fails closed.
    assert prolog(twin_sim, site, job_id="42").returncode == 1  # the prolog refuses the replay
    os.unlink(site["tmp"] / "nonces")  # ... and without the replay list, the key service does
    assert prolog(twin_sim, site, job_id="42").returncode == 0
    again = job(site, job_id="42", TWIN_SIM_WRAP_TOKEN="s.wrapping")
    assert again.returncode != 0
    assert len(calls.read_text().splitlines()) == 3  # one unwrap attempt, refused: no kv read
    assert epilog(twin_sim, site, job_id="42", exit_code="1:0").returncode == 0
    assert os.listdir(site["node_tmp"]) == []


def release_to_key_service(twin_sim, site, server, bound_cidr="127.0.0.1/32"):
    """The workstation's key step against a real `twin-sim kms serve`: the
    per-job identity at secret/twin-sim/jobs/NONCE under a policy that reads
    only that path, and a response-wrapped token of a role bound to the node
    (one use, short TTL). Returns (nonce, identity text, wrapping token)."""
    nonce = json.loads((site["workstation"] / "manifest.json").read_text())["job_nonce"]
    name = f"twin-sim-job-{nonce[:16]}"
    key_file = deliver_key(twin_sim, site)
    identity = key_file.read_text()
    policy = site["tmp"] / "job-policy.hcl"
    policy.write_text(f'path "secret/data/twin-sim/jobs/{nonce}" {{\n'
                      '  capabilities = ["read"]\n}\n')
    for arguments in (
            ["policy", "write", name, str(policy)],
            ["write", f"auth/token/roles/{name}", f"allowed_policies={name}",
             "token_no_default_policy=true", f"token_bound_cidrs={bound_cidr}",
             "token_ttl=5m", "token_num_uses=1"],
            ["kv", "put", f"secret/twin-sim/jobs/{nonce}", f"identity=@{key_file}"]):
        result = server.cli(*arguments, token=server.root_token)
        assert result.returncode == 0, result.stderr
    key_file.unlink()
    minted = server.cli("token", "create", "--role", name, "--wrap-ttl", "5m",
                        "-field", "wrapping_token", token=server.root_token)
    assert minted.returncode == 0, minted.stderr
    return nonce, identity, minted.stdout.strip()


def secure_release(twin_sim, site, server, *arguments, token=None):
    """`twin-sim secure release` of the site's bundle, as the user (root token here)."""
    env = dict(os.environ, VAULT_ADDR=server.address, VAULT_CACERT=server.ca,
               VAULT_TOKEN=token or server.root_token)
    return run([twin_sim, "secure", "release", str(site["workstation"]), "-i",
                str(site["identity"]), *arguments], env=env, timeout=60)


def use_key_service(site, server):
    """The site's job environment: key delivery kms, the server's address and CA."""
    site["job_env"].write_text(
        site["job_env"].read_text() + "TWIN_SIM_KEY_DELIVERY=kms\n"
        f"VAULT_ADDR={server.address}\nVAULT_CACERT={server.ca}\n")


def audit_responses(server, path, operation):
    """The audit log's response lines for `operation` on `path`."""
    return [entry for entry in map(json.loads, server.audit_log.read_text().splitlines())
            if entry["type"] == "response" and entry["request"]["path"] == path
            and entry["request"]["operation"] == operation]


def audit_hmac(server, value):
    key = bytes.fromhex((server.state_dir / "audit-hmac-key").read_text().strip())
    return "hmac-sha256:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def test_job_fetches_its_key_from_the_real_key_service_once(twin_sim, site):
    h5py = pytest.importorskip("h5py")
    server = KeyServer(twin_sim, site["tmp"] / "kms-state")
    try:
        nonce, identity, wrapping = release_to_key_service(twin_sim, site, server)
        use_key_service(site, server)
        assert prolog(twin_sim, site).returncode == 0
        # The submitter's own token and key-service address are exported by
        # sbatch; the job must use neither.
        result = job(site, TWIN_SIM_WRAP_TOKEN=wrapping, VAULT_TOKEN=server.root_token,
                     VAULT_ADDR="https://127.0.0.1:1")
        assert result.returncode == 0, result.stderr
        assert epilog(twin_sim, site).returncode == 0
        assert os.listdir(site["node_tmp"]) == []
        assert fetch(twin_sim, site).returncode == 0
        assert open_results(twin_sim, site, site["tmp"] / "fetched").returncode == 0
        with h5py.File(site["tmp"] / "opened" / "results.h5", "r") as h5:
            assert len(h5.keys()) > 0
        # The wrapping token is spent.
        again = server.cli("unwrap", "-field", "token", wrapping)
        assert again.returncode == 1
        assert "wrapping token is not valid or does not exist" in again.stderr
        # The audit log: one unwrap, authenticated by the wrapping token itself
        # (not the submitter's token), one read of the job's key, served from
        # the node's address, and neither the identity nor a token in clear.
        unwraps = audit_responses(server, "sys/wrapping/unwrap", "update")
        assert [u["response"]["status"] for u in unwraps] == [200, 400]
        assert unwraps[0]["request"]["client_token"] == audit_hmac(server, wrapping)
        reads = audit_responses(server, f"secret/data/twin-sim/jobs/{nonce}", "read")
        assert len(reads) == 1 and reads[0]["response"]["status"] == 200
        assert reads[0]["request"]["remote_address"] == "127.0.0.1"
        assert reads[0]["response"]["data"]["data"]["identity"] == audit_hmac(server, identity)
        audit = server.audit_log.read_text()
        assert "AGE-SECRET-KEY-" not in audit and wrapping not in audit
        assert server.root_token not in audit and "hvs." not in audit
    finally:
        assert server.stop() == 0


def test_job_with_a_token_unwrapped_before_it_fails_before_decrypting(twin_sim, site):
    server = KeyServer(twin_sim, site["tmp"] / "kms-state")
    try:
        nonce = json.loads((site["workstation"] / "manifest.json").read_text())["job_nonce"]
        released = secure_release(twin_sim, site, server, "--bound-cidr", "127.0.0.1/32",
                                  "--ttl", "5m", "--wrap-ttl", "5m")
        assert released.returncode == 0, released.stderr
        wrapping = released.stdout.strip()
        assert f"stored the per-job key at secret/twin-sim/jobs/{nonce}" in released.stderr
        use_key_service(site, server)
        stolen = server.cli("unwrap", "-field", "token", wrapping)  # an interceptor was first
        assert stolen.returncode == 0, stolen.stderr
        # The token the interceptor holds is bound to the node: refused from elsewhere.
        status, _ = server.api("GET", f"secret/data/twin-sim/jobs/{nonce}", stolen.stdout.strip(),
                               source="127.0.0.2")
        assert status == 403
        assert prolog(twin_sim, site).returncode == 0
        result = job(site, TWIN_SIM_WRAP_TOKEN=wrapping)
        assert result.returncode == 1
        folder = site["node_tmp"] / "twin-sim-job-41"
        # Nothing was decrypted: no inputs, no run; only the encrypted log and the status.
        assert sorted(os.listdir(folder)) == ["out", "site.env", "status"]
        assert (folder / "status").read_text() == "1\n"
        assert [r["response"]["status"] for r in
                audit_responses(server, f"secret/data/twin-sim/jobs/{nonce}", "read")] == [403]
        assert epilog(twin_sim, site, exit_code="1:0").returncode == 0
        fetched = fetch(twin_sim, site)
        assert fetched.returncode == 1
        assert "the job failed (exit code 1:0, script status 1)" in fetched.stderr
        opened = open_results(twin_sim, site, site["tmp"] / "fetched")
        assert opened.returncode == 0, opened.stderr
        assert not (site["tmp"] / "opened" / "results.h5").exists()
        log = (site["tmp"] / "opened" / "job.log").read_text()
        assert "wrapping token is not valid or does not exist" in log
    finally:
        assert server.stop() == 0


def test_release_with_the_sites_role_and_its_refusals(twin_sim, site):
    server = KeyServer(twin_sim, site["tmp"] / "kms-state")
    try:
        # Arguments: a binding is required, TTLs must let the token outlive its wrapping.
        for arguments, message in (
                ([], "give --bound-cidr"),
                (["--bound-cidr", "10.1.0.0/33"], "is not a CIDR"),
                (["--bound-cidr", "127.0.0.1/32", "--ttl", "1m", "--wrap-ttl", "1h"],
                 "is shorter than --wrap-ttl"),
                (["--role", "r", "--bound-cidr", "127.0.0.1/32"], "exclude each other")):
            result = secure_release(twin_sim, site, server, *arguments)
            assert result.returncode == 2 and message in result.stderr, (arguments, result.stderr)
        # The wrong identity cannot open job-identity.age: nothing reaches the key service.
        other = site["tmp"] / "other.txt"
        assert run([twin_sim, "secure", "keygen", "-o", str(other)]).returncode == 0
        env = dict(os.environ, VAULT_ADDR=server.address, VAULT_CACERT=server.ca,
                   VAULT_TOKEN=server.root_token)
        result = run([twin_sim, "secure", "release", str(site["workstation"]), "-i", str(other),
                      "--bound-cidr", "127.0.0.1/32"], env=env)
        assert result.returncode == 1 and result.stdout == ""
        assert server.audit_log.read_text() == ""
        # A site role (its policy reads every job's key; bound to the nodes).
        policy = site["tmp"] / "site.hcl"
        policy.write_text('path "secret/data/twin-sim/jobs/*" { capabilities = ["read"] }\n')
        assert server.cli("policy", "write", "twin-sim-jobs", str(policy),
                          token=server.root_token).returncode == 0
        assert server.cli("write", "auth/token/roles/site-jobs", "allowed_policies=twin-sim-jobs",
                          "token_bound_cidrs=127.0.0.1/32", "token_num_uses=1",
                          token=server.root_token).returncode == 0
        released = secure_release(twin_sim, site, server, "--role", "site-jobs")
        assert released.returncode == 0, released.stderr
        # The node side's commands: unwrap once, read the key once with the token.
        token = server.cli("unwrap", "-field", "token", released.stdout.strip())
        assert token.returncode == 0, token.stderr
        lookup = server.api("POST", "auth/token/lookup", server.root_token,
                            body={"token": token.stdout})[1]["data"]
        assert lookup["bound_cidrs"] == ["127.0.0.1/32"] and lookup["num_uses"] == 1
        nonce = json.loads((site["workstation"] / "manifest.json").read_text())["job_nonce"]
        key = server.cli("kv", "get", "-field", "identity", f"secret/twin-sim/jobs/{nonce}",
                         token=token.stdout)
        assert key.returncode == 0, key.stderr
        opened = run([twin_sim, "secure", "decrypt", "-i", str(site["identity"]),
                      str(site["workstation"] / "job-identity.age")])
        assert key.stdout == opened.stdout
        again = server.cli("kv", "get", "-field", "identity", f"secret/twin-sim/jobs/{nonce}",
                           token=token.stdout)
        assert again.returncode == 1  # one use
    finally:
        assert server.stop() == 0
