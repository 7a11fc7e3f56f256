"""Every example scenario's results.h5 opens whole with xarray's
`open_datatree(path, engine="h5netcdf")`: every dataset has named dimensions
with coordinates (dimension scales), /parameters/values included.

Each scenario under scenarios/ runs as written, only smaller (population.size
at most 300, horizon at most 5 years; arms, conditions, uncertainty and
physiology unchanged). scenarios/dmp/synthetic.yaml runs under its data
management plan (site DE); scenarios/dmp/cohort.yaml runs without its `dmp`
section, because its plan allows it only as a secure job with encrypted
outputs (docs/dmp.md). An edge case adds a run on 2 ranks with deflate and no
event at all.
"""

import re
import shutil
import textwrap

import h5py
import numpy as np
import pytest
import xarray as xr
import yaml

from conftest import REPO, mpirun_env, run

SCENARIOS = REPO / "scenarios"
MAX_PERSONS = 300
MAX_HORIZON = 5
# Scenarios with a data management plan: run under it, or without it and why.
UNDER_PLAN = {"dmp/synthetic.yaml"}
WITHOUT_PLAN = {"dmp/cohort.yaml": "its plan allows it only as a secure job (encrypted outputs)"}

EDGE_SCENARIO = textwrap.dedent(
    """\
    name: datatree-edge
    seed: 3
    time: {start_year: 2025, horizon_years: 1}
    population:
      size: 2
      synthetic: {age: {min: 40, max: 41}}
    models: {risk_equation: none}
    arms:
      - name: baseline
      - name: quit
        interventions:
          - {type: smoking, action: stop}
    output:
      record: [alive, age]
      compression: deflate
    """
)


def example_scenarios():
    names = [path.name for path in sorted(SCENARIOS.glob("*.yaml"))]
    planned = [f"dmp/{path.name}" for path in sorted((SCENARIOS / "dmp").glob("*.yaml"))]
    return names + planned


def test_every_scenario_with_a_plan_is_accounted_for():
    planned = {name for name in example_scenarios() if name.startswith("dmp/")}
    assert planned == UNDER_PLAN | set(WITHOUT_PLAN)


def shrink(text):
    """The scenario text with a smaller population and horizon, comments kept."""
    text = re.sub(r"^(\s+size:\s*)(\d+)", lambda m: m[1] + str(min(int(m[2]), MAX_PERSONS)),
                  text, count=1, flags=re.M)
    return re.sub(r"^(\s+horizon_years:\s*)(\d+)",
                  lambda m: m[1] + str(min(int(m[2]), MAX_HORIZON)), text, count=1, flags=re.M)


@pytest.fixture(scope="module")
def scenario_tree(tmp_path_factory):
    """A copy of scenarios/ (with its population tables and plan) to run from."""
    folder = tmp_path_factory.mktemp("datatree")
    shutil.copytree(SCENARIOS, folder / "scenarios")
    return folder


@pytest.fixture(scope="module", params=example_scenarios())
def example_result(request, twin_sim, scenario_tree):
    name = request.param
    path = scenario_tree / "scenarios" / name
    text = shrink(path.read_text())
    if name in WITHOUT_PLAN:
        text = re.sub(r"^dmp:\n(?:[ #].*\n|\n)*", "", text, flags=re.M)
    path.write_text(text)
    scenario = yaml.safe_load(text)
    assert ("dmp" in scenario) == (name in UNDER_PLAN)
    size = scenario["population"].get("size")
    assert size is None or size <= MAX_PERSONS
    assert scenario["time"]["horizon_years"] <= MAX_HORIZON
    env = mpirun_env()
    if name in UNDER_PLAN:
        # The plan's datasets live under runs/dmp-example/ next to scenarios/.
        output = scenario_tree / scenario["output"]["dir"]
        env["TWIN_SIM_SITE_LOCATION"] = "DE"
    else:
        output = scenario_tree / "runs" / name.replace("/", "-").removesuffix(".yaml")
    result = run([twin_sim, "run", str(path), "--output", str(output), "--quiet"],
                 cwd=scenario_tree, env=env)
    assert result.returncode == 0, result.stderr
    return output / "results.h5"


