"""The commands with the CA held in CCM, as real processes: the official SDK against the stand-ins
of CCM and ELB on 127.0.0.1, the certificates judged by openssl and by a real nginx (mutual TLS),
which admits the CCM-issued client and refuses a stranger."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from conftest import ELB_PROJECT, ELB_REGION, P12_PASSWORD, CliRunner, with_three_load_balancers
from support.ccm_setup import cli_target
from support.fake_ccm_api import FakeCcmApi
from support.fake_elb_api import FakeElbApi
from support.nginx_server import NginxServer, require_nginx
from support.tools import run, tool

from wizard import clients
from wizard.ccm.record import read_record
from wizard.elb import ENV_SK
from wizard.progress import progress_line
from wizard.session import SessionStore
from wizard.workspace import Workspace

PASSWORD_ENV = {"MTLS_WIZARD_P12_PASSWORD": P12_PASSWORD}
SUBJECT = "C=CN,ST=Beijing,L=Beijing,OU=Operations"


def _generate(cli: CliRunner, ws: Workspace, api: FakeCcmApi, *extra: str) -> subprocess.CompletedProcess:
    return cli("generate", "-w", str(ws.root), "--server-cn", "localhost", "--san", "127.0.0.1", "--key-type", "ec-p256",
               "--ccm-create-ca", "--i-accept-ccm-charges", "--ccm-ca-subject", SUBJECT, *cli_target(api), *extra, env=PASSWORD_ENV)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


def _get(ws: Workspace, port: int, cert: Path | None, key: Path | None) -> int | str:
    """The status nginx answers a client with this certificate (or the TLS error that refused it)."""
    context = ssl.create_default_context(cafile=str(ws.cert("ca")))
    if cert and key:
        context.load_cert_chain(str(cert), str(key))
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status
    except (ssl.SSLError, ConnectionError) as error:
        return type(error).__name__
    finally:
        connection.close()


def test_the_seven_steps_complete_with_a_ccm_ca(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi, api: FakeElbApi, tmp_path: Path) -> None:
    require_nginx()
    made = _generate(cli, ws, ccm)
    assert made.returncode == 0, made.stderr
    assert "Step 1  CA: created" in made.stdout and "The CA is held in CCM: private CA" in made.stdout
    assert "billed from the moment it exists" in made.stderr
    assert not ws.key("ca").exists() and not list(ws.root.rglob("ca.key"))
    with_three_load_balancers(api)
    uploaded = cli("elb", "upload", "-w", str(ws.root), "--region", ELB_REGION, "--project-id", ELB_PROJECT, "--endpoint", api.endpoint,
                   "--loadbalancer-id", "lb-dedicated")
    assert uploaded.returncode == 0, uploaded.stderr
    client_ca = next(c for c in api.certificates.values() if c["type"] == "client")
    assert client_ca["certificate"].strip() == ws.cert("ca").read_text().strip()  # step 5: the CA certificate exported from CCM
    with NginxServer(ws, tmp_path / "nginx") as nginx:  # the listener: mutual TLS with ca/ca.crt
        checked = cli("check", nginx.address, "-w", str(ws.root), "--timeout", "5")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    session = SessionStore().open(ws.root)
    assert session.steps_done == [1, 2, 3, 4, 5, 6, 7] and progress_line(session).startswith("all 7 steps done")
    assert cli("status", "-w", str(ws.root)).returncode == 0


def test_nginx_admits_the_ccm_client_and_refuses_a_stranger_and_a_revoked_one_where_it_loads_the_crl(
        cli: CliRunner, ws: Workspace, ccm: FakeCcmApi, foreign_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    assert _generate(cli, ws, ccm).returncode == 0
    issued = cli("client", "issue", "alice", "bob", "-w", str(ws.root), env=PASSWORD_ENV)
    assert issued.returncode == 0, issued.stderr
    verified = run(tool("openssl"), "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", str(ws.cert("ca")),
                   *(str(clients.client_files(ws, n).cert) for n in ("client", "alice", "bob")))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    revoked = cli("client", "revoke", "bob", "-w", str(ws.root))
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked in CCM (certificate " in revoked.stdout and "ELB itself checks no CRL" in revoked.stdout
    listed = {c["name"]: c["state"] for c in json.loads(cli("client", "list", "-w", str(ws.root), "--json").stdout)}
    assert listed == {"client": "valid", "alice": "valid", "bob": "revoked"}
    record = read_record(ws)
    assert record is not None
    crl = tmp_path / "ccm.crl"  # what CCM publishes to OBS, fetched by a backend that loads a CRL
    crl.write_bytes(ccm.crl(record.ca_id).public_bytes(serialization.Encoding.PEM))

    class CrlNginx(NginxServer):
        def config(self) -> str:
            return super().config().replace("    ssl_verify_client on;\n", f"    ssl_verify_client on;\n    ssl_crl {crl};\n")

    stranger = clients.client_files(foreign_workspace, "client")
    with NginxServer(ws, tmp_path / "plain") as plain, CrlNginx(ws, tmp_path / "crl") as with_crl:
        files = {name: clients.client_files(ws, name) for name in ("alice", "bob")}
        assert _get(ws, plain.port, files["alice"].cert, files["alice"].key) == 200
        assert _get(ws, plain.port, stranger.cert, stranger.key) == 400  # another CA's client: refused
        assert _get(ws, plain.port, None, None) == 400  # no certificate: refused
        assert _get(ws, plain.port, files["bob"].cert, files["bob"].key) == 200  # like ELB: no CRL, the revoked one gets in
        assert _get(ws, with_crl.port, files["bob"].cert, files["bob"].key) == 400  # a backend that loads CCM's CRL refuses it
        assert _get(ws, with_crl.port, files["alice"].cert, files["alice"].key) == 200


def test_revoke_turns_on_the_crl_and_prints_where_backends_fetch_it(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    assert _generate(cli, ws, ccm).returncode == 0
    assert cli("client", "issue", "bob", "-w", str(ws.root), env=PASSWORD_ENV).returncode == 0
    refused = cli("client", "revoke", "bob", "-w", str(ws.root), "--crl-bucket", "mtls-crl")
    assert refused.returncode == 1 and "OBS agency" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    ccm.obs_agency, ccm.buckets = True, {"mtls-crl"}
    again = cli("client", "revoke", "bob", "-w", str(ws.root), "--crl-bucket", "mtls-crl", "--crl-days", "7")
    assert again.returncode == 0, again.stderr
    assert "backends that load a CRL fetch it from: http://mtls-crl.obs." in again.stdout
    assert len(ccm.calls("revoke_certificate")) == 1  # revoked once, the CRL turned on the second time
    local = cli("client", "crl", "-w", str(ws.root))
    assert local.returncode == 1 and "CCM, which signs and publishes its CRL itself" in local.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--ccm-create-ca",), 2, "--i-accept-ccm-charges"),
    (("--ccm-create-ca", "--i-accept-ccm-charges"), 2, "--ccm-ca-subject"),
    (("--ccm-ca", "x", "--ccm-create-ca"), 2, "not both"),
    (("--ccm-issuer", "x"), 2, "--ccm-issuer goes with --ccm-create-ca"),
    (("--ccm-ca", "nope"), 1, "CCM has no private CA nope"),
])
def test_generate_refusals_are_one_line(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi, args: tuple[str, ...], code: int, message: str) -> None:
    result = cli("generate", "-w", str(ws.root), "--server-cn", "localhost", *args, *cli_target(ccm), env=PASSWORD_ENV)
    assert result.returncode == code, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert message in line and "Traceback" not in result.stderr
    assert ccm.calls("create_ca") == []


def test_without_credentials_no_prompt_and_no_request(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    result = cli("generate", "-w", str(ws.root), "--server-cn", "localhost", "--ccm-ca", "x", *cli_target(ccm), env={ENV_SK: ""})
    assert result.returncode == 2 and "HUAWEICLOUD_SDK_SK" in result.stderr and ccm.requests == []


def test_script_shows_the_api_calls_of_a_ccm_workspace(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    assert _generate(cli, ws, ccm).returncode == 0
    listing = cli("script", "-w", str(ws.root))
    assert listing.returncode == 0
    assert "# POST /v1/private-certificate-authorities\n" in listing.stdout and "# POST /v1/private-certificates/csr" in listing.stdout
    assert "-CAkey" not in listing.stdout  # no CA key to sign with here


def test_renew_ca_says_it_cannot_go_through_ccm_yet_and_inspect_shows_a_revocation(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    assert _generate(cli, ws, ccm).returncode == 0
    renewed = cli("renew", "ca", "-w", str(ws.root))
    assert renewed.returncode == 1 and "held in CCM" in renewed.stderr and "renewing the CA itself" in renewed.stderr
    assert len(renewed.stderr.strip().splitlines()) == 1 and len(ccm.issued) == 2
    assert cli("client", "issue", "bob", "-w", str(ws.root), env=PASSWORD_ENV).returncode == 0
    assert cli("client", "revoke", "bob", "--reason", "superseded", "-w", str(ws.root)).returncode == 0
    shown = json.loads(cli("inspect", "--client", "bob", "-w", str(ws.root), "--json").stdout)
    assert shown["client"]["state"] == "revoked" and shown["revoked"][0]["reason"] == "superseded"


def test_renew_server_and_client_go_through_ccm(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    """The same names, a new serial from the private CA, the old set in a backup, ca/issuer.json moved to
    the new certificate ids (the old ones listed as replaced); no CA key appears."""
    from wizard import pki

    assert _generate(cli, ws, ccm).returncode == 0
    before = read_record(ws)
    assert before is not None
    old_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    renewed = cli("renew", "server", "-w", str(ws.root), "--days", "90")
    assert renewed.returncode == 0, renewed.stderr
    new_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    assert new_server.serial_number != old_server.serial_number and pki.san_strings(new_server) == pki.san_strings(old_server)
    ca_cert = pki.load_cert_pem(ws.cert("ca").read_bytes())
    assert pki.verify_issued_by(new_server, ca_cert) and "backup-" in renewed.stdout
    assert (new_server.not_valid_after_utc - new_server.not_valid_before_utc).days in (89, 90, 91)
    kept_key = cli("renew", "server", "-w", str(ws.root), "--keep-key")
    assert kept_key.returncode != 0 and "cannot be kept" in kept_key.stderr and len(kept_key.stderr.strip().splitlines()) == 1

    old_client = pki.load_cert_pem(ws.cert("client").read_bytes())
    client = cli("renew", "client", "-w", str(ws.root), "--keep-key", env=PASSWORD_ENV)
    assert client.returncode == 0, client.stderr
    new_client = pki.load_cert_pem(ws.cert("client").read_bytes())
    assert new_client.serial_number != old_client.serial_number and pki.verify_issued_by(new_client, ca_cert)
    assert pki.public_keys_equal(new_client.public_key(), old_client.public_key())  # the key kept: only its CSR was sent

    after = read_record(ws)
    assert after is not None and not ws.key("ca").exists()
    assert after.certificates["server"]["id"] != before.certificates["server"]["id"]
    assert after.certificates["client/client"]["id"] != before.certificates["client/client"]["id"]
    assert {entry["id"] for entry in after.replaced} == {before.certificates["server"]["id"], before.certificates["client/client"]["id"]}
    assert len(ccm.issued) == 4 and len(ccm.calls("create_certificate")) == 2  # the server's key is made by CCM (its SANs)


def test_rotate_renews_a_due_server_certificate_through_ccm(cli: CliRunner, ws: Workspace, ccm: FakeCcmApi) -> None:
    """rotate with the CA in CCM: the due server certificate (2 of its 12 days left, due within 3) comes
    from the private CA again, with its lifetime; a second run finds nothing due; no CA key appears."""
    from wizard import pki

    from support.aging import age

    assert _generate(cli, ws, ccm, "--server-days", "12").returncode == 0
    [held] = ccm.cas.values()
    age(ws, ws.cert("server"), days_left=2, lifetime=12, ca=(held["signer"].key, pki.load_cert_pem(ws.cert("ca").read_bytes())))
    old_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    issued = len(ccm.issued)
    rotated = cli("rotate", "-w", str(ws.root), "--within-days", "3", "--no-check")
    # renewed; the upload is a person's (this workspace never went to ELB): exit 1 with that one line
    assert rotated.returncode == 1 and "no upload is recorded for this workspace" in rotated.stderr, rotated.stdout + rotated.stderr
    assert rotated.stdout.splitlines()[0].startswith("renewed the server certificate: expires "), rotated.stdout
    new_server = pki.load_cert_pem(ws.cert("server").read_bytes())
    assert new_server.serial_number != old_server.serial_number
    assert pki.verify_issued_by(new_server, pki.load_cert_pem(ws.cert("ca").read_bytes()))
    assert (new_server.not_valid_after_utc - new_server.not_valid_before_utc).days in (11, 12, 13)
    assert len(ccm.issued) == issued + 1 and not ws.key("ca").exists()
    again = cli("rotate", "-w", str(ws.root), "--within-days", "3", "--no-check")
    assert "renewed" not in again.stdout and len(ccm.issued) == issued + 1, again.stdout + again.stderr  # nothing due now

