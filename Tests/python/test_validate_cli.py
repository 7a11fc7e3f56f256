"""`twin-sim validate` as a user runs it: exit codes and the diagnostic format."""

import re

from conftest import run

DIAGNOSTIC = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<path>\S+): (?P<message>.+)$")

EXAMPLES = ["quickstart.yaml", "cohort-life-table.yaml", "conditions.yaml", "table-cohort.yaml"]


def test_example_scenarios_are_valid_and_summarised(twin_sim, repo_root):
    files = [f"scenarios/{name}" for name in EXAMPLES]
    result = run([twin_sim, "validate", *files], cwd=repo_root)
    assert result.returncode == 0, result.stderr
    # Valid files may carry warnings (the risk equation's validity range), never errors.
    assert all(": warning: " in line for line in result.stderr.splitlines()), result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "scenarios/quickstart.yaml: valid (10000 persons, 4 arms, 30 years)"
    assert lines[1] == "scenarios/cohort-life-table.yaml: valid (100000 persons, 1 arm, 60 years)"
    assert len(lines) == len(files)
    assert all(line.split(": ", 1)[1].startswith("valid (") for line in lines)


def test_invalid_scenario_reports_every_problem_with_position_and_key_path(twin_sim, tmp_path):
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(
        "name: broken\n"
        "time:\n"
        "  horizon_year: 30\n"
        "population:\n"
        "  size: 10\n"
        "  synthetic: {female_fraction: 1.5}\n"
        "arms:\n"
        "  - name: a\n"
        "  - name: a\n"
        "    interventions:\n"
        "      - type: smokin\n"
    )
    result = run([twin_sim, "validate", str(scenario)])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    diagnostics = [DIAGNOSTIC.match(line) for line in lines[:-1]]
    assert all(diagnostics), lines
    assert [(int(d["line"]), int(d["column"]), d["path"]) for d in diagnostics] == [
        (3, 3, "time.horizon_year"),
        (6, 32, "population.synthetic.female_fraction"),
        (9, 11, "arms[1].name"),
        (11, 15, "arms[1].interventions[0].type"),
    ]
    assert all(d["file"] == str(scenario) for d in diagnostics)
    assert lines[0].endswith("unknown key 'horizon_year'; did you mean 'horizon_years'?")
    assert lines[1].endswith("expected a fraction between 0 and 1, found 1.5 (a percentage? give 0.015)")
    assert lines[-1] == f"{scenario}: invalid (4 problems)"


def test_yaml_syntax_error_uses_the_same_format(twin_sim, tmp_path):
    scenario = tmp_path / "syntax.yaml"
    scenario.write_text("name: x\npopulation: {size: 10, synthetic: {age: [1, 2}}\n")
    result = run([twin_sim, "validate", str(scenario)])
    assert result.returncode == 2
    first = DIAGNOSTIC.match(result.stderr.splitlines()[0])
    assert first and first["path"] == "(syntax)" and first["line"] == "2"


def test_unreadable_file_is_named_and_fails(twin_sim, tmp_path):
    missing = tmp_path / "missing.yaml"
    result = run([twin_sim, "validate", str(missing)])
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"{missing}:1:1: (file): cannot read the file: it does not exist"


