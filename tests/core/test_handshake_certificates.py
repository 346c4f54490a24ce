"""The verifier and certificates: the server's (wrong, mismatched, expired, untrusted) and ours (refused, expired)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from wizard import handshake
from wizard.handshake import Verdict, probe
from wizard.rehearsal import RehearsalServer
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
    with RehearsalServer(pki_workspace, client_ca_file=foreign_workspace.cert("ca")) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert verdict.attempts[0].outcome == "rejected" and not verdict.attempts[0].ok
    assert "our client certificate is refused" in verdict.summary
    assert any("trusts a different CA" in line for line in verdict.diagnosis)


def test_a_different_server_certificate_is_reported(pki_workspace: Workspace, foreign_workspace: Workspace) -> None:
    files = (foreign_workspace.cert("server"), foreign_workspace.key("server"))
    with RehearsalServer(pki_workspace, cert_files=files) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
        insecure = probe(server.host, server.port, pki_workspace, timeout=5, insecure=True)
    # Mutual TLS itself works: the three attempts go as required, after an unverified retry.
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]
    assert verdict.status == "fail" and "different server certificate" in verdict.summary
    assert verdict.server_verified is False and verdict.server_verify_error
    facts = verdict.server_certificate
    assert facts is not None and not facts.is_workspace_cert and not facts.verifies_against_ca
    assert "Elsewhere" in facts.issuer
    # --insecure (curl -k) still checks mTLS and passes, but says what it ignored.
    assert insecure.status == "pass", insecure.summary
    assert insecure.server_verified is None
    assert any("ignored with --insecure" in line for line in insecure.diagnosis)


def test_name_mismatch_is_reported(pki_workspace: Workspace) -> None:
    with RehearsalServer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, sni="www.example.org", timeout=5)
    assert verdict.sni == "www.example.org"
    assert verdict.status == "fail" and "does not match" in verdict.summary
    assert verdict.server_certificate is not None and not verdict.server_certificate.matches_sni
    assert any("--sni" in line for line in verdict.diagnosis)


def test_ip_as_the_name_is_verified_against_the_ip_san(pki_workspace: Workspace) -> None:
    with RehearsalServer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, sni="127.0.0.1", timeout=5)
    assert verdict.status == "pass", verdict.summary


def test_system_trust_refuses_a_private_ca(pki_workspace: Workspace) -> None:
    with RehearsalServer(pki_workspace) as server:
        verdict = probe(server.host, server.port, pki_workspace, trust="system", timeout=5)
    assert verdict.status == "fail"
    assert verdict.server_verified is False
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]


@pytest.mark.parametrize(
    ("not_before", "not_after", "phrase"),
    [(-30, -1, "the server certificate has expired"), (1, 30, "the server certificate is not yet valid")],
    ids=["expired", "not-yet-valid"],
)
def test_server_certificate_out_of_its_validity_is_reported(pki_workspace: Workspace, tmp_path: Path, not_before: int, not_after: int, phrase: str) -> None:
    files = make_leaf(pki_workspace, tmp_path, not_before=days_from_now(not_before), not_after=days_from_now(not_after))
    with RehearsalServer(pki_workspace, cert_files=files) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    # Mutual TLS itself works (after the unverified retry); the certificate is the problem.
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]
    assert verdict.status == "fail" and phrase in verdict.summary
    assert verdict.server_verified is False
    facts = verdict.server_certificate
    assert facts is not None and facts.verifies_against_ca
    assert (facts.expired, facts.not_yet_valid) == ((True, False) if not_after < 0 else (False, True))
    assert any(("expired on" if not_after < 0 else "not valid before") in line for line in verdict.diagnosis)


def test_expired_client_certificate_is_named_as_the_cause(pki_workspace: Workspace, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "workspace")
    for role in ("ca", "server", "client"):
        ws.folder(role).mkdir(parents=True)
    for path in (pki_workspace.cert("ca"), pki_workspace.cert("server"), pki_workspace.key("server"), pki_workspace.key("client")):
        shutil.copy2(path, ws.root / path.relative_to(pki_workspace.root))
    cert, _ = make_leaf(pki_workspace, tmp_path / "made", client=True, not_before=days_from_now(-30), not_after=days_from_now(-1))
    shutil.copy2(cert, ws.cert("client"))
    with RehearsalServer(ws) as server:
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
