"""Every DMP twin-sim reads or writes validates against the official maDMP
schemas 1.1 and 1.2 (jsonschema with format checking), and twin-sim's own
validator accepts them and reports errors with JSON pointers."""

import copy
import json

import pytest

from conftest import run
from dmp_support import REPO, schema_errors, standards_dir

PLANS = [
    REPO / "scenarios" / "dmp" / "plan.json",
]


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.name)
def test_shipped_dmp_is_valid_under_both_schema_versions(path):
    assert schema_errors(json.loads(path.read_text())) == []


def test_standard_minimal_example_is_valid_under_both_schema_versions():
    example = standards_dir() / "madmp" / "example-minimal.json"
    assert schema_errors(json.loads(example.read_text())) == []


def test_format_checking_is_active():
    # Negative control: without a date-time format checker this would pass.
    plan = json.loads(PLANS[0].read_text())
    plan["dmp"]["created"] = "2026-11-01 nine o'clock"
    errors = schema_errors(plan)
    assert any("created" in error and "date-time" in error for error in errors), errors


def test_extension_at_top_level_would_break_schema_1_1():
    # Why twin-sim's keys live inside `dmp`: 1.1 closes the top level.
    plan = json.loads(PLANS[0].read_text())
    plan["twin_sim:workflow"] = plan["dmp"]["twin_sim:workflow"]
    assert any(error.startswith("1.1") for error in schema_errors(plan))


@pytest.mark.parametrize("path", PLANS + [standards_dir() / "madmp" / "example-minimal.json"],
                         ids=lambda p: p.name)
def test_twin_sim_accepts_dmps_the_schemas_accept(twin_sim, path):
    result = run([twin_sim, "dmp", "validate", str(path)])
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_twin_sim_reports_schema_violations_with_pointer_expected_found(twin_sim, tmp_path):
    plan = json.loads(PLANS[0].read_text())
    broken = copy.deepcopy(plan)
    broken["dmp"]["dataset"][1]["personal_data"] = "maybe"
    broken["dmp"]["dataset"][0]["distribution"][0]["data_access"] = "public"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    # The official schema rejects the same two values.
    errors = schema_errors(broken)
    assert any("personal_data" in error for error in errors)
    assert any("data_access" in error for error in errors)
    result = run([twin_sim, "dmp", "validate", str(path)])
    assert result.returncode == 2
    assert (f"{path}: /dmp/dataset/1/personal_data: expected one of yes, no, unknown, "
            'found "maybe"') in result.stderr
    assert "/dmp/dataset/0/distribution/0/data_access: expected one of open, shared, closed" \
        in result.stderr
