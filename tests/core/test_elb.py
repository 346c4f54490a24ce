"""ELB hand-off without the network: paste texts, readiness, v3 bodies, `elb export`."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_pki

from wizard import elb, pki
from wizard.errors import InputError, WizardError
from wizard.session import Session
from wizard.workspace import Workspace


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------
# paste texts, names, readiness
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("part", "source"), [("server_cert", ("cert", "server")), ("ca_cert", ("cert", "ca"))])
def test_paste_text_is_the_file_without_its_trailing_newline(pki_workspace: Workspace, part: str, source: tuple[str, str]) -> None:
    path = getattr(pki_workspace, source[0])(source[1])
    on_disk = path.read_text()
    text = elb.paste_text(pki_workspace, part)
    assert on_disk.endswith("\n") and not text.endswith("\n")
    assert text == on_disk.rstrip("\n")
    assert text.startswith("-----BEGIN ")


def test_paste_text_rejects_an_unknown_part(pki_workspace: Workspace) -> None:
    with pytest.raises(ValueError, match="server_cert"):
        elb.paste_text(pki_workspace, "client_key")


def test_console_text_normalises_crlf_and_trailing_blank_lines() -> None:
    assert elb.console_text("-----BEGIN X-----\r\nAAA\r\n-----END X-----\r\n\r\n") == "-----BEGIN X-----\nAAA\n-----END X-----"


def test_default_names_come_from_the_server_cn() -> None:
    assert elb.default_names("localhost", 8443) == {"server": "localhost-server", "ca": "localhost-ca", "listener": "localhost-mtls-8443"}


@pytest.mark.parametrize(("cn", "base"), [("*.example.com", "wildcard.example.com"), ("10.0.0.1", "10.0.0.1"), ("a b/c", "a-b-c")])
def test_default_names_keep_names_elb_accepts(cn: str, base: str) -> None:
    assert elb.default_names(cn, 443)["server"] == f"{base}-server"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 256, "bad\nname"])
def test_validate_name_refuses_unusable_names(bad: str) -> None:
    with pytest.raises(InputError):
        elb.validate_name(bad, "server certificate")


def test_readiness_of_a_generated_workspace_has_no_blocking_finding(pki_workspace: Workspace) -> None:
    for purpose in ("server", "ca"):
        findings = elb.readiness(pki_workspace, purpose)
        assert findings and not [f for f in findings if f.blocking], findings
    assert any(f.check == "key" and f.severity == "ok" for f in elb.readiness(pki_workspace, "server"))
    assert any(f.check == "ca" and f.severity == "ok" for f in elb.readiness(pki_workspace, "ca"))


def test_readiness_of_an_empty_workspace_names_the_step_to_run(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "empty")
    [server] = elb.readiness(ws, "server")
    [ca] = elb.readiness(ws, "ca")
    assert server.blocking and "server/server.crt" in server.message and "step 2" in server.fix
    assert ca.blocking and "ca/ca.crt" in ca.message and "step 1" in ca.fix


def test_readiness_rejects_an_unknown_purpose(pki_workspace: Workspace) -> None:
    with pytest.raises(ValueError):
        elb.readiness(pki_workspace, "client")


# ---------------------------------------------------------------------------
# TLS policies, endpoints, availability checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", elb.TLS_POLICIES)
def test_every_documented_policy_is_accepted(policy: str) -> None:
    assert elb.validate_tls_policy(policy) == policy


def test_an_unknown_policy_is_input_error_listing_the_known_ones() -> None:
    with pytest.raises(InputError) as raised:
        elb.validate_tls_policy("tls-1-3-only")
    assert raised.value.exit_code == 2
    assert "tls-1-2-strict" in str(raised.value) and "hybrid-policy-1-0" in str(raised.value)


def test_tls13_policies_warn_about_dedicated_load_balancers() -> None:
    for policy in ("tls-1-0-with-1-3", "tls-1-2-fs-with-1-3"):
        [warning] = elb.tls_policy_warnings(policy)
        assert "dedicated" in warning
    assert elb.tls_policy_warnings("tls-1-2-strict") == []


@pytest.mark.parametrize(("given", "kept"), [("http://127.0.0.1:8080", "http://127.0.0.1:8080"), ("https://elb.example.com/", "https://elb.example.com"), ("http://[::1]:9000", "http://[::1]:9000")])
def test_endpoints_are_accepted_with_http_and_a_port(given: str, kept: str) -> None:
    assert elb.validate_endpoint(given) == kept


@pytest.mark.parametrize("bad", ["elb.example.com", "ftp://example.com", "http://127.0.0.1:99999", "https://x.example.com/v3/p"])
def test_bad_endpoints_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError):
        elb.validate_endpoint(bad)


def test_sdk_available_does_not_import_the_sdk() -> None:
    code = "import sys, wizard.elb as e; print(e.sdk_available(), 'huaweicloudsdkelb' in sys.modules, 'huaweicloudsdkcore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert out == ["True", "False", "False"]


def test_credentials_present_needs_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(elb.ENV_AK, raising=False)
    monkeypatch.delenv(elb.ENV_SK, raising=False)
    assert not elb.credentials_present()
    monkeypatch.setenv(elb.ENV_AK, "AK")
    assert not elb.credentials_present()
    monkeypatch.setenv(elb.ENV_SK, "SK")
    assert elb.credentials_present()


# ---------------------------------------------------------------------------
# request bodies
# ---------------------------------------------------------------------------


def test_server_body_carries_certificate_and_key_without_trailing_newline(pki_workspace: Workspace) -> None:
    option = elb.server_certificate_body(elb.load_material(pki_workspace))["certificate"]
    assert option["type"] == "server" and option["name"] == "localhost-server"
    assert option["certificate"] == pki_workspace.cert("server").read_text().rstrip("\n")
    assert option["private_key"] == elb.paste_text(pki_workspace, "server_key")  # the traditional form
    assert "domain" not in option  # only SNI certificates need it
    assert len(option["description"]) <= 255


def test_sni_domain_auto_lists_the_qualified_dns_names(tmp_path: Path) -> None:
    ws = make_pki(tmp_path / "ws", server_cn="www.example.com", sans=("api.example.com", "10.1.2.3", "intranet"))
    material = elb.load_material(ws)
    assert "domain" not in elb.server_certificate_body(material)["certificate"]  # left out by default
    domain, warnings = elb.validate_sni_domain("auto", material.server_domain)
    assert domain == "www.example.com,api.example.com" and warnings == []
    assert elb.server_certificate_body(material, domain=domain)["certificate"]["domain"] == domain


def test_ca_body_never_carries_a_key(pki_workspace: Workspace) -> None:
    body = elb.ca_certificate_body(elb.load_material(pki_workspace), "my-ca")
    option = body["certificate"]
    assert set(option) == {"name", "type", "certificate", "description"}
    assert option["type"] == "client" and option["name"] == "my-ca"
    assert option["certificate"] == pki_workspace.cert("ca").read_text().rstrip("\n")
    assert "PRIVATE KEY" not in json.dumps(body)


def test_listener_body_marks_unknown_ids_and_fills_known_ones() -> None:
    empty = elb.listener_body()
    assert set(elb.placeholders_in(empty)) == {"loadbalancer_id", "default_tls_container_ref", "client_ca_tls_container_ref"}
    assert all(empty["listener"][k].startswith("<") for k in elb.placeholders_in(empty))
    full = elb.listener_body(loadbalancer_id="lb", server_cert_id="s", ca_cert_id="c", port=8443, tls_policy="tls-1-2")
    assert elb.placeholders_in(full) == []
    assert full == {"listener": {
        "name": "mtls-listener", "loadbalancer_id": "lb", "protocol": "HTTPS", "protocol_port": 8443,
        "default_tls_container_ref": "s", "client_ca_tls_container_ref": "c", "tls_ciphers_policy": "tls-1-2",
    }}


# ---------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------


def test_export_writes_bodies_and_paste_texts_with_safe_modes(own_ws: Workspace) -> None:
    session = Session(workspace=str(own_ws.root))
    paths = elb.export(own_ws, session).paths
    folder = own_ws.elb_dir
    expected = {elb.SERVER_BODY, elb.CA_BODY, elb.LISTENER_BODY, elb.API_CALLS, *(name for name, _ in elb.PASTE_FILES.values())}
    assert {p.name for p in paths} == expected
    assert all(p.parent == folder for p in paths)
    assert _mode(folder / elb.SERVER_BODY) == 0o600
    assert _mode(folder / "paste-server-private-key.txt") == 0o600
    for public in (elb.CA_BODY, elb.LISTENER_BODY, "paste-server-certificate.txt", "paste-ca-certificate.txt", elb.API_CALLS):
        assert _mode(folder / public) == 0o644, public
        assert "PRIVATE KEY" not in (folder / public).read_text(), public

    server = json.loads((folder / elb.SERVER_BODY).read_text())
    ca = json.loads((folder / elb.CA_BODY).read_text())
    listener = json.loads((folder / elb.LISTENER_BODY).read_text())
    assert set(server) == {"certificate"} and server["certificate"]["type"] == "server"
    assert set(server["certificate"]) >= {"name", "type", "certificate", "private_key", "description"}
    assert set(ca) == {"certificate"} and ca["certificate"]["type"] == "client" and "private_key" not in ca["certificate"]
    assert set(listener) == {"listener"}
    assert listener["listener"]["protocol"] == "HTTPS" and listener["listener"]["protocol_port"] == 443
    assert listener["listener"]["tls_ciphers_policy"] == "tls-1-2-strict"
    assert set(elb.placeholders_in(listener)) == {"loadbalancer_id", "default_tls_container_ref", "client_ca_tls_container_ref"}
    for text_file, part in (("paste-server-certificate.txt", "server_cert"), ("paste-server-private-key.txt", "server_key"), ("paste-ca-certificate.txt", "ca_cert")):
        data = (folder / text_file).read_bytes()
        assert not data.endswith(b"\n") and data.decode() == elb.paste_text(own_ws, part)
    # the bodies are loadable PEM again
    pki.load_cert_pem(server["certificate"]["certificate"].encode())
    pki.load_key_pem(server["certificate"]["private_key"].encode())


def test_export_fills_the_listener_from_ids_recorded_for_these_certificates(own_ws: Workspace) -> None:
    session = Session(workspace=str(own_ws.root), loadbalancer_id="lb-77", tls_policy="tls-1-2-fs")
    server_fp = pki.fingerprint(pki.load_cert_pem(own_ws.cert("server").read_bytes()))
    session.uploaded = {
        "server": {"id": "srv-id", "fingerprint": server_fp},
        "ca": {"id": "stale-ca-id", "fingerprint": "00:11"},  # for a CA since replaced: must not be used
        "listener": {"id": "l", "port": "8443"},
    }
    elb.export(own_ws, session)
    listener = json.loads((own_ws.elb_dir / elb.LISTENER_BODY).read_text())["listener"]
    assert listener["loadbalancer_id"] == "lb-77"
    assert listener["default_tls_container_ref"] == "srv-id"
    assert listener["client_ca_tls_container_ref"] == elb.PLACEHOLDER_CA_CERT_ID
    assert listener["protocol_port"] == 8443 and listener["tls_ciphers_policy"] == "tls-1-2-fs"


def test_load_material_keeps_console_texts_and_fingerprints(pki_workspace: Workspace) -> None:
    material = elb.load_material(pki_workspace)
    for part in ("server_cert", "server_key", "ca_cert"):
        assert material.text(part) == elb.paste_text(pki_workspace, part)
    assert material.server_cn == "localhost"
    assert material.server_fingerprint == pki.fingerprint(pki.load_cert_pem(pki_workspace.cert("server").read_bytes()))
    assert material.ca_fingerprint == pki.fingerprint(pki.load_cert_pem(pki_workspace.cert("ca").read_bytes()))


def test_export_refuses_a_key_that_does_not_match(own_ws: Workspace) -> None:
    other = pki.generate_key("ec-p256")
    own_ws.key("server").write_bytes(pki.key_to_pem(other))
    with pytest.raises(WizardError, match="does not belong") as raised:
        elb.export(own_ws, Session(workspace=str(own_ws.root)))
    assert "server/server.key" in str(raised.value)  # the fix names the file
    assert not own_ws.elb_dir.exists() or not list(own_ws.elb_dir.iterdir())


def test_export_replaces_earlier_files_keeping_modes(own_ws: Workspace) -> None:
    session = Session(workspace=str(own_ws.root))
    elb.export(own_ws, session)
    (own_ws.elb_dir / elb.SERVER_BODY).chmod(0o644)  # someone loosened it
    elb.export(own_ws, session, server_cert_name="renamed")
    assert _mode(own_ws.elb_dir / elb.SERVER_BODY) == 0o600
    assert json.loads((own_ws.elb_dir / elb.SERVER_BODY).read_text())["certificate"]["name"] == "renamed"


def test_rest_calls_document_the_v3_paths_and_token_header(pki_workspace: Workspace) -> None:
    text = elb.rest_calls(pki_workspace, region="cn-north-4", project_id="p1")
    assert text.count("POST") >= 3
    assert "https://elb.cn-north-4.myhuaweicloud.com/v3/p1/elb/certificates" in text
    assert "/v3/p1/elb/listeners" in text
    assert "X-Auth-Token: $TOKEN" in text
    assert str(pki_workspace.elb_dir / elb.SERVER_BODY) in text


# ---------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------


def test_cli_export_prints_files_and_rest_calls(cli, own_ws: Workspace) -> None:  # noqa: ANN001 - fixture
    run = cli("elb", "export", "-w", str(own_ws.root), "--server-cert-name", "web-srv", "--loadbalancer-id", "lb-9", "--port", "8443")
    assert run.returncode == 0, run.stderr
    assert "/v3/{project_id}/elb/certificates" in run.stdout and "/v3/{project_id}/elb/listeners" in run.stdout
    assert "X-Auth-Token" in run.stdout
    assert "elb/server-certificate.json" in run.stdout and "600" in run.stdout
    assert "default_tls_container_ref" in run.stdout  # the placeholders still to fill are named
    listener = json.loads((own_ws.elb_dir / elb.LISTENER_BODY).read_text())["listener"]
    assert listener["loadbalancer_id"] == "lb-9" and listener["protocol_port"] == 8443
    assert json.loads((own_ws.elb_dir / elb.SERVER_BODY).read_text())["certificate"]["name"] == "web-srv"
    assert "PRIVATE KEY" not in run.stdout + run.stderr


def test_cli_export_unknown_policy_is_exit_2(cli, own_ws: Workspace) -> None:  # noqa: ANN001
    run = cli("elb", "export", "-w", str(own_ws.root), "--tls-policy", "tls-9")
    assert run.returncode == 2
    assert "unknown TLS policy 'tls-9'" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_cli_export_tls13_policy_warns(cli, own_ws: Workspace) -> None:  # noqa: ANN001
    run = cli("elb", "export", "-w", str(own_ws.root), "--tls-policy", "tls-1-2-fs-with-1-3")
    assert run.returncode == 0, run.stderr
    assert "dedicated" in run.stdout + run.stderr


def test_cli_export_without_certificates_is_a_clear_error(cli, tmp_path: Path) -> None:  # noqa: ANN001
    run = cli("elb", "export", "-w", str(tmp_path / "nothing"))
    assert run.returncode == 1
    assert "generate" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(("missing", "step"), [(("key", "server"), "step 2"), (("cert", "ca"), "step 1")])
def test_cli_export_with_a_missing_file_names_the_step_in_one_line(cli, own_ws: Workspace, missing: tuple[str, str], step: str) -> None:  # noqa: ANN001
    path = getattr(own_ws, missing[0])(missing[1])
    path.unlink()
    run = cli("elb", "export", "-w", str(own_ws.root))
    assert run.returncode == 1
    [line] = run.stderr.strip().splitlines()
    assert own_ws.relative(path) in line and step in line and "mtls-wizard generate" in line
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert not own_ws.elb_dir.exists() or not list(own_ws.elb_dir.iterdir())  # nothing half-written
