"""`twin-sim catalog add|list|show|verify` and `twin-sim dmp lifecycle`."""

import datetime
import hashlib
import json
import os
import shutil

import h5py
import pytest

from conftest import run
from dmp_support import REPO, schema_errors, without_plan

SYNTHETIC = REPO / "scenarios" / "dmp" / "synthetic.yaml"
COHORT = REPO / "scenarios" / "dmp" / "cohort.yaml"


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def created(folder):
    with h5py.File(folder / "results.h5", "r") as h5:
        text = h5.attrs["created"]
    text = text.decode() if isinstance(text, bytes) else str(text)
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture()
def setup(twin_sim, tmp_path):
    """Two runs (steps simulate and secure-simulate), a DMP whose paths point at
    them (results kept 365 days then deleted; cohort results 3650 days then
    archived), and a catalog holding both."""
    runs = tmp_path / "runs"
    for name, scenario in (("simulate-1", SYNTHETIC), ("secure-simulate-1", COHORT)):
        copy = without_plan(scenario, tmp_path / "scenarios")
        result = run([twin_sim, "run", str(copy), "--output", str(runs / name), "--quiet"],
                     cwd=REPO)
        assert result.returncode == 0, result.stderr
    plan = json.loads((REPO / "scenarios" / "dmp" / "plan.json").read_text())
    datasets = plan["dmp"]["dataset"]
    datasets[1]["distribution"][0]["twin_sim:path"] = str(runs / "simulate-*" / "results.h5")
    datasets[2]["distribution"][0]["twin_sim:path"] = str(
        runs / "secure-simulate-*" / "results.h5")
    datasets[2]["twin_sim:retention"]["archive_location"] = str(tmp_path / "archive")
    datasets[2]["twin_sim:checksum_identifiers"] = True
    assert schema_errors(plan) == []
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan, indent=2))
    db = tmp_path / "catalog.sqlite"
    env = dict(os.environ, SLURM_JOB_ID="5150")
    for name in ("simulate-1", "secure-simulate-1"):
        extra = ["--encrypted"] if name.startswith("secure") else []
        added = run([twin_sim, "catalog", "add", str(runs / name), "--dmp", str(plan_file),
                     "--catalog", str(db), *extra], env=env)
        assert added.returncode == 0, added.stderr
    return {"runs": runs, "db": db, "plan": plan_file, "archive": tmp_path / "archive"}


def catalog(twin_sim, db, *args):
    return run([twin_sim, "catalog", *args, "--catalog", str(db)])


def listed(twin_sim, db):
    result = catalog(twin_sim, db, "list")
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    return [dict(zip(header, row)) for row in rows]


def test_list_records_dataset_step_job_size_and_retention(twin_sim, setup):
    rows = {row["path"]: row for row in listed(twin_sim, setup["db"])}
    result = setup["runs"] / "simulate-1" / "results.h5"
    row = rows[str(result)]
    assert row["dataset"] == "urn:uuid:8f14e45f-ceea-467f-9d5f-2b6a0c1d3e41"
    assert row["step"] == "simulate"
    assert row["slurm_job"] == "5150"
    assert int(row["size_bytes"]) == result.stat().st_size
    expected = created(setup["runs"] / "simulate-1") + datetime.timedelta(days=365)
    assert datetime.datetime.fromisoformat(row["retention_until"]) == expected.replace(
        microsecond=0)
    scenario = setup["runs"] / "secure-simulate-1" / "scenario.yaml"
    assert rows[str(scenario)]["step"] == "secure-simulate"


def test_show_gives_checksum_of_the_bytes_and_encryption(twin_sim, setup):
    path = setup["runs"] / "secure-simulate-1" / "results.h5"
    result = catalog(twin_sim, setup["db"], "show", str(path))
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines()
                  if not line.startswith("action: "))
    assert fields["sha256"] == sha256(path)
    assert fields["encrypted"] == "yes"
    assert fields["state"] == "present"
    assert "register" in result.stdout


