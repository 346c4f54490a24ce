"""The diagnosis as a table: recorded attempt outcomes in, verdict out. No sockets, no files.

Each row (tests/support/handshake_cases.py) is what the three attempts saw on the wire (as
`wire` records it) and the verdict a careful engineer would give; the real-server tests check
that the wire records it so.
"""

from __future__ import annotations

import pytest
from support.handshake_cases import CASES, CLIENT, NOW, OUR_CA, SERVER, Case, alert, http, three

from wizard.handshake.diagnosis import diagnose
from wizard.handshake.model import FOREIGN_CERT, WITH_CERT, WITHOUT_CERT, Evidence


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
