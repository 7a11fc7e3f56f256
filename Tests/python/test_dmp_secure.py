"""A data management plan together with secure jobs (docs/dmp.md, "Secure runs"):
the clinic cohort (scenarios/dmp/cohort.yaml, step secure-simulate of
scenarios/dmp/plan.json, personal data) is refused as a plain run but runs as a
secure job, whose crate and catalog entry describe only the ciphertexts.

The job runs without Slurm as in test_secure_node.py: `secure prolog`, the
signed job.sbatch under bash with Slurm's variables set by the test, `secure
epilog`, then `secure fetch`/`open` on the "workstation". hashlib computes the
reference checksums; rocrate-validator (offline) judges the crate.
"""

import hashlib
import json
import os
import shutil
import sqlite3

import pytest

from conftest import REPO, run
from dmp_support import validate_crate
from test_secure_node import (NODE, deliver_key, epilog, fetch, job, open_results, prolog,
                              user_and_node)

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None or shutil.which("mpirun") is None,
    reason="needs openssh-client and openmpi-bin (scripts/setup)")

COHORT = REPO / "scenarios" / "dmp" / "cohort.yaml"
PLAN = REPO / "scenarios" / "dmp" / "plan.json"
RESULTS_DATASET = "urn:uuid:45c48cce-2e2d-4fbd-b5d3-6e7f8a9b0c63"
SITE = {"TWIN_SIM_SOFTWARE_URL": "https://hpc.example.org/software/twin-sim",
        "TWIN_SIM_PUBLISHER_NAME": "Example HPC Centre",
        "TWIN_SIM_PUBLISHER_URL": "https://hpc.example.org/",
        "TWIN_SIM_AGENT_AFFILIATION_NAME": "Example University",
        "TWIN_SIM_AGENT_AFFILIATION_URL": "https://university.example.org/"}


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def secure_site(twin_sim, tmp_path):
    """A user and a node as in test_secure_node.py; the bundle of the cohort
    scenario is packed where the plan declares the secure results
    (runs/dmp-example/secure-simulate*), the node is in DE."""
    (user_key, node_key, user, signers, node_signers, identity, recipient,
     node_tmp) = user_and_node(twin_sim, tmp_path)
    bundle = REPO / "runs" / "dmp-example" / f"secure-simulate-pytest-{os.getpid()}"
    shutil.rmtree(bundle, ignore_errors=True)
    bundle.parent.mkdir(parents=True, exist_ok=True)
    packed = run([twin_sim, "secure", "pack", str(COHORT), "-o", str(bundle), "-r", recipient,
                  "--sign-key", str(user_key), "--node-tmp", str(node_tmp)])
    assert packed.returncode == 0, packed.stderr
    workstation = tmp_path / "workstation-copy"
    shutil.copytree(bundle, workstation)
    job_env = tmp_path / "job.env"
    job_env.write_text("TWIN_SIM_LAUNCH=mpirun\nTWIN_SIM_KEY_DELIVERY=identity-file\n"
                       "export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1\n"
                       "export TWIN_SIM_SITE_LOCATION=DE\n")
    yield {"tmp": tmp_path, "bundle": bundle, "workstation": workstation, "user": user,
           "signers": signers, "node_signers": node_signers, "node_key": node_key,
           "identity": identity, "node_tmp": node_tmp, "records": tmp_path / "records",
           "job_env": job_env}
    shutil.rmtree(bundle, ignore_errors=True)


def run_secure_job(twin_sim, site, **job_env):
    assert prolog(twin_sim, site).returncode == 0
    ran = job(site, key=deliver_key(twin_sim, site), **job_env)
    done = epilog(twin_sim, site, exit_code="0:0" if ran.returncode == 0 else f"{ran.returncode}:0")
    assert done.returncode == 0, done.stderr
    return ran


def test_the_cohort_is_refused_as_a_plain_run(twin_sim, tmp_path):
    output = REPO / "runs" / "dmp-example" / "secure-simulate"
    assert not output.exists()
    result = run([twin_sim, "run", str(COHORT), "--quiet"], cwd=REPO,
                 env=dict(os.environ, TWIN_SIM_SITE_LOCATION="DE"))
    assert result.returncode == 2
    assert "must be written encrypted (a secure run)" in result.stderr
    assert "DMP entry /dmp/dataset/2/personal_data" in result.stderr
    assert not output.exists()


