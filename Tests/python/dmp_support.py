"""Helpers for the DMP and provenance tests: the official maDMP schemas with
format checking, and the offline RO-Crate validator wrapper."""

import json
import pathlib
import subprocess
import sys

import jsonschema

REPO = pathlib.Path(__file__).resolve().parents[2]
STANDARDS = REPO / "Tests" / "fixtures" / "standards"
VALIDATOR = pathlib.Path(__file__).resolve().parent / "offline_rocrate_validator.py"


def standards_dir() -> pathlib.Path:
    """The repository's copies of the standards (madmp/, rocrate/; each folder's
    README says where it comes from and under which licence)."""
    return STANDARDS


def madmp_validators():
    """(version, validator) for maDMP 1.1 and 1.2, each with format checking."""
    result = []
    for version in ("1.1", "1.2"):
        schema = json.loads((standards_dir() / "madmp" / f"maDMP-schema-{version}.json").read_text())
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        result.append((version, cls(schema, format_checker=cls.FORMAT_CHECKER)))
    return result


def schema_errors(document) -> list:
    """Every schema error of `document` under 1.1 and 1.2, as readable strings."""
    return [
        f"{version} {error.json_path}: {error.message}"
        for version, validator in madmp_validators()
        for error in validator.iter_errors(document)
    ]


def validate_crate(folder: pathlib.Path, profile: str, level: str, report: pathlib.Path,
                   skip=()) -> dict:
    """Runs rocrate-validator offline on a crate folder; returns its JSON report.
    `skip`: fully qualified check ids to skip (each needs a reason at the caller)."""
    skip_flags = ["-s", ",".join(skip)] if skip else []
    completed = subprocess.run(
        [sys.executable, str(VALIDATOR), "validate", "-p", profile, "-l", level, "--no-paging",
         *skip_flags, "-f", "json", "-o", str(report), str(folder)],
        capture_output=True, text=True, timeout=600)
    assert report.exists(), f"validator wrote no report: {completed.stdout}\n{completed.stderr}"
    return json.loads(report.read_text())


def crate_entities(folder: pathlib.Path) -> dict:
    graph = json.loads((folder / "ro-crate-metadata.json").read_text())["@graph"]
    return {entity["@id"]: entity for entity in graph}


def without_plan(scenario: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """A copy of `scenario` in `folder` without its `dmp` key, with a population
    table path made absolute: the catalog and provenance tests need runs of the
    example scenarios in temporary folders, which their plan (rightly) refuses."""
    import yaml

    document = yaml.safe_load(scenario.read_text())
    document.pop("dmp", None)
    table = document.get("population", {}).get("table")
    if table is not None:
        table["path"] = str((scenario.parent / table["path"]).resolve())
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / scenario.name
    copy.write_text(yaml.safe_dump(document, sort_keys=False))
    return copy
