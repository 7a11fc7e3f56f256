"""The repository stands alone: no tracked file names a path outside it.

A clone must build, run and pass its tests with nothing beside it, so no file
may read from, or send a reader to, a folder next to the repository or an
absolute path of the machine it was written on. Data, schemas and test vectors
from outside live in scenarios/data and Tests/fixtures (with their sources and
licences); the science references in docs/science.md.
"""

import re
import subprocess

from conftest import REPO

# Spelled in pieces so that this file does not match itself.
SIBLING = "sha" + "red"
FORBIDDEN = [
    (re.compile(r"\.\./" + SIBLING + r"\b"), "a folder beside the repository"),
    (re.compile(SIBLING + r"/(science|standards)\b"), "the project's shelf outside the repository"),
    (re.compile(r"TWIN_SIM_" + SIBLING.upper() + r"\b"), "a variable pointing outside the repository"),
    (re.compile(r"/" + "work" + r"/"), "an absolute path of the development machine"),
    (re.compile(r"(?<![\w.~])/" + "root" + r"/"), "the development machine's home folder"),
]


def tracked_text_files():
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True,
                             check=True).stdout
    for name in listing.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue  # deleted in the work tree, or a submodule
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (HDF5, age files)
        yield name, data.decode("utf-8", errors="replace")


def test_no_tracked_file_names_a_path_outside_the_repository():
    found = []
    count = 0
    for name, text in tracked_text_files():
        count += 1
        for number, line in enumerate(text.splitlines(), start=1):
            for pattern, what in FORBIDDEN:
                if pattern.search(line):
                    found.append(f"{name}:{number}: {what}: {line.strip()[:120]}")
    assert count > 100, f"only {count} tracked text files: is this a git work tree?"
    assert not found, "files name paths outside the repository:\n" + "\n".join(found)


def test_the_patterns_catch_what_they_are_for():
    examples = ["see ../" + SIBLING + "/science/README.md", "/" + "work/main/x",
                SIBLING + "/standards/madmp", "$TWIN_SIM_" + SIBLING.upper(),
                "cd /" + "root/x"]
    for example in examples:
        assert any(pattern.search(example) for pattern, _ in FORBIDDEN), example
    for harmless in ["shared memory", "shared/ folders on the cluster", "~/root/x",
                     "scenarios/data/x.csv", "../../runs/dmp-example"]:
        assert not any(pattern.search(harmless) for pattern, _ in FORBIDDEN), harmless
