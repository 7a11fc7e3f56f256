"""The site's identity in the RO-Crate of a plain `twin-sim run` (docs/dmp.md, "Where is
this site?" and "Provenance: RO-Crates"): once the site file declares its software URL and
its publisher organisation, the crate meets every RECOMMENDED item of the Process Run Crate
0.5 profile (and of RO-Crate 1.1, which the profile extends); without the declaration it
still meets every REQUIRED one."""

import json
import os
import re

import pytest

from conftest import run
from dmp_support import REPO, crate_entities, validate_crate, without_plan

SYNTHETIC = REPO / "scenarios" / "dmp" / "synthetic.yaml"
PROFILE = "process-run-crate-0.5"
SOFTWARE_URL = "https://hpc.example.org/software/twin-sim"
PUBLISHER = {"name": "Example HPC Centre", "url": "https://hpc.example.org/"}
SITE = {"geo_location": "DE", "software_url": SOFTWARE_URL, "publisher": PUBLISHER}

# Variables that would declare the same things from the environment (they win over the
# site file): none may leak in from the machine running the tests.
IDENTITY_VARIABLES = ["TWIN_SIM_SOFTWARE_URL", "TWIN_SIM_PUBLISHER_NAME", "TWIN_SIM_PUBLISHER_URL",
                      "TWIN_SIM_AGENT_AFFILIATION_NAME", "TWIN_SIM_AGENT_AFFILIATION_URL",
                      "TWIN_SIM_AGENT_ORCID", "TWIN_SIM_AGENT_NAME", "TWIN_SIM_SITE_LOCATION",
                      "SLURM_JOB_USER"]

# What the crate misses without the site's declaration, as rocrate-validator 0.13 names it:
# the SoftwareApplication's id is urn:twin-sim:VERSION, not a web address; the root has no
# publisher; its author (the person who ran twin-sim) has no affiliation.
MISSING_WITHOUT_DECLARATION = {
    "process-run-crate-0.5_5.1",  # SoftwareApplication id SHOULD be an absolute (http) URI
    "ro-crate-1.1_22.3",          # the root's publisher SHOULD be an Organization
    "ro-crate-1.1_30.2",          # the author SHOULD have an organizational affiliation
    "ro-crate-1.1_30.3",          # ... described by a contextual entity
}

ISO_8601 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def site_environment(site_file):
    env = {key: value for key, value in os.environ.items() if key not in IDENTITY_VARIABLES}
    env.update(TWIN_SIM_SITE_CONFIG=str(site_file), USER="jdoe")
    return env


