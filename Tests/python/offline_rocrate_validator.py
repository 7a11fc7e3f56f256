"""Runs rocrate-validator with no network: the JSON-LD contexts it would fetch are
served from the repository's copies in Tests/fixtures/standards/rocrate (see the
README there for where they come from). Usage: as the `rocrate-validator` command,
e.g. `python offline_rocrate_validator.py validate -p process-run-crate-0.5 ...`."""
import json
import os
import pathlib
import sys

import rdflib.plugins.parsers.jsonld as parsermod
import rdflib.plugins.shared.jsonld.context as ctxmod
import rdflib.plugins.shared.jsonld.util as utilmod

CONTEXTS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "standards" / "rocrate"
LOCAL = {
    "https://w3id.org/ro/crate/1.1/context": "ro-crate-1.1-context.jsonld",
    "https://w3id.org/ro/crate/1.2/context": "ro-crate-1.2-context.jsonld",
    "https://w3id.org/ro/terms/workflow-run/context": "workflow-run-context.jsonld",
}
_original_source_to_json = utilmod.source_to_json


def _local_path(url):
    key = str(url).rstrip("/")
    return os.path.join(CONTEXTS, LOCAL[key]) if key in LOCAL else None


def _source_to_json(source, *args, **kwargs):
    path = _local_path(source) if isinstance(source, str) else None
    if path:
        with open(path) as handle:
            return json.load(handle), None
    return _original_source_to_json(source, *args, **kwargs)


for module in (utilmod, ctxmod, parsermod):
    module.source_to_json = _source_to_json

# The validator's own HTTP requester (requests) is used for the context checks.
import requests  # noqa: E402


class _Response:
    def __init__(self, path):
        self.status_code = 200
        self.headers = {"Content-Type": "application/ld+json"}
        self.ok = True
        self.from_cache = False
        with open(path, "rb") as handle:
            self.content = handle.read()
        self.text = self.content.decode()

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        pass


_original_get = requests.Session.get


def _session_get(self, url, *args, **kwargs):
    path = _local_path(url)
    return _Response(path) if path else _original_get(self, url, *args, **kwargs)


requests.Session.get = _session_get

from rocrate_validator.utils.http import HttpRequester  # noqa: E402


def _requester_get(self, url, **kwargs):
    path = _local_path(url)
    return _Response(path) if path else self.session.get(url, **kwargs)


HttpRequester.get = _requester_get

from rocrate_validator.cli import cli  # noqa: E402

sys.exit(cli())
