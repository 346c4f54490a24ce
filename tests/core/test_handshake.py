"""The verifier (wizard.handshake.probe) against real listeners on loopback."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.handshake_cases import outcomes

from wizard.errors import WizardError
from wizard.handshake import (
    FOREIGN_CERT,
    WITH_CERT,
    WITHOUT_CERT,
    Attempt,
    parse_address,
    probe,
)
from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace

TLS12 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
UP_TO_TLS12 = (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.TLSv1_2)  # an older policy: TLS 1.3 is not offered
OK_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


# ---------------------------------------------------------------------------
# Small real servers for the failure cases
# ---------------------------------------------------------------------------


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


Answer = Callable[[int, ssl.SSLSocket, threading.Event], None]


def server_context(ws: Workspace, *, client_ca: Path | None = None, verify: ssl.VerifyMode = ssl.CERT_NONE) -> ssl.SSLContext:
    """A TLS server context with the workspace's server certificate; `verify` decides about client certificates."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ws.cert("server"), ws.key("server"))
    if verify != ssl.CERT_NONE:
        context.load_verify_locations(client_ca or ws.cert("ca"))
        context.verify_mode = verify
    return context


def read_request(tls: ssl.SSLSocket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


class ScriptedTLSServer:
    """A real TLS listener on 127.0.0.1; `answer(number, tls, closing)` runs each connection (0, 1, 2, ...)
    after its handshake. `closing` is set when the server closes, to end answers that hold the line."""

    def __init__(self, context: ssl.SSLContext, answer: Answer) -> None:
        self.context, self.answer = context, answer
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closing = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        number = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(number, conn), daemon=True).start()
            number += 1

    def _handle(self, number: int, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                self.answer(number, tls, self.closing)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> ScriptedTLSServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.listener.close()


def answer_with_cert_only(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
    """Answers clients that sent a certificate; holds the others without a word."""
    read_request(tls)
    if tls.getpeercert():
        tls.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    else:
        closing.wait(5)


# ---------------------------------------------------------------------------
# Against the practice load balancer (the happy paths)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("reject_with", ["alert", "http400"])
@pytest.mark.parametrize("versions", [None, TLS12, UP_TO_TLS12], ids=["default", "tls12", "up-to-tls12"])
def test_pass_against_an_enforcing_listener(pki_workspace: Workspace, reject_with: str, versions: tuple | None) -> None:
    seen: list[Attempt] = []
    with PracticeLoadBalancer(pki_workspace, reject_with=reject_with, tls_versions=versions) as server:
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
    expected_version = {None: "TLSv1.3", TLS12: "TLSv1.2", UP_TO_TLS12: "TLSv1.2"}[versions]
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
    with PracticeLoadBalancer(pki_workspace, host="::1") as server:
        assert server.address.startswith("[::1]:")
        host, port = parse_address(server.address)
        verdict = probe(host, port, pki_workspace, timeout=5)
    assert verdict.status == "pass", verdict.summary
    assert verdict.address == server.address


# ---------------------------------------------------------------------------
# Misconfigured listeners
# ---------------------------------------------------------------------------


def test_one_way_tls_is_flagged_as_not_enforced(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, request_client_cert=False) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail" and not verdict.passed
    assert "not enforced" in verdict.summary
    assert outcomes(verdict) == ["accepted", "accepted", "accepted"]
    assert [a.ok for a in verdict.attempts] == [True, False, False]


def test_one_way_tls_is_seen_to_never_ask_for_a_certificate(pki_workspace: Workspace) -> None:
    with PracticeLoadBalancer(pki_workspace, request_client_cert=False) as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert any("never asked for one" in line for line in verdict.diagnosis)
    assert verdict.attempts[1].certificate_requested is False


def test_hang_ups_without_a_certificate_request_are_no_refusal(pki_workspace: Workspace) -> None:
    # One-way TLS that answers the first connection and drops the next two right after the
    # handshake: no client certificate was ever asked for, so the drops prove nothing.

    def first_only(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
        if number == 0:
            read_request(tls)
            tls.sendall(OK_RESPONSE)

    with ScriptedTLSServer(server_context(pki_workspace), first_only) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=5)
    assert outcomes(verdict) == ["accepted", "error", "error"]
    assert [a.certificate_requested for a in verdict.attempts] == [False, False, False]
    assert verdict.status == "inconclusive" and not verdict.passed
    assert verdict.summary.startswith("INCONCLUSIVE")
    assert any("without ever asking for a client certificate" in line for line in verdict.diagnosis)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_no_common_tls_version_is_a_protocol_mismatch(pki_workspace: Workspace) -> None:
    # A legacy policy (at most TLS 1.1; security level 0 so OpenSSL 3 still enables it)
    # against a client that speaks TLS 1.2 and 1.3.
    legacy = (ssl.TLSVersion.MINIMUM_SUPPORTED, ssl.TLSVersion.TLSv1_1)
    with PracticeLoadBalancer(pki_workspace, tls_versions=legacy, ciphers="DEFAULT:@SECLEVEL=0") as server:
        verdict = probe(server.host, server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert [a.kind for a in verdict.attempts] == ["protocol"]
    assert "protocol version" in verdict.attempts[0].detail
    assert "no TLS version or cipher in common" in verdict.summary
    assert any("TLS policy" in line for line in verdict.diagnosis)


def test_no_common_cipher_is_a_protocol_mismatch(pki_workspace: Workspace) -> None:
    # An EC server key with RSA-only TLS 1.2 ciphers: the server can agree on nothing.
    with PracticeLoadBalancer(pki_workspace, tls_versions=TLS12, ciphers="ECDHE-RSA-AES128-GCM-SHA256") as server:
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
    # Asks for a certificate optionally, answers clients with one, and ignores the others.
    with ScriptedTLSServer(server_context(pki_workspace, verify=ssl.CERT_OPTIONAL), answer_with_cert_only) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=0.5)
    assert outcomes(verdict) == ["accepted", "timeout", "rejected"]
    assert verdict.status == "inconclusive" and not verdict.passed
    assert verdict.summary.startswith("INCONCLUSIVE")
    assert any("--timeout" in line for line in verdict.diagnosis)


def test_the_page_behind_a_bodiless_400_is_fetched_within_the_timeout(pki_workspace: Workspace) -> None:
    # Clients without a certificate get a bodiless 400 to HEAD and nothing at all to the GET that
    # would tell nginx's refusal from the application's: unproven, and still within --timeout.
    def answer(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
        head = read_request(tls).startswith(b"HEAD")
        if tls.getpeercert():
            tls.sendall(OK_RESPONSE)
        elif head:
            tls.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        else:
            closing.wait(10)

    with ScriptedTLSServer(server_context(pki_workspace, verify=ssl.CERT_OPTIONAL), answer) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=1)
    assert outcomes(verdict) == ["accepted", "error", "rejected"]
    assert verdict.status == "inconclusive" and not verdict.passed
    assert "could not be read" in verdict.attempts[1].detail and "no answer within" in verdict.attempts[1].detail
    assert verdict.elapsed < 3 * 1 + 1  # three attempts, each with its follow-up inside its own second


def test_an_http2_only_server_that_ignores_alpn_is_no_refusal_of_ours(pki_workspace: Workspace) -> None:
    # Takes h2 when offered, chooses nothing when offered only HTTP/1.1, and hangs up on an
    # HTTP/1.1 request: not a refusal of our certificate, a server we cannot ask.
    def h2_only(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
        if tls.selected_alpn_protocol() != "h2":
            read_request(tls)

    context = server_context(pki_workspace, verify=ssl.CERT_REQUIRED)
    context.set_alpn_protocols(["h2"])
    with ScriptedTLSServer(context, h2_only) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=5)
    assert verdict.status == "inconclusive", verdict.summary
    assert "speaks only HTTP/2" in verdict.summary
    assert outcomes(verdict) == ["error"] and "the server took it" in verdict.attempts[0].detail
    assert any("curl --http2" in line for line in verdict.diagnosis)


def test_a_listener_that_never_answers_http_costs_one_timeout_not_three(pki_workspace: Workspace) -> None:
    def hold(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
        closing.wait(10)  # TLS done (client certificate verified), then not a word of HTTP

    context = server_context(pki_workspace, verify=ssl.CERT_REQUIRED)
    with ScriptedTLSServer(context, hold) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=0.5)
    assert outcomes(verdict) == ["timeout"]
    assert "waiting for the HTTP response" in verdict.attempts[0].detail
    assert verdict.status == "inconclusive" and not verdict.passed
    assert "skipped" in verdict.summary
    assert any("--timeout" in line and "skipped" in line for line in verdict.diagnosis)


def test_sni_only_listener_gets_a_name_diagnosis(pki_workspace: Workspace) -> None:
    # Like nginx's `ssl_reject_handshake on`: unknown names are refused with unrecognized_name.
    context = server_context(pki_workspace, verify=ssl.CERT_REQUIRED)
    context.sni_callback = lambda tls, name, ctx: None if name == "lb.example.com" else ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    with ScriptedTLSServer(context, answer_with_cert_only) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert [a.kind for a in verdict.attempts] == ["name"]
    assert "unrecognized name" in verdict.attempts[0].detail
    assert "'localhost'" in verdict.summary and "cipher" not in verdict.summary
    assert any("--sni NAME" in line for line in verdict.diagnosis)


def test_other_alerts_before_the_server_hello_are_not_called_a_cipher_mismatch(pki_workspace: Workspace) -> None:
    context = server_context(pki_workspace, verify=ssl.CERT_REQUIRED)
    context.sni_callback = lambda tls, name, ctx: ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
    with ScriptedTLSServer(context, answer_with_cert_only) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=5)
    assert verdict.status == "fail"
    assert [a.kind for a in verdict.attempts] == ["early_alert"]
    assert "internal error" in verdict.attempts[0].detail
    assert "before any certificate was exchanged" in verdict.summary


def test_a_hanging_name_lookup_is_bounded_by_the_timeout(pki_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hanging_lookup(*args: object, **kwargs: object) -> list:
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", hanging_lookup)
    try:
        verdict = probe("lb.example.test", 443, pki_workspace, timeout=0.2)
    finally:
        release.set()
    assert verdict.status == "unreachable" and not verdict.passed
    assert verdict.summary == "UNREACHABLE: cannot resolve lb.example.test within 0.2 s"
    assert outcomes(verdict) == ["timeout"] and verdict.attempts[0].kind == "dns_timeout"
    assert any("DNS" in line for line in verdict.diagnosis)


def test_a_failing_name_lookup_says_cannot_resolve(pki_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_lookup(*args: object, **kwargs: object) -> list:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", failing_lookup)
    verdict = probe("no-such-lb.example.test", 443, pki_workspace, timeout=5)
    assert verdict.status == "unreachable"
    assert verdict.summary == "UNREACHABLE: cannot resolve no-such-lb.example.test (Name or service not known)"
    assert outcomes(verdict) == ["error"] and verdict.attempts[0].kind == "dns"
    assert any("IP address instead" in line for line in verdict.diagnosis)


def test_an_app_page_mentioning_ssl_certificates_is_no_refusal(pki_workspace: Workspace) -> None:
    # An application's own 400 that happens to talk about SSL certificates; only nginx's two
    # exact phrases mark a client-certificate refusal.
    page = b"<p>Bad request: upload your SSL certificate in PEM form.</p>"

    def app_400(number: int, tls: ssl.SSLSocket, closing: threading.Event) -> None:
        head = read_request(tls).startswith(b"HEAD")
        answer = b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(page)
        tls.sendall(answer if head else answer + page)

    with ScriptedTLSServer(server_context(pki_workspace, verify=ssl.CERT_REQUIRED), app_400) as server:
        verdict = probe("127.0.0.1", server.port, pki_workspace, timeout=5)
    assert verdict.attempts[0].outcome == "accepted" and verdict.attempts[0].status_code == 400
    assert verdict.status == "pass", verdict.summary


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WizardError, match="mtls-wizard generate"):
        probe("127.0.0.1", 1, Workspace(tmp_path / "empty"))


# ---------------------------------------------------------------------------
# Pieces
# ---------------------------------------------------------------------------


def test_a_server_that_hangs_up_at_once_is_not_a_certificate_refusal(pki_workspace: Workspace) -> None:
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
