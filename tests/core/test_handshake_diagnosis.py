"""The diagnosis as a table: recorded attempt outcomes in, verdict out. No sockets, no files.

Each row (tests/support/handshake_cases.py) is what the three attempts saw on the wire (as
`wire` records it) and the verdict a careful engineer would give; the real-server tests check
that the wire records it so.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.handshake_cases import CASES, CLIENT, NGINX_400_PAGE, NOW, OUR_CA, SERVER, Case, alert, http, three, unverified

from wizard.handshake.diagnosis import diagnose
from wizard.handshake.model import FOREIGN_CERT, WITH_CERT, WITHOUT_CERT, Evidence, Observation


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_verdict_a_careful_engineer_would_give(case: Case) -> None:
    evidence = Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=case.client, observations=case.observations,
                        server_certificate=case.server if any(o.peer_der for o in case.observations.values()) else None, now=NOW)
    for name, value in case.extra.items():
        setattr(evidence, name, value)
    verdict = diagnose(evidence)
    assert verdict.status == case.status, verdict.summary
    assert verdict.passed is (case.status == "pass")
    assert case.summary in verdict.summary
    assert verdict.summary.startswith(case.status.upper())
    assert [a.outcome for a in verdict.attempts] == case.outcomes
    if case.diagnosis:
        assert any(case.diagnosis in line for line in verdict.diagnosis), verdict.diagnosis
    if len(set(a.outcome for a in verdict.attempts)) == 1 and verdict.attempts[0].outcome == "denied":
        assert "foreign CA is accepted" not in verdict.summary and "not enforced" not in verdict.summary


def verdict_of(observations: dict[str, Observation], **extra: object) -> object:
    evidence = Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=CLIENT, observations=observations, server_certificate=SERVER, now=NOW)
    for name, value in extra.items():
        setattr(evidence, name, value)
    return diagnose(evidence)


def test_the_attempt_lines_name_what_decided_them() -> None:
    verdict = verdict_of(three(http(200), http(400, body=NGINX_400_PAGE), http(400)))
    assert verdict.attempts[1].detail == "HTTP/1.1 400 Bad Request with nginx's (and ELB's) refusal page 'No required SSL certificate was sent'"
    assert verdict.attempts[2].detail == "HTTP/1.1 400 Bad Request from the application after TLS let us in with a foreign CA's certificate"
    verdict = verdict_of(three(http(200), http(400), replace(http(302), location="https://sso.example/login")))
    assert verdict.attempts[1].detail == "HTTP/1.1 400 Bad Request from the application after TLS let us in without a certificate"
    assert "to https://sso.example/login" in verdict.attempts[2].detail
    verdict = verdict_of(three(replace(http(200), method="GET", head_unanswered=True), alert("certificate required"), alert("unknown CA")))
    assert verdict.attempts[0].detail == "HTTP/1.1 200 OK (to GET: HEAD got no answer)"


@pytest.mark.parametrize("insecure", [False, True])
def test_whether_the_server_was_verified_is_a_field_for_scripts(insecure: bool) -> None:
    verdict = verdict_of(three(http(200), alert("certificate required"), alert("unknown CA")), insecure=insecure)
    assert verdict.passed
    data = verdict.to_dict()
    assert data["server_verification"] == ("not_verified" if insecure else "verified")
    assert ("server not verified" in verdict.summary) is insecure
    failed = verdict_of({WITH_CERT: unverified("untrusted", "self-signed certificate")})
    assert failed.to_dict()["server_verification"] == "failed" and failed.server_verified is False


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 15


def test_advertised_ca_names_are_reported_and_ours_recognised() -> None:
    names = ("CN=Other Root,O=Elsewhere", OUR_CA)
    observations = three(http(200, names=names), alert("certificate required", names=names), alert("unknown CA", names=names))
    verdict = diagnose(Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=CLIENT, observations=observations, server_certificate=SERVER, now=NOW))
    assert verdict.accepted_client_cas == list(names)
    assert verdict.our_ca_advertised is True and verdict.client_ca_names_known


def test_a_request_without_ca_names_still_counts_as_a_request() -> None:
    observations = three(http(200), alert("certificate required"), alert("unknown CA"))
    verdict = diagnose(Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=CLIENT, observations=observations, server_certificate=SERVER, now=NOW))
    assert verdict.status == "pass"
    assert verdict.accepted_client_cas == [] and verdict.our_ca_advertised is None and verdict.client_ca_names_known
    assert [a.certificate_requested for a in verdict.attempts] == [True, True, True]


def test_the_verdict_serialises_with_every_attempt() -> None:
    verdict = diagnose(Evidence(host="::1", port=8443, sni="www.test.com", client=CLIENT, observations=CASES["TLS 1.3 refusals after the handshake (close, reset)"].observations,
                                server_certificate=SERVER, now=NOW, post_handshake_auth_offered=True))
    data = verdict.to_dict()
    assert data["address"] == "[::1]:8443" and data["post_handshake_auth_offered"] is True
    assert [a["name"] for a in data["attempts"]] == [WITH_CERT, WITHOUT_CERT, FOREIGN_CERT]
    assert {"label", "outcome", "detail", "ok", "certificate_request"} <= set(data["attempts"][0])
