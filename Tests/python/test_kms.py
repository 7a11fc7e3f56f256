"""The key service on loopback: `twin-sim kms serve` started as a subprocess,
driven by raw HTTPS (Python's ssl, pinned to the generated CA), by twin-sim's
own client commands, and by hvac, HashiCorp Vault's Python client, as an
independent check of Vault compatibility.

Loopback addresses 127.0.0.0/8 all reach `lo` on Linux, so a client bound to
127.0.0.2 or 127.0.0.3 talks to a server on 127.0.0.1 with that source address.
"""

import hashlib
import hmac
import http.client
import json
import os
import pathlib
import re
import select
import signal
import ssl
import subprocess
import time

import pytest

from conftest import run

READY = re.compile(r"^twin-sim kms ready VAULT_ADDR=(https://\S+) VAULT_CACERT=(\S+)$")


class KeyServer:
    """A running `twin-sim kms serve` with its address, CA and root token."""

    def __init__(self, binary: str, state_dir: pathlib.Path):
        self.binary = binary
        self.state_dir = state_dir
        self.audit_log = state_dir.parent / "audit.log"
        self.stderr_path = state_dir.parent / "kms-stderr.txt"
        self.process = subprocess.Popen(
            [binary, "kms", "serve", "--state-dir", str(state_dir),
             "--address", "127.0.0.1:0", "--audit-log", str(self.audit_log)],
            stdout=subprocess.PIPE, stderr=open(self.stderr_path, "w"), text=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline().strip() if ready else ""
        match = READY.match(line)
        if not match:
            self.process.kill()
            raise AssertionError(
                f"no ready line (got {line!r}); stderr: {self.stderr_path.read_text()}")
        self.address, self.ca = match.group(1), match.group(2)
        self.port = int(self.address.rsplit(":", 1)[1])
        self.root_token = (state_dir / "root-token").read_text().strip()
        self.requests = 0

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca)

    def api(self, method, path, token=None, body=None, source="127.0.0.1", wrap_ttl=None):
        """One raw HTTPS request from `source`; returns (status, JSON or None)."""
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.context(), source_address=(source, 0),
            timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        if wrap_ttl:
            headers["X-Vault-Wrap-TTL"] = wrap_ttl
        payload = json.dumps(body) if body is not None else None
        connection.request(method, "/v1/" + path, body=payload, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        self.requests += 1
        return response.status, (json.loads(text) if text else None)

    def cli(self, *arguments, token=None, extra_env=None):
        env = dict(os.environ)
        for name in ("VAULT_TOKEN", "VAULT_ADDR", "VAULT_CACERT"):
            env.pop(name, None)
        env["VAULT_ADDR"] = self.address
        env["VAULT_CACERT"] = self.ca
        if token:
            env["VAULT_TOKEN"] = token
        env.update(extra_env or {})
        return run([self.binary, "kms", *arguments], env=env, timeout=60)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def server(twin_sim, tmp_path):
    key_server = KeyServer(twin_sim, tmp_path / "state")
    yield key_server
    key_server.stop()


JOB_POLICY = 'path "secret/data/twin-sim/jobs/*" {\n  capabilities = ["read"]\n}\n'


def setup_job_secret(server, tmp_path, identity="AGE-SECRET-KEY-1JOBKEYFORTESTSONLY"):
    policy_file = tmp_path / "job.hcl"
    policy_file.write_text(JOB_POLICY)
    result = server.cli("policy", "write", "twin-sim-job", str(policy_file),
                        token=server.root_token)
    assert result.returncode == 0, result.stderr
    identity_file = tmp_path / "identity.txt"
    identity_file.write_text(identity)
    result = server.cli("kv", "put", "secret/twin-sim/jobs/job1", f"identity=@{identity_file}",
                        "note=plain", token=server.root_token)
    assert result.returncode == 0, result.stderr
    assert identity not in result.stdout + result.stderr


def test_ready_line_state_files_and_clean_stop(server):
    assert (server.state_dir / "root-token").stat().st_mode & 0o777 == 0o600
    assert (server.state_dir / "audit-hmac-key").stat().st_mode & 0o777 == 0o600
    assert server.state_dir.stat().st_mode & 0o777 == 0o700
    assert server.root_token.startswith("hvs.")
    status, body = server.api("GET", "sys/health")
    assert status == 200 and body["sealed"] is False
    assert server.stop() == 0


def test_token_bound_to_127_0_0_2_works_only_from_there(server, tmp_path):
    setup_job_secret(server, tmp_path)
    result = server.cli(
        "write", "auth/token/roles/twin-sim-job", "allowed_policies=twin-sim-job",
        "token_bound_cidrs=127.0.0.2/32", token=server.root_token)
    assert result.returncode == 0, result.stderr
    result = server.cli("token", "create", "--role", "twin-sim-job", "-field", "token",
                        token=server.root_token)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    status, body = server.api("GET", "secret/data/twin-sim/jobs/job1", token, source="127.0.0.3")
    assert status == 403 and body == {"errors": ["permission denied"]}
    status, body = server.api("GET", "secret/data/twin-sim/jobs/job1", token, source="127.0.0.2")
    assert status == 200
    assert body["data"]["data"]["identity"] == "AGE-SECRET-KEY-1JOBKEYFORTESTSONLY"
    # The role's policy holds: the token may read the job path and nothing else.
    status, _ = server.api("GET", "secret/data/other", token, source="127.0.0.2")
    assert status == 403

    # The same through twin-sim's own --bound-cidr (server extension).
    result = server.cli("token", "create", "--policy", "twin-sim-job",
                        "--bound-cidr", "127.0.0.2/32", "-field", "token",
                        token=server.root_token)
    assert result.returncode == 0, result.stderr
    direct = result.stdout.strip()
    assert server.api("GET", "secret/data/twin-sim/jobs/job1", direct, source="127.0.0.3")[0] == 403
    assert server.api("GET", "secret/data/twin-sim/jobs/job1", direct, source="127.0.0.2")[0] == 200


def test_wrapping_token_unwraps_once_then_the_job_reads_its_key(server, tmp_path):
    setup_job_secret(server, tmp_path)
    result = server.cli("token", "create", "--policy", "twin-sim-job", "--ttl", "1h",
                        "--use-limit", "2", "--wrap-ttl", "60s", "-field", "wrapping_token",
                        token=server.root_token)
    assert result.returncode == 0, result.stderr
    wrapping = result.stdout.strip()
    assert wrapping.startswith("hvs.")

    # The node side's exact commands (no VAULT_TOKEN for the unwrap).
    first = server.cli("unwrap", "-field", "token", wrapping)
    assert first.returncode == 0, first.stderr
    job_token = first.stdout
    assert job_token.startswith("hvs.") and "\n" not in job_token
    fetched = server.cli("kv", "get", "-field", "identity", "secret/twin-sim/jobs/job1",
                         token=job_token)
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == "AGE-SECRET-KEY-1JOBKEYFORTESTSONLY"

    second = server.cli("unwrap", "-field", "token", wrapping)
    assert second.returncode == 1
    assert "wrapping token is not valid or does not exist" in second.stderr
    assert wrapping not in second.stderr
    status, body = server.api("POST", "sys/wrapping/unwrap", wrapping, body={})
    assert status == 400
    assert body == {"errors": ["wrapping token is not valid or does not exist"]}


def test_wrapped_kv_read_unwraps_once_over_raw_http(server, tmp_path):
    setup_job_secret(server, tmp_path)
    status, body = server.api("GET", "secret/data/twin-sim/jobs/job1", server.root_token,
                              wrap_ttl="30s")
    assert status == 200 and body["data"] is None
    info = body["wrap_info"]
    assert info["ttl"] == 30 and info["creation_path"] == "secret/data/twin-sim/jobs/job1"
    status, body = server.api("POST", "sys/wrapping/unwrap", server.root_token,
                              body={"token": info["token"]})
    assert status == 200
    assert body["data"]["data"]["identity"] == "AGE-SECRET-KEY-1JOBKEYFORTESTSONLY"
    status, _ = server.api("POST", "sys/wrapping/unwrap", server.root_token,
                           body={"token": info["token"]})
    assert status == 400


def test_use_limited_token_stops_after_its_uses(server, tmp_path):
    setup_job_secret(server, tmp_path)
    result = server.cli("token", "create", "--policy", "twin-sim-job", "--use-limit", "2",
                        "-field", "token", token=server.root_token)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert server.api("GET", "secret/data/twin-sim/jobs/job1", token)[0] == 200
    assert server.api("GET", "secret/data/twin-sim/jobs/job1", token)[0] == 200
    status, body = server.api("GET", "secret/data/twin-sim/jobs/job1", token)
    assert status == 403 and body == {"errors": ["permission denied"]}
    refused = server.cli("kv", "get", "secret/twin-sim/jobs/job1", token=token)
    assert refused.returncode == 1 and "permission denied" in refused.stderr


def test_expired_token_is_refused(server, tmp_path):
    setup_job_secret(server, tmp_path)
    result = server.cli("token", "create", "--policy", "twin-sim-job", "--ttl", "1s",
                        "-field", "token", token=server.root_token)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    time.sleep(1.5)
    status, body = server.api("GET", "secret/data/twin-sim/jobs/job1", token)
    assert status == 403 and body == {"errors": ["permission denied"]}


def test_audit_log_has_a_request_and_a_response_line_per_request_and_no_plaintext(
        server, tmp_path):
    secret = "AGE-SECRET-KEY-1AUDITMUSTNEVERSHOWTHISVALUE"
    root = server.root_token
    calls = [
        ("PUT", "sys/policies/acl/twin-sim-job", root, {"policy": JOB_POLICY}, None),
        ("POST", "secret/data/twin-sim/jobs/a", root, {"data": {"identity": secret}}, None),
        ("POST", "auth/token/create", root, {"policies": ["twin-sim-job"], "num_uses": 3}, None),
    ]
    responses = [server.api(m, p, t, body=b, wrap_ttl=w) for m, p, t, b, w in calls]
    job_token = responses[2][1]["auth"]["client_token"]
    status, wrapped = server.api("POST", "auth/token/create", root,
                                 body={"policies": ["twin-sim-job"]}, wrap_ttl="60s")
    wrapping = wrapped["wrap_info"]["token"]
    status, unwrapped = server.api("POST", "sys/wrapping/unwrap", wrapping, body={})
    inner = unwrapped["auth"]["client_token"]
    assert server.api("GET", "secret/data/twin-sim/jobs/a", job_token)[0] == 200
    assert server.api("GET", "secret/data/twin-sim/jobs/missing", job_token)[0] == 404
    assert server.api("GET", "secret/data/twin-sim/jobs/a", "hvs.notatoken")[0] == 403
    server.stop()

    lines = server.audit_log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    kinds = [entry["type"] for entry in entries]
    assert kinds.count("request") == server.requests
    assert kinds.count("response") == server.requests
    assert len(lines) == 2 * server.requests
    # Each request line is followed by its response line (same request id).
    for request, response in zip(entries[0::2], entries[1::2]):
        assert (request["type"], response["type"]) == ("request", "response")
        assert request["request"]["id"] == response["request"]["id"]
        assert request["request"]["remote_address"] == "127.0.0.1"

    text = server.audit_log.read_text()
    for plaintext in (secret, root, job_token, wrapping, inner, "hvs.notatoken"):
        assert plaintext not in text
    assert server.audit_log.stat().st_mode & 0o777 == 0o600

    # Tokens and values appear as HMAC-SHA256 with the key in the state folder,
    # computed here independently of twin-sim.
    key = bytes.fromhex((server.state_dir / "audit-hmac-key").read_text().strip())

    def hashed(value):
        return "hmac-sha256:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    assert entries[0]["auth"]["client_token"] == hashed(root)
    assert entries[2]["request"]["data"]["data"]["identity"] == hashed(secret)
    assert entries[5]["response"]["auth"]["client_token"] == hashed(job_token)
    assert hashed(wrapping) in text and hashed(inner) in text
    read_response = next(e for e in entries if e["type"] == "response"
                         and e["request"]["path"] == "secret/data/twin-sim/jobs/a"
                         and e["request"]["operation"] == "read")
    assert read_response["response"]["data"]["data"]["identity"] == hashed(secret)
    refused = entries[-1]
    assert refused["response"]["status"] == 403 and refused["error"] == "permission denied"


def test_tls_with_an_unpinned_ca_fails(server, tmp_path):
    # Python's default trust store does not know the generated CA.
    connection = http.client.HTTPSConnection("127.0.0.1", server.port,
                                             context=ssl.create_default_context(), timeout=30)
    with pytest.raises(ssl.SSLCertVerificationError):
        connection.request("GET", "/v1/sys/health")
    connection.close()
    # twin-sim's client without VAULT_CACERT (system trust) refuses too ...
    result = server.cli("kv", "get", "secret/twin-sim/jobs/job1", token=server.root_token,
                        extra_env={"VAULT_CACERT": ""})
    assert result.returncode == 1 and "TLS" in result.stderr
    # ... and so does one pinned to another server's CA.
    other = KeyServer(server.binary, tmp_path / "other-state")
    try:
        result = server.cli("kv", "get", "secret/twin-sim/jobs/job1", token=server.root_token,
                            extra_env={"VAULT_CACERT": other.ca})
        assert result.returncode == 1 and "TLS" in result.stderr
        assert server.root_token not in result.stderr
    finally:
        other.stop()


def test_client_errors_are_clear_and_never_echo_secrets(server, tmp_path):
    result = server.cli("kv", "get", "secret/twin-sim/jobs/none", token=server.root_token)
    assert result.returncode == 1 and "HTTP 404" in result.stderr
    result = server.cli("kv", "put", "secret/x", "novalue", token=server.root_token)
    assert result.returncode == 2 and "KEY=VALUE" in result.stderr
    result = server.cli("token", "create", "--ttl", "soon", token=server.root_token)
    assert result.returncode != 0 and "not a duration" in result.stderr
    bad_policy = tmp_path / "bad.hcl"
    bad_policy.write_text('path "secret/*" { capabilities = ["write"] }\n')
    result = server.cli("policy", "write", "bad", str(bad_policy), token=server.root_token)
    assert result.returncode == 1 and 'invalid capability "write"' in result.stderr
    result = server.cli("kv", "get", "secret/x", token=server.root_token,
                        extra_env={"VAULT_ADDR": "ftp://nowhere"})
    assert result.returncode == 2 and "VAULT_ADDR" in result.stderr


def test_hvac_speaks_to_the_server(server):
    hvac = pytest.importorskip("hvac")
    client = hvac.Client(url=server.address, token=server.root_token, verify=server.ca)
    assert client.is_authenticated()

    client.secrets.kv.v2.create_or_update_secret(
        path="twin-sim/jobs/hvac", secret={"identity": "AGE-SECRET-KEY-1HVAC"})
    read = client.secrets.kv.v2.read_secret_version(
        path="twin-sim/jobs/hvac", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"identity": "AGE-SECRET-KEY-1HVAC"}
    assert read["data"]["metadata"]["version"] == 1

    client.sys.create_or_update_acl_policy(name="twin-sim-job", policy=JOB_POLICY)
    client.adapter.post("/v1/auth/token/roles/twin-sim-job", json={
        "allowed_policies": ["twin-sim-job"], "token_num_uses": 2, "token_ttl": "1h"})
    wrapped = client.auth.token.create(role_name="twin-sim-job", wrap_ttl="60s")
    wrapping = wrapped["wrap_info"]["token"]

    job = hvac.Client(url=server.address, token=wrapping, verify=server.ca)
    unwrapped = job.sys.unwrap()
    job_token = unwrapped["auth"]["client_token"]
    assert sorted(unwrapped["auth"]["policies"]) == ["default", "twin-sim-job"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        job.sys.unwrap()

    job = hvac.Client(url=server.address, token=job_token, verify=server.ca)
    assert job.auth.token.lookup_self()["data"]["num_uses"] == 1
    secret = job.secrets.kv.v2.read_secret_version(
        path="twin-sim/jobs/hvac", raise_on_deleted_version=True)
    assert secret["data"]["data"]["identity"] == "AGE-SECRET-KEY-1HVAC"
    with pytest.raises(hvac.exceptions.Forbidden):
        job.secrets.kv.v2.read_secret_version(
            path="twin-sim/jobs/hvac", raise_on_deleted_version=True)

    # Unwrapping with the token in the body, authenticated by another token.
    again = client.auth.token.create(policies=["twin-sim-job"], ttl="10m", wrap_ttl="1m")
    body_unwrap = client.sys.unwrap(token=again["wrap_info"]["token"])
    assert body_unwrap["auth"]["client_token"].startswith("hvs.")
