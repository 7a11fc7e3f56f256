"""`twin-sim run` obeys the scenario's data management plan: it refuses a run
that would break it before anything starts (exit 2, citing the DMP entries)
and turns the run folder of a run under a plan into an RO-Crate."""

import hashlib
import json
import os
import pathlib
import shutil
import urllib.parse

from conftest import REPO, run

SCENARIO = REPO / "scenarios" / "dmp" / "synthetic.yaml"
RUN_FOLDER = REPO / "runs" / "dmp-example" / "simulate"


def test_run_outside_the_plans_sites_is_refused_before_anything_starts(twin_sim, tmp_path):
    env = dict(os.environ, TWIN_SIM_SITE_LOCATION="US")  # not in the plan's allow-list
    result = run([twin_sim, "run", str(SCENARIO), "--output", str(tmp_path / "out")],
                 cwd=REPO, env=env)
    assert result.returncode == 2
    assert "DMP entry /dmp/twin_sim:allowed_geo_locations" in result.stderr
    assert "is not a file of any dataset of the DMP" in result.stderr
    assert not (tmp_path / "out").exists()


def as_list(value):
    return value if isinstance(value, list) else [value]


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_under_the_plan_writes_its_crate_and_catalog_entry(twin_sim, tmp_path):
    shutil.rmtree(RUN_FOLDER, ignore_errors=True)
    env = dict(os.environ, TWIN_SIM_SITE_LOCATION="DE", SLURM_JOB_ID="8088")
    db = tmp_path / "catalog.sqlite"
    try:
        result = run([twin_sim, "run", str(SCENARIO), "--quiet", "--catalog", str(db)],
                     cwd=REPO, env=env)
        assert result.returncode == 0, result.stderr
        assert "warning" not in result.stderr
        crate = json.loads((RUN_FOLDER / "ro-crate-metadata.json").read_text())
        entities = {entity["@id"]: entity for entity in crate["@graph"]}
        action = next(e for e in entities.values() if e.get("@type") == "CreateAction")
        assert {"@id": "results.h5"} in as_list(action["result"])
        assert entities["results.h5"]["sha256"] == sha256(RUN_FOLDER / "results.h5")
        listed = run([twin_sim, "catalog", "list", "--catalog", str(db)])
        assert listed.returncode == 0, listed.stderr
        rows = [line.split("\t") for line in listed.stdout.splitlines()[1:]]
        results = [row for row in rows if row[-1].endswith("simulate/results.h5")]
        assert len(results) == 1
        # dataset, step and Slurm job come from the plan and the environment
        assert results[0][5] == "simulate" and results[0][6] == "8088"
        assert results[0][4] != ""
    finally:
        shutil.rmtree(REPO / "runs" / "dmp-example", ignore_errors=True)


def test_every_complete_run_gets_a_crate_naming_its_inputs(twin_sim, tmp_path):
    scenario = REPO / "scenarios" / "table-cohort.yaml"
    result = run([twin_sim, "run", str(scenario), "--quiet", "--output", str(tmp_path / "r")],
                 cwd=REPO)
    assert result.returncode == 0, result.stderr
    crate = json.loads((tmp_path / "r" / "ro-crate-metadata.json").read_text())
    entities = {entity["@id"]: entity for entity in crate["@graph"]}
    action = next(e for e in entities.values() if e.get("@type") == "CreateAction")
    inputs = [entities[o["@id"]] for o in as_list(action["object"]) if o["@id"].startswith("file:")]
    assert len(inputs) == 1
    table = pathlib.Path(urllib.parse.urlparse(inputs[0]["@id"]).path)
    assert inputs[0]["sha256"] == sha256(table)


def test_failed_run_gets_no_crate(twin_sim, tmp_path):
    env = dict(os.environ, TWIN_SIM_INJECT_FAILURE="0:2")
    result = run([twin_sim, "run", str(REPO / "scenarios" / "quickstart.yaml"), "--quiet",
                  "--output", str(tmp_path / "r")], cwd=REPO, env=env)
    assert result.returncode != 0
    assert not (tmp_path / "r" / "ro-crate-metadata.json").exists()
