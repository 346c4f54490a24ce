"""The verifier (wizard.handshake.probe) against real listeners on loopback."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nginx_server import NginxServer, require_nginx
from wizard import handshake
from wizard.errors import InputError, WizardError
from wizard.handshake import Attempt, FOREIGN_CERT, WITH_CERT, WITHOUT_CERT, parse_address, probe
from wizard.rehearsal import RehearsalServer
from wizard.workspace import Workspace

TLS12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
TLS13 = (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_3)


def outcomes(verdict: handshake.Verdict) -> list[str]:
    return [a.outcome for a in verdict.attempts]


# ---------------------------------------------------------------------------
# Small real servers for the failure cases
# ---------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts TCP (the kernel completes the handshake) and then never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def plain_http_port() -> Iterator[int]:
    """A real plain-HTTP server."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class MuteWithoutCertificate:
    """TLS that asks for a certificate optionally, answers clients with one, and ignores the others."""

    def __init__(self, ws: Workspace) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(ws.cert("server"), ws.key("server"))
        self.context.load_verify_locations(ws.cert("ca"))
        self.context.verify_mode = ssl.CERT_OPTIONAL
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(4096)
                if tls.getpeercert():
                    tls.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                else:
                    self.stop.wait(5)  # say nothing, hold the line
        except OSError:
            pass

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:443", ("127.0.0.1", 443)),
        (" lb.example.com:8443 ", ("lb.example.com", 8443)),
        ("[::1]:8443", ("::1", 8443)),
        ("[2001:DB8::1]:443", ("2001:db8::1", 443)),
        ("https://www.test.com", ("www.test.com", 443)),
        ("https://www.test.com:4443/path?q=1", ("www.test.com", 4443)),
        ("https://[::1]/", ("::1", 443)),
        ("HTTPS://192.0.2.7:10443", ("192.0.2.7", 10443)),
    ],
)
def test_parse_address_accepts_the_documented_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "no address"),
        ("   ", "no address"),
        ("not-a-port", "no port"),
        ("host:99999", "out of range"),
        ("host:0", "out of range"),
        ("host:https", "not a port number"),
        ("::1:443", "brackets"),
        ("[::1", "never closes"),
        ("[nope]:443", "not an IPv6 address"),
        ("http://host:80", "plain HTTP"),
        ("ftp://host:21", "only https://"),
        ("bad host:443", "spaces"),
        ("ho$t:443", "not a host name"),
        (":443", "no host"),
    ],
)
def test_parse_address_refuses_bad_input_with_one_clear_line(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_address(text)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


# ---------------------------------------------------------------------------
# Against the rehearsal listener (the happy paths)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reject_with", ["alert", "http400"])
@pytest.mark.parametrize("versions", [None, TLS12, TLS13], ids=["default", "tls12", "tls13"])
def test_pass_against_an_enforcing_listener(pki_workspace: Workspace, reject_with: str, versions: tuple | None) -> None:
    seen: list[Attempt] = []
    with RehearsalServer(pki_workspace, reject_with=reject_with, tls_versions=versions) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5, progress=seen.append)
    assert verdict.status == "pass", verdict.summary
    assert verdict.passed and verdict.summary.startswith("PASS")
    assert [a.name for a in verdict.attempts] == [WITH_CERT, WITHOUT_CERT, FOREIGN_CERT]
    assert [a.name for a in seen] == [WITH_CERT, WITHOUT_CERT, FOREIGN_CERT]
    assert outcomes(verdict) == ["accepted", "rejected", "rejected"]
    assert all(a.ok for a in verdict.attempts)
    assert verdict.attempts[0].detail == "HTTP/1.1 200 OK"
    if reject_with == "http400":
        assert verdict.attempts[1].detail.startswith("HTTP/1.1 400")
    else:
        # TLS 1.3 refuses after the handshake: the alert may reach us, or be lost to the close
        # that follows it (EOF/reset). All three are a refusal.
        assert verdict.attempts[1].kind in ("alert", "eof", "reset")
    expected_version = {None: "TLSv1.3", TLS12: "TLSv1.2", TLS13: "TLSv1.3"}[versions]
    assert verdict.tls_version == expected_version and verdict.cipher
    facts = verdict.server_certificate
    assert facts is not None
    assert facts.is_workspace_cert and facts.verifies_against_ca and facts.matches_sni
    assert facts.subject == "CN=localhost,O=ELB" and "IP:127.0.0.1" in facts.sans
    assert verdict.server_verified is True
    assert verdict.sni == "localhost"  # the workspace's server CN, although the address is an IP
    data = verdict.to_dict()
    assert data["status"] == "pass" and len(data["attempts"]) == 3
    assert data["server_certificate"]["fingerprint"] == facts.fingerprint


