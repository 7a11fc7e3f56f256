"""The SCORE2-OP reference table embedded in SCORE2OPTests.swift is the reference script's output.

Tests/TwinModelsTests/SCORE2OPTests.swift compares SCORE2OP to a table it embeds verbatim
(the test target declares no resources); this guards against the table drifting from
scripts/reference/score2op_reference.py, the independent numpy evaluation it claims to be.
"""

import sys

from conftest import REPO, run

SCRIPT = REPO / "scripts" / "reference" / "score2op_reference.py"
SWIFT_TEST = REPO / "Tests" / "TwinModelsTests" / "SCORE2OPTests.swift"
OPENING = 'private let referenceTable = """\n'


def embedded_table() -> str:
    text = SWIFT_TEST.read_text(encoding="utf-8")
    start = text.index(OPENING) + len(OPENING)
    end = text.index('  """', start)
    return "".join(line[2:] + "\n" for line in text[start:end].splitlines())


def test_embedded_score2op_table_is_the_reference_script_output():
    result = run([sys.executable, str(SCRIPT)])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 641
    assert embedded_table() == result.stdout, (
        "the table in SCORE2OPTests.swift differs from "
        "python3 scripts/reference/score2op_reference.py: paste its output again")
