"""Multi-rank MPI and parallel HDF5, checked from outside.

Launches `mpirun -n 1`, `-n 2` and `-n 4 --oversubscribe` with
`twin-sim selftest`, which writes one chunked, deflate-compressed HDF5 file
collectively from all ranks (one rank with zero rows), and reads the file back
with h5py, checking every value against the formulas documented in
Sources/TwinRun/InstallationCheck.swift.
"""

import numpy as np
import h5py
import pytest

from conftest import mpirun_env, run


def launch(twin_sim, ranks, output, extra=()):
    cmd = ["mpirun", "-n", str(ranks)]
    if ranks > 2:
        cmd.append("--oversubscribe")
    cmd += [twin_sim, "selftest", "--keep", "--output", str(output), *extra]
    return run(cmd, env=mpirun_env())


def expected_rows(total):
    rows = np.arange(total)
    matrix = rows[:, None] + np.arange(4)[None, :] / 8.0
    return rows, matrix


@pytest.mark.parametrize(
    "ranks, extra, rows_per_rank",
    [
        (1, ["--rows", "500"], [500]),
        (2, ["--rows", "1001"], [1001, 0]),
        (4, ["--rows", "10"], [4, 3, 3, 0]),
        (4, ["--rows-per-rank", "3,0,130,2"], [3, 0, 130, 2]),
    ],
)
def test_collective_compressed_write_reads_back_exactly(
    twin_sim, tmp_path, ranks, extra, rows_per_rank
):
    output = tmp_path / f"selftest-{ranks}.h5"
    result = launch(twin_sim, ranks, output, extra)
    assert result.returncode == 0, result.stderr
    assert "selftest: ok" in result.stdout
    total = sum(rows_per_rank)
    rows, matrix = expected_rows(total)
    with h5py.File(output, "r") as f:
        assert f.attrs["status"] == "complete"
        assert int(f.attrs["mpi_ranks"]) == ranks
        assert list(f.attrs["rows_per_rank"]) == rows_per_rank
        assert 0 in rows_per_rank or ranks == 1
        np.testing.assert_array_equal(f["row"][...], rows)
        np.testing.assert_array_equal(f["check/float64"][...], matrix)
        assert f["check/float64"].dtype == np.dtype("<f8")
        np.testing.assert_array_equal(f["check/float32"][...], matrix.astype(np.float32))
        np.testing.assert_array_equal(f["check/int64"][...], rows * rows - 7)
        np.testing.assert_array_equal(f["check/int32"][...], -rows)
        np.testing.assert_array_equal(f["check/uint8"][...], rows % 251)
        for name in ["float64", "float32", "int64", "int32", "uint8"]:
            dataset = f["check"][name]
            assert dataset.compression == "gzip", name
            assert dataset.chunks is not None, name
            assert dataset.dims[0][0].name == "/row", name


def test_rows_per_rank_must_match_the_job(twin_sim, tmp_path):
    output = tmp_path / "bad.h5"
    result = launch(twin_sim, 2, output, ["--rows-per-rank", "5"])
    assert result.returncode == 2
    assert "--rows-per-rank needs 2 non-negative integers" in result.stderr
    assert not output.exists()