def test_verify_reports_missing_and_changed_files(twin_sim, setup):
    ok = catalog(twin_sim, setup["db"], "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    folder = setup["runs"] / "simulate-1"
    with open(folder / "run.log", "ab") as log:
        log.write(b"edited\n")
    (folder / "scenario.yaml").unlink()
    bad = catalog(twin_sim, setup["db"], "verify")
    assert bad.returncode == 1
    assert f"changed: {folder / 'run.log'}" in bad.stdout
    assert f"expected sha256" in bad.stdout
    assert f"missing: {folder / 'scenario.yaml'}" in bad.stdout


def test_lifecycle_lists_without_changing_then_deletes_and_archives(twin_sim, setup):
    db = setup["db"]
    start = created(setup["runs"] / "simulate-1")
    after_one_year = (start + datetime.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = db.read_bytes()
    files = sorted(p for p in setup["runs"].rglob("*") if p.is_file())
    listing = run([twin_sim, "dmp", "lifecycle", "--as-of", after_one_year,
                   "--catalog", str(db)])
    assert listing.returncode == 0, listing.stderr
    expired = [line.split("\t") for line in listing.stdout.strip().splitlines()]
    assert {row[3] for row in expired} == {
        str(p) for p in (setup["runs"] / "simulate-1").iterdir()
        if p.is_file() and not p.name.startswith(".")}
    assert {row[1] for row in expired} == {"delete"}
    assert db.read_bytes() == before
    assert sorted(p for p in setup["runs"].rglob("*") if p.is_file()) == files

    applied = run([twin_sim, "dmp", "lifecycle", "--apply", "--as-of", after_one_year,
                   "--catalog", str(db)])
    assert applied.returncode == 0, applied.stderr
    assert not (setup["runs"] / "simulate-1" / "results.h5").exists()
    assert (setup["runs"] / "secure-simulate-1" / "results.h5").exists()
    shown = catalog(twin_sim, db, "show", str(setup["runs"] / "simulate-1" / "results.h5"))
    assert "state: deleted" in shown.stdout and " delete deleted" in shown.stdout

    secure = setup["runs"] / "secure-simulate-1" / "results.h5"
    digest = sha256(secure)
    after_ten_years = (start + datetime.timedelta(days=3700)).strftime("%Y-%m-%dT%H:%M:%SZ")
    archived = run([twin_sim, "dmp", "lifecycle", "--apply", "--as-of", after_ten_years,
                    "--catalog", str(db)])
    assert archived.returncode == 0, archived.stderr
    target = setup["archive"] / "secure-simulate-1" / "results.h5"
    assert not secure.exists() and sha256(target) == digest
    shown = catalog(twin_sim, db, "show", str(secure))
    assert "state: archived" in shown.stdout and f"archived_path: {target}" in shown.stdout
    # Nothing left to do: applying again changes nothing.
    again = run([twin_sim, "dmp", "lifecycle", "--apply", "--as-of", after_ten_years,
                 "--catalog", str(db)])
    assert again.returncode == 0 and again.stdout == ""


def test_dmp_update_writes_catalog_facts_into_a_valid_new_version(twin_sim, setup):
    plan_file = setup["plan"]
    original = plan_file.read_bytes()
    result = run([twin_sim, "dmp", "update", "--dmp", str(plan_file),
                  "--catalog", str(setup["db"])])
    assert result.returncode == 0, result.stderr
    kept = plan_file.with_name(plan_file.name + ".v1")
    assert kept.read_bytes() == original
    old, new = json.loads(original), json.loads(plan_file.read_text())
    assert schema_errors(new) == []
    assert run([twin_sim, "dmp", "validate", str(plan_file)]).returncode == 0
    assert new["dmp"]["created"] == old["dmp"]["created"]
    assert new["dmp"]["modified"] != old["dmp"]["modified"]
    assert new["dmp"]["modified"].endswith("Z")

    results = setup["runs"] / "simulate-1" / "results.h5"
    distribution = new["dmp"]["dataset"][1]["distribution"][0]
    assert distribution["byte_size"] == results.stat().st_size
    assert "application/x-hdf5" in distribution["format"]
    assert distribution["twin_sim:files"] == [{
        "path": str(results), "sha256": sha256(results), "byte_size": results.stat().st_size,
        "created": distribution["twin_sim:files"][0]["created"], "slurm_job": "5150"}]
    assert new["dmp"]["dataset"][1]["issued"] == created(results.parent).date().isoformat()
    assert "alternate_identifier" not in new["dmp"]["dataset"][1]

    secure = setup["runs"] / "secure-simulate-1" / "results.h5"
    identifiers = new["dmp"]["dataset"][2]["alternate_identifier"]
    assert {"identifier": f"sha256:{sha256(secure)}", "type": "other"} in identifiers
    # The input dataset has no catalogued files: unchanged.
    assert new["dmp"]["dataset"][0] == old["dmp"]["dataset"][0]

    again = run([twin_sim, "dmp", "update", "--dmp", str(plan_file),
                 "--catalog", str(setup["db"])])
    assert again.returncode == 0, again.stderr
    assert plan_file.with_name(plan_file.name + ".v2").exists()
    assert schema_errors(json.loads(plan_file.read_text())) == []
