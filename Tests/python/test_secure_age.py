"""`twin-sim secure keygen/encrypt/decrypt` against Debian's `age` tools.

Interoperability is checked both ways (binary and ASCII armor) with the
reference implementation (age, age-keygen), which is the independent source.
"""

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import run

pytestmark = pytest.mark.skipif(
    shutil.which("age") is None, reason="needs the Debian package age (scripts/setup)")


def keygen(twin_sim, path):
    result = run([twin_sim, "secure", "keygen", "-o", str(path)])
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_keygen_writes_an_age_keygen_style_file_with_mode_0600(twin_sim, tmp_path):
    key = tmp_path / "key.txt"
    recipient = keygen(twin_sim, key)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    lines = key.read_text().splitlines()
    assert lines[0].startswith("# created: ")
    assert lines[1] == f"# public key: {recipient}"
    assert lines[2].startswith("AGE-SECRET-KEY-1")
    derived = run(["age-keygen", "-y", str(key)])
    assert derived.returncode == 0, derived.stderr
    assert derived.stdout.strip() == recipient
    again = run([twin_sim, "secure", "keygen", "-o", str(key)])
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


@pytest.mark.parametrize("armor", [False, True])
def test_files_encrypted_by_twin_sim_open_with_age(twin_sim, tmp_path, armor):
    key = tmp_path / "key.txt"
    recipient = keygen(twin_sim, key)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(200_000))
    sealed = tmp_path / "plain.age"
    command = [twin_sim, "secure", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)]
    result = run(command + (["-a"] if armor else []))
    assert result.returncode == 0, result.stderr
    if armor:
        text = sealed.read_text()
        assert text.startswith("-----BEGIN AGE ENCRYPTED FILE-----\n")
        assert text.endswith("-----END AGE ENCRYPTED FILE-----\n")
    opened = tmp_path / "opened.bin"
    result = run(["age", "-d", "-i", str(key), "-o", str(opened), str(sealed)])
    assert result.returncode == 0, result.stderr
    assert opened.read_bytes() == plain.read_bytes()


@pytest.mark.parametrize("armor", [False, True])
def test_files_encrypted_by_age_open_with_twin_sim(twin_sim, tmp_path, armor):
    key = tmp_path / "key.txt"
    assert run(["age-keygen", "-o", str(key)]).returncode == 0
    recipient = run(["age-keygen", "-y", str(key)]).stdout.strip()
    other = run(["age-keygen"]).stdout.splitlines()[1].split(": ")[1]
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(3 * 65536))  # exactly three full chunks
    sealed = tmp_path / "plain.age"
    command = ["age", "-r", other, "-r", recipient, "-o", str(sealed)]
    result = run(command + (["-a"] if armor else []) + [str(plain)])
    assert result.returncode == 0, result.stderr
    if armor:
        assert sealed.read_text().startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    opened = tmp_path / "opened.bin"
    result = run([twin_sim, "secure", "decrypt", "-i", str(key), "-o", str(opened), str(sealed)])
    assert result.returncode == 0, result.stderr
    assert opened.read_bytes() == plain.read_bytes()