def test_an_encrypted_output_run_passes_the_plan_and_writes_no_plaintext_crate(
        twin_sim, tmp_path):
    # What the job script runs on the node: the output is the published ciphertext.
    published = REPO / "runs" / "dmp-example" / "secure-simulate-x" / "results" / "results.h5.age"
    db = tmp_path / "catalog.sqlite"
    env = dict(os.environ, TWIN_SIM_SITE_LOCATION="DE", TWIN_SIM_CATALOG=str(db))
    folder = tmp_path / "run"
    result = run([twin_sim, "run", str(COHORT), "--quiet", "--output", str(folder),
                  "--encrypted-output", "--published-as", str(published)], cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    assert (folder / "results.h5").exists()
    assert not (folder / "ro-crate-metadata.json").exists() and not db.exists()
    # dmp check judges the same: encrypted and published there, the run may start ...
    check = [twin_sim, "dmp", "check", str(COHORT), "--published-as", str(published)]
    allowed = run(check + ["--encrypted-output"], cwd=REPO, env=env)
    assert allowed.returncode == 0, allowed.stderr
    # ... and --published-as alone is not a secure run.
    for alone in (run(check, cwd=REPO, env=env),
                  run([twin_sim, "run", str(COHORT), "--published-as", str(published)], env=env)):
        assert alone.returncode != 0
        assert "--published-as goes with --encrypted-output" in alone.stderr


def test_pack_refuses_a_bundle_the_plan_does_not_allow(twin_sim, tmp_path):
    key = tmp_path / "id"
    assert run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)]).returncode == 0
    recipient = run([twin_sim, "secure", "keygen", "-o", str(tmp_path / "u.txt")]).stdout.strip()
    elsewhere = tmp_path / "job-elsewhere"
    result = run([twin_sim, "secure", "pack", str(COHORT), "-o", str(elsewhere), "-r", recipient,
                  "--sign-key", str(key)])
    assert result.returncode == 2
    assert "results/results.h5.age' is not a file of any dataset of the DMP" in result.stderr
    assert "not packed" in result.stderr
    assert not elsewhere.exists()


def test_secure_job_crate_and_catalog_describe_only_ciphertexts(twin_sim, secure_site, tmp_path):
    site = secure_site
    bundle = site["bundle"]
    manifest = json.loads((bundle / "manifest.json").read_text())
    # The plan travels encrypted beside the scenario, in the scenario's own tree.
    names = {f["path"] for f in manifest["files"]}
    assert {"inputs/dmp/cohort.yaml.age", "inputs/dmp/plan.json.age",
            "inputs/data/cohort-example.csv.age"} <= names
    script = (bundle / "job.sbatch").read_text()
    assert "--encrypted-output --published-as" in script
    # The submitter's site location is ignored (the node's site.env says DE).
    ran = run_secure_job(twin_sim, site, TWIN_SIM_SITE_LOCATION="US")
    assert ran.returncode == 0, ran.stderr
    results = bundle / "results"
    assert (results / "results.h5.age").exists()
    assert fetch(twin_sim, site).returncode == 0
    fetched = site["tmp"] / "fetched"
    opened = open_results(twin_sim, site, fetched)
    assert opened.returncode == 0, opened.stderr
    plaintext = site["tmp"] / "opened" / "results.h5"
    plaintext_sha = sha256(plaintext)
    log = (site["tmp"] / "opened" / "job.log").read_text()
    assert "error" not in log, log

    env = dict(os.environ, **SITE)
    crate_run = run([twin_sim, "provenance", str(fetched), "--bundle", str(site["workstation"]),
                     "--node-signers", str(site["node_signers"])], env=env)
    assert crate_run.returncode == 0, crate_run.stderr
    crate_text = (fetched / "ro-crate-metadata.json").read_text()
    assert plaintext_sha not in crate_text
    entities = {e["@id"]: e for e in json.loads(crate_text)["@graph"]}
    action = next(e for e in entities.values() if e.get("@type") == "CreateAction")
    result_ids = sorted(r["@id"] for r in action["result"])
    assert result_ids == ["job.log.age", "results.h5.age"]
    signed = json.loads((fetched / "output-manifest.json").read_text())
    for entity in (e for e in entities.values() if "sha256" in e):
        data = (fetched / entity["@id"]).read_bytes()
        assert entity["sha256"] == hashlib.sha256(data).hexdigest(), entity["@id"]
        assert entity["contentSize"] == str(len(data))
    assert {o["path"]: o["sha256"] for o in signed["outputs"]} == {
        i: entities[i]["sha256"] for i in result_ids}
    assert action["identifier"] == "slurm:41"
    assert action["actionStatus"] == "http://schema.org/CompletedActionStatus"
    assert action["startTime"].endswith("+00:00") and action["endTime"].endswith("+00:00")
    environment = {entities[r["@id"]]["name"]: entities[r["@id"]]["value"]
                   for r in action["environment"]}
    assert environment["SLURM_JOB_ID"] == "41" and environment["SLURM_JOB_NODELIST"] == NODE
    assert environment["twin_sim_job_nonce"] == manifest["job_nonce"]
    for level in ("required", "recommended"):
        report = validate_crate(fetched, "process-run-crate-0.5", level,
                                tmp_path / f"report-{level}.json")
        assert report["passed"], json.dumps(report["issues"], indent=1)

    # The published folder (results/ of the bundle, its parent by default) in the catalog.
    db = tmp_path / "catalog.sqlite"
    added = run([twin_sim, "catalog", "add", str(results), "--dmp", str(PLAN),
                 "--node-signers", str(site["node_signers"]), "--catalog", str(db)])
    assert added.returncode == 0, added.stderr
    shown = run([twin_sim, "catalog", "show", str(results / "results.h5.age"),
                 "--catalog", str(db)])
    fields = dict(line.split(": ", 1) for line in shown.stdout.splitlines()
                  if not line.startswith("action:"))
    assert fields["encrypted"] == "yes" and fields["dataset"] == RESULTS_DATASET
    assert fields["step"] == "secure-simulate" and fields["slurm_job"] == "41"
    assert fields["sha256"] == sha256(results / "results.h5.age")
    assert fields["after_expiry"] == "archive" and fields["retention_until"] != "-"
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT path, sha256, encrypted FROM product").fetchall()
        dump = "\n".join(connection.iterdump())
    assert plaintext_sha not in dump
    by_name = {os.path.basename(path): (digest, encrypted) for path, digest, encrypted in rows}
    assert by_name["results.h5.age"][1] == 1 and by_name["job.log.age"][1] == 1
    assert by_name["output-manifest.json"][1] == 0
    assert run([twin_sim, "catalog", "verify", "--catalog", str(db)]).returncode == 0


