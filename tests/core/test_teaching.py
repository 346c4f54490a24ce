"""The openssl commands the wizard teaches for the actions after setup really work: run with
bash and openssl in a generated workspace, and judged by openssl."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import make_pki

from wizard import teaching


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MTLS_WIZARD_P12_PASSWORD": "teach-pass-1"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)


def test_the_client_and_revocation_commands_work(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    made = bash(teaching.client_commands("partner-7", org="ELB"), ws.root)
    assert made.returncode == 0, made.stderr
    cert = ws.root / "clients" / "partner-7" / "partner-7.crt"
    verified = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", str(ws.cert("ca")), str(cert)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    opened = subprocess.run(["openssl", "pkcs12", "-in", str(cert.with_suffix(".p12")), "-passin", "pass:teach-pass-1", "-noout"], capture_output=True)
    assert opened.returncode == 0
    revoked = bash(teaching.revoke_commands("partner-7", "keyCompromise"), ws.root)
    assert revoked.returncode == 0, revoked.stderr
    assert "Key Compromise" in revoked.stdout and "verify OK" in revoked.stdout + revoked.stderr


def test_the_ca_renewal_commands_keep_what_it_signed_valid(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    old = ws.cert("ca").read_bytes()
    renewed = bash(teaching.renew_ca_commands(days=100), ws.root)
    assert renewed.returncode == 0, renewed.stderr
    assert ws.cert("ca").read_bytes() != old and "server/server.crt: OK" in renewed.stdout


@pytest.mark.parametrize("keep_key", [False, True], ids=["new-key", "keep-key"])
def test_the_server_renewal_commands_work_in_a_workspace_as_the_wizard_leaves_it(tmp_path: Path, keep_key: bool) -> None:
    """Only what the wizard writes is there (no openssl config file): the same names, a new
    serial, the server profile, and the old files kept before anything is replaced."""
    from cryptography import x509

    from wizard import pki

    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=("www.shop.example.com", "192.0.2.7"))
    old_cert, old_key = pki.load_cert_pem(ws.cert("server").read_bytes()), ws.key("server").read_bytes()
    renewed = bash(teaching.renew_server_commands(keep_key=keep_key, days=90), ws.root)
    assert renewed.returncode == 0, renewed.stderr
    new = pki.load_cert_pem(ws.cert("server").read_bytes())
    assert new.subject == old_cert.subject and new.serial_number != old_cert.serial_number
    san = x509.SubjectAlternativeName
    assert new.extensions.get_extension_for_class(san).value == old_cert.extensions.get_extension_for_class(san).value
    assert (ws.key("server").read_bytes() == old_key) is keep_key and (ws.root / "backup" / "server.key").read_bytes() == old_key
    verified = subprocess.run(["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", str(ws.cert("ca")), str(ws.cert("server"))],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert pki.keys_match(pki.load_key_pem(ws.key("server").read_bytes()), new)


def test_values_are_quoted(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    bash(teaching.client_commands("o'brien", org="A $(touch pwned)"), ws.root)
    assert not (ws.root / "pwned").exists()
