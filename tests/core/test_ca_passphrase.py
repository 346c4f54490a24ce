"""The CA key under a passphrase: PKCS#8 with AES-256 that OpenSSL reads, every signing path opens
it with the passphrase given (and nothing else), reading never needs it, and a wrong one writes
nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD
from support.tools import tool as need

from wizard import ca_key, clients, script, steps, teaching
from wizard.ca_key import CaLocked, WrongPassphrase
from wizard.lifecycle import renew
from wizard.progress import survey
from wizard.session import Session
from wizard.workspace import Workspace

PASSPHRASE = "correct horse battery staple"


def protected_pki(root: Path, passphrase: str = PASSPHRASE) -> Workspace:
    ws = Workspace(root)
    session = Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256", client_key_type="ec-p256")
    steps.generate(ws, session, P12_PASSWORD, protect=passphrase)
    return ws


def tree(ws: Workspace) -> dict[str, bytes]:
    """Every file of the workspace and its content: what a refused command must leave as it was."""
    return {str(path.relative_to(ws.root)): path.read_bytes() for path in sorted(ws.root.rglob("*")) if path.is_file()}


def test_a_new_ca_key_is_pkcs8_aes256_and_openssl_opens_it_with_the_passphrase(tmp_path: Path) -> None:
    ws = protected_pki(tmp_path / "ws")
    text = ws.key("ca").read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----") and ca_key.is_encrypted(ws)
    structure = subprocess.run([need("openssl"), "asn1parse", "-in", str(ws.key("ca"))], capture_output=True, text=True, check=True).stdout
    assert "PBES2" in structure and "aes-256-cbc" in structure
    opened = subprocess.run([need("openssl"), "pkey", "-in", str(ws.key("ca")), "-passin", f"pass:{PASSPHRASE}", "-noout"],
                            capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    refused = subprocess.run([need("openssl"), "pkey", "-in", str(ws.key("ca")), "-passin", "pass:wrong", "-noout"], capture_output=True, text=True)
    assert refused.returncode != 0
    # the leaves were signed by that very key: the chain verifies
    verified = subprocess.run([need("openssl"), "verify", "-CAfile", str(ws.cert("ca")), str(ws.cert("server")), str(ws.cert("client"))],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr


def test_without_the_passphrase_nothing_signs_and_a_wrong_one_writes_nothing(tmp_path: Path) -> None:
    ws = protected_pki(tmp_path / "ws")
    before = tree(ws)
    options = clients.ClientOptions()
    with pytest.raises(CaLocked, match="protected by a passphrase.*--ca-password-file"):
        clients.issue_clients(ws, ["alice"], P12_PASSWORD, options)
    with pytest.raises(WrongPassphrase, match="wrong.*nothing was written"):
        clients.issue_clients(ws, ["alice"], P12_PASSWORD, options, unlock=ca_key.given("not it"))
    with pytest.raises(WrongPassphrase):
        renew.renew_server(ws, unlock=ca_key.given("not it"))
    with pytest.raises(WrongPassphrase):
        clients.refresh_crl(ws, unlock=ca_key.given("not it"))
    with pytest.raises(CaLocked):
        renew.renew_ca(ws)
    assert tree(ws) == before  # not a file more, less or changed (no backup folder either)
    done = clients.issue_clients(ws, ["alice"], P12_PASSWORD, options, unlock=ca_key.given(PASSPHRASE))
    assert [issued.name for issued in done.issued] == ["alice"] and not done.failed


def test_every_signing_path_opens_the_key_with_the_passphrase(tmp_path: Path) -> None:
    ws = protected_pki(tmp_path / "ws")
    unlock = ca_key.given(PASSPHRASE)
    session = Session(workspace=str(ws.root), server_cn="localhost", server_key_type="ec-p256", client_key_type="ec-p256")
    steps.issue_server(ws, session, force=True, unlock=unlock)
    steps.issue_client(ws, session, P12_PASSWORD, force=True, unlock=unlock)
    clients.issue_clients(ws, ["bob"], P12_PASSWORD, clients.ClientOptions(), unlock=unlock)
    assert clients.revoke(ws, "bob", unlock=unlock).name == "bob"
    clients.refresh_crl(ws, unlock=unlock)
    renew.renew_server(ws, unlock=unlock)
    renew.renew_client(ws, "client", P12_PASSWORD, unlock=unlock)
    renew.renew_ca(ws, unlock=unlock)
    assert ca_key.is_encrypted(ws)  # renewing the CA keeps the key file (and its passphrase) as it was
    ca = subprocess.run([need("openssl"), "crl", "-in", str(clients.crl_path(ws)), "-CAfile", str(ws.cert("ca")), "-noout"],
                        capture_output=True, text=True)
    assert ca.returncode == 0, ca.stderr


def test_reading_never_needs_the_passphrase(tmp_path: Path) -> None:
    """What only reads (the progress survey, the client list, the CA's certificate) works on a CA
    whose key stays closed."""
    ws = protected_pki(tmp_path / "ws")
    clients.issue_clients(ws, ["carol"], P12_PASSWORD, clients.ClientOptions(), unlock=ca_key.given(PASSPHRASE))
    found = survey(ws)
    assert found.steps_done == [1, 2, 3] and not found.problems
    assert steps.load_ca_certificate(ws).subject == steps.load_ca(ws, ca_key.given(PASSPHRASE))[1].subject
    assert {entry.name for entry in clients.list_clients(ws)} == {"client", "carol"}


def test_a_ca_reused_in_step_1_is_checked_without_opening_its_key(tmp_path: Path) -> None:
    ws = protected_pki(tmp_path / "ws")
    outcome = steps.create_ca(ws, Session(workspace=str(ws.root), ca_key_type="ec-p256"))
    assert outcome.reused and ca_key.is_encrypted(ws)


def test_the_passphrase_is_added_changed_and_removed_with_a_backup(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    steps.generate(ws, Session(workspace=str(ws.root), server_cn="localhost", ca_key_type="ec-p256", server_key_type="ec-p256",
                               client_key_type="ec-p256"), P12_PASSWORD)
    plain = ws.key("ca").read_bytes()
    backup, warnings = ca_key.change_passphrase(ws, None, PASSPHRASE)
    assert ca_key.is_encrypted(ws) and (backup / "ca" / "ca.key").read_bytes() == plain and not warnings
    backup, _warnings = ca_key.change_passphrase(ws, ca_key.given(PASSPHRASE), "another one, longer still")
    assert ca_key.is_encrypted_pem((backup / "ca" / "ca.key").read_bytes())
    with pytest.raises(WrongPassphrase):
        ca_key.change_passphrase(ws, ca_key.given(PASSPHRASE), None)
    backup, _warnings = ca_key.change_passphrase(ws, ca_key.given("another one, longer still"), None)
    assert not ca_key.is_encrypted(ws)
    # the same key throughout: what it signed still verifies against it
    assert steps.load_ca(ws)[0].public_key().public_numbers() == steps.load_ca_certificate(ws).public_key().public_numbers()
    assert ca_key.change_passphrase(ws, None, "short")[1]  # a short one is taken, with a warning


@pytest.mark.parametrize("passphrase", ["", "tab\there"])
def test_an_empty_passphrase_or_a_control_character_is_refused(tmp_path: Path, passphrase: str) -> None:
    with pytest.raises(ca_key.InputError):
        protected_pki(tmp_path / "ws", passphrase)
    assert not (tmp_path / "ws" / "ca" / "ca.key").exists()


def test_the_openssl_script_protects_the_ca_key_and_opens_it_from_the_variable(tmp_path: Path) -> None:
    ws = protected_pki(tmp_path / "ws")
    clients.issue_clients(ws, ["dave"], P12_PASSWORD, clients.ClientOptions(), unlock=ca_key.given(PASSPHRASE))
    clients.revoke(ws, "dave", unlock=ca_key.given(PASSPHRASE))
    text = script.full_script(script.profile_from_workspace(ws), ws.root)
    assert "-aes256 -pass env:MTLS_WIZARD_CA_PASSWORD -out ca/ca.key" in text
    assert text.count("-passin env:MTLS_WIZARD_CA_PASSWORD") >= 6  # CSR, self-signing, server, client, dave, revoke and CRL
    assert PASSPHRASE not in text
    env = {"PATH": "/usr/bin:/bin:/usr/sbin", "MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD, "MTLS_WIZARD_CA_PASSWORD": "script passphrase"}
    (tmp_path / "script.sh").write_text(text)
    ran = subprocess.run([need("bash"), str(tmp_path / "script.sh"), str(tmp_path / "rebuilt")], capture_output=True, text=True, env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "rebuilt" / "ca" / "ca.key").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    missing = subprocess.run([need("bash"), str(tmp_path / "script.sh"), str(tmp_path / "again")], capture_output=True, text=True,
                             env={**env, "MTLS_WIZARD_CA_PASSWORD": ""}, timeout=60)
    assert missing.returncode != 0 and "MTLS_WIZARD_CA_PASSWORD" in missing.stderr and not (tmp_path / "again" / "ca").exists()
    assert "-passin env:MTLS_WIZARD_CA_PASSWORD" in teaching.revoke_commands("x", ca_protected=True)
    assert "-passin" not in teaching.client_commands("x")
