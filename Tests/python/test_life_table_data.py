"""The embedded Destatis life tables are exactly what scripts/generate-life-tables.py makes.

Guards against hand edits of Sources/TwinModels/LifeTableData.swift and against the
generator silently accepting a malformed CSV.
"""

import pathlib
import sys

from conftest import REPO, run

GENERATOR = REPO / "scripts" / "generate-life-tables.py"
GENERATED = REPO / "Sources" / "TwinModels" / "LifeTableData.swift"


def published_data() -> pathlib.Path:
    """The Destatis CSVs as published (scenarios/data/README.md)."""
    return REPO / "scenarios" / "data"


def test_generated_life_table_file_is_up_to_date(tmp_path):
    output = tmp_path / "LifeTableData.swift"
    result = run([sys.executable, str(GENERATOR), "--data", str(published_data()),
                  "--output", str(output)])
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == GENERATED.read_bytes(), (
        "LifeTableData.swift differs from the generator's output: "
        "run scripts/generate-life-tables.py")


def test_generator_rejects_a_provisional_value_naming_file_and_line(tmp_path):
    for source in published_data().glob("destatis_12621-0001_Sterbetafel*.csv"):
        text = source.read_text(encoding="utf-8-sig")
        if source.name.endswith("2016-2018.csv"):
            # Mark men's q(40) as provisional ('p') instead of final ('e').
            lines = text.split("\n")
            index = next(i for i, line in enumerate(lines) if line.startswith("40 Jahre;"))
            fields = lines[index].split(";")
            fields[2] = "p"
            lines[index] = ";".join(fields)
            text = "\n".join(lines)
            bad_line = index + 1
        (tmp_path / source.name).write_text(text, encoding="utf-8")
    result = run([sys.executable, str(GENERATOR), "--data", str(tmp_path),
                  "--output", str(tmp_path / "out.swift")])
    assert result.returncode == 2
    assert f"Sterbetafel2016-2018.csv:{bad_line}" in result.stderr
    assert "flag 'p'" in result.stderr
    assert not (tmp_path / "out.swift").exists()
