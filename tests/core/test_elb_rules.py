"""ELB's rules without the network: policies by load-balancer type, forwarded client-certificate
headers, the SNI domain, error-code hints, the key form, the chain length, the new session
fields and what `elb export` writes with the listener's options."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from wizard import elb, pki
from wizard.elb.hints import BY_CODE, hint_for
from wizard.errors import InputError
from wizard.pki.keys import key_to_traditional_pem
from wizard.record import record_upload
from wizard.session import Session
from wizard.workspace import Workspace

# ---------------------------------------------------------------------------
# TLS policies by load-balancer type
# ---------------------------------------------------------------------------


def test_policies_by_load_balancer_type() -> None:
    assert elb.policies_for("shared") == ("tls-1-0-inherit", "tls-1-0", "tls-1-1", "tls-1-2", "tls-1-2-strict")
    dedicated = elb.policies_for("dedicated")
    assert dedicated == elb.policies_for("") == elb.TLS_POLICIES
    assert set(dedicated) - set(elb.policies_for("shared")) == {
        "tls-1-2-fs", "tls-1-0-with-1-3", "tls-1-2-fs-with-1-3", "hybrid-policy-1-0", "tls-1-2-strict-no-cbc"}
    assert elb.DEFAULT_TLS_POLICY in elb.policies_for("shared")
    assert set(elb.POLICY_LABELS) == set(elb.TLS_POLICIES)


@pytest.mark.parametrize("policy", elb.DEDICATED_ONLY_POLICIES)
def test_a_shared_load_balancer_refuses_each_dedicated_only_policy_listing_what_fits(policy: str) -> None:
    with pytest.raises(InputError) as raised:
        elb.validate_tls_policy(policy, "shared")
    assert raised.value.exit_code == 2 and ", ".join(elb.SHARED_POLICIES) in str(raised.value)
    assert elb.validate_tls_policy(policy, "dedicated") == policy
    assert elb.tls_policy_warnings(policy) and elb.tls_policy_warnings(policy, "dedicated") == []


def test_unknown_load_balancer_types_and_custom_policies() -> None:
    with pytest.raises(InputError, match="shared or dedicated"):
        elb.validate_lb_type("gateway")
    assert elb.validate_security_policy_id(" sp-1 ", "dedicated") == "sp-1"
    assert elb.validate_security_policy_id("", "shared") == ""
    with pytest.raises(InputError, match="dedicated"):
        elb.validate_security_policy_id("sp-1", "shared")
    with pytest.raises(InputError, match="security policy id 'a b/c' is not valid"):
        elb.validate_security_policy_id("a b/c", "dedicated")


# ---------------------------------------------------------------------------
# forwarded client-certificate headers
# ---------------------------------------------------------------------------


def test_forwardable_fields_have_labels_and_header_names() -> None:
    assert list(elb.FORWARDABLE_FIELDS) == ["cert", "subjectdn", "issuerdn", "fingerprint", "serialnumber", "clientverify", "end", "ciphers"]
    assert all(label for label in elb.FIELD_LABELS.values())
    assert elb.header_names(["cert", "end=x-cert-end"]) == ["X-Forwarded-Clientcert", "x-cert-end"]


@pytest.mark.parametrize(("given", "kept"), [
    (["end", "cert", "end"], ["cert", "end"]),
    (["SubjectDN=X-Who"], ["subjectdn=x-who"]),
    (["none"], []),
    ([], []),
])
def test_forward_fields_are_validated_and_ordered(given: list[str], kept: list[str]) -> None:
    assert elb.validate_forward_fields(given) == kept


@pytest.mark.parametrize(("bad", "message"), [(["email"], "unknown client certificate field 'email'"), (["cert=bad alias!"], "alias"), (["cert="], "alias"), (["cert=" + "a" * 41], "alias")])
def test_bad_forward_fields_are_input_errors(bad: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        elb.validate_forward_fields(bad)


def test_forwarded_headers_for_a_client_certificate(pki_workspace: Workspace) -> None:
    cert = pki.load_cert_pem(pki_workspace.cert("client").read_bytes())
    fields = ["cert", "subjectdn", "issuerdn", "fingerprint", "serialnumber=x-serial", "clientverify", "end", "ciphers"]
    headers = dict(elb.forwarded_headers(cert, fields, ciphers=["TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"]))
    assert list(headers) == ["X-Forwarded-Clientcert", "X-Forwarded-Clientcert-subjectdn", "X-Forwarded-Clientcert-issuerdn",
                             "X-Forwarded-Clientcert-fingerprint", "x-serial", "X-Forwarded-Clientcert-clientverify",
                             "X-Forwarded-Clientcert-end", "X-Forwarded-Clientcert-ciphers"]
    assert headers["X-Forwarded-Clientcert"].startswith("-----BEGIN%20CERTIFICATE-----%0A")
    assert "CN=client" in headers["X-Forwarded-Clientcert-subjectdn"] and "O=" in headers["X-Forwarded-Clientcert-issuerdn"]
    assert headers["X-Forwarded-Clientcert-fingerprint"] == cert.fingerprint(hashes.SHA1()).hex()
    assert int(headers["x-serial"], 16) == cert.serial_number and len(headers["x-serial"]) % 2 == 0
    assert headers["X-Forwarded-Clientcert-clientverify"] == "SUCCESS"
    end = cert.not_valid_after_utc
    assert headers["X-Forwarded-Clientcert-end"] == f"{end:%b} {end.day:2d} {end:%H:%M:%S %Y} GMT"
    assert headers["X-Forwarded-Clientcert-ciphers"] == "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
    assert all("\n" not in value and "\r" not in value for value in headers.values())  # safe as header values


def test_insert_headers_switch_off_what_is_not_chosen_on_update() -> None:
    from wizard.elb.headers import fields_of, insert_headers

    created = insert_headers(["cert=x-pem"])
    assert created == {"X-Forwarded-Clientcert-enable": True, "X-Forwarded-Clientcert-alias": "x-pem"}
    updated = insert_headers(["cert"], switch_off_others=True)
    assert len(updated) == 8 and sum(value is True for value in updated.values()) == 1
    assert fields_of(created) == ["cert=x-pem"] and fields_of(None) == []


# ---------------------------------------------------------------------------
# the SNI domain
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "sent"), [
    ("", ""), ("auto", "www.example.com,api.example.com"), ("*.example.com", "*.example.com"),
    (" www.example.com , api.example.com ", "www.example.com,api.example.com"),
])
def test_sni_domains_that_are_taken(value: str, sent: str) -> None:
    assert elb.validate_sni_domain(value, "www.example.com,api.example.com")[0] == sent


@pytest.mark.parametrize(("value", "message"), [
    ("10.0.0.1.", "not a domain name"), ("intranet", "not a domain name"), ("a.*.example.com", "not a domain name"),
    ("-bad.example.com", "not a domain name"), ("a,,b.example.com", "empty name"), ("x" * 64 + ".example.com", "not a domain name"),
    (",".join(f"h{n}.example.com" for n in range(101)), "at most 100"),
    (",".join(f"{'h' * 60}{n:02d}.{'d' * 60}.{'e' * 60}.com" for n in range(55)), "at most 10000"),
])
def test_sni_domains_that_are_refused(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        elb.validate_sni_domain(value, "www.example.com")


def test_sni_auto_without_dns_names_and_foreign_names_warn() -> None:
    with pytest.raises(InputError, match="no DNS name"):
        elb.validate_sni_domain("auto", "")
    sent, warnings = elb.validate_sni_domain("other.example.org", "www.example.com")
    assert sent == "other.example.org" and "not one of the server certificate's names" in warnings[0]


# ---------------------------------------------------------------------------
# hints by error code
# ---------------------------------------------------------------------------


def test_every_listed_error_code_has_its_own_hint() -> None:
    expected = {"ELB.8907", "ELB.6200", "ELB.5151", "ELB.9807", "ELB.1011", "ELB.5013", "ELB.5051", "ELB.5053", "APIGW.0301", "APIGW.0101",
                "ELB.8903", "ELB.8905", "ELB.8906"}
    assert set(BY_CODE) == expected
    for code in expected:
        # the code decides, whatever the status and message say (where the call does not)
        assert hint_for(500, code, "Internal error", "reading the load balancer", call="show_load_balancer") == BY_CODE[code]
    assert "quota" in BY_CODE["ELB.8905"] and "permissions" in BY_CODE["ELB.8903"]
    assert "another --port" in BY_CODE["ELB.6200"] and "quota" in BY_CODE["ELB.9807"]
    assert "-traditional" in BY_CODE["ELB.1011"] and "ca/ca.crt" in BY_CODE["ELB.5051"]
    assert "clock" in BY_CODE["APIGW.0301"] and "--region" in BY_CODE["APIGW.0101"]


def test_the_tls_failure_hint_wording() -> None:
    from huaweicloudsdkcore.exceptions.exceptions import SslHandShakeException

    from wizard.elb.sdk import ApiTarget, describe_sdk_error

    error = SslHandShakeException("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)")
    message = str(describe_sdk_error(error, "reading the load balancer", ApiTarget("cn-north-4", "p", ""), (10, 60)))
    assert message.startswith("reading the load balancer failed: no TLS connection to the cn-north-4 endpoint ([SSL: CERTIFICATE_VERIFY_FAILED]")
    assert "REQUESTS_CA_BUNDLE" in message and "HTTPS_PROXY" in message


# ---------------------------------------------------------------------------
# key form, chain length, unsupported keys
# ---------------------------------------------------------------------------


def test_traditional_key_forms(pki_workspace: Workspace) -> None:
    rsa_key, ec_key = pki.generate_key("rsa2048"), pki.generate_key("ec-p256")
    assert key_to_traditional_pem(rsa_key).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert key_to_traditional_pem(ec_key).startswith(b"-----BEGIN EC PRIVATE KEY-----")
    with pytest.raises(InputError, match="RSA or ECDSA"):
        key_to_traditional_pem(ed25519.Ed25519PrivateKey.generate())  # type: ignore[arg-type]
    text = elb.paste_text(pki_workspace, "server_key")
    assert not text.endswith("\n")
    assert pki.keys_match(pki.load_key_pem(text.encode()), pki.load_cert_pem(pki_workspace.cert("server").read_bytes()))


def test_a_chain_of_twelve_is_refused(pki_workspace: Workspace) -> None:
    cert = pki_workspace.cert("server").read_text()
    findings = pki.elb_readiness(cert * 12, pki_workspace.key("server").read_text())
    assert any(f.blocking and "12 certificates" in f.message and "at most 11" in f.message for f in findings)
    assert not any("certificates; ELB takes" in f.message for f in pki.elb_readiness(cert * 11, pki_workspace.key("server").read_text()))


def test_an_ed25519_key_is_refused_for_elb() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ed.example.com")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("ed.example.com")]), critical=False).sign(key, None))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    findings = pki.elb_readiness(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem)
    assert any(f.blocking and "RSA or ECDSA keys only" in f.message for f in findings)


# ---------------------------------------------------------------------------
# the session fields and recording
# ---------------------------------------------------------------------------


def test_new_session_fields_have_defaults_and_round_trip(tmp_path: Path) -> None:
    session = Session(workspace=str(tmp_path))
    assert (session.lb_type, session.pool_id, session.forward_client_cert, session.security_policy_id, session.sni_domain) == ("", "", [], "", "")
    session.lb_type, session.pool_id, session.forward_client_cert = "shared", "pool-1", ["cert", "end=x-end"]
    again = Session.from_dict(json.loads(json.dumps(session.to_dict())))
    assert again.lb_type == "shared" and again.forward_client_cert == ["cert", "end=x-end"]
    old = session.to_dict()
    for name in ("lb_type", "pool_id", "forward_client_cert", "security_policy_id", "sni_domain"):
        del old["session"][name]
    assert Session.from_dict(old).forward_client_cert == []  # a session file from before these fields


def test_record_upload_takes_the_listener_as_elb_holds_it(tmp_path: Path) -> None:
    session = Session(workspace=str(tmp_path), pool_id="stale")
    result = elb.UploadResult(lb_type="dedicated", records={"listener": {
        "id": "l-1", "loadbalancer_id": "lb-1", "tls_policy": "tls-1-2-fs", "lb_type": "dedicated", "pool_id": "pool-7",
        "security_policy_id": "", "forward_client_cert": "subjectdn,end=x-end"}}, steps_done=[6])
    record_upload(session, result)
    assert (session.listener_id, session.loadbalancer_id, session.tls_policy, session.lb_type) == ("l-1", "lb-1", "tls-1-2-fs", "dedicated")
    assert session.pool_id == "pool-7" and session.forward_client_cert == ["subjectdn", "end=x-end"] and session.is_done(6)


# ---------------------------------------------------------------------------
# export with the listener's options
# ---------------------------------------------------------------------------


def test_export_writes_pool_headers_and_custom_policy(own_ws: Workspace) -> None:
    session = Session(workspace=str(own_ws.root))
    done = elb.export(own_ws, session, loadbalancer_id="lb-1", lb_type="dedicated", pool_id="pool-3",
                      forward_client_cert=["fingerprint", "cert"], security_policy_id="sp-9", sni_domain="")
    listener = json.loads((own_ws.elb_dir / elb.LISTENER_BODY).read_text())["listener"]
    assert listener["default_pool_id"] == "pool-3" and listener["security_policy_id"] == "sp-9"
    assert "tls_ciphers_policy" not in listener
    assert listener["insert_headers"] == {"X-Forwarded-Clientcert-enable": True, "X-Forwarded-Clientcert-fingerprint-enable": True}
    assert elb.NO_POOL_WARNING not in done.warnings
    assert done.choices is not None and done.choices.forward_client_cert == ("cert", "fingerprint")


def test_export_takes_the_options_from_the_session(own_ws: Workspace) -> None:
    session = Session(workspace=str(own_ws.root), lb_type="shared", pool_id="pool-s", forward_client_cert=["end"], sni_domain="")
    done = elb.export(own_ws, session)
    listener = done.listener["listener"]
    assert listener["default_pool_id"] == "pool-s" and listener["insert_headers"] == {"X-Forwarded-Clientcert-end-enable": True}
    with pytest.raises(InputError, match="shared load balancer does not take"):
        elb.export(own_ws, session, tls_policy="tls-1-2-strict-no-cbc")


def test_export_without_a_pool_warns_and_leaves_the_domain_out(own_ws: Workspace) -> None:
    done = elb.export(own_ws, Session(workspace=str(own_ws.root)))
    assert elb.NO_POOL_WARNING in done.warnings
    assert "domain" not in json.loads((own_ws.elb_dir / elb.SERVER_BODY).read_text())["certificate"]


def test_cli_export_with_the_listener_options(cli, own_ws: Workspace) -> None:  # noqa: ANN001
    run = cli("elb", "export", "-w", str(own_ws.root), "--lb-type", "shared", "--pool-id", "pool-5",
              "--forward-client-cert", "serialnumber", "--forward-client-cert", "clientverify=x-ok")
    assert run.returncode == 0, run.stderr
    listener = json.loads((own_ws.elb_dir / elb.LISTENER_BODY).read_text())["listener"]
    assert listener["default_pool_id"] == "pool-5"
    assert listener["insert_headers"] == {"X-Forwarded-Clientcert-serialnumber-enable": True,
                                          "X-Forwarded-Clientcert-clientverify-enable": True, "X-Forwarded-Clientcert-clientverify-alias": "x-ok"}
    assert "backend server group" not in run.stderr
    again = cli("elb", "export", "-w", str(own_ws.root), "--tls-policy", "tls-1-2-fs")  # the session remembers "shared"
    assert again.returncode == 2
    [line] = again.stderr.strip().splitlines()
    assert "tls-1-2-fs" in line and "tls-1-0-inherit, tls-1-0, tls-1-1, tls-1-2, tls-1-2-strict" in line


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--sni-domain", "bad_name.example.com", "not a domain name"),
    ("--security-policy-id", "a/b", "security policy id"),
    ("--pool-id", "a b", "backend server group id"),
])
def test_cli_export_bad_options_are_exit_2(cli, own_ws: Workspace, option: str, value: str, message: str) -> None:  # noqa: ANN001
    run = cli("elb", "export", "-w", str(own_ws.root), option, value)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("language", ["", "zh_CN/"])
def test_the_step_6_text_names_every_dedicated_only_policy(language: str) -> None:
    """The page text and the policy table say the same (the text was once left behind)."""
    text = (Path(__file__).resolve().parents[2] / "assets" / f"{language}steps" / "step6.md").read_text(encoding="utf-8")
    assert all(f"`{policy}`" in text for policy in elb.DEDICATED_ONLY_POLICIES), text


@pytest.mark.parametrize(("call", "words"), [
    ("create_listener", "another --port"), ("delete_certificate", "still uses that certificate"),
    ("update_listener", "another change to this listener"), ("", "a conflict with what it holds"),
])
def test_a_conflict_means_what_the_refused_call_was(call: str, words: str) -> None:
    """ELB.8907 (or a bare 409) after a DELETE is a certificate still in use, not a port."""
    for status, code in ((409, "ELB.8907"), (409, "ELB.X"), (400, "ELB.8907")):
        assert words in hint_for(status, code, "conflict", "", call=call)


def test_the_whole_insert_headers_object_keeps_the_users_headers() -> None:
    from wizard.elb.headers import fields_of, merged_insert_headers

    held = {"X-Real-IP": True, "X-Forwarded-Tls-Ja3-enable": True, "X-Forwarded-Clientcert-alias": "x-pem",
            "X-Forwarded-Clientcert-enable": True, "X-Forwarded-Port": None, "X-Something-New-enable": True}
    merged = merged_insert_headers(held, ["subjectdn=x-subject"])
    assert merged["X-Real-IP"] is True and merged["X-Forwarded-Tls-Ja3-enable"] is True and merged["X-Something-New-enable"] is True
    assert "X-Forwarded-Port" not in merged  # null (not set) is left out, never sent as null
    assert fields_of(merged) == ["subjectdn=x-subject"] and merged["X-Forwarded-Clientcert-enable"] is False
    assert merged["X-Forwarded-Clientcert-alias"] == "x-pem"  # switched off, its alias stays as the user set it
    assert "X-Forwarded-Clientcert-alias" not in merged_insert_headers(merged, ["cert"])  # wanted without one: it goes