def test_pass_over_ipv6(pki_workspace: Workspace) -> None:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback (::1)")
    with RehearsalServer(pki_workspace, host="::1") as server:
        assert server.address.startswith("[::1]:")
        host, port = parse_address(server.address)
        verdict = probe(host, port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.address == server.address


# ---------------------------------------------------------------------------
# Misconfigured listeners
# ---------------------------------------------------------------------------


def test_one_way_tls_is_flagged_as_not_enforced(pki_workspace: Workspace) -> None:
    with RehearsalServer(pki_workspace, request_client_cert=False) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and not verdict.passed
    assert "not enforced" in verdict.summary
    assert outcomes(verdict) == ["accepted", "accepted", "accepted"]
    assert [a.ok for a in verdict.attempts] == [True, False, False]
    assert any("never asked for one" in line for line in verdict.diagnosis)
    assert verdict.attempts[1].certificate_requested is False


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


def test_no_common_cipher_is_a_protocol_mismatch(pki_workspace: Workspace) -> None:
    # An EC server key with RSA-only TLS 1.2 ciphers: the server can agree on nothing.
    with RehearsalServer(pki_workspace, tls_versions=TLS12, ciphers="ECDHE-RSA-AES128-GCM-SHA256") as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert len(verdict.attempts) == 1 and verdict.attempts[0].outcome == "error"
    assert "no TLS version or cipher in common" in verdict.summary


def test_plain_http_port_does_not_speak_tls(pki_workspace: Workspace, plain_http_port: int) -> None:
    verdict = probe("127.0.0.1", plain_http_port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and not verdict.passed
    assert "does not speak TLS" in verdict.summary
    assert verdict.attempts[0].kind == "not_tls"


def test_closed_port_is_unreachable(pki_workspace: Workspace, closed_port: int) -> None:
    verdict = probe("127.0.0.1", closed_port, pki_workspace, timeout=5)
    assert verdict.status == "unreachable"
    assert "connection refused" in verdict.summary
    assert len(verdict.attempts) == 1 and verdict.attempts[0].kind == "refused"


def test_silent_server_is_bounded_by_the_timeout(pki_workspace: Workspace, silent_port: int) -> None:
    verdict = probe("127.0.0.1", silent_port, pki_workspace, timeout=0.3)
    assert verdict.status == "unreachable"
    assert "never answered the TLS handshake" in verdict.summary
    # One attempt only: a silent server must not cost three timeouts.
    assert [a.outcome for a in verdict.attempts] == ["timeout"]


def test_a_timeout_without_certificate_is_inconclusive_not_a_pass(pki_workspace: Workspace) -> None:
    server = MuteWithoutCertificate(pki_workspace)
    try:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=0.5)
    finally:
        server.close()
    assert outcomes(verdict) == ["accepted", "timeout", "rejected"]
    assert verdict.status == "inconclusive" and not verdict.passed
    assert verdict.summary.startswith("INCONCLUSIVE")
    assert any("--timeout" in line for line in verdict.diagnosis)


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WizardError, match="mtls-wizard generate"):
        probe("127.0.0.1", 1, Workspace(tmp_path / "empty"))


# ---------------------------------------------------------------------------
# Real nginx
# ---------------------------------------------------------------------------


