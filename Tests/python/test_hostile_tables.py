"""Hostile population tables (`population.table`): each attack is generated
here and must end `twin-sim run` with exit 2 and a message naming file, line
(CSV) or row (HDF5), column, expected and found, before the run folder is
created. A file that is not a table of the expected shape is refused without
echoing its content."""

import random

import h5py
import numpy as np
import pytest

from conftest import mpirun_env, run

HEADER = "id,sex,age,sbp,total_cholesterol,hdl,bmi\n"
SCENARIO = "name: hostile-table\ntime: {horizon_years: 2}\npopulation:\n  table: {path: %s}\n"


def row(id_="1", age="50", bmi="25", hdl="1.3", sbp="120", sex="female"):
    return f"{id_},{sex},{age},{sbp},5.1,{hdl},{bmi}\n"


def valid_rows(n, first=1):
    return "".join(row(id_=str(first + i), age=str(40 + i % 30)) for i in range(n))


def refuse(twin_sim, tmp_path, content, ranks=None, name="cohort.csv"):
    """Runs a scenario reading `content` (text or bytes) as its table; returns stderr."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO % name)
    output = tmp_path / "out"
    cmd = [twin_sim, "run", str(scenario), "--output", str(output), "--quiet"]
    if ranks:
        cmd = ["mpirun", "-n", str(ranks)] + cmd
    result = run(cmd, cwd=tmp_path, timeout=300, env=mpirun_env())
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    # Refused before anything is written: no run folder, so no results.h5.partial.
    assert not output.exists(), sorted(p.name for p in output.iterdir())
    assert len(result.stderr) < 2000, result.stderr[:2000]
    return result.stderr


# --- 1. Duplicate identifiers -------------------------------------------------

def test_twenty_thousand_rows_with_one_id_are_refused(twin_sim, tmp_path):
    stderr = refuse(twin_sim, tmp_path, HEADER + row(id_="5") * 20000, ranks=2)
    assert ("cohort.csv:3: column 'id': expected unique identifiers; id 5 at line 3 repeats "
            "line 2") in stderr


def test_a_repeat_across_ranks_names_both_lines(twin_sim, tmp_path):
    # Rows 1..400 unique, the last repeats the first: rank 0 holds one, rank 1 the other.
    stderr = refuse(twin_sim, tmp_path, HEADER + valid_rows(400) + row(id_="1"), ranks=2)
    assert ("cohort.csv:402: column 'id': expected unique identifiers; id 1 at line 402 "
            "repeats line 2") in stderr


# --- 2. BMI range and absurd numbers ---------------------------------------------

@pytest.mark.parametrize("bmi", ["-5", "0", "1e300", "1e308", "11.9", "60.1"])
def test_bmi_outside_its_range_is_refused(twin_sim, tmp_path, bmi):
    stderr = refuse(twin_sim, tmp_path, HEADER + valid_rows(3) + row(id_="9", bmi=bmi))
    assert f"cohort.csv:5: bmi: expected kg/m^2 between 12 and 60, found " in stderr


def test_a_million_digit_value_is_refused_without_echo(twin_sim, tmp_path):
    stderr = refuse(twin_sim, tmp_path, HEADER + row(bmi="0." + "0" * 1_000_000))
    assert ("cohort.csv:2: column 'bmi': expected a number, found 1000002 characters "
            "(at most 64)") in stderr


@pytest.mark.parametrize("column,value,expected", [
    ("sbp", "69", "sbp: expected mmHg between 70 and 250, found 69"),
    ("sbp", "251", "sbp: expected mmHg between 70 and 250, found 251"),
    ("hdl", "0.29", "hdl: expected mmol/L between 0.3 and 4, found 0.29"),
    ("age", "121", "age: expected years between 0 and 120, found 121"),
])
def test_every_column_has_the_synthetic_range(twin_sim, tmp_path, column, value, expected):
    stderr = refuse(twin_sim, tmp_path, HEADER + row(**{column: value}))
    assert f"cohort.csv:2: {expected}" in stderr


# --- 3. Decimal numbers only ------------------------------------------------------

@pytest.mark.parametrize("column", ["age", "bmi", "hdl", "id_"])
def test_hexadecimal_is_refused(twin_sim, tmp_path, column):
    stderr = refuse(twin_sim, tmp_path, HEADER + row(**{column: "0x10"}))
    what = "an integer identifier" if column == "id_" else "a number"
    name = column.rstrip("_")
    assert (f"cohort.csv:2: column '{name}': expected {what}, found '0x10' (decimal digits "
            "only: no hexadecimal, inf, nan or overflow)") in stderr


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity", "1e400", "0x1p3", "1_0", "5e",
                                   ".", "+", "1.2.3", "١٠"])
def test_non_decimal_spellings_are_refused(twin_sim, tmp_path, value):
    stderr = refuse(twin_sim, tmp_path, HEADER + row(age=value))
    assert "cohort.csv:2: column 'age': expected a number, found '" in stderr


def test_a_nul_byte_inside_a_field_is_refused(twin_sim, tmp_path):
    stderr = refuse(twin_sim, tmp_path, (HEADER + row(age="10\0 03")).encode())
    assert "cohort.csv:2: column 'age': expected a number, found '10\\0 03'" in stderr


# --- 4. At least one person -------------------------------------------------------

@pytest.mark.parametrize("text", [HEADER, HEADER + "\n\n"])
def test_a_header_only_table_is_refused(twin_sim, tmp_path, text):
    stderr = refuse(twin_sim, tmp_path, text)
    assert ("cohort.csv:2: expected at least one person (a data row after the header row), "
            "found none") in stderr


# --- 5. Files that are not tables: never echoed ------------------------------------

NOT_A_TABLE = ("cohort.csv:1: not a CSV table with a header row naming the columns sex, age, "
               "sbp, total_cholesterol, hdl (line 1 is not of that shape)")
SECRET = "SECRET-MARKER-7f3a"


@pytest.mark.parametrize("content", [
    f"root:$6${SECRET}$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    f"root:$6${SECRET}:19000:0:99999:7:::\n",                   # one line: not "header only"
    f"{SECRET},{SECRET}\n1,2\n",                                 # a duplicate header name
    f"{SECRET},x,y\n1,2\n",                                      # field count off
    f"{SECRET}\n\"unclosed\n",
])
def test_text_that_is_not_a_table_is_not_echoed(twin_sim, tmp_path, content):
    stderr = refuse(twin_sim, tmp_path, content)
    assert NOT_A_TABLE in stderr
    assert SECRET not in stderr


def test_binary_files_are_not_echoed(twin_sim, tmp_path):
    rng = random.Random(3)
    ascii_binary = bytes([0x7F, 0x45, 0x4C, 0x46, 0, 1]) + SECRET.encode() + bytes(
        rng.randrange(0, 128) for _ in range(4000))
    stderr = refuse(twin_sim, tmp_path, ascii_binary)
    assert NOT_A_TABLE in stderr
    assert SECRET not in stderr
    stderr = refuse(twin_sim, tmp_path, bytes(rng.randrange(256) for _ in range(4000))
                    + SECRET.encode())
    assert "cohort.csv: the table is not UTF-8 text" in stderr
    assert SECRET not in stderr


# --- 6. HDF5 tables get the same checks --------------------------------------------

def write_h5(path, n=50, **override):
    with h5py.File(path, "w") as f:
        columns = dict(id=np.arange(n), sex=np.arange(n) % 2, age=np.full(n, 55.0),
                       sbp=np.full(n, 130.0), total_cholesterol=np.full(n, 5.2),
                       hdl=np.full(n, 1.3), bmi=np.full(n, 26.0))
        columns.update(override)
        for name, values in columns.items():
            f[name] = values


def h5_refuse(twin_sim, tmp_path, **override):
    write_h5(tmp_path / "cohort.h5", **override)
    scenario = "name: h5\ntime: {horizon_years: 2}\npopulation:\n  table:\n    path: cohort.h5\n" \
        "    sex_values: {female: \"0\", male: \"1\"}\n"
    (tmp_path / "scenario.yaml").write_text(scenario)
    result = run(["mpirun", "-n", "2", twin_sim, "run", str(tmp_path / "scenario.yaml"),
                  "--output", str(tmp_path / "out"), "--quiet"], cwd=tmp_path, env=mpirun_env())
    return result


def test_hdf5_valid_table_runs(twin_sim, tmp_path):
    result = h5_refuse(twin_sim, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("override,expected", [
    (dict(id=np.r_[np.arange(49), 3]),
     "cohort.h5: row 49: column 'id': expected unique identifiers; id 3 at row 49 repeats row 3"),
    (dict(bmi=np.r_[np.full(49, 26.0), 1e308]),
     "cohort.h5: row 49: bmi: expected kg/m^2 between 12 and 60, found 1e+308"),
    (dict(n=0), "cohort.h5: expected at least one person (datasets of at least one row), "
                "found 0 rows"),
])
def test_hdf5_tables_get_the_same_checks(twin_sim, tmp_path, override, expected):
    result = h5_refuse(twin_sim, tmp_path, **override)
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_hdf5_file_that_is_not_a_table_is_not_echoed(twin_sim, tmp_path):
    with h5py.File(tmp_path / "cohort.h5", "w") as f:
        f[SECRET] = np.arange(5.0)
    (tmp_path / "scenario.yaml").write_text(
        "name: h5\npopulation:\n  table: {path: cohort.h5}\n")
    result = run([twin_sim, "run", str(tmp_path / "scenario.yaml"), "--output",
                  str(tmp_path / "out"), "--quiet"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert ("cohort.h5: not an HDF5 table with one dataset per column named sex, age, sbp, "
            "total_cholesterol, hdl") in result.stderr
    assert SECRET not in result.stderr
    assert not (tmp_path / "out").exists()


# --- Valid tables still run ---------------------------------------------------------

def test_a_valid_table_runs_on_two_ranks(twin_sim, tmp_path):
    (tmp_path / "cohort.csv").write_text(HEADER + valid_rows(40))
    (tmp_path / "scenario.yaml").write_text(SCENARIO % "cohort.csv")
    result = run(["mpirun", "-n", "2", twin_sim, "run", str(tmp_path / "scenario.yaml"),
                  "--output", str(tmp_path / "out"), "--quiet"], cwd=tmp_path, env=mpirun_env())
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "results.h5").exists()
