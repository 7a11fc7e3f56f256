"""`twin-sim run` obeys the scenario's data management plan: it refuses a run
that would break it before anything starts (exit 2, citing the DMP entries)
and turns the run folder of a run under a plan into an RO-Crate."""

import json
import os
import shutil

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


def test_run_under_the_plan_writes_its_provenance_crate(twin_sim):
    shutil.rmtree(RUN_FOLDER, ignore_errors=True)
    env = dict(os.environ, TWIN_SIM_SITE_LOCATION="DE")
    try:
        result = run([twin_sim, "run", str(SCENARIO), "--quiet"], cwd=REPO, env=env)
        assert result.returncode == 0, result.stderr
        crate = json.loads((RUN_FOLDER / "ro-crate-metadata.json").read_text())
        types = [entity.get("@type") for entity in crate["@graph"]]
        assert "CreateAction" in types
        files = {entity["@id"] for entity in crate["@graph"] if entity.get("@type") == "File"}
        assert "results.h5" in files
    finally:
        shutil.rmtree(REPO / "runs" / "dmp-example", ignore_errors=True)
