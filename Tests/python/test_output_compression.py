"""`output.compression`: no filter by default, deflate when asked, the same
data either way (on any number of ranks), and files that h5py and xarray
(h5netcdf) open in both cases."""

import textwrap

import h5py
import numpy as np
import pytest
import xarray as xr

from conftest import mpirun_env, run

SCENARIO = textwrap.dedent(
    """\
    name: compression-check
    seed: 5
    time: {start_year: 2025, horizon_years: 20}
    population:
      size: 5003
      synthetic: {age: {min: 45, max: 80}, smoking: 0.3}
    models:
      risk_equation: score2
      conditions:
        - name: ihd
          incidence: {gompertz: {a: 0.0004, b: 0.05}}
          prevalence: 0.05
          excess_mortality: 0.03
    arms:
      - name: baseline
      - name: quit
        interventions:
          - {type: smoking, action: stop, from_year: 2027}
    output:
      record: [alive, age, sbp, hdl, smoking, risk10, ihd]
    """
)

# Datasets that carry the filter when compression is deflate: per-person
# series, /person, /persons/* and the events columns (summary datasets and
# the other small ones never do).
def compressible(name):
    parts = name.split("/")
    if name == "person" or parts[0] == "persons":
        return True
    if parts[0] == "arms":
        return len(parts) == 3 or parts[2] == "events"
    return False


def write_scenario(folder, output_lines):
    path = folder / "scenario.yaml"
    path.write_text(SCENARIO + textwrap.indent(output_lines, "  "))
    return path


def launch(twin_sim, scenario, output, ranks=1):
    cmd = [twin_sim, "run", str(scenario), "--output", str(output), "--quiet"]
    if ranks > 1:
        cmd = ["mpirun", "-n", str(ranks)] + (["--oversubscribe"] if ranks > 2 else []) + cmd
    return run(cmd, env=mpirun_env())


def datasets(path):
    """Every dataset of the file by name, read whole."""
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(
            lambda name, obj: found.__setitem__(name, obj[()])
            if isinstance(obj, h5py.Dataset) else None)
    return found


def filters(path):
    """Per dataset: (h5py's compression name, its level, number of filters)."""
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = (obj.compression, obj.compression_opts,
                               obj.id.get_create_plist().get_nfilters())
        f.visititems(visit)
    return found


@pytest.fixture(scope="module")
def results(twin_sim, tmp_path_factory):
    """Runs: default (no key) on 1 rank, none on 3 ranks, deflate level 1 on 2
    ranks, deflate level 6 on 1 rank."""
    folder = tmp_path_factory.mktemp("compression")
    runs = {
        "default": ("", 1),
        "none": ("compression: none\n", 3),
        "deflate": ("compression: deflate\n", 2),
        "deflate6": ("compression: deflate\ncompression_level: 6\n", 1),
    }
    paths = {}
    for label, (lines, ranks) in runs.items():
        (folder / label).mkdir()
        scenario = write_scenario(folder / label, lines)
        result = launch(twin_sim, scenario, folder / label / "out", ranks=ranks)
        assert result.returncode == 0, result.stderr
        paths[label] = folder / label / "out" / "results.h5"
    return paths


def test_default_and_none_write_no_filter(results):
    for label in ("default", "none"):
        found = filters(results[label])
        assert found, label
        for name, (compression, _, count) in found.items():
            assert compression is None and count == 0, (label, name)


def test_deflate_filters_the_per_person_datasets_at_the_chosen_level(results):
    for label, level in (("deflate", 1), ("deflate6", 6)):
        found = filters(results[label])
        filtered = {name for name, (compression, _, _) in found.items() if compression}
        expected = {name for name in found if compressible(name)}
        assert "arms/baseline/sbp" in expected and "persons/age" in expected
        assert "arms/quit/events/time" in expected
        assert filtered == expected, label
        for name in filtered:
            assert found[name][:2] == ("gzip", level), (label, name)


def test_compression_changes_the_file_size_not_the_data(results):
    reference = datasets(results["default"])
    assert len(reference) > 40
    for label in ("none", "deflate", "deflate6"):
        other = datasets(results[label])
        assert other.keys() == reference.keys(), label
        for name, values in reference.items():
            assert other[name].dtype == values.dtype, (label, name)
            assert other[name].tobytes() == values.tobytes(), (label, name)
    sizes = {label: path.stat().st_size for label, path in results.items()}
    assert sizes["deflate"] < 0.8 * sizes["none"]
    assert sizes["deflate6"] <= sizes["deflate"]


def test_xarray_opens_compressed_and_uncompressed_files(results):
    for label in ("default", "deflate"):
        arm = xr.open_dataset(results[label], engine="h5netcdf", group="arms/quit")
        assert arm["sbp"].dims == ("person", "time")
        assert arm["sbp"].shape == (5003, 21)
        events = xr.open_dataset(results[label], engine="h5netcdf", group="arms/quit/events")
        assert events["kind"].dims == ("event",)
        persons = xr.open_dataset(results[label], engine="h5netcdf", group="persons")
        # age at time point 0 is the age at the start (series in float32)
        np.testing.assert_allclose(arm["age"].values[:, 0], persons["age"].values, rtol=1e-6)


@pytest.mark.parametrize(
    "lines, message",
    [
        ("compression: zstd\n", "output.compression: expected"),
        ("compression_level: 3\n",
         "output.compression_level: expected 'compression_level' only with "
         "'compression: deflate', found it with compression 'none'"),
        ("compression: deflate\ncompression_level: 0\n",
         "output.compression_level: expected an integer between 1 and 9, found 0"),
    ],
)
def test_bad_compression_settings_exit_2_and_write_nothing(twin_sim, tmp_path, lines, message):
    scenario = write_scenario(tmp_path, lines)
    result = launch(twin_sim, scenario, tmp_path / "out")
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "out" / "results.h5").exists()


def test_deflate_checkpoint_and_resume_on_another_rank_count_keeps_the_data(
        twin_sim, results, tmp_path):
    # The deflate series are buffered over up to 16 time points: a checkpoint
    # must write what is buffered, and a resume go on from there.
    scenario = write_scenario(tmp_path, "compression: deflate\n")
    output = tmp_path / "out"
    env = mpirun_env()
    env["TWIN_SIM_INJECT_FAILURE"] = "1:10"
    failed = run(["mpirun", "-n", "2", twin_sim, "run", str(scenario), "--output", str(output),
                  "--quiet", "--checkpoint-every", "4"], env=env, timeout=300)
    assert failed.returncode != 0 and "injected failure" in failed.stderr
    assert sorted(output.glob("checkpoint-*.json"))
    resumed = run([twin_sim, "run", str(scenario), "--output", str(output), "--quiet",
                   "--resume"], env=mpirun_env(), timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    reference = datasets(results["default"])
    other = datasets(output / "results.h5")
    assert other.keys() == reference.keys()
    for name, values in reference.items():
        assert other[name].tobytes() == values.tobytes(), name
    assert filters(output / "results.h5")["arms/baseline/sbp"][:2] == ("gzip", 1)
