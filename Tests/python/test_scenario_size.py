"""Scenario reading stays linear: a 1 MB scenario of any shape is refused or accepted
within 2 s (docs/operations.md, "What twin-sim was tested against").

The shapes are generated here (the attack inputs as generators): 3,000 and 80,000
duplicated keys (reading once took 29 s for 3,000 and did not end for 5,000), unknown
keys, long sequences, deep flow and block nesting, a long string, many arms, and alias
expansions ("billion laughs") in places the schema reads.
"""

import time

import pytest

from conftest import run

MB = 1_000_000
BASE = "name: x\npopulation: {size: 10, synthetic: {}}\n"


def duplicated_keys(count):
    return BASE + "".join(f"seed: {i}\n" for i in range(count))


def laughs_in_record():
    text = BASE + "description: &a0 [" + ", ".join(["alive"] * 9) + "]\narms:\n"
    for i in range(1, 10):
        text += f"  - &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n"
    return text + "output: {record: *a9}\n"


def laughs_in_arms():
    arm = "{name: a, interventions: []}"
    text = BASE + f"arms: &b0 [{arm}, {arm}]\n"
    text += "".join(f"x{i}: &b{i} [*b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}]\n"
                    for i in range(1, 14))
    return text + "baseline: *b13\n"


SHAPES = {
    "3000_duplicated_keys": lambda: duplicated_keys(3000),
    "1MB_duplicated_keys": lambda: duplicated_keys(MB // 12),
    "1MB_duplicated_nested_keys": lambda: BASE + "time:\n" + "".join(
        f"  start_year: {2000 + i % 50}\n" for i in range(MB // 20)),
    "1MB_unknown_keys": lambda: BASE + "".join(f"key{i}: {i}\n" for i in range(MB // 14)),
    "1MB_sequence": lambda: BASE + "output:\n  record: [" + ", ".join(
        ["alive"] * (MB // 7)) + "]\n",
    "deep_flow_nesting": lambda: BASE + "description: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep_block_nesting": lambda: BASE + "x:\n" + "".join(
        "  " * i + f"k{i}:\n" for i in range(1000)),
    "1MB_string": lambda: BASE + "description: " + "a" * MB + "\n",
    "1MB_arms": lambda: BASE + "arms:\n" + "".join(
        f"  - name: arm{i}\n" for i in range(MB // 18)),
    "laughs_in_record": laughs_in_record,
    "laughs_in_arms": laughs_in_arms,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_large_scenarios_are_answered_within_two_seconds(twin_sim, tmp_path, shape):
    path = tmp_path / f"{shape}.yaml"
    path.write_text(SHAPES[shape]())
    started = time.monotonic()
    result = run([twin_sim, "validate", str(path)], timeout=60)
    seconds = time.monotonic() - started
    assert result.returncode in (0, 2), result.stderr[-2000:]
    assert seconds < 2.0, f"{shape}: {seconds:.2f} s"
    if result.returncode == 2:
        assert result.stderr.splitlines()[0].startswith(str(path) + ":")


def test_a_duplicated_key_is_reported_at_its_repetition(twin_sim, tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(BASE + "seed: 1\nseed: 2\n")
    result = run([twin_sim, "validate", str(path)])
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:4:1: seed: duplicate key 'seed'; first given at line 3, column 1")
    path.write_text(BASE + "seed: 1\nseed: 2\nname: y\n")
    result = run([twin_sim, "validate", str(path)])
    assert result.returncode == 2
    assert "duplicate" in result.stderr.splitlines()[0]
