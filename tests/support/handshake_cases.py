"""The diagnosis table the handshake tests share: what the three attempts saw on the wire (as
`wire` records it) and the verdict a careful engineer would give (tests/core/
test_handshake_diagnosis.py judges it; the translation tests run it in another language)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from wizard.handshake import Verdict
from wizard.handshake.model import (
    FOREIGN_CERT,
    REQUEST_AFTER_HANDSHAKE,
    REQUEST_IN_HANDSHAKE,
    REQUEST_NONE,
    REQUEST_UNKNOWN,
    WITH_CERT,
    WITHOUT_CERT,
    ClientFacts,
    Observation,
    ServerCertificate,
)

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)
OUR_CA = "CN=ELB mTLS Root CA,O=ELB"
CLIENT = ClientFacts(ca_subject=OUR_CA, not_before=NOW - dt.timedelta(days=30), not_after=NOW + dt.timedelta(days=300))
SERVER = ServerCertificate(
    subject="CN=www.test.com,O=ELB", sans=["DNS:www.test.com"], issuer=OUR_CA, not_before="2026-01-01T00:00:00+00:00",
    not_after="2028-01-01T00:00:00+00:00", fingerprint="AB:" * 31 + "AB", is_workspace_cert=True, verifies_against_ca=True, matches_sni=True,
)
NGINX_400_PAGE = b"<html><center>No required SSL certificate was sent</center></html>"
REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 495: "SSL Certificate Error",
           502: "Bad Gateway"}


def http(code: int, request: str = REQUEST_IN_HANDSHAKE, body: bytes = b"", names: tuple[str, ...] = (), version: str = "TLSv1.3") -> Observation:
    line = f"HTTP/1.1 {code} {REASONS[code]}"
    return Observation("http", line, "response", status_code=code, status_line=line, body=body, tls_version=version,
                       cipher="TLS_AES_256_GCM_SHA384", server_hello=True, certificate_request=request,
                       client_ca_names=list(names), peer_der=b"server certificate")


def alert(name: str, request: str = REQUEST_IN_HANDSHAKE, phase: str = "response", names: tuple[str, ...] = ()) -> Observation:
    return Observation("alert", f"TLS alert: {name}", phase, server_hello=True, certificate_request=request,
                       client_ca_names=list(names), peer_der=b"server certificate" if phase == "response" else None)


def closed(kind: str = "eof", request: str = REQUEST_IN_HANDSHAKE) -> Observation:
    how = "closed" if kind == "eof" else "reset"
    return Observation(kind, f"connection {how} before any HTTP response", "response", server_hello=True,
                       certificate_request=request, peer_der=b"server certificate")


def unverified(failure: str, reason: str) -> Observation:
    """The first attempt stopped by our own check of the server certificate (nothing else was sent)."""
    return Observation("server_unverified", f"the server certificate did not verify: {reason}", "handshake", server_hello=True,
                       verify_error=reason, verify_failure=failure, peer_der=b"server certificate")


def early(kind: str, detail: str, phase: str = "handshake") -> Observation:
    """An attempt that ended before any certificate could be exchanged."""
    return Observation(kind, detail, phase, certificate_request=REQUEST_UNKNOWN)


@dataclass
class Case:
    observations: dict[str, Observation]
    status: str
    summary: str  # a fragment of the verdict line
    outcomes: list[str]
    diagnosis: str = ""  # a fragment of one finding
    server: ServerCertificate | None = field(default_factory=lambda: SERVER)
    client: ClientFacts = field(default_factory=lambda: CLIENT)
    extra: dict[str, object] = field(default_factory=dict)  # more Evidence fields


def three(ours: Observation, without: Observation, foreign: Observation) -> dict[str, Observation]:
    return {WITH_CERT: ours, WITHOUT_CERT: without, FOREIGN_CERT: foreign}


CASES = {
    "enforced, TLS 1.2 alerts in the handshake": Case(
        three(http(200, version="TLSv1.2"), alert("handshake failure", phase="handshake"), alert("unknown CA", phase="handshake")),
        "pass", "demands a client certificate, accepts ours and refuses strangers", ["accepted", "rejected", "rejected"]),
    "TLS 1.3 refusals after the handshake (close, reset)": Case(
        three(http(200), closed("eof"), closed("reset")), "pass", "PASS", ["accepted", "rejected", "rejected"]),
    "nginx refuses with its 400 page": Case(
        three(http(200), http(400, body=NGINX_400_PAGE), http(400, body=NGINX_400_PAGE)), "pass", "PASS", ["accepted", "rejected", "rejected"]),
    "nginx 495 and 496": Case(
        three(http(200), http(495), replace(http(495), status_code=496)), "pass", "PASS", ["accepted", "rejected", "rejected"]),
    "one-way TLS: not enforced, never asked": Case(
        three(http(200, REQUEST_NONE), http(200, REQUEST_NONE), http(200, REQUEST_NONE)), "fail",
        "mutual authentication is not enforced; a certificate from a foreign CA is accepted", ["accepted", "accepted", "accepted"], "never asked for one"),
    "optional verification lets clients in": Case(
        three(http(200), http(200), alert("unknown CA")), "fail", "mutual authentication is not enforced", ["accepted", "accepted", "rejected"],
        "optional verification"),
    "a foreign CA is accepted": Case(
        three(http(200), alert("certificate required"), http(200)), "fail", "a certificate from a foreign CA is accepted", ["accepted", "rejected", "accepted"],
        "does not check who issued"),
    "our certificate refused: the server names another CA": Case(
        three(alert("unknown CA", names=("CN=Other Root,O=Elsewhere",)), alert("certificate required"), alert("unknown CA")), "fail",
        "our client certificate is refused", ["rejected", "rejected", "rejected"], "It accepts client certificates from: CN=Other Root,O=Elsewhere"),
    "our certificate refused: no CA names advertised": Case(
        three(alert("unknown CA"), alert("certificate required"), alert("unknown CA")), "fail", "our client certificate is refused",
        ["rejected", "rejected", "rejected"], "Most likely it trusts a different CA"),
    "our certificate refused: it has expired": Case(
        three(alert("certificate expired"), alert("certificate required"), alert("unknown CA")), "fail", "our client certificate is refused",
        ["rejected", "rejected", "rejected"], "generate --force", client=replace(CLIENT, not_after=NOW - dt.timedelta(days=1))),
    "a different server certificate": Case(
        three(http(200), alert("certificate required"), alert("unknown CA")), "fail", "a different server certificate is served",
        ["accepted", "rejected", "rejected"], "--trust system", server=replace(SERVER, verifies_against_ca=False, is_workspace_cert=False, issuer="CN=Public CA")),
    "the server certificate does not cover the name": Case(
        three(http(200), alert("certificate required"), alert("unknown CA")), "fail", "does not match 'www.test.com'",
        ["accepted", "rejected", "rejected"], "--sni NAME", server=replace(SERVER, matches_sni=False, sans=["DNS:other.example"])),
    "--insecure: the name mismatch is reported, not failed": Case(
        three(http(200), alert("certificate required"), alert("unknown CA")), "pass", "refuses strangers (server not verified: --insecure)",
        ["accepted", "rejected", "rejected"],
        "ignored with --insecure", server=replace(SERVER, matches_sni=False), extra={"insecure": True}),
    "system trust: the chain does not verify": Case(
        three(replace(http(200), verify_error="unable to get local issuer certificate"), alert("certificate required"), alert("unknown CA")), "fail",
        "the server certificate does not verify", ["accepted", "rejected", "rejected"], "unable to get local issuer certificate", extra={"trust": "system"}),
    "no cipher or protocol in common": Case(
        {WITH_CERT: early("protocol", "TLS alert: handshake failure (no TLS version or cipher in common)")}, "fail",
        "no TLS version or cipher in common", ["error"], "TLS policy"),
    "hung up before the handshake began": Case(
        {WITH_CERT: early("closed", "closed the connection before the TLS handshake began")}, "fail", "hung up before the TLS handshake", ["error"]),
    "an alert before the ServerHello is not about certificates": Case(
        {WITH_CERT: early("early_alert", "TLS alert: internal error")}, "fail", "before any certificate was exchanged", ["error"]),
    "the name is not served (SNI)": Case(
        {WITH_CERT: early("name", "TLS alert: unrecognized name")}, "fail", "does not answer for the name 'www.test.com'", ["error"], "--sni NAME"),
    "not TLS": Case({WITH_CERT: early("not_tls", "the port does not answer in TLS")}, "fail", "does not speak TLS", ["error"]),
    "a silent server": Case(
        {WITH_CERT: early("silent", "no answer within 5 s (during the TLS handshake)")}, "unreachable", "never answered the TLS handshake", ["timeout"]),
    "connection refused": Case(
        {WITH_CERT: early("refused", "connection refused", "connect")}, "unreachable", "UNREACHABLE: 192.0.2.10:443 (connection refused)", ["error"]),
    "the name does not resolve": Case(
        {WITH_CERT: early("dns", "cannot resolve lb.example.test (Name or service not known)", "connect")}, "unreachable",
        "UNREACHABLE: cannot resolve lb.example.test", ["error"], "IP address instead"),
    "a timeout without a certificate is no pass": Case(
        three(http(200), early("timeout", "no answer within 5 s (waiting for the HTTP response)", "response"), alert("unknown CA")), "inconclusive",
        "without a client certificate: timeout", ["accepted", "timeout", "rejected"], "--timeout"),
    "hang-ups without a certificate request prove nothing": Case(
        three(http(200, REQUEST_NONE), closed("eof", REQUEST_NONE), closed("reset", REQUEST_NONE)), "inconclusive", "INCONCLUSIVE",
        ["accepted", "error", "error"], "without ever asking for a client certificate"),
    "Apache per location, TLS 1.3 post-handshake refusals": Case(
        three(http(200, REQUEST_AFTER_HANDSHAKE), alert("certificate required", REQUEST_AFTER_HANDSHAKE), alert("unknown CA", REQUEST_AFTER_HANDSHAKE)),
        "pass", "PASS", ["accepted", "rejected", "rejected"]),
    "Apache per location, optional + a Require rule: 403 after asking post-handshake": Case(
        three(http(200, REQUEST_AFTER_HANDSHAKE), http(403, REQUEST_AFTER_HANDSHAKE), alert("unknown CA", REQUEST_AFTER_HANDSHAKE)),
        "fail", "clients without a certificate get through TLS (the application answered 403)", ["accepted", "denied", "rejected"],
        "not from the TLS layer"),
    "identical 403s: refuses every request, never 'foreign CA accepted'": Case(
        three(http(403, REQUEST_NONE), http(403, REQUEST_NONE), http(403, REQUEST_NONE)), "inconclusive",
        "refuses every request, with or without a certificate (HTTP/1.1 403 Forbidden)", ["denied", "denied", "denied"],
        "check the path or the application", extra={"post_handshake_auth_offered": True}),
    "identical 403s without post-handshake auth on offer": Case(
        three(http(403, REQUEST_NONE), http(403, REQUEST_NONE), http(403, REQUEST_NONE)), "inconclusive", "refuses every request",
        ["denied", "denied", "denied"], "could not offer TLS 1.3 post-handshake authentication"),
    "identical 502s from an empty backend prove nothing": Case(
        three(http(502, REQUEST_NONE), http(502, REQUEST_NONE), http(502, REQUEST_NONE)), "inconclusive", "refuses every request",
        ["denied", "denied", "denied"], "never asked for a client certificate", extra={"post_handshake_auth_offered": True}),
    "ours 403 but strangers refused by TLS": Case(
        three(http(403), alert("certificate required"), alert("unknown CA")), "pass", "PASS", ["accepted", "rejected", "rejected"],
        "refuses this path"),
    "ours 502 after nginx refused the strangers": Case(
        three(http(502), http(400, body=NGINX_400_PAGE), http(400, body=NGINX_400_PAGE)), "pass", "PASS", ["accepted", "rejected", "rejected"],
        "Mutual authentication itself works"),
    "a bodiless 400 is the application's, not nginx's refusal": Case(
        three(http(200), http(400), http(400)), "fail",
        "clients without a certificate get through TLS (the application answered 400); a certificate from a foreign CA gets through TLS",
        ["accepted", "denied", "denied"], "not from the listener's TLS layer"),
    "an application 400 page (not nginx's words) is no refusal either": Case(
        three(http(200), http(400, body=b"<h1>Bad Request</h1>client certificate missing"), alert("unknown CA")), "fail",
        "clients without a certificate get through TLS (the application answered 400)", ["accepted", "denied", "rejected"]),
    "a 400 whose page could not be read proves nothing": Case(
        three(http(200), replace(http(400), page_problem="no answer within 3 s (waiting for the HTTP response)"), alert("unknown CA")),
        "inconclusive", "without a client certificate: error", ["accepted", "error", "rejected"], "could not be read"),
    "the same application 400 to everyone proves nothing": Case(
        three(http(400), http(400), http(400)), "inconclusive", "refuses every request", ["denied", "denied", "denied"]),
    "a redirect to a login page is the application's refusal": Case(
        three(http(200), replace(http(302), location="/login"), alert("unknown CA")), "fail",
        "clients without a certificate get through TLS (the application answered 302)", ["accepted", "denied", "rejected"]),
    "a 401 to strangers after TLS let them in": Case(
        three(http(200), http(401), http(401)), "fail", "clients without a certificate get through TLS (the application answered 401)",
        ["accepted", "denied", "denied"]),
    "a server that answers only GET (HEAD closed unanswered)": Case(
        three(replace(http(200), method="GET", head_unanswered=True), alert("certificate required"), alert("unknown CA")), "pass", "PASS",
        ["accepted", "rejected", "rejected"]),
    "HTTP/2 only: no refusal of ours, inconclusive with the fix": Case(
        {WITH_CERT: early("alpn", "TLS alert: no application protocol (when offered HTTP/1.1)")}, "inconclusive",
        "speaks only HTTP/2", ["error"], "curl --http2"),
    "an untrusted server certificate stops the check": Case(
        {WITH_CERT: unverified("untrusted", "unable to get local issuer certificate")}, "fail",
        "did not verify: it is not trusted (unable to get local issuer certificate)", ["error"], "neither our client certificate nor a request",
        server=replace(SERVER, verifies_against_ca=False, is_workspace_cert=False, issuer="CN=Public CA")),
    "a server certificate for another name stops the check": Case(
        {WITH_CERT: unverified("name", "certificate is not valid for 'www.test.com'")}, "fail", "it does not cover the name 'www.test.com'",
        ["error"], "It covers other.example: check with --sni NAME", server=replace(SERVER, matches_sni=False, sans=["DNS:other.example"])),
    "an expired server certificate stops the check": Case(
        {WITH_CERT: unverified("expired", "certificate has expired")}, "fail", "it has expired", ["error"], "renew server",
        server=replace(SERVER, expired=True)),
    "untrusted by the system's CAs": Case(
        {WITH_CERT: unverified("untrusted", "unable to get local issuer certificate")}, "fail", "it is not trusted", ["error"],
        "upload the whole chain", extra={"trust": "system"}),
    "optional at TLS, 403 from the application": Case(
        three(http(200), http(403), alert("unknown CA")), "fail", "clients without a certificate get through TLS (the application answered 403)",
        ["accepted", "denied", "rejected"], "not from the listener's TLS layer"),
    "one-way TLS, 403 from the application": Case(
        three(http(200, REQUEST_NONE), http(403, REQUEST_NONE), http(200, REQUEST_NONE)), "fail",
        "mutual authentication is not enforced (the application answered 403)", ["accepted", "denied", "accepted"], "never asked for a client certificate"),
    "a revoked client refused by a listener that loads the CRL": Case(
        three(http(400, body=b"<center>The SSL certificate error</center>"), http(400, body=NGINX_400_PAGE), alert("unknown CA")), "pass",
        "refuses the revoked bob and strangers", ["rejected", "rejected", "rejected"], "enforces the CRL",
        client=replace(CLIENT, name="bob", revoked=True)),
    "a revoked client let in (no CRL, like ELB)": Case(
        three(http(200), alert("certificate required"), alert("unknown CA")), "fail", "the revoked client bob is let in",
        ["accepted", "rejected", "rejected"], "ELB never does", client=replace(CLIENT, name="bob", revoked=True)),
    "a foreign CA gets through TLS, 403 from the application": Case(
        three(http(200), alert("certificate required"), http(403)), "fail", "a certificate from a foreign CA gets through TLS",
        ["accepted", "rejected", "denied"], "optional_no_ca"),
}


def outcomes(verdict: Verdict) -> list[str]:
    """The three attempts' outcomes, in order ("accepted", "rejected", ...)."""
    return [a.outcome for a in verdict.attempts]
