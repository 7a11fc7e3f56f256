#!/usr/bin/env python3
"""Generate Sources/TwinModels/LifeTableData.swift from the Destatis life-table CSV files.

Input: GENESIS-Online table 12621-0001 "Sterbetafel (Periodensterbetafel): Deutschland,
Jahre, Geschlecht, Vollendetes Alter" as downloaded in CSV form (UTF-8 with BOM, semicolon
separated, decimal comma, German headers, each value followed by a quality-flag column;
'e' = endgueltig, final). Output: the published q(x) and e(x) for ages 0-100, men and
women, plus l(0) and L(0) (used for the first year of life), for each period.

Values are copied digit for digit (decimal comma -> point), never recomputed.

Usage (from the repository root, Python 3 standard library only):
    scripts/generate-life-tables.py [--data DIR] [--output FILE]
DIR defaults to scenarios/data (the published CSVs, scenarios/data/README.md).
"""

import argparse
import hashlib
import re
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

# (Swift identifier stem, period label in the CSV, file name)
TABLES = [
    ("destatis2016to2018", "2016/18", "destatis_12621-0001_Sterbetafel2016-2018.csv"),
    ("destatis2022to2024", "2022/24", "destatis_12621-0001_Sterbetafel2022-2024.csv"),
]

SEXES = [("Male", "männlich"), ("Female", "weiblich")]

# Column headings of the measures we embed (German, as in the CSV) -> key.
MEASURES = {
    "Sterbewahrscheinlichkeit [q(x)]": "q",
    "Überlebende [l(x)]": "l",
    "Bis zum Alter x+1 durchlebte Jahre [L(x)]": "L",
    "Durchschnittliche Lebenserwartung [e(x)]": "e",
}

AGES = range(0, 101)
AGE_LABEL = re.compile(r"^(\d+) Jahre?$")
DECIMAL = re.compile(r"^\d+(,\d+)?$")


class InputError(Exception):
    pass


def default_data_directory():
    return REPOSITORY / "scenarios" / "data"


