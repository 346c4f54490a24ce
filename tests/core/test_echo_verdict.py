"""`check --backend-echo` judged: the echo location's answers in, checks with their deciding layer out.
No sockets: the answers are what `wire` records (the real-server runs are tests/cli/test_check_backend_echo.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from wizard.backend import ECHO_MAGIC, FORGED, REVOKED, UNVERIFIED
from wizard.handshake.backend_echo import FORGED_FINGERPRINT, FORGED_SERIAL, forged_headers
from wizard.handshake.echo_verdict import classify, conclude, judge_backend_echo
from wizard.handshake.model import (
    FOREIGN_CERT, REQUEST_IN_HANDSHAKE, WITH_CERT, WITHOUT_CERT, ClientFacts, EchoEvidence, Evidence, Observation,
)
from wizard.handshake.wire import Request, dechunk

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.timezone.utc)
SERIAL = "00A1B2C3D4E5F60718293A4B5C6D7E8F"  # a leading zero byte, as serials with a low first byte have
SHA1 = "ab" * 20
SERIAL_HEADER = "x-forwarded-clientcert-serialnumber"
FINGERPRINT_HEADER = "x-forwarded-clientcert-fingerprint"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 502: "Bad Gateway"}


def client(revoked: bool = False) -> ClientFacts:
    return ClientFacts(ca_subject="CN=CA", not_before=NOW - dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=300),
                       name="bob" if revoked else "alice", revoked=revoked, serial=SERIAL, fingerprints=(SHA1, "cd" * 32))


def answer(code: int, body: str = "") -> Observation:
    line = f"HTTP/1.1 {code} {REASONS[code]}"
    return Observation("http", line, "response", status_code=code, status_line=line, body=body.encode(), server_hello=True,
                       certificate_request=REQUEST_IN_HANDSHAKE, peer_der=b"server certificate")


def echo(server: str = "nginx", **headers: str) -> Observation:
    lines = [ECHO_MAGIC, f"server: {server}", "source: 100.125.0.9", *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    return answer(200, "\n".join(lines) + "\n")


def echoed(serial: str, fingerprint: str = SHA1, **more: str) -> Observation:
    return echo(**{"x_forwarded_clientcert_serialnumber": serial, "x_forwarded_clientcert_fingerprint": fingerprint,
                   "x_forwarded_clientcert_clientverify": "SUCCESS", **more})


def refusal(text: str) -> Observation:
    return answer(403, text + "\n")


def tls_refused() -> Observation:
    return Observation("alert", "TLS alert: certificate revoked", "response", server_hello=True, certificate_request=REQUEST_IN_HANDSHAKE,
                       peer_der=b"server certificate")


def evidence(plain: Observation, forged: Observation | None = None, *, revoked: bool = False,
             serial_headers: tuple[str, ...] = (SERIAL_HEADER,)) -> Evidence:
    requests = EchoEvidence(serial_headers=list(serial_headers), fingerprint_headers=[FINGERPRINT_HEADER],
                            forged_serial=FORGED_SERIAL, forged_fingerprint=FORGED_FINGERPRINT,
                            observations={"plain": plain, **({"forged": forged} if forged is not None else {})})
    listener = {WITH_CERT: answer(200), WITHOUT_CERT: answer(400, "No required SSL certificate was sent"),
                FOREIGN_CERT: answer(400, "The SSL certificate error")}
    return Evidence(host="127.0.0.1", port=8443, sni="localhost", client=client(revoked), observations=listener,
                    backend_echo=requests, now=NOW)


def checks(ev: Evidence) -> list[tuple[str, str, str]]:
    return [(c.name, c.status, c.layer) for c in judge_backend_echo(ev).checks]


def test_our_serial_arriving_and_a_forged_one_replaced_pass() -> None:
    result = judge_backend_echo(evidence(echoed(SERIAL), echoed(SERIAL)))
    assert (result.status, result.passed, result.server, result.source) == ("pass", True, "nginx", "100.125.0.9")
    assert [(c.name, c.status, c.layer) for c in result.checks] == [
        ("serial_arrives", "pass", "listener_headers"), ("forged_header", "pass", "listener_headers")]
    assert SERIAL in result.checks[0].detail and FORGED_SERIAL in result.checks[1].detail
    assert result.summary.startswith("PASS: behind 127.0.0.1:8443 the backend (nginx) receives alice's")


@pytest.mark.parametrize("spelling", ["a1b2c3d4e5f60718293a4b5c6d7e8f", "00:a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f",
                                      "A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F"])
def test_the_serial_in_another_spelling_is_the_same_serial(spelling: str) -> None:
    result = judge_backend_echo(evidence(echoed(spelling), echoed(spelling)))
    assert result.status == "pass", result.checks
    assert f"{spelling} (that is {SERIAL}, spelled otherwise)" in result.checks[0].detail


def test_the_serial_is_read_under_the_kits_alias_or_found_by_its_value() -> None:
    aliased = echo(x_client_serial=SERIAL.lower(), x_forwarded_clientcert_clientverify="SUCCESS")
    result = judge_backend_echo(evidence(aliased, aliased, serial_headers=(SERIAL_HEADER, "x-client-serial")))
    assert result.status == "pass" and result.checks[0].header == "x-client-serial"
    # An alias the workspace never recorded: the line holding our serial is found all the same.
    assert judge_backend_echo(evidence(aliased, aliased)).checks[0].status == "pass"


def test_the_fingerprint_alone_identifies_the_client_when_no_serial_is_forwarded() -> None:
    only = echo(x_forwarded_clientcert_fingerprint=SHA1.upper(), x_forwarded_clientcert_clientverify="SUCCESS")
    result = judge_backend_echo(evidence(only, only))
    assert result.status == "pass" and "alice's fingerprint arrives" in result.checks[0].detail


@pytest.mark.parametrize(("plain", "status", "layer", "fragment"), [
    (echoed(""), "fail", "listener_headers", "the backend received no serial number"),
    (echoed("0F1E2D3C"), "fail", "listener_headers", f"not alice's {SERIAL}"),
    (echo(x_other="1"), "inconclusive", "backend_kit", "no serial number or fingerprint header this workspace knows (it shows: x-other)"),
    (refusal(REVOKED), "fail", "backend_deny_list", "although this workspace has not revoked it"),
    (refusal(FORGED), "fail", "backend_kit", "refuses the listener's own headers as forged"),
    (refusal(UNVERIFIED), "fail", "listener_headers", "the listener forwards no client-certificate headers"),
    (answer(404), "fail", "backend_kit", "is missing (HTTP/1.1 404 Not Found): the backend kit is not installed"),
    (answer(200, "app ok\n"), "fail", "backend_kit", "but not with the kit's echo"),
    (answer(403, "<html>Forbidden</html>"), "inconclusive", "backend", "which is no refusal of the kit"),
    (answer(502), "inconclusive", "backend", "no backend server answered"),
    (tls_refused(), "fail", "listener_tls", "the listener refused alice's certificate (TLS alert: certificate revoked)"),
    (answer(400, "<center>No required SSL certificate was sent</center>"), "fail", "listener_tls", "refusal page"),
    (Observation("timeout", "no answer within 5 s (waiting for the HTTP response)", "response"), "inconclusive", "backend", "no answer"),
    (Observation("refused", "connection refused", "connect"), "inconclusive", "listener_tls", "connection refused"),
])
def test_each_answer_to_a_valid_client_names_its_layer(plain: Observation, status: str, layer: str, fragment: str) -> None:
    check = judge_backend_echo(evidence(plain)).checks[0]
    assert (check.name, check.status, check.layer) == ("serial_arrives", status, layer)
    assert fragment in check.detail


@pytest.mark.parametrize(("plain", "status", "layer"), [
    (tls_refused(), "pass", "listener_tls"),
    (refusal(REVOKED), "pass", "backend_deny_list"),
    (echoed(SERIAL), "fail", "backend_deny_list"),
    (answer(404), "fail", "backend_kit"),
    (answer(200, "app ok\n"), "fail", "backend_kit"),
    (refusal(FORGED), "inconclusive", "backend_kit"),
    (refusal(UNVERIFIED), "inconclusive", "listener_headers"),
    (answer(502), "inconclusive", "backend"),
])
def test_a_revoked_client_must_be_refused(plain: Observation, status: str, layer: str) -> None:
    check = judge_backend_echo(evidence(plain, revoked=True)).checks[0]
    assert (check.name, check.status, check.layer) == ("revoked_refused", status, layer)


def test_a_revoked_client_let_in_with_its_own_serial_is_told_to_reload() -> None:
    result = judge_backend_echo(evidence(echoed(SERIAL), refusal(REVOKED), revoked=True, ))
    assert result.status == "fail" and result.summary.startswith("FAIL: the backend lets the revoked bob in behind")
    assert any("deny-list is out of date" in note and "nginx -s reload" in note for note in result.diagnosis)
    haproxy = echo("haproxy", x_forwarded_clientcert_serialnumber=SERIAL)
    assert "systemctl reload haproxy" in " ".join(judge_backend_echo(evidence(haproxy, revoked=True)).diagnosis)


@pytest.mark.parametrize(("forged", "status", "layer"), [
    (echoed(FORGED_SERIAL), "fail", "listener_headers"),
    (echoed(f"{FORGED_SERIAL}, {SERIAL}"), "fail", "listener_headers"),  # the front added ours after the client's
    (echoed(SERIAL, FORGED_FINGERPRINT), "fail", "listener_headers"),  # our serial, but a forged fingerprint got through
    (echoed(SERIAL, x_other=FORGED_SERIAL.lower()), "fail", "listener_headers"),  # under a name nobody recorded
    (refusal(FORGED), "pass", "backend_kit"),
    (refusal(UNVERIFIED), "inconclusive", "listener_headers"),
    (answer(404), "inconclusive", "backend_kit"),
])
def test_a_forged_header_must_not_reach_the_backend(forged: Observation, status: str, layer: str) -> None:
    check = judge_backend_echo(evidence(echoed(SERIAL), forged)).checks[1]
    assert (check.name, check.status, check.layer) == ("forged_header", status, layer)
    assert check.forged in (FORGED_SERIAL, FORGED_FINGERPRINT)


def test_a_forged_fingerprint_reaching_the_backend_fails_where_no_serial_is_forwarded() -> None:
    plain = echo(x_forwarded_clientcert_fingerprint=SHA1, x_forwarded_clientcert_clientverify="SUCCESS")
    forged = echo(x_forwarded_clientcert_fingerprint=FORGED_FINGERPRINT, x_forwarded_clientcert_clientverify="SUCCESS")
    check = judge_backend_echo(evidence(plain, forged)).checks[1]
    assert (check.status, check.header, check.forged) == ("fail", FINGERPRINT_HEADER, FORGED_FINGERPRINT)


@pytest.mark.parametrize(("forged", "status", "layer"), [
    (refusal(REVOKED), "pass", "backend_deny_list"),
    (tls_refused(), "pass", "listener_tls"),
    (refusal(FORGED), "pass", "backend_kit"),
    (echoed(FORGED_SERIAL), "fail", "listener_headers"),
    (echoed(SERIAL), "fail", "backend_deny_list"),
    (answer(200, "app ok\n"), "fail", "backend_kit"),
    (refusal(UNVERIFIED), "inconclusive", "listener_headers"),
])
def test_a_revoked_client_with_a_forged_serial_must_still_be_refused(forged: Observation, status: str, layer: str) -> None:
    check = judge_backend_echo(evidence(refusal(REVOKED), forged, revoked=True)).checks[1]
    assert (check.name, check.status, check.layer) == ("forged_header", status, layer)


def test_the_listeners_verdict_counts_a_revoked_client_refused_behind_it() -> None:
    let_in = conclude(evidence(refusal(REVOKED), refusal(REVOKED), revoked=True))
    assert let_in.passed and let_in.attempts[0].ok and let_in.backend_echo is not None and let_in.backend_echo.passed
    assert "the revoked bob passes its TLS and is refused behind it by the backend's deny-list" in let_in.summary
    # Without the echo (or when the backend let it in) the listener's letting it in is a failure, as before.
    alone = conclude(replace(evidence(refusal(REVOKED), revoked=True), backend_echo=None))
    assert not alone.passed and "the revoked client bob is let in" in alone.summary and alone.backend_echo is None
    behind = conclude(evidence(echoed(SERIAL), revoked=True))
    assert not behind.passed and not behind.backend_echo.passed  # type: ignore[union-attr]


def test_nothing_asked_is_not_run() -> None:
    ev = evidence(echoed(SERIAL))
    ev.backend_echo.observations.clear()  # type: ignore[union-attr]
    result = judge_backend_echo(ev)
    assert (result.status, result.passed, result.checks) == ("not_run", False, [])


def test_classify_reads_only_the_kits_own_refusals_and_echo() -> None:
    assert classify(refusal(REVOKED)).kind == "kit_revoked"
    assert classify(answer(403, "revoked client certificate, or not")).kind == "refused"
    assert classify(answer(200, "mtls-wizard-echo 2\nserver: nginx\n")).kind == "not_echo"  # a newer format is not read as this one


def test_the_forged_request_forges_every_known_name() -> None:
    ev = evidence(echoed(SERIAL), serial_headers=(SERIAL_HEADER, "x-client-serial")).backend_echo
    assert forged_headers(ev) == ((SERIAL_HEADER, FORGED_SERIAL), ("x-client-serial", FORGED_SERIAL), (FINGERPRINT_HEADER, FORGED_FINGERPRINT))  # type: ignore[arg-type]


def test_requests_and_chunked_answers_on_the_wire() -> None:
    request = Request("GET", "localhost:8443", "/.well-known/mtls-wizard/echo", ((SERIAL_HEADER, FORGED_SERIAL),), whole_body=True)
    assert request.encode().startswith(b"GET /.well-known/mtls-wizard/echo HTTP/1.1\r\nHost: localhost:8443\r\n")
    assert f"\r\n{SERIAL_HEADER}: {FORGED_SERIAL}\r\nConnection: close\r\n\r\n".encode() in request.encode()
    with pytest.raises(ValueError, match="line break"):
        Request("GET", "localhost", headers=(("x", "a\r\nInjected: 1"),)).encode()
    assert dechunk(b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n") == b"hello, world"
    assert dechunk(b"not chunked at all") == b"not chunked at all"
