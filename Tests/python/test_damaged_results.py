"""Damaged and crafted result files through `twin-sim summary`, `report` and
`export`: each ends with exit 0 or 2 and a message naming the file, never a
signal, an overflow trap, a hang, or a file written outside the output folder.

The crafted files are made with h5py from a small real run (200 persons, 10
years); the fuzz test flips bits, overwrites bytes and truncates a copy of it
(seeded, so a failure names its seed and mutation). A longer campaign:
scripts/fuzz/result-files (docs/operations.md, "What twin-sim was tested against").
"""

import os
import pathlib
import random
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np
import pytest

from conftest import REPO, mpirun_env, run

INT64_MAX = np.iinfo(np.int64).max


def small_scenario(folder: pathlib.Path) -> pathlib.Path:
    """quickstart.yaml with 200 persons over 10 years (a file of about 400 KB)."""
    text = (REPO / "scenarios" / "quickstart.yaml").read_text()
    text = text.replace("size: 10000", "size: 200").replace(
        "horizon_years: 30 ", "horizon_years: 10 ")
    path = folder / "small.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def small_result(twin_sim, tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("small")
    out = run([twin_sim, str(small_scenario(folder)), "--output", str(folder / "run"),
               "--quiet"], env=mpirun_env())
    assert out.returncode == 0, out.stderr
    return folder / "run" / "results.h5"


def crafted(small_result, tmp_path, edit) -> pathlib.Path:
    """A copy of the small result changed by `edit(h5py.File)`."""
    path = tmp_path / "crafted.h5"
    shutil.copyfile(small_result, path)
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def analyse(twin_sim, path, tmp_path, command, *extra, timeout=30):
    if command == "summary":
        cmd = [twin_sim, "summary", str(path), "--json", *extra]
    elif command == "report":
        cmd = [twin_sim, "report", str(path), "-o", str(tmp_path / "report.html"), *extra]
    else:
        cmd = [twin_sim, "export", str(path), "--arm", "baseline", "-o",
               str(tmp_path / "tables"), *extra]
    return run(cmd, timeout=timeout)


def refused(out, path, *words):
    """Exit 2 with one message naming the file (and the given words)."""
    assert out.returncode == 2, (out.returncode, out.stdout[-500:], out.stderr[-2000:])
    assert str(path) in out.stderr, out.stderr
    for word in words:
        assert word in out.stderr, out.stderr


COMMANDS = ["summary", "report", "export"]


def test_the_small_result_is_read(twin_sim, small_result, tmp_path):
    for command in COMMANDS:
        out = analyse(twin_sim, small_result, tmp_path, command)
        assert out.returncode == 0, (command, out.stderr)


@pytest.mark.parametrize("command", COMMANDS)
def test_count_of_int64_max_is_refused_not_trapped(twin_sim, small_result, tmp_path, command):
    def edit(f):
        data = f["arms/baseline/summary/cvd_events"]
        data[...] = INT64_MAX
        data.attrs.pop("sha256", None)  # a crafted file, not a damaged one
    path = crafted(small_result, tmp_path, edit)
    refused(analyse(twin_sim, path, tmp_path, command), path, "cvd_events")


@pytest.mark.parametrize("command", COMMANDS)
def test_negative_and_nan_counts_are_refused(twin_sim, small_result, tmp_path, command):
    def edit(f):
        f["arms/baseline/summary/deaths"][0, 1] = -5
        f["arms/baseline/summary/deaths"].attrs.pop("sha256", None)
        f["arms/baseline/summary/person_years"][0, 2] = np.nan
        f["arms/baseline/summary/person_years"].attrs.pop("sha256", None)
    path = crafted(small_result, tmp_path, edit)
    refused(analyse(twin_sim, path, tmp_path, command), path)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("persons", [2**62, INT64_MAX, -1, 201, 0])
def test_n_persons_that_disagrees_with_person_is_refused_quickly(
        twin_sim, small_result, tmp_path, command, persons):
    path = crafted(small_result, tmp_path,
                   lambda f: f.attrs.__setitem__("n_persons", np.int64(persons)))
    refused(analyse(twin_sim, path, tmp_path, command, timeout=20), path, "n_persons")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("realisations", [2**40, 0, 3])
def test_realisations_that_disagree_with_the_scale_are_refused(
        twin_sim, small_result, tmp_path, command, realisations):
    path = crafted(small_result, tmp_path,
                   lambda f: f.attrs.__setitem__("realisations", np.int64(realisations)))
    refused(analyse(twin_sim, path, tmp_path, command, timeout=20), path, "realisation")


