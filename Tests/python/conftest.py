"""Shared fixtures for twin-sim's Python tests.

The tests drive the release binary as a user would. `TWIN_SIM` names the
binary (default: .build/release/twin-sim under the repository root).
"""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO


@pytest.fixture(scope="session")
def twin_sim() -> str:
    binary = os.environ.get("TWIN_SIM", str(REPO / ".build" / "release" / "twin-sim"))
    if not os.access(binary, os.X_OK):
        pytest.fail(f"twin-sim binary not found at {binary}: run scripts/setup first")
    return binary


def run(cmd, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command, capturing text output; never raises on non-zero exit."""
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def mpirun_env() -> dict:
    """Environment for launching mpirun as root inside tests and CI."""
    env = dict(os.environ)
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env