@pytest.fixture(scope="module")
def edge_result(twin_sim, tmp_path_factory):
    folder = tmp_path_factory.mktemp("datatree-edge")
    (folder / "edge.yaml").write_text(EDGE_SCENARIO)
    result = run(["mpirun", "-n", "2", twin_sim, "run", str(folder / "edge.yaml"), "--output",
                  str(folder / "out"), "--quiet"], env=mpirun_env())
    assert result.returncode == 0, result.stderr
    return folder / "out" / "results.h5"


def check_datatree(path):
    """Opens the whole file as a DataTree and checks every group's dimensions
    and coordinates against h5py's reading of the same datasets."""
    tree = xr.open_datatree(path, engine="h5netcdf")
    with h5py.File(path, "r") as f:
        person = f["person"][...]
        time = f["time"][...]
        realisation = f["realisation"][...]
        # Root coordinates.
        np.testing.assert_array_equal(tree["person"].values, person)
        np.testing.assert_array_equal(tree["time"].values, time)
        np.testing.assert_array_equal(tree["realisation"].values, realisation)

        # /parameters/values: [realisation, parameter], both with coordinates.
        values = tree["parameters"]["values"]
        stored = f["parameters/values"]
        names = stored.attrs["names"].split(",") if stored.attrs["names"] else []
        assert values.dims == ("realisation", "parameter")
        assert values.shape == stored.shape == (len(realisation), len(names))
        np.testing.assert_array_equal(values["realisation"].values, realisation)
        assert values["parameter"].values.tolist() == names
        assert f["parameters/parameter"].asstr()[...].tolist() == names
        assert values.values.tobytes() == stored[...].tobytes()
        if names:
            first = values.sel(parameter=names[0]).values
            np.testing.assert_array_equal(first, stored[:, 0])

        # /persons/*: [person].
        persons = tree["persons"]
        assert set(persons.data_vars) == set(f["persons"])
        for name, variable in persons.data_vars.items():
            assert variable.dims == ("person",), name
            np.testing.assert_array_equal(variable["person"].values, person)

        for arm in f.attrs["arms"].split(","):
            node = tree["arms"][arm]
            group = f["arms"][arm]
            series = {name for name, obj in group.items() if isinstance(obj, h5py.Dataset)}
            assert series and set(node.data_vars) == series
            for name in series:
                variable = node[name]
                assert variable.dims == ("person", "time"), (arm, name)
                np.testing.assert_array_equal(variable["person"].values, person)
                np.testing.assert_array_equal(variable["time"].values, time)
            for name, variable in node["summary"].data_vars.items():
                assert variable.dims == ("realisation", "time"), (arm, name)
                np.testing.assert_array_equal(variable["realisation"].values, realisation)
                np.testing.assert_array_equal(variable["time"].values, time)
            for name, variable in node["summary_statistics"].data_vars.items():
                assert variable.dims == ("time",), (arm, name)
                np.testing.assert_array_equal(variable["time"].values, time)
            # The events' columns person and time share their names with the
            # root coordinates, which a DataTree node inherits and which then
            # take their place: read the events without inheritance.
            events = node["events"].to_dataset(inherit=False)
            rows = group["events/kind"].shape[0]
            assert events.sizes["event"] == rows
            np.testing.assert_array_equal(events["event"].values, np.arange(rows))
            for name in ("person", "time", "kind"):
                assert events[name].dims == ("event",), (arm, name)
                assert events[name].values.tobytes() == group["events"][name][...].tobytes()

    # No other local variable is hidden by an inherited coordinate of its name.
    for node in tree.subtree:
        local = node.to_dataset(inherit=False)
        hidden = (set(node.coords) - set(local.coords)) & set(local.data_vars)
        allowed = {"person", "time"} if node.name == "events" else set()
        assert hidden <= allowed, (node.path, hidden)
    return tree


def test_open_datatree_reads_every_example_scenario(example_result):
    check_datatree(example_result)


def test_open_datatree_reads_a_file_without_events_written_by_two_ranks(edge_result):
    tree = check_datatree(edge_result)
    assert tree["arms"]["baseline"]["events"].sizes["event"] == 0
    with h5py.File(edge_result, "r") as f:
        assert f["arms/baseline/events/kind"].shape == (0,)
        assert int(f.attrs["mpi_ranks"]) == 2