def test_one_invalid_file_among_valid_ones_fails_the_run(twin_sim, repo_root, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\npopulation: {size: 0, synthetic: {}}\n")
    result = run([twin_sim, "validate", "scenarios/quickstart.yaml", str(bad)], cwd=repo_root)
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["scenarios/quickstart.yaml: valid (10000 persons, 4 arms, 30 years)"]
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors[0] == (
        f"{bad}:2:20: population.size: expected an integer number of persons between 1 and 100000000, "
        "found 0"
    )


def test_range_errors_name_the_unit_and_suggest_a_conversion(twin_sim, tmp_path):
    # The example: total cholesterol written in mg/dL, smoking in percent.
    scenario = tmp_path / "units.yaml"
    scenario.write_text(
        "name: units\n"
        "population:\n"
        "  size: 100\n"
        "  synthetic:\n"
        "    total_cholesterol: {mean: 213, sd: 40}\n"
        "    sbp: {mean: 400, sd: 10}\n"
        "    smoking: 30\n"
    )
    result = run([twin_sim, "validate", str(scenario)])
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors == [
        f"{scenario}:5:31: population.synthetic.total_cholesterol.mean: "
        "expected mmol/L between 2 and 15, found 213 (mg/dL? divide by 38.67)",
        f"{scenario}:5:40: population.synthetic.total_cholesterol.sd: "
        "expected mmol/L between 0 and 5, found 40 (mg/dL? divide by 38.67)",
        # 400 mmHg fits no other common unit: the unit, no hint.
        f"{scenario}:6:17: population.synthetic.sbp.mean: expected mmHg between 70 and 250, found 400",
        f"{scenario}:7:14: population.synthetic.smoking: "
        "expected a fraction between 0 and 1, found 30 (a percentage? give 0.30)",
        f"{scenario}: invalid (4 problems)",
    ]
    assert all(DIAGNOSTIC.match(line) for line in errors[:-1])
    # The suggestion is right: the converted values are valid.
    scenario.write_text(
        "name: units\n"
        "population:\n"
        "  size: 100\n"
        "  synthetic:\n"
        f"    total_cholesterol: {{mean: {213 / 38.67:.4f}, sd: {40 / 38.67:.4f}}}\n"
        "    smoking: 0.30\n"
    )
    assert run([twin_sim, "validate", str(scenario)]).returncode == 0


def test_table_values_out_of_range_are_named_in_the_tables_unit(twin_sim, tmp_path):
    (tmp_path / "cohort.csv").write_text(
        "sex,age,sbp,total_cholesterol,hdl\nfemale,50,120,5.1,1.3\nmale,61,130,213,1.1\n")
    scenario = tmp_path / "table.yaml"
    scenario.write_text("name: table-units\npopulation:\n  table: {path: cohort.csv}\n")
    result = run([twin_sim, "run", str(scenario), "--output", str(tmp_path / "out"), "--quiet"],
                 cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert ("cohort.csv:3: total_cholesterol: expected mmol/L between 2 and 15, found 213 "
            "(mg/dL? set population.table.units.total_cholesterol: mg/dL)") in result.stderr
    assert not (tmp_path / "out" / "results.h5").exists()


def test_printed_reference_is_the_one_in_the_docs(twin_sim, repo_root):
    result = run([twin_sim, "validate", "--print-reference"])
    assert result.returncode == 0, result.stderr
    document = (repo_root / "docs" / "scenario.md").read_text()
    assert result.stdout in document
    assert "`arms[i].interventions[j].fraction`" in result.stdout


def test_help_points_to_the_reference(twin_sim):
    result = run([twin_sim, "validate", "--help"])
    assert result.returncode == 0
    assert "docs/scenario.md" in result.stdout
    assert "FILE:LINE:COLUMN: key.path: message" in result.stdout


def test_command_line_usage_errors_exit_2_like_other_invalid_input(twin_sim, tmp_path):
    # Every command documents exit 2 for invalid input; ArgumentParser's own default for
    # an unknown option, a missing argument or a malformed value would be 64.
    cases = [
        ([twin_sim, "run", "--no-such-option", "x.yaml"], "Unknown option '--no-such-option'"),
        ([twin_sim, "summary"], "Missing expected argument '<results>'"),
        ([twin_sim, "risk", "--equation", "nope"], "The value 'nope' is invalid for '--equation"),
    ]
    for cmd, message in cases:
        result = run(cmd, cwd=tmp_path)
        assert result.returncode == 2, (cmd, result.returncode, result.stderr)
        assert message in result.stderr
        assert list(tmp_path.iterdir()) == []
    # Help and version still exit 0.
    assert run([twin_sim, "run", "--help"]).returncode == 0
    assert run([twin_sim, "--version"]).returncode == 0
