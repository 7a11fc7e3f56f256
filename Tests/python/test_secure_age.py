"""`twin-sim secure keygen/encrypt/decrypt` against Debian's `age` tools.

Interoperability is checked both ways (binary and ASCII armor) with the
reference implementation (age, age-keygen), which is the independent source.
"""

import hashlib
import os
import shutil
import stat
import subprocess

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