@pytest.mark.nginx
@pytest.mark.parametrize("protocols", ["TLSv1.2", "TLSv1.3"])
def test_nginx_enforcing_listener_passes_with_http_400_refusals(pki_workspace: Workspace, tmp_path: Path, protocols: str) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="on", protocols=protocols) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.tls_version == protocols
    assert [a.status_code for a in verdict.attempts] == [200, 400, 400]
    assert verdict.accepted_client_cas == ["CN=ELB mTLS Root CA,O=ELB"]
    assert verdict.our_ca_advertised is True


@pytest.mark.nginx
def test_nginx_without_client_auth_is_not_enforced(pki_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", verify_client="off") as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and "not enforced" in verdict.summary
    assert outcomes(verdict) == ["accepted", "accepted", "accepted"]


@pytest.mark.nginx
def test_nginx_trusting_another_ca_names_it(pki_workspace: Workspace, foreign_workspace: Workspace, tmp_path: Path) -> None:
    require_nginx()
    with NginxServer(pki_workspace, tmp_path / "nginx", client_ca=foreign_workspace.cert("ca")) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert verdict.attempts[0].outcome == "rejected"
    assert "The SSL certificate error" in verdict.attempts[0].detail
    assert verdict.our_ca_advertised is False
    assert any("CN=Elsewhere mTLS Root CA,O=Elsewhere" in line and "ca/ca.crt" in line for line in verdict.diagnosis)


@pytest.mark.nginx
def test_nginx_empty_backend_still_proves_mtls(pki_workspace: Workspace, tmp_path: Path, closed_port: int) -> None:
    require_nginx()
    location = f"proxy_pass http://127.0.0.1:{closed_port};"
    with NginxServer(pki_workspace, tmp_path / "nginx", location=location) as nginx:
        verdict = probe(nginx.host, nginx.port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.attempts[0].status_code == 502
    assert any("Mutual authentication itself works" in line for line in verdict.diagnosis)


# ---------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------


def test_foreign_identity_is_cached_and_untrusted(pki_workspace: Workspace) -> None:
    from cryptography import x509

    pem = handshake.foreign_identity_pem()
    assert pem is handshake.foreign_identity_pem()
    cert = x509.load_pem_x509_certificate(pem)
    ca = x509.load_pem_x509_certificate(pki_workspace.cert("ca").read_bytes())
    assert cert.issuer != ca.subject


def test_der_name_to_text_matches_cryptography() -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ELB, Inc"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Root CA é"),
    ])
    assert handshake.der_name_to_text(name.public_bytes()) == name.rfc4514_string()


def test_certificate_request_parsing_both_layouts() -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    der = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Our CA")]).public_bytes()
    names = len(der).to_bytes(2, "big") + der
    tls12 = b"\x01\x40" + b"\x00\x02\x04\x03" + len(names).to_bytes(2, "big") + names
    authorities = len(names).to_bytes(2, "big") + names
    extension = (47).to_bytes(2, "big") + len(authorities).to_bytes(2, "big") + authorities
    tls13 = b"\x00" + len(extension).to_bytes(2, "big") + extension
    for body in (tls12, tls13):
        message = b"\x0d" + len(body).to_bytes(3, "big") + body
        assert handshake.certificate_request_ca_names(message) == [der]
    assert handshake.certificate_request_ca_names(b"\x0d\x00\x00\x02\xff\xff") == []


def test_a_server_that_hangs_up_at_once_is_not_a_certificate_refusal(pki_workspace: Workspace) -> None:
    if not handshake._hook_available():
        pytest.skip("this Python cannot observe the handshake messages")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up() -> None:
        try:
            conn, _ = listener.accept()
            conn.recv(1)  # wait for the ClientHello, then close without a word
            conn.close()
        except OSError:
            pass

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        verdict = probe("127.0.0.1", port, pki_workspace, timeout=5)
    finally:
        listener.close()
    assert verdict.status == "fail"
    assert len(verdict.attempts) == 1 and verdict.attempts[0].outcome == "error"
    assert "hung up before the TLS handshake" in verdict.summary