def test_damaged_file_or_wrong_key_fails_and_leaves_no_output(twin_sim, tmp_path):
    key = tmp_path / "key.txt"
    recipient = keygen(twin_sim, key)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(150_000))
    sealed = tmp_path / "plain.age"
    assert run([twin_sim, "secure", "encrypt", "-r", recipient, "-o", str(sealed),
                str(plain)]).returncode == 0
    data = bytearray(sealed.read_bytes())
    data[-100] ^= 1  # in the last chunk, after two chunks verified
    damaged = tmp_path / "damaged.age"
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out" / "plain.bin"
    out.parent.mkdir()
    result = run([twin_sim, "secure", "decrypt", "-i", str(key), "-o", str(out), str(damaged)])
    assert result.returncode == 1
    assert "chunk 2 failed authentication" in result.stderr
    assert os.listdir(out.parent) == []
    truncated = tmp_path / "truncated.age"
    truncated.write_bytes(sealed.read_bytes()[:-65552 // 2])
    result = run([twin_sim, "secure", "decrypt", "-i", str(key), "-o", str(out), str(truncated)])
    assert result.returncode == 1 and os.listdir(out.parent) == []
    other_key = tmp_path / "other.txt"
    keygen(twin_sim, other_key)
    result = run([twin_sim, "secure", "decrypt", "-i", str(other_key), "-o", str(out),
                  str(sealed)])
    assert result.returncode == 1 and "no identity matches" in result.stderr
    assert os.listdir(out.parent) == []


def peak_rss_kib(command):
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return int(result.stderr.strip().splitlines()[-1])


def test_200_mb_file_streams_in_bounded_memory(twin_sim, tmp_path):
    key = tmp_path / "key.txt"
    recipient = keygen(twin_sim, key)
    plain = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(plain, "wb") as handle:
        block = os.urandom(1 << 20)
        for index in range(200):
            piece = block[index:] + block[:index]
            digest.update(piece)
            handle.write(piece)
    sealed = tmp_path / "big.age"
    rss_encrypt = peak_rss_kib([twin_sim, "secure", "encrypt", "-r", recipient,
                                "-o", str(sealed), str(plain)])
    plain.unlink()
    opened = tmp_path / "big.out"
    rss_decrypt = peak_rss_kib([twin_sim, "secure", "decrypt", "-i", str(key),
                                "-o", str(opened), str(sealed)])
    check = hashlib.sha256()
    with open(opened, "rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            check.update(piece)
    assert check.hexdigest() == digest.hexdigest()
    print(f"peak RSS: encrypt {rss_encrypt} KiB, decrypt {rss_decrypt} KiB")
    # 3200 full 64 KiB chunks, each with a 16-byte tag, after a 16-byte nonce and the header.
    header_bytes = os.path.getsize(sealed) - (200 * (1 << 20) + 16 + 3200 * 16)
    assert 100 < header_bytes < 300
    assert rss_encrypt < 100 * 1024, f"encrypt peak RSS {rss_encrypt} KiB"
    assert rss_decrypt < 100 * 1024, f"decrypt peak RSS {rss_decrypt} KiB"


# A recognisable plaintext: every 64 KiB chunk holds this line many times.
MARKER = b"twin-sim plaintext marker: person 0042, systolic 141 mmHg, smoker\n"


def write_pattern(path, size):
    block = MARKER * ((1 << 20) // len(MARKER) + 1)
    with open(path, "wb") as handle:
        remaining = size
        while remaining > 0:
            piece = block[:min(remaining, 1 << 20)]
            handle.write(piece)
            remaining -= len(piece)


def bytes_written(pid):
    """What the process has written so far (`wchar` of /proc/PID/io)."""
    with open(f"/proc/{pid}/io") as io:
        for line in io:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    raise AssertionError("no wchar in /proc/PID/io")


def files_holding(folder, needle):
    """Every file below `folder` (hidden ones too) whose bytes contain `needle`."""
    hits = []
    for base, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as handle:
                tail = b""
                for piece in iter(lambda: handle.read(1 << 20), b""):
                    if needle in tail + piece:
                        hits.append(path)
                        break
                    tail = piece[-len(needle):]
    return hits


def supports_unnamed_files(folder):
    try:
        os.close(os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600))
        return True
    except OSError:
        return False


@pytest.fixture
def output_folder(tmp_path):
    """An empty folder on a file system that makes files without a name
    (O_TMPFILE): below tmp_path, else (e.g. tmp on an old overlayfs) below
    /dev/shm (tmpfs). Without one, twin-sim uses its documented named
    fallback, whose leftovers this test would rightly find."""
    if supports_unnamed_files(tmp_path):
        folder = tmp_path / "out"
        folder.mkdir()
        yield folder
        return
    if not supports_unnamed_files("/dev/shm"):
        pytest.fail("neither the test folder nor /dev/shm supports O_TMPFILE")
    folder = tempfile.mkdtemp(prefix="twin-sim-test-", dir="/dev/shm")
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("source", ["pipe", "file"])
def test_decrypt_killed_mid_file_leaves_no_plaintext_under_the_output_folder(
        twin_sim, tmp_path, output_folder, source):
    # `decrypt -o FILE` killed with SIGKILL (no handler runs) halfway through:
    # the plaintext written so far must not survive under any name in FILE's
    # folder. "pipe" feeds half of the ciphertext through standard input and
    # holds the rest back (deterministic); "file" reads a 200 MB file.
    key = tmp_path / "key.txt"
    recipient = keygen(twin_sim, key)
    plain = tmp_path / "cohort.csv"
    size = (64 if source == "pipe" else 200) << 20
    write_pattern(plain, size)
    sealed = tmp_path / "cohort.csv.age"
    result = run([twin_sim, "secure", "encrypt", "-r", recipient, "-o", str(sealed), str(plain)])
    assert result.returncode == 0, result.stderr
    plain.unlink()
    out = output_folder
    command = [twin_sim, "secure", "decrypt", "-i", str(key), "-o", str(out / "cohort.csv")]
    if source == "pipe":
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
        with open(sealed, "rb") as handle:
            process.stdin.write(handle.read(size // 2))
        process.stdin.flush()
        threshold = size // 2 - (8 << 20)
    else:
        process = subprocess.Popen(command + [str(sealed)], stderr=subprocess.DEVNULL)
        threshold = 8 << 20
    try:
        deadline = time.monotonic() + 120
        while bytes_written(process.pid) < threshold:
            assert process.poll() is None, "decrypt ended before it could be killed"
            assert time.monotonic() < deadline, "decrypt made no progress"
            time.sleep(0.001)
        # Mid-decrypt: plaintext has been written; which names does the folder show?
        names_while_running = os.listdir(out)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert files_holding(out, MARKER) == []
    assert os.listdir(out) == []
    assert names_while_running == []