def plain_run(twin_sim, tmp_path_factory, site):
    """A plain run (no plan) on a site whose site file is `site`; returns the run folder."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "site.json").write_text(json.dumps(site))
    scenario = without_plan(SYNTHETIC, folder / "scenario")
    result = run([twin_sim, "run", str(scenario), "--output", str(folder / "run"), "--quiet"],
                 env=site_environment(folder / "site.json"))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    return folder / "run"


@pytest.fixture(scope="module")
def declared(twin_sim, tmp_path_factory):
    return plain_run(twin_sim, tmp_path_factory, SITE)


@pytest.fixture(scope="module")
def undeclared(twin_sim, tmp_path_factory):
    return plain_run(twin_sim, tmp_path_factory, {})


@pytest.mark.parametrize("level", ["required", "recommended"])
def test_declared_site_crate_meets_the_profile(declared, tmp_path, level):
    report = validate_crate(declared, PROFILE, level, tmp_path / "report.json")
    assert report["passed"], json.dumps(report["issues"], indent=1)
    assert not report["skipped_checks"]


def test_declared_site_crate_has_every_recommended_item(declared):
    """The Process Run Crate 0.5 requirements table, SHOULD rows, and RO-Crate 1.1's
    recommended root and contextual-entity properties, read off the crate itself."""
    entities = crate_entities(declared)
    root = entities["./"]
    actions = [e for e in entities.values() if e["@type"] == "CreateAction"]
    assert len(actions) == 1
    action = actions[0]
    # SoftwareApplication: absolute (web) id, name, url, one version property.
    tool = entities[action["instrument"]["@id"]]
    assert tool["@type"] == "SoftwareApplication"
    assert tool["@id"] == SOFTWARE_URL and tool["url"] == SOFTWARE_URL
    assert tool["name"] == "twin-sim" and tool["softwareVersion"] and "version" not in tool
    # CreateAction: mentioned by the root, name, description, times, agent, object, result.
    assert root["mentions"] == {"@id": action["@id"]}
    assert action["name"] and action["description"]
    assert ISO_8601.match(action["startTime"]) and ISO_8601.match(action["endTime"])
    assert action["actionStatus"] == "http://schema.org/CompletedActionStatus"
    assert "error" not in action
    assert action["result"] == {"@id": "results.h5"}
    assert action["object"] == {"@id": "scenario.yaml"}
    for entity_id in ("results.h5", "scenario.yaml"):
        assert entities[entity_id]["@type"] == "File"
        assert entities[entity_id]["encodingFormat"]
    agent = entities[action["agent"]["@id"]]
    assert agent["@type"] == "Person" and agent["name"] == "jdoe"
    # Root: profile, licence, author with an affiliation, publisher, date.
    assert root["conformsTo"] == {"@id": "https://w3id.org/ro/wfrun/process/0.5"}
    assert entities[root["license"]["@id"]]["@type"] == "CreativeWork"
    assert root["author"] == {"@id": agent["@id"]}
    publisher = entities[root["publisher"]["@id"]]
    assert publisher == {"@id": PUBLISHER["url"], "@type": "Organization",
                         "name": PUBLISHER["name"], "url": PUBLISHER["url"]}
    # No affiliation declared for the person: the site's organisation (docs/dmp.md).
    assert agent["affiliation"] == {"@id": PUBLISHER["url"]}
    assert ISO_8601.match(root["datePublished"])


def test_undeclared_site_crate_meets_required_and_misses_only_the_identity(undeclared, tmp_path):
    report = validate_crate(undeclared, PROFILE, "required", tmp_path / "required.json")
    assert report["passed"], json.dumps(report["issues"], indent=1)
    report = validate_crate(undeclared, PROFILE, "recommended", tmp_path / "recommended.json")
    missing = {issue["check"]["identifier"] for issue in report["issues"]}
    assert missing == MISSING_WITHOUT_DECLARATION, json.dumps(report["issues"], indent=1)
    tool = [e for e in crate_entities(undeclared).values()
            if e["@type"] == "SoftwareApplication"][0]
    assert tool["@id"].startswith("urn:twin-sim:") and tool["url"].startswith("file://")


def test_environment_wins_over_the_site_file(twin_sim, declared, tmp_path):
    env = site_environment(declared.parent / "site.json")
    env.update(TWIN_SIM_SOFTWARE_URL="https://example.org/twin-sim/releases/0.1.0",
               TWIN_SIM_PUBLISHER_NAME="Other Centre", TWIN_SIM_PUBLISHER_URL="https://other.example/",
               TWIN_SIM_AGENT_AFFILIATION_NAME="Example University",
               TWIN_SIM_AGENT_AFFILIATION_URL="https://university.example.org/")
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("results.h5", "scenario.yaml"):
        (folder / name).write_bytes((declared / name).read_bytes())
    written = run([twin_sim, "provenance", str(folder)], env=env)
    assert written.returncode == 0, written.stderr
    entities = crate_entities(folder)
    root = entities["./"]
    assert root["publisher"] == {"@id": "https://other.example/"}
    tool = [e for e in entities.values() if e["@type"] == "SoftwareApplication"][0]
    assert tool["url"] == "https://example.org/twin-sim/releases/0.1.0"
    person = entities[root["author"]["@id"]]
    assert person["affiliation"] == {"@id": "https://university.example.org/"}


@pytest.mark.parametrize("site, complaint", [
    ({"software_url": "ftp://hpc.example.org/twin-sim"}, "software_url: expected an http(s) URL"),
    ({"publisher": {"name": "Example HPC Centre"}}, "publisher: expected"),
    ({"publisher_name": "Example HPC Centre"}, 'unknown key "publisher_name"'),
])
def test_invalid_site_file_is_named_and_nothing_is_written(twin_sim, declared, tmp_path, site,
                                                           complaint):
    site_file = tmp_path / "site.json"
    site_file.write_text(json.dumps(site))
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.h5").write_bytes((declared / "results.h5").read_bytes())
    written = run([twin_sim, "provenance", str(folder)], env=site_environment(site_file))
    assert written.returncode == 2
    assert str(site_file) in written.stderr and complaint in written.stderr
    assert not (folder / "ro-crate-metadata.json").exists()
