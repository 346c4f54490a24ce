"""Many clients: `client issue|list|revoke|crl` as real processes, judged by openssl, pkilint,
keytool, pk12util and a real nginx that loads the CRL."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, make_pki
from support.aging import client_from_the_past
from support.nginx_server import NginxServer, require_nginx
from support.tools import run, tool

from wizard import clients, pki
from wizard.cli.parser import REVOCATION_REASONS
from wizard.workspace import Workspace

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return make_pki(tmp_path / "ws")


def issue(cli: CliRunner, ws: Workspace, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return cli("client", "issue", *args, "-w", str(ws.root), "--key-type", "ec-p256", env=env or PASSWORD_ENV)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------
# issue
# ---------------------------------------------------------------------------


def test_issue_two_named_clients_that_real_tools_accept(cli: CliRunner, ws: Workspace, tmp_path: Path) -> None:
    result = issue(cli, ws, "alice", "bob")
    assert result.returncode == 0, result.stderr
    assert "2 of 2 clients issued" in result.stdout
    for name in ("alice", "bob"):
        files = clients.client_files(ws, name)
        assert files.folder == ws.root / "clients" / name
        assert mode(files.key) == mode(files.p12) == 0o600 and mode(files.cert) == 0o644 and files.csr.exists()
        cert = pki.load_cert_pem(files.cert.read_bytes())
        assert pki.cn_of(cert.subject) == name and pki.extended_key_usages(cert) == ["clientAuth"]
        verified = run("openssl", "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", str(ws.cert("ca")), str(files.cert))
        assert verified.returncode == 0, verified.stdout + verified.stderr
        opened = run("openssl", "pkcs12", "-in", str(files.p12), "-passin", f"pass:{P12_PASSWORD}", "-noout")
        assert opened.returncode == 0, opened.stderr
    keytool = run(tool("keytool"), "-list", "-storetype", "PKCS12", "-keystore", str(clients.client_files(ws, "alice").p12), "-storepass", P12_PASSWORD)
    assert keytool.returncode == 0 and "1 entry" in keytool.stdout
    db = tmp_path / "nssdb"
    db.mkdir()
    run(tool("certutil"), "-N", "-d", f"sql:{db}", "--empty-password")
    imported = run(tool("pk12util"), "-i", str(clients.client_files(ws, "bob").p12), "-d", f"sql:{db}", "-W", P12_PASSWORD)
    assert imported.returncode == 0, imported.stdout + imported.stderr


def test_issue_from_a_file_with_random_passwords_uses_the_worker_pool(cli: CliRunner, ws: Workspace, tmp_path: Path) -> None:
    names_file = tmp_path / "names.txt"
    names_file.write_text("# partners\ncarol\n\n  dave  \neve # the auditor\nfrank\n")
    result = issue(cli, ws, "--from", str(names_file), "--random-passwords", env={})
    assert result.returncode == 0, result.stderr
    passwords = set()
    for name in ("carol", "dave", "eve", "frank"):  # four: a batch made by worker processes
        files = clients.client_files(ws, name)
        assert mode(files.password) == 0o600
        password = files.password.read_text().rstrip("\n")
        assert len(password) >= 20
        passwords.add(password)
        opened = run("openssl", "pkcs12", "-in", str(files.p12), "-passin", f"pass:{password}", "-noout")
        assert opened.returncode == 0, opened.stderr
    assert len(passwords) == 4  # each person gets their own


@pytest.mark.parametrize("names", [["../x"], ["a b"], [".hidden"], ["-x"], ["x" * 65], ["ok", "ok"], []])
def test_bad_names_are_a_usage_error_with_nothing_written(cli: CliRunner, ws: Workspace, names: list[str]) -> None:
    args = ["--", *names] if names and names[0].startswith("-") else names
    result = issue(cli, ws, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (ws.root / "clients").exists()


def test_an_existing_client_is_refused_unless_forced_with_a_backup(cli: CliRunner, ws: Workspace) -> None:
    assert issue(cli, ws, "alice").returncode == 0
    before = clients.client_files(ws, "alice").cert.read_bytes()
    refused = issue(cli, ws, "alice", "zoe")
    assert refused.returncode == 1 and "'alice' already exists" in refused.stderr and "--force" in refused.stderr
    assert not clients.client_files(ws, "zoe").cert.exists()  # all refused before anything was written
    forced = issue(cli, ws, "alice", "--force")
    assert forced.returncode == 0, forced.stderr
    backups = list(ws.root.glob("backup-*"))
    assert len(backups) == 1 and (backups[0] / "clients" / "alice" / "alice.crt").read_bytes() == before
    assert clients.client_files(ws, "alice").cert.read_bytes() != before


def test_a_missing_ca_or_password_file_is_a_clear_error(cli: CliRunner, tmp_path: Path, ws: Workspace) -> None:
    empty = Workspace(tmp_path / "empty")
    no_ca = issue(cli, empty, "alice")
    assert no_ca.returncode == 1 and "no CA" in no_ca.stderr and not (empty.root / "clients").exists()
    missing = issue(cli, ws, "alice", "--p12-password-file", str(tmp_path / "nope"), env={})
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    no_names = issue(cli, ws, "--from", str(tmp_path / "names.txt"))  # a usage error, not "run the earlier step first"
    assert no_names.returncode == 2 and "names.txt does not exist: check the path" in no_names.stderr, no_names.stderr
    assert not (ws.root / "clients").exists()


# ---------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------


def test_list_json_has_exactly_the_promised_keys_and_states(cli: CliRunner, ws: Workspace) -> None:
    assert issue(cli, ws, "alice").returncode == 0
    assert issue(cli, ws, "soon", "--days", "10").returncode == 0
    _expired_client(ws, "old")
    assert cli("client", "revoke", "alice", "-w", str(ws.root)).returncode == 0
    listed = json.loads(cli("client", "list", "-w", str(ws.root), "--json").stdout)
    assert all(set(entry) == {"name", "common_name", "serial", "fingerprint_sha256", "not_after", "days_left", "state"} for entry in listed)
    states = {entry["name"]: entry["state"] for entry in listed}
    assert states == {"client": "valid", "alice": "revoked", "old": "expired", "soon": "expiring"}
    assert listed[0]["name"] == "client"  # the tutorial's client, listed first
    table = cli("client", "list", "-w", str(ws.root)).stdout
    assert "NAME" in table and "revoked" in table and "expiring" in table


def _expired_client(ws: Workspace, name: str) -> None:
    """A client whose validity ended yesterday (made with a past clock, as the test's own fixture)."""
    client_from_the_past(ws, name, P12_PASSWORD)


# ---------------------------------------------------------------------------
# revoke and the CRL
# ---------------------------------------------------------------------------


def _crl(ws: Workspace):  # noqa: ANN202
    from cryptography import x509

    return x509.load_pem_x509_crl(clients.crl_path(ws).read_bytes())


def test_revoke_writes_a_signed_crl_a_record_and_the_serials(cli: CliRunner, ws: Workspace) -> None:
    assert issue(cli, ws, "alice", "bob").returncode == 0
    result = cli("client", "revoke", "bob", "--reason", "keyCompromise", "-w", str(ws.root))
    assert result.returncode == 0, result.stderr
    assert "ELB itself checks no CRL" in result.stdout and "ssl_crl" in result.stdout
    bob = pki.load_cert_pem(clients.client_files(ws, "bob").cert.read_bytes())
    serial = clients.revocation.serial_text(bob.serial_number)
    assert len(serial) % 2 == 0 and serial == serial.upper()  # whole bytes, as the forwarded header carries it
    assert clients.serials_path(ws).read_text() == f"{serial}\n"
    record = json.loads(clients.record_path(ws).read_text())
    assert record["revoked"][0] | {"date": ""} == {"name": "bob", "serial": serial, "fingerprint": pki.fingerprint(bob), "reason": "keyCompromise", "date": ""}
    verified = run("openssl", "crl", "-in", str(clients.crl_path(ws)), "-CAfile", str(ws.cert("ca")), "-noout")
    assert verified.returncode == 0 and "verify OK" in verified.stdout + verified.stderr
    crl = _crl(ws)
    entry = crl.get_revoked_certificate_by_serial_number(bob.serial_number)
    assert entry is not None and crl.next_update_utc - crl.last_update_utc == dt.timedelta(days=30)
    again = cli("client", "revoke", "bob", "-w", str(ws.root))
    assert again.returncode == 0 and "already revoked" in again.stdout
    assert json.loads(clients.record_path(ws).read_text()) == record  # idempotent: nothing changed
    unknown = cli("client", "revoke", "nobody", "-w", str(ws.root))
    assert unknown.returncode == 1 and "no client 'nobody'" in unknown.stderr


def test_a_revoked_client_is_not_renewed_and_reissuing_it_says_so(cli: CliRunner, ws: Workspace) -> None:
    """A revoked certificate never comes back quietly: `renew` refuses, and a forced reissue under
    the same name (letting the client back in on purpose) warns."""
    assert cli("client", "issue", "carol", "-w", str(ws.root), "--key-type", "ec-p256", env=PASSWORD_ENV).returncode == 0
    assert cli("client", "revoke", "carol", "-w", str(ws.root)).returncode == 0
    before = clients.client_files(ws, "carol").cert.read_bytes()
    renewed = cli("renew", "client", "carol", "-w", str(ws.root), env=PASSWORD_ENV)
    assert renewed.returncode == 1 and "carol is revoked, so it is not renewed" in renewed.stderr, renewed.stderr
    assert clients.client_files(ws, "carol").cert.read_bytes() == before
    again = cli("client", "issue", "carol", "--force", "-w", str(ws.root), "--key-type", "ec-p256", env=PASSWORD_ENV)
    assert again.returncode == 0 and "carol was revoked: its new certificate is valid again" in again.stderr, again.stderr
    listed = json.loads(cli("client", "list", "-w", str(ws.root), "--json").stdout)
    assert next(entry for entry in listed if entry["name"] == "carol")["state"] == "valid"


def test_the_crl_number_grows_and_client_crl_refreshes_next_update(cli: CliRunner, ws: Workspace) -> None:
    from cryptography import x509

    assert issue(cli, ws, "alice", "bob").returncode == 0
    cli("client", "revoke", "alice", "-w", str(ws.root))
    first = _crl(ws)
    cli("client", "revoke", "bob", "--reason", "superseded", "-w", str(ws.root))
    second = _crl(ws)
    refreshed = cli("client", "crl", "--crl-days", "7", "-w", str(ws.root))
    assert refreshed.returncode == 0, refreshed.stderr
    third = _crl(ws)
    numbers = [c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number for c in (first, second, third)]
    assert numbers == [1, 2, 3]
    assert len(third) == 2 and third.next_update_utc - third.last_update_utc == dt.timedelta(days=7)


def test_the_crl_passes_pkilint(cli: CliRunner, ws: Workspace) -> None:
    assert issue(cli, ws, "alice").returncode == 0
    cli("client", "revoke", "alice", "--reason", "cessationOfOperation", "-w", str(ws.root))
    der = ws.root / "crl.der"
    run("openssl", "crl", "-in", str(clients.crl_path(ws)), "-outform", "DER", "-out", str(der))
    result = run(tool("lint_crl"), "lint", "-s", "WARNING", "-t", "CRL", "-p", "PKIX", str(der))
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout + result.stderr


def test_reasons_on_the_command_line_match_the_core() -> None:
    assert tuple(clients.REASONS) == REVOCATION_REASONS


def test_nginx_loading_the_crl_refuses_the_revoked_client_only(cli: CliRunner, ws: Workspace, tmp_path: Path) -> None:
    require_nginx()
    assert issue(cli, ws, "alice", "bob").returncode == 0
    assert cli("client", "revoke", "bob", "-w", str(ws.root)).returncode == 0

    class CrlNginx(NginxServer):
        def config(self) -> str:
            return super().config().replace("    ssl_verify_client on;\n", f"    ssl_verify_client on;\n    ssl_crl {clients.crl_path(ws)};\n")

    with CrlNginx(ws, tmp_path / "nginx") as nginx:
        statuses = {name: _status_with(ws, name, nginx.port) for name in ("client", "alice", "bob")}
        # check --client: the revoked client must be refused, and is; another client is accepted.
        revoked = cli("check", nginx.address, "-w", str(ws.root), "--client", "bob", "--timeout", "5")
        other = cli("check", nginx.address, "-w", str(ws.root), "--client", "alice", "--timeout", "5")
    assert statuses == {"client": 200, "alice": 200, "bob": 400}
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert "refuses the revoked bob" in revoked.stdout and "bob's revoked certificate" in revoked.stdout
    assert "enforces the CRL" in revoked.stdout.replace("\n    ", " ")
    assert other.returncode == 0 and "with the certificate of alice" in other.stdout and "accepts ours" in other.stdout


def test_check_with_a_revoked_client_fails_where_no_crl_is_checked(cli: CliRunner, ws: Workspace, tmp_path: Path) -> None:
    require_nginx()
    assert issue(cli, ws, "bob").returncode == 0
    assert cli("client", "revoke", "bob", "-w", str(ws.root)).returncode == 0
    with NginxServer(ws, tmp_path / "nginx") as nginx:  # like ELB: no CRL
        result = cli("check", nginx.address, "-w", str(ws.root), "--client", "bob", "--timeout", "5", "--json")
    verdict = json.loads(result.stdout)
    assert result.returncode == 1 and verdict["status"] == "fail" and verdict["client_revoked"] is True
    assert "the revoked client bob is let in" in verdict["summary"]
    assert any("checks no CRL" in line and "ELB never does" in line for line in verdict["diagnosis"])
    unknown = cli("check", nginx.address, "-w", str(ws.root), "--client", "nobody")
    assert unknown.returncode == 1 and "no client 'nobody'" in unknown.stderr


def _status_with(ws: Workspace, name: str, port: int) -> int:
    files = clients.client_files(ws, name)
    context = ssl.create_default_context(cafile=str(ws.cert("ca")))
    context.load_cert_chain(str(files.cert), str(files.key))
    import http.client

    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status
    finally:
        connection.close()


def test_inspect_a_client_by_name_shows_its_state_and_revocation(cli: CliRunner, ws: Workspace) -> None:
    assert issue(cli, ws, "alice", "bob").returncode == 0
    assert cli("client", "revoke", "bob", "--reason", "superseded", "-w", str(ws.root)).returncode == 0
    alice = cli("inspect", "--client", "alice", "-w", str(ws.root))
    assert alice.returncode == 0, alice.stderr
    assert "Client:       alice, valid (" in alice.stdout and "Subject:      CN=alice" in alice.stdout and "Revoked:" not in alice.stdout
    bob = json.loads(cli("inspect", "--client", "bob", "-w", str(ws.root), "--json").stdout)
    assert bob["client"]["state"] == "revoked" and bob["revoked"][0]["reason"] == "superseded"
    # A file inspected with its workspace is matched by serial and fingerprint.
    by_file = cli("inspect", str(clients.client_files(ws, "bob").cert), "-w", str(ws.root))
    assert "Revoked:      " in by_file.stdout and "(superseded) in ca/revoked.json" in by_file.stdout
    other = make_pki(ws.root.parent / "other")  # another CA's certificate is not revoked here
    assert "Revoked:" not in cli("inspect", str(other.cert("client")), "-w", str(ws.root)).stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    ((), 2, "give a FILE to inspect, or --client NAME"),
    (("somefile", "--client", "alice"), 2, "one of the two"),
    (("--client", "nobody"), 1, "no client 'nobody'"),
])
def test_inspect_needs_exactly_one_target(cli: CliRunner, ws: Workspace, args: tuple[str, ...], code: int, message: str) -> None:
    result = cli("inspect", *args, "-w", str(ws.root))
    assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr
