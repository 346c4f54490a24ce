"""The verifier and certificates: the server's (wrong, mismatched, expired, untrusted) and ours (refused, expired)."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest

from wizard import handshake
from wizard.handshake import Verdict, probe
from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace


def outcomes(verdict: Verdict) -> list[str]:
    return [a.outcome for a in verdict.attempts]


def make_leaf(ws: Workspace, folder: Path, *, client: bool = False, not_before: dt.datetime, not_after: dt.datetime) -> tuple[Path, Path]:
    """A certificate from the workspace CA with the given validity (back- or future-dated); (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert = x509.load_pem_x509_certificate(ws.cert("ca").read_bytes())
    ca_key = serialization.load_pem_private_key(ws.key("ca").read_bytes(), password=None)
    if client:  # the workspace's own client key, so the workspace stays consistent
        key = serialization.load_pem_private_key(ws.key("client").read_bytes(), password=None)
        name, usage = "client", ExtendedKeyUsageOID.CLIENT_AUTH
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        name, usage = "localhost", ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ELB"), x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if not client:
        import ipaddress

        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def days_from_now(days: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)


def test_listener_trusting_another_ca_refuses_our_certificate(pki_workspace: Workspace, foreign_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, client_ca_file=foreign_workspace.cert("ca")) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert verdict.attempts[0].outcome == "rejected" and not verdict.attempts[0].ok
    assert "our client certificate is refused" in verdict.summary
    # the listener names the CA it trusts (its certificate request's CA list): the diagnosis says which
    assert any("accepts client certificates from: CN=Elsewhere mTLS Root CA" in line and "not from our CA" in line
               for line in verdict.diagnosis), verdict.diagnosis


def outcomes_seen(server: PracticeLoadBalancer, count: int = 1) -> list[dict[str, str]]:
    """The listener's record of its connections, once `count` of them are recorded (it logs from its own thread)."""
    deadline = time.monotonic() + 5
    while len(server.outcomes) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(server.outcomes)


def assert_stopped_in_the_handshake(verdict: Verdict, server: PracticeLoadBalancer) -> None:
    """The check ended with the first handshake: one connection, cut by us, no certificate or request sent."""
    assert verdict.status == "fail" and not verdict.passed
    assert outcomes(verdict) == ["error"] and verdict.attempts[0].kind == "server_unverified"
    seen = outcomes_seen(server)
    assert len(seen) == 1 and seen[0]["outcome"] == "failed", seen  # the listener saw no certificate and no request
    assert verdict.server_verified is False and verdict.server_verification == "failed"
    assert any("neither our client certificate nor a request" in line and "--insecure" in line for line in verdict.diagnosis)


def test_a_server_certificate_from_elsewhere_stops_the_check(pki_workspace: Workspace, foreign_workspace: Workspace) -> None:
    files = (foreign_workspace.cert("server"), foreign_workspace.key("server"))
    with PracticeLoadBalancer(pki_workspace, cert_files=files) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
        assert_stopped_in_the_handshake(verdict, server)
        insecure = probe(server.host, server.port, pki_workspace, timeout=5, insecure=True)
    assert "did not verify: it is not trusted (unable to get local issuer certificate)" in verdict.summary
    facts = verdict.server_certificate
    assert facts is not None and not facts.is_workspace_cert and not facts.verifies_against_ca
    assert "Elsewhere" in facts.issuer
    assert any("server/server.crt" in line and "Elsewhere" in line for line in verdict.diagnosis)
    # --insecure (curl -k) still checks mTLS and passes, but says on the PASS line what it skipped.
    assert insecure.status == "pass", insecure.summary
    assert insecure.summary.endswith("(server not verified: --insecure)")
    assert insecure.server_verified is None and insecure.server_verification == "not_verified"
    assert any("ignored with --insecure" in line for line in insecure.diagnosis)


def test_name_mismatch_stops_the_check(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, sni="www.example.org", timeout=5)
        assert_stopped_in_the_handshake(verdict, server)
    assert verdict.sni == "www.example.org"
    assert "did not verify: it does not cover the name 'www.example.org'" in verdict.summary
    assert verdict.server_certificate is not None and not verdict.server_certificate.matches_sni
    assert any("--sni NAME" in line and "localhost" in line for line in verdict.diagnosis)


def test_ip_as_the_name_is_verified_against_the_ip_san(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, sni="127.0.0.1", timeout=5)
    assert verdict.status == "pass", verdict.summary


def test_system_trust_refuses_a_private_ca(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, trust="system", timeout=5)
        assert_stopped_in_the_handshake(verdict, server)
    assert "it is not trusted" in verdict.summary
    assert any("upload the whole chain" in line for line in verdict.diagnosis)


@pytest.mark.parametrize(
    ("not_before", "not_after", "phrase", "fix"),
    [(-30, -1, "did not verify: it has expired", "renew server"), (1, 30, "did not verify: it is not yet valid", "clocks")],
    ids=["expired", "not-yet-valid"],
)
def test_server_certificate_out_of_its_validity_stops_the_check(pki_workspace: Workspace, tmp_path: Path, not_before: int, not_after: int,
                                                                phrase: str, fix: str) -> None:
    files = make_leaf(pki_workspace, tmp_path, not_before=days_from_now(not_before), not_after=days_from_now(not_after))
    with PracticeLoadBalancer(pki_workspace, cert_files=files) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
        assert_stopped_in_the_handshake(verdict, server)
    assert phrase in verdict.summary
    facts = verdict.server_certificate
    assert facts is not None and facts.verifies_against_ca
    assert (facts.expired, facts.not_yet_valid) == ((True, False) if not_after < 0 else (False, True))
    assert any(fix in line for line in verdict.diagnosis)


def test_expired_client_certificate_is_named_as_the_cause(pki_workspace: Workspace, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "workspace")
    for role in ("ca", "server", "client"):
        ws.folder(role).mkdir(parents=True)
    for path in (pki_workspace.cert("ca"), pki_workspace.cert("server"), pki_workspace.key("server"), pki_workspace.key("client")):
        shutil.copy2(path, ws.root / path.relative_to(pki_workspace.root))
    cert, _ = make_leaf(pki_workspace, tmp_path / "made", client=True, not_before=days_from_now(-30), not_after=days_from_now(-1))
    shutil.copy2(cert, ws.cert("client"))
    with PracticeLoadBalancer(ws) as server:
        verdict = probe(server.host, server.port, ws, timeout=5)
    assert verdict.status == "fail"
    assert verdict.attempts[0].outcome == "rejected"
    assert "our client certificate is refused" in verdict.summary
    assert any("expired on" in line and "generate --force" in line for line in verdict.diagnosis)


def test_foreign_identity_is_cached_and_untrusted(pki_workspace: Workspace) -> None:
    from cryptography import x509

    from wizard import pki

    pem = handshake.foreign_identity_pem()
    assert pem == handshake.foreign_identity_pem()  # one identity per process
    cert = x509.load_pem_x509_certificate(pem)
    ca = x509.load_pem_x509_certificate(pki_workspace.cert("ca").read_bytes())
    assert not pki.verify_issued_by(cert, ca)