def test_secure_results_are_verified_before_they_are_described(twin_sim, secure_site, tmp_path):
    site = secure_site
    assert run_secure_job(twin_sim, site).returncode == 0
    results = site["bundle"] / "results"
    unsigned = run([twin_sim, "provenance", str(results)])
    assert unsigned.returncode == 2 and "--node-signers" in unsigned.stderr
    changed = tmp_path / "changed"
    shutil.copytree(results, changed)
    with open(changed / "results.h5.age", "ab") as handle:
        handle.write(b"\0")
    refused = run([twin_sim, "catalog", "add", str(changed), "--bundle", str(site["workstation"]),
                   "--node-signers", str(site["node_signers"]), "--catalog",
                   str(tmp_path / "c.sqlite")])
    assert refused.returncode == 1 and "results.h5.age: SHA-256 differs" in refused.stderr
    assert not (changed / "ro-crate-metadata.json").exists()


def test_a_secure_job_outside_the_plans_sites_is_refused_on_the_node(twin_sim, secure_site):
    site = secure_site
    site["job_env"].write_text(
        site["job_env"].read_text().replace("TWIN_SIM_SITE_LOCATION=DE", "TWIN_SIM_SITE_LOCATION=US"))
    # The submitter claims DE: the job ignores it and uses the node's site.env.
    ran = run_secure_job(twin_sim, site, TWIN_SIM_SITE_LOCATION="DE")
    assert ran.returncode == 2
    # No result was produced or published; only the encrypted log.
    published = sorted(p for p in os.listdir(site["bundle"] / "results")
                       if not p.startswith("slurm"))
    assert published == ["job.log.age", "output-manifest.json", "output-manifest.json.sig"]
    assert os.listdir(site["node_tmp"]) == []
    fetched = fetch(twin_sim, site)
    assert fetched.returncode == 1 and "the job failed" in fetched.stderr
    opened = open_results(twin_sim, site, site["tmp"] / "fetched")
    assert opened.returncode == 0, opened.stderr
    log = (site["tmp"] / "opened" / "job.log").read_text()
    assert "this site is in US, which the DMP does not allow" in log
    assert "it would break its data management plan" in log
