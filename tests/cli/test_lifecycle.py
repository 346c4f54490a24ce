"""Life after setup: `status`, `renew`, and bringing your own CA or server certificate.
Real files and keys, judged by openssl; certificates with a short or past validity are made
by the tests themselves (never by a fake clock in the product)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from conftest import P12_PASSWORD, CliRunner, make_pki
from cryptography import x509
from support.aging import client_from_the_past
from support.openssl_chain import _openssl_ca, cert_of
from support.tools import run

from wizard import clients, pki
from wizard.errors import WizardError
from wizard.lifecycle import bring
from wizard.workspace import Workspace

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}


def verify(ca: Path, *certs: Path, purpose: str = "sslserver") -> subprocess.CompletedProcess:
    return run("openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(ca), *map(str, certs))


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------


def test_status_exit_code_follows_the_threshold(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws", server_days=10)
    base = ("status", "-w", str(ws.root))
    days_left = json.loads(cli(*base, "--json").stdout)
    server = next(row for row in days_left if row["role"] == "server")
    assert set(server) >= {"role", "name", "not_after", "days_left"} and server["days_left"] in (9, 10)
    assert cli(*base, "--warn-days", str(server["days_left"] - 1)).returncode == 0
    warned = cli(*base, "--warn-days", str(server["days_left"]))
    assert warned.returncode == 1 and "renew soon" in warned.stdout and "mtls-wizard renew" in warned.stdout


def test_status_counts_an_expired_client_but_not_a_revoked_one(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    _client_from_the_past(ws, "old")
    expired = cli("status", "-w", str(ws.root))
    assert expired.returncode == 1 and "EXPIRED" in expired.stdout
    assert cli("client", "revoke", "old", "-w", str(ws.root)).returncode == 0
    calm = cli("status", "-w", str(ws.root))
    assert calm.returncode == 0 and "revoked" in calm.stdout


def test_status_shows_what_elb_holds(cli: CliRunner, tmp_path: Path, api, sk: str) -> None:  # noqa: ANN001 - fixtures
    from conftest import ELB_AK, ELB_PROJECT

    ws = make_pki(tmp_path / "ws")
    env = {"HUAWEICLOUD_SDK_AK": ELB_AK, "HUAWEICLOUD_SDK_SK": sk, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    uploaded = cli("elb", "upload", "-w", str(ws.root), "--region", "cn-north-4", "--project-id", ELB_PROJECT, "--endpoint", api.endpoint, env=env)
    assert uploaded.returncode == 0, uploaded.stderr
    rows = json.loads(cli("status", "-w", str(ws.root), "--json").stdout)
    on_elb = {row["role"]: row for row in rows if row["location"] == "elb"}
    assert set(on_elb) == {"ca", "server"} and all(row["days_left"] > 30 for row in on_elb.values())
    assert on_elb["server"]["detail"] == json.loads((ws.elb_dir / "uploaded.json").read_text())["server"]["id"]


def _client_from_the_past(ws: Workspace, name: str) -> None:
    client_from_the_past(ws, name, P12_PASSWORD)


# ---------------------------------------------------------------------------
# renew
# ---------------------------------------------------------------------------


def test_renew_server_keeps_names_changes_serial_and_key_and_backs_up(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    old, old_key = cert_of(ws.cert("server")), ws.key("server").read_bytes()
    result = cli("renew", "server", "-w", str(ws.root), "--days", "90")
    assert result.returncode == 0, result.stderr
    new = cert_of(ws.cert("server"))
    assert new.subject == old.subject and pki.san_strings(new) == pki.san_strings(old)
    assert new.serial_number != old.serial_number and ws.key("server").read_bytes() != old_key
    assert (new.not_valid_after_utc - new.not_valid_before_utc).days == 90
    assert verify(ws.cert("ca"), ws.cert("server")).returncode == 0
    backup = next(ws.root.glob("backup-*"))
    assert (backup / "server" / "server.key").read_bytes() == old_key
    key_now, cert_now = ws.key("server").read_bytes(), cert_of(ws.cert("server"))
    kept = cli("renew", "server", "-w", str(ws.root), "--keep-key")
    assert kept.returncode == 0, kept.stderr
    assert ws.key("server").read_bytes() == key_now and cert_of(ws.cert("server")).serial_number != cert_now.serial_number


def test_renew_client_rebuilds_its_p12_in_the_same_format(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws", p12_legacy=True)
    old = cert_of(ws.cert("client"))
    result = cli("renew", "client", "-w", str(ws.root), env={"MTLS_WIZARD_P12_PASSWORD": "a new pass phrase"})
    assert result.returncode == 0, result.stderr
    assert cert_of(ws.cert("client")).serial_number != old.serial_number
    assert pki.p12_protection(ws.p12.read_bytes())["mode"] == "legacy"
    opened = run("openssl", "pkcs12", "-legacy", "-in", str(ws.p12), "-passin", "pass:a new pass phrase", "-noout")
    assert opened.returncode == 0, opened.stderr
    assert verify(ws.cert("ca"), ws.cert("client"), purpose="sslclient").returncode == 0
    kept = list(ws.root.glob("backup-*/client"))
    assert len(kept) == 1 and cert_of(kept[0] / "client.crt") == old and (kept[0] / "client.p12").exists()
    named = cli("client", "issue", "alice", "-w", str(ws.root), "--key-type", "ec-p256", env=PASSWORD_ENV)
    assert named.returncode == 0
    assert cli("renew", "client", "alice", "-w", str(ws.root), env=PASSWORD_ENV).returncode == 0
    assert verify(ws.cert("ca"), clients.client_files(ws, "alice").cert, purpose="sslclient").returncode == 0


def test_renew_ca_keeps_its_key_so_what_it_signed_stays_valid(cli: CliRunner, tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws")
    old_ca, ca_key = cert_of(ws.cert("ca")), ws.key("ca").read_bytes()
    result = cli("renew", "ca", "-w", str(ws.root), "--days", "5000")
    assert result.returncode == 0, result.stderr
    assert "stays valid" in result.stdout and "CA certificate" in result.stdout
    new_ca = cert_of(ws.cert("ca"))
    assert ws.key("ca").read_bytes() == ca_key and new_ca.subject == old_ca.subject
    assert new_ca.serial_number != old_ca.serial_number
    ski = x509.SubjectKeyIdentifier
    assert new_ca.extensions.get_extension_for_class(ski).value == old_ca.extensions.get_extension_for_class(ski).value
    assert verify(ws.cert("ca"), ws.cert("server")).returncode == 0  # issued under the old certificate, still valid
    assert verify(ws.cert("ca"), ws.cert("client"), purpose="sslclient").returncode == 0
    backups = list(ws.root.glob("backup-*/ca/ca.crt"))
    assert len(backups) == 1 and cert_of(backups[0]) == old_ca  # the old certificate kept


def test_renew_ca_refuses_a_ca_signed_by_another(cli: CliRunner, tmp_path: Path, chain: dict[str, Path]) -> None:
    """An intermediate brought in is renewed where it was issued: a self-signed renewal would be
    a new root that no client trusts, and nothing is written."""
    ws = Workspace(tmp_path / "ws")
    bring.bring_ca(ws, chain["intermediate"], chain["intermediate_key"])
    before = ws.cert("ca").read_bytes()
    result = cli("renew", "ca", "-w", str(ws.root))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "not by itself: renew it where it was issued" in result.stderr and "CN=Corp Root" in result.stderr
    assert "--ca-cert FILE --ca-key FILE --new-ca" in result.stderr
    assert ws.cert("ca").read_bytes() == before and not list(ws.root.glob("backup-*"))


def test_a_brought_server_certificate_is_renewed_where_it_was_issued(tmp_path: Path, chain: dict[str, Path]) -> None:
    from wizard.lifecycle import renew

    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=())
    bring.bring_server(ws, chain["leaf"], chain["leaf_key"], chain_file=chain["intermediate"], server_name="shop.example.com", force=True)
    with pytest.raises(WizardError, match="renew it where it was issued"):
        renew.renew_server(ws)


# ---------------------------------------------------------------------------
# bringing your own CA or server certificate (openssl-made)
# ---------------------------------------------------------------------------


def test_an_openssl_made_ca_is_brought_in_and_issues_valid_leaves(tmp_path: Path) -> None:
    from wizard import steps
    from wizard.session import Session

    cert, key = _openssl_ca(tmp_path / "corp", "Corp mTLS CA")
    before = (cert.read_bytes(), key.read_bytes())
    ws = Workspace(tmp_path / "ws")
    outcome = bring.bring_ca(ws, cert, key)
    assert outcome.role == "ca" and cert_of(ws.cert("ca")) == cert_of(cert)
    assert (cert.read_bytes(), key.read_bytes()) == before  # the originals are only read
    session = Session(workspace=str(ws.root), server_cn="localhost", server_key_type="ec-p256", client_key_type="ec-p256")
    steps.issue_server(ws, session)
    steps.issue_client(ws, session, P12_PASSWORD)
    assert verify(cert, ws.cert("server")).returncode == 0
    assert verify(cert, ws.cert("client"), purpose="sslclient").returncode == 0


def test_an_encrypted_ca_key_needs_its_password(tmp_path: Path) -> None:
    cert, key = _openssl_ca(tmp_path / "corp", "Locked CA", key_args=("-aes256", "-pass", "pass:key-password"))
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(bring.KeyPasswordNeeded):
        bring.bring_ca(ws, cert, key)
    assert not ws.key("ca").exists()
    bring.bring_ca(ws, cert, key, password="key-password")
    assert b"ENCRYPTED" not in ws.key("ca").read_bytes() and pki.keys_match(pki.load_key_pem(ws.key("ca").read_bytes()), cert_of(cert))


@pytest.mark.parametrize(("problem", "message"), [
    ("key", "does not belong"), ("sha1", "SHA-1"), ("leaf", "not a CA certificate"), ("expired", "expired on"),
])
def test_an_unusable_ca_is_refused_with_nothing_written(tmp_path: Path, chain: dict[str, Path], problem: str, message: str) -> None:
    if problem == "key":
        cert, _ = _openssl_ca(tmp_path / "a", "A")
        _, key = _openssl_ca(tmp_path / "b", "B")
    elif problem == "sha1":
        cert, key = _openssl_ca(tmp_path / "a", "Old", digest="-sha1")
    elif problem == "leaf":
        cert, key = chain["leaf"], chain["leaf_key"]
    else:
        cert, key = _expired_ca(tmp_path)
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(WizardError, match=message):
        bring.bring_ca(ws, cert, key)
    assert not ws.cert("ca").exists() and not ws.key("ca").exists()


def _expired_ca(folder: Path) -> tuple[Path, Path]:
    key = pki.generate_key("ec-p256")
    issued = pki.create_ca(key, org="Corp", cn="Expired CA", days=1, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3))
    cert_path, key_path = folder / "expired.crt", folder / "expired.key"
    cert_path.write_bytes(pki.cert_to_pem(issued.cert))
    key_path.write_bytes(pki.key_to_pem(key))
    return cert_path, key_path


def test_a_purchased_server_certificate_with_its_chain_is_brought_in(tmp_path: Path, chain: dict[str, Path]) -> None:
    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=())
    outcome = bring.bring_server(ws, chain["leaf"], chain["leaf_key"], chain_file=chain["intermediate"],
                                 server_name="shop.example.com", force=True)
    assert outcome.role == "server" and outcome.backup is not None
    served = x509.load_pem_x509_certificates(ws.cert("server").read_bytes())
    assert [pki.cn_of(c.subject) for c in served] == ["shop.example.com", "intermediate"]  # leaf + chain, in order
    assert run("openssl", "verify", "-CAfile", str(chain["root"]), "-untrusted", str(chain["intermediate"]), str(ws.cert("server"))).returncode == 0
    assert bring.issued_by_workspace_ca(ws) is False
    assert bring.adopt_existing(ws, "server").certificate["fingerprint"] == pki.fingerprint(served[0])
    from wizard import script

    taught = script.full_script(script.profile_from_workspace(ws), ws.root)  # says so rather than re-minting it silently
    assert "# server/server.crt was brought in (issued by CN=intermediate,O=Corp)" in taught
    assert run("bash", "-n", "-c", taught).returncode == 0


def _expired_copy(leaf: Path, leaf_key: Path, issuer: Path, issuer_key: Path) -> x509.Certificate:
    """The leaf as it was, signed by the same intermediate, but valid only until yesterday."""
    import datetime as dt

    from cryptography.hazmat.primitives import hashes

    old, parent = cert_of(leaf), cert_of(issuer)
    signer = pki.load_key_pem(issuer_key.read_bytes())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(parent.subject)
               .public_key(pki.load_key_pem(leaf_key.read_bytes()).public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=30)).not_valid_after(now - dt.timedelta(days=1)))
    for extension in old.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(signer, hashes.SHA256())


@pytest.mark.parametrize(("problem", "message"), [
    ("order", "out of order"), ("name", "does not cover"), ("key", "does not belong"), ("expired", "expired on"),
])
def test_an_unusable_server_certificate_is_refused_with_nothing_written(tmp_path: Path, chain: dict[str, Path], problem: str, message: str) -> None:
    ws = Workspace(tmp_path / "ws")
    cert, key, chain_file, name = chain["leaf"], chain["leaf_key"], chain["intermediate"], "shop.example.com"
    if problem == "order":
        reversed_chain = tmp_path / "reversed.pem"
        reversed_chain.write_bytes(chain["root"].read_bytes() + chain["intermediate"].read_bytes())
        chain_file = reversed_chain
    elif problem == "name":
        name = "other.example.com"
    elif problem == "expired":
        cert = tmp_path / "expired.crt"
        cert.write_bytes(pki.cert_to_pem(_expired_copy(chain["leaf"], chain["leaf_key"], chain["intermediate"], chain["intermediate_key"])))
    else:
        key = chain["intermediate_key"]
    with pytest.raises(WizardError, match=message):
        bring.bring_server(ws, cert, key, chain_file=chain_file, server_name=name)
    assert not ws.cert("server").exists() and not ws.key("server").exists()


def test_check_trusts_the_system_roots_for_a_brought_server_certificate(cli: CliRunner, tmp_path: Path, chain: dict[str, Path]) -> None:
    from wizard.practice import PracticeLoadBalancer

    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=())
    bring.bring_server(ws, chain["leaf"], chain["leaf_key"], chain_file=chain["intermediate"], server_name="shop.example.com", force=True)
    with PracticeLoadBalancer(ws) as server:
        result = cli("check", server.address, "-w", str(ws.root), "--json", "--timeout", "5")
    verdict = json.loads(result.stdout)
    # Not told to: the purchased certificate is checked against the system's CAs (this test
    # root is in none, so it does not verify here), never against the workspace's private CA.
    assert verdict["trust"] == "system" and verdict["server_verified"] is False
    # ... and a server certificate that does not verify stops the check before our certificate is sent.
    assert verdict["server_verification"] == "failed" and [a["outcome"] for a in verdict["attempts"]] == ["error"]


def test_generate_brings_an_existing_ca_and_issues_from_it(cli: CliRunner, tmp_path: Path) -> None:
    cert, key = _openssl_ca(tmp_path / "corp", "Corp mTLS CA")
    ws = tmp_path / "ws"
    result = cli("generate", "-w", str(ws), "--server-cn", "localhost", "--ca-cert", str(cert), "--ca-key", str(key), env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    assert "Step 1  CA: brought in (checked and copied)" in result.stdout and "Step 2  server certificate: created" in result.stdout
    assert cert_of(ws / "ca" / "ca.crt") == cert_of(cert)
    assert verify(cert, ws / "server" / "server.crt").returncode == 0
    assert verify(cert, ws / "client" / "client.crt", purpose="sslclient").returncode == 0
    assert (ws / "ca" / "ca.key").stat().st_mode & 0o777 == 0o600


def test_generate_brings_a_purchased_server_certificate_with_its_chain(cli: CliRunner, tmp_path: Path, chain: dict[str, Path]) -> None:
    ws = tmp_path / "ws"
    result = cli("generate", "-w", str(ws), "--server-cn", "shop.example.com", "--server-cert", str(chain["leaf"]),
                 "--server-key", str(chain["leaf_key"]), "--server-chain", str(chain["intermediate"]), env=PASSWORD_ENV)
    assert result.returncode == 0, result.stderr
    assert "Step 1  CA: created" in result.stdout and "Step 2  server certificate: brought in" in result.stdout
    served = x509.load_pem_x509_certificates((ws / "server" / "server.crt").read_bytes())
    assert [pki.cn_of(c.subject) for c in served] == ["shop.example.com", "intermediate"]
    assert verify(ws / "ca" / "ca.crt", ws / "client" / "client.crt", purpose="sslclient").returncode == 0  # the client is still ours


@pytest.mark.parametrize(("args", "message"), [
    (("--ca-cert", "{cert}"), "--ca-cert and --ca-key go together"),
    (("--server-chain", "{cert}"), "--server-chain goes with --server-cert"),
    (("--ca-cert", "{leaf}", "--ca-key", "{leaf_key}"), "not a CA certificate"),
    (("--server-cert", "{leaf}", "--server-key", "{leaf_key}", "--server-chain", "{intermediate}"), "does not cover"),
    (("--ca-cert", "{cert}", "--ca-key", "{locked_key}"), "run this on a terminal"),
])
def test_generate_refuses_unusable_brought_files_with_one_line_and_no_keys_written(
        cli: CliRunner, tmp_path: Path, chain: dict[str, Path], args: tuple[str, ...], message: str) -> None:
    locked_cert, locked_key = _openssl_ca(tmp_path / "locked", "Locked CA", key_args=("-aes256", "-pass", "pass:key-password"))
    names = {"cert": locked_cert, "locked_key": locked_key, **chain}
    ws = tmp_path / "ws"
    result = cli("generate", "-w", str(ws), "--server-cn", "localhost", *(a.format(**names) for a in args), env=PASSWORD_ENV)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not ws.exists()  # nothing half-made: not even the folders


def test_generate_with_a_brought_server_certificate_refuses_before_touching_existing_leaves(cli: CliRunner, tmp_path: Path, chain: dict[str, Path]) -> None:
    ws = make_pki(tmp_path / "ws", server_cn="shop.example.com", sans=())
    before = {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file() and p.name != ".mtls-wizard.lock"}  # the lock notes its holder
    result = cli("generate", "-w", str(ws.root), "--server-cn", "shop.example.com", "--server-cert", str(chain["leaf"]),
                 "--server-key", str(chain["leaf_key"]), "--server-chain", str(chain["intermediate"]), env=PASSWORD_ENV)
    assert result.returncode == 1 and "--force" in result.stderr
    assert [p for p, data in before.items() if p.read_bytes() != data] == []