@pytest.mark.parametrize(
    "arm", ["../../x/pwn", "a/b", "..", ".", "x\x00y", "", ".hidden", "line\nbreak"])
def test_arm_names_that_are_not_file_names_are_refused(twin_sim, small_result, tmp_path, arm):
    """A crafted file whose arm name would lead export's file names out of the
    output folder: refused at opening, and nothing is written outside it."""
    stored = arm.replace("\x00", "")  # HDF5 names end at NUL: the attribute holds the rest

    def edit(f):
        names = f.attrs["arms"]
        names = names.decode() if isinstance(names, bytes) else str(names)
        f.attrs["arms"] = names.replace("baseline", arm)
        f.attrs["baseline_arm"] = arm
        if stored and stored not in (".", ".."):
            try:
                f.copy(f["arms/baseline"], "arms/" + stored)
            except (ValueError, KeyError, OSError):
                pass
    try:
        path = crafted(small_result, tmp_path, edit)
    except (ValueError, OSError):
        pytest.skip("h5py refuses to store this name")
    outside = tmp_path / "x"
    out_dir = tmp_path / "deep" / "er" / "tables"
    out = run([twin_sim, "export", str(path), "--arm", arm.replace("\x00", ""), "-o",
               str(out_dir)], timeout=30)
    refused(out, path, "arm")
    assert not outside.exists()
    assert not list(tmp_path.rglob("*pwn*"))
    for command in ["summary", "report"]:
        refused(analyse(twin_sim, path, tmp_path, command), path, "arm")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", ["summary_shape", "persons_short", "events_columns",
                                  "time_not_increasing", "event_person_out_of_range"])
def test_shapes_and_values_that_disagree_are_refused(
        twin_sim, small_result, tmp_path, command, case):
    def edit(f):
        if case == "summary_shape":
            del f["arms/baseline/summary/cvd_events"]
            f["arms/baseline/summary/cvd_events"] = np.zeros((1, 3), dtype=np.int64)
        elif case == "persons_short":
            del f["persons/age"]
            f["persons/age"] = np.zeros(7, dtype=np.float32)
        elif case == "events_columns":
            events = f["arms/baseline/events"]
            n = events["time"].shape[0]
            del events["time"]
            events["time"] = np.zeros(n + 5, dtype=np.float64)
        elif case == "time_not_increasing":
            f["time"][...] = f["time"][...][::-1]
            f["time"].attrs.pop("sha256", None)
        elif case == "event_person_out_of_range":
            person = f["arms/baseline/events/person"]
            assert person.shape[0] > 0
            person[0] = 10**12
            person.attrs.pop("sha256", None)
    path = crafted(small_result, tmp_path, edit)
    out = analyse(twin_sim, path, tmp_path, command)
    if case == "persons_short" and command == "summary":
        assert out.returncode in (0, 2), out.stderr  # summary does not read /persons
        return
    refused(out, path)


# ---------------------------------------------------------------------------
# Checksums: a changed value under an intact file structure.


def digests_present(path) -> bool:
    with h5py.File(path) as f:
        return "sha256" in f["arms/baseline/summary/cvd_events"].attrs


def flip_value_bytes(small_result, tmp_path, dataset) -> pathlib.Path:
    """Flips one bit of a stored value in place (the file stays valid HDF5)."""
    path = tmp_path / "flipped.h5"
    shutil.copyfile(small_result, path)
    with h5py.File(path) as f:
        offset = f[dataset].id.get_offset()
    assert offset is not None
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def test_writer_stores_a_digest_of_each_dataset(small_result):
    import hashlib
    with h5py.File(small_result) as f:
        checked = 0

        def visit(name, obj):
            nonlocal checked
            if isinstance(obj, h5py.Dataset) and "sha256" in obj.attrs:
                raw = obj[...].tobytes() if obj.dtype.kind != "S" else obj[...].tobytes()
                stored = obj.attrs["sha256"]
                stored = stored.decode() if isinstance(stored, bytes) else str(stored)
                assert hashlib.sha256(raw).hexdigest() == stored, name
                checked += 1
        f.visititems(visit)
    assert checked > 0
    with h5py.File(small_result) as f:
        for name in ["time", "person", "arms/baseline/summary/cvd_events",
                     "arms/baseline/events/person", "persons/age"]:
            assert "sha256" in f[name].attrs, name


@pytest.mark.parametrize("command", COMMANDS)
def test_a_flipped_summary_value_is_a_checksum_mismatch(twin_sim, small_result, tmp_path,
                                                        command):
    path = flip_value_bytes(small_result, tmp_path, "arms/baseline/summary/cvd_events")
    out = analyse(twin_sim, path, tmp_path, command)
    refused(out, path,
            "/arms/baseline/summary/cvd_events: checksum mismatch: the file is damaged")
    # --no-verify reads it as it is (the value is then wrong, but the user asked).
    out = analyse(twin_sim, path, tmp_path, command, "--no-verify")
    assert out.returncode in (0, 2), out.stderr
    assert "checksum" not in out.stderr


def test_files_without_digests_are_read_as_before(twin_sim, small_result, tmp_path):
    def edit(f):
        f.visititems(lambda name, obj: obj.attrs.pop("sha256", None)
                     if isinstance(obj, h5py.Dataset) else None)
    path = crafted(small_result, tmp_path, edit)
    plain = analyse(twin_sim, small_result, tmp_path, "summary")
    old = analyse(twin_sim, path, tmp_path, "summary")
    assert old.returncode == 0, old.stderr
    assert old.stdout.replace(str(path), "X") == plain.stdout.replace(str(small_result), "X")


# ---------------------------------------------------------------------------
# Crashes inside HDF5 are isolated.


def test_a_crash_while_reading_is_reported_not_passed_on(twin_sim, small_result, tmp_path):
    """TWIN_SIM_TEST_CRASH_AFTER_OPEN makes the reading child die of SIGSEGV
    after opening, as HDF5 does on some malformed object headers: the command
    still ends with exit 2 and a sentence."""
    env = dict(os.environ, TWIN_SIM_TEST_CRASH_AFTER_OPEN="1")
    for command in COMMANDS:
        cmd = {"summary": [twin_sim, "summary", str(small_result)],
               "report": [twin_sim, "report", str(small_result), "-o",
                          str(tmp_path / "r.html")],
               "export": [twin_sim, "export", str(small_result), "--arm", "baseline",
                          "-o", str(tmp_path / "t")]}[command]
        out = run(cmd, env=env, timeout=30)
        refused(out, small_result, "cannot be read safely", f"signal {int(signal.SIGSEGV)}")


# ---------------------------------------------------------------------------
# Fuzz: seeded mutations of the small result.


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Bit flips, byte overwrites or a truncation; half of them in the first
    8 KiB, where the superblock, root group and most object headers live."""
    data = bytearray(data)
    kind = rng.randrange(4)
    limit = len(data) if rng.random() < 0.5 else min(len(data), 8192)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(limit)
            data[position] ^= 1 << rng.randrange(8)
    elif kind == 1:
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(limit)
            width = rng.randint(1, 8)
            data[position:position + width] = bytes(rng.randrange(256) for _ in range(width))
    elif kind == 2:
        data = data[:rng.randrange(len(data))]
    else:
        position = rng.randrange(limit)
        data[position:position + 8] = rng.choice(
            [b"\xff" * 8, b"\x00" * 8, b"\x7f\xff\xff\xff\xff\xff\xff\xff"])
    return bytes(data)


FUZZ_SEED = int(os.environ.get("TWIN_SIM_FUZZ_SEED", "20250611"))
FUZZ_MUTATIONS = int(os.environ.get("TWIN_SIM_FUZZ_MUTATIONS", "500"))


def test_fuzz_damaged_files_end_with_exit_0_or_2(twin_sim, small_result, tmp_path):
    original = small_result.read_bytes()
    rng = random.Random(FUZZ_SEED)
    cases = []
    for index in range(FUZZ_MUTATIONS):
        path = tmp_path / f"m{index:04d}.h5"
        path.write_bytes(mutate(original, rng))
        # Every file through summary; every tenth also through report and export.
        commands = ["summary"] + (["report", "export"] if index % 10 == 0 else [])
        cases.extend((index, path, command) for command in commands)

    def one(case):
        index, path, command = case
        out_dir = tmp_path / f"out{index:04d}"
        out_dir.mkdir(exist_ok=True)
        try:
            out = analyse(twin_sim, path, out_dir, command, timeout=20)
        except Exception as error:  # timeout
            return (index, command, f"no end: {error}")
        if out.returncode not in (0, 2):
            return (index, command, out.returncode, out.stderr[-400:])
        if out.returncode == 2 and str(path) not in out.stderr:
            return (index, command, "message does not name the file", out.stderr[-400:])
        return None

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(one, cases) if f]
    assert not failures, f"seed {FUZZ_SEED}: {failures[:5]}"