def parse_table(path, period):
    """Returns ({sex: {measure: [text per age]}}, stand) for one CSV file."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    rows = [line.split(";") for line in lines]

    def find_row(predicate, what):
        for index, row in enumerate(rows):
            if predicate(row):
                return index
        raise InputError(f"{path}: no {what} row")

    sex_row = find_row(lambda r: "männlich" in r and "weiblich" in r, "sex heading")
    measure_row = find_row(lambda r: MEASURES.keys() & set(r), "measure heading")
    sex_starts = sorted((rows[sex_row].index(label), key) for key, label in SEXES)

    columns = {}  # (sex key, measure key) -> column index
    for column, heading in enumerate(rows[measure_row]):
        if heading in MEASURES:
            sex = [key for start, key in sex_starts if start <= column][-1]
            columns[(sex, MEASURES[heading])] = column
    expected = {(sex, measure) for sex, _ in SEXES for measure in MEASURES.values()}
    if set(columns) != expected:
        raise InputError(f"{path}: measure columns {sorted(columns)} != {sorted(expected)}")

    period_row = find_row(lambda r: r[0] == period, f"period '{period}'")
    values = {sex: {measure: [] for measure in MEASURES.values()} for sex, _ in SEXES}
    ages = []
    for line_number in range(period_row + 1, len(rows)):
        row = rows[line_number]
        match = AGE_LABEL.match(row[0])
        if not match:
            break
        ages.append(int(match.group(1)))
        for (sex, measure), column in columns.items():
            text, flag = row[column], row[column + 1]
            if not DECIMAL.match(text) or flag != "e":
                raise InputError(
                    f"{path}:{line_number + 1}: {sex} {measure}: expected a final ('e') "
                    f"decimal value, found '{text}' flag '{flag}'")
            values[sex][measure].append(text.replace(",", "."))
    if ages != list(AGES):
        raise InputError(f"{path}: ages {ages[:3]}...{ages[-3:]} are not 0...100 in order")

    stand = next((line for line in lines if line.startswith("Stand:")), "Stand: unknown")
    return values, stand


def check_consistency(path, values):
    """Cross-checks the published columns so a mis-parsed column cannot slip through."""
    for sex, columns in values.items():
        q = [float(v) for v in columns["q"]]
        l = [float(v) for v in columns["l"]]
        e = [float(v) for v in columns["e"]]
        if not all(0 < value < 1 for value in q):
            raise InputError(f"{path}: {sex} q(x) outside (0, 1)")
        for age in range(100):
            # l(x+1) = l(x) (1 - q(x)), both published rounded to whole persons.
            if abs(l[age] * (1 - q[age]) - l[age + 1]) > 1.0:
                raise InputError(f"{path}: {sex} l({age + 1}) disagrees with l({age}), q({age})")
        if not (70 < e[0] < 90 and e[100] < e[99]):
            raise InputError(f"{path}: {sex} e(x) column looks wrong: e(0) = {e[0]}")


def swift_array(texts, indent):
    """Six values a line, each line commented with its ages."""
    per_line = 6
    lines = []
    for start in range(0, len(texts), per_line):
        chunk = texts[start:start + per_line]
        ages = f"{start}-{start + len(chunk) - 1}" if len(chunk) > 1 else f"{start}"
        lines.append(f"{indent}{', '.join(chunk)},  // ages {ages}")
    return "\n".join(lines)


def render(tables):
    out = []
    out.append("// LifeTableData.swift: generated by scripts/generate-life-tables.py; do not edit.")
    out.append("//")
    out.append("// Source: Statistisches Bundesamt (Destatis), GENESIS-Online table 12621-0001,")
    out.append("// \"Sterbetafel (Periodensterbetafel): Deutschland, Jahre, Geschlecht, Vollendetes")
    out.append("// Alter\", periods 2016/18 and 2022/24.")
    out.append("// Licence: Datenlizenz Deutschland - Namensnennung - Version 2.0 (dl-de/by-2-0,")
    out.append("// https://www.govdata.de/dl-de/by-2-0). © Statistisches Bundesamt (Destatis), 2025.")
    out.append("// Values are copied digit for digit from the CSV files (decimal comma -> point):")
    for stem, period, file_name, _, stand, digest in tables:
        out.append(f"//   {file_name}")
        out.append(f"//     ({stand}; SHA-256 {digest[:16]}...)")
    out.append("")
    out.append("/// The published columns of one Destatis period life table for one sex.")
    out.append("struct LifeTableColumns: Sendable {")
    out.append("  /// q(x), Sterbewahrscheinlichkeit: probability that a person of exact age x dies")
    out.append("  /// before exact age x + 1; index x = 0...100.")
    out.append("  let probabilityOfDeath: [Double]")
    out.append("")
    out.append("  /// e(x), Durchschnittliche Lebenserwartung: published remaining life expectancy at")
    out.append("  /// exact age x, years, rounded to 0.01; index x = 0...100.")
    out.append("  let lifeExpectancyYears: [Double]")
    out.append("")
    out.append("  /// l(0), Überlebende: the table's radix (live births).")
    out.append("  let survivorsAtBirth: Double")
    out.append("")
    out.append("  /// L(0): person-years lived between exact ages 0 and 1 by the l(0) live births.")
    out.append("  let personYearsLivedInFirstYear: Double")
    out.append("}")
    out.append("")
    out.append("/// Destatis period life tables, GENESIS 12621-0001 (see the file header).")
    out.append("enum LifeTableData {")
    first = True
    for stem, period, file_name, values, stand, digest in tables:
        for sex, label in SEXES:
            columns = values[sex]
            if not first:
                out.append("")
            first = False
            out.append(f"  /// Period {period}, {label} ({file_name}).")
            out.append(f"  static let {stem}{sex} = LifeTableColumns(")
            out.append("    probabilityOfDeath: [")
            out.append(swift_array(columns["q"], "      "))
            out.append("    ],")
            out.append("    lifeExpectancyYears: [")
            out.append(swift_array(columns["e"], "      "))
            out.append("    ],")
            out.append(f"    survivorsAtBirth: {columns['l'][0]},")
            out.append(f"    personYearsLivedInFirstYear: {columns['L'][0]})")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_directory())
    parser.add_argument(
        "--output", type=Path, default=REPOSITORY / "Sources/TwinModels/LifeTableData.swift")
    arguments = parser.parse_args()

    tables = []
    try:
        for stem, period, file_name in TABLES:
            path = arguments.data / file_name
            if not path.is_file():
                raise InputError(f"{path}: not found (give the folder with --data)")
            values, stand = parse_table(path, period)
            check_consistency(path, values)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            tables.append((stem, period, file_name, values, stand, digest))
    except InputError as error:
        print(f"generate-life-tables: error: {error}", file=sys.stderr)
        return 2
    arguments.output.write_text(render(tables), encoding="utf-8")
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
