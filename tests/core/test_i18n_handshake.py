"""The handshake test and the practice load balancer speak the reader's language, and only theirs.

Under the pseudo-locale every marked text comes out accented, so a plain English word left in a
verdict's summary, an attempt's label or detail, a finding or a listener log line was never
marked. What the other side said (status lines, alert names, nginx's page, OpenSSL's words) is
data and stays as it came. The machine-readable form (`Verdict.to_dict`, what --json prints and
the session keeps) has the same keys and the same enum values in every language.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from support.handshake_cases import CASES, NOW
from support.i18n_helpers import untranslated_words

from wizard import i18n
from wizard.handshake import Verdict, parse_address, probe
from wizard.handshake.diagnosis import REJECTION_TEXTS, diagnose
from wizard.handshake.model import Evidence
from wizard.handshake.wire import ALERTS
from wizard.practice import PracticeLoadBalancer
from wizard.workspace import Workspace

# The words people read; everything else in the verdict is data or an enum value.
HUMAN_FIELDS = {"summary", "diagnosis", "checked_at", "elapsed", "server_verify_error"}
HUMAN_ATTEMPT_FIELDS = {"label", "detail", "elapsed"}
# What the server or OpenSSL said, quoted as it came (longest first, so no name is cut in two).
QUOTED = sorted([*ALERTS.values(), *REJECTION_TEXTS, "unable to get local issuer certificate", "Bad Request", "Bad Gateway",
                 "Forbidden", "Not Found", "SSL Certificate Error", "Found", "Unauthorized", "self-signed certificate",
                 "certificate has expired"], key=len, reverse=True)


def unquoted(text: str) -> str:
    for quoted in QUOTED:
        text = text.replace(quoted, " ")
    return text


def human_texts(verdict: Verdict) -> list[str]:
    return [verdict.summary, *verdict.diagnosis, *(f"{a.label} {a.detail}" for a in verdict.attempts)]


def assert_all_translated(texts: list[str], allowed: tuple[str, ...] = ()) -> None:
    for text in texts:
        assert not untranslated_words(unquoted(text), allowed), text


def shape(value: Any) -> Any:
    """The verdict's machine-readable form: every key, and the values that are not words for people."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items() if key not in HUMAN_FIELDS | HUMAN_ATTEMPT_FIELDS} | {
            key: type(item).__name__ for key, item in value.items() if key in HUMAN_FIELDS | HUMAN_ATTEMPT_FIELDS}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return value


def in_both_languages(run: Callable[[], Verdict]) -> tuple[Verdict, Verdict]:
    i18n.set_language(i18n.ENGLISH)
    english = run()
    i18n.set_language(i18n.PSEUDO)
    return english, run()


def assert_same_data(english: Verdict, translated: Verdict) -> None:
    assert shape(translated.to_dict()) == shape(english.to_dict())
    assert translated.summary != english.summary  # ... while the words did change


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on leaving: nothing listens there


# TLS 1.2, where a refusal is an alert inside the handshake: under TLS 1.3 the same refusal may
# arrive as an alert or as a reset, and the English and the translated run must compare.
TLS_1_2 = (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)


@pytest.mark.parametrize("listener", [
    {"tls_versions": TLS_1_2},  # enforcing, refusals by TLS alert: PASS
    {"tls_versions": TLS_1_2, "reject_with": "http400"},  # refusals by nginx's 400 page: PASS
    {"request_client_cert": False},  # one-way TLS: FAIL, not enforced and a foreign CA let in
])
def test_a_real_check_speaks_the_readers_language_and_keeps_its_data(pki_workspace: Workspace, listener: dict[str, Any]) -> None:
    lines: list[str] = []
    with PracticeLoadBalancer(pki_workspace, log=lines.append, **listener) as server:
        english, translated = in_both_languages(lambda: probe(server.host, server.port, pki_workspace, timeout=5))
        # Three attempts per language, and the GETs that read the pages behind nginx's bodiless 400s to HEAD
        # (no certificate, and a stranger's: both refused as nginx and ELB refuse them).
        per_language = 5 if listener.get("reject_with") == "http400" else 3
        deadline = time.monotonic() + 5
        while len(lines) < 2 * per_language and time.monotonic() < deadline:
            time.sleep(0.01)
    assert english.status == ("fail" if listener.get("request_client_cert") is False else "pass"), english.summary
    assert_same_data(english, translated)
    assert_all_translated(human_texts(translated), allowed=("localhost",))
    # The listener's log lines of the pseudo-locale run (the second half): a person reads them.
    assert len(lines) == 2 * per_language, lines
    for line in lines[per_language:]:
        assert_all_translated([line.replace("CN=client,O=ELB", " ")])
    outcomes = [o["outcome"] for o in server.outcomes]
    assert sorted(outcomes[:per_language]) == sorted(outcomes[per_language:])


def test_an_unreachable_port_is_reported_in_the_readers_language(pki_workspace: Workspace, closed_port: int) -> None:
    english, translated = in_both_languages(lambda: probe("127.0.0.1", closed_port, pki_workspace, timeout=5))
    assert english.status == translated.status == "unreachable"
    assert_same_data(english, translated)
    assert_all_translated(human_texts(translated))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_diagnosis_speaks_the_readers_language(case: Any) -> None:
    def judge() -> Verdict:
        # The details as the wire would have recorded them in this language (a placeholder word here).
        observations = {name: replace(o, detail=i18n._("no answer"), page_problem=o.page_problem and i18n._("no answer"))
                        for name, o in case.observations.items()}
        evidence = Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=case.client, observations=observations,
                            server_certificate=case.server if any(o.peer_der for o in observations.values()) else None, now=NOW)
        for name, value in case.extra.items():
            setattr(evidence, name, value)
        return diagnose(evidence)

    english, translated = in_both_languages(judge)
    assert_same_data(english, translated)
    # The names in the evidence are data: the client (bob) and the advertised CA's name.
    assert_all_translated(human_texts(translated), allowed=("bob", "Other", "Root", "Elsewhere"))


def test_a_revoked_client_that_is_let_in_keeps_its_name_and_gets_translated_words() -> None:
    case = CASES["a revoked client let in (no CRL, like ELB)"]
    i18n.set_language(i18n.PSEUDO)
    verdict = diagnose(Evidence(host="192.0.2.10", port=443, sni="www.test.com", client=case.client, observations=case.observations,
                                server_certificate=case.server, now=NOW))
    assert verdict.status == "fail" and "bob" in verdict.summary and "bob" in verdict.attempts[0].label
    assert_all_translated(human_texts(verdict)[:2], allowed=("bob",))


@pytest.mark.parametrize("address", ["", "a b", "http://lb:80", "[::1", "x:99999", "x", "a:b:c", "bad_host!:1"])
def test_address_mistakes_are_explained_in_the_readers_language(address: str) -> None:
    i18n.set_language(i18n.PSEUDO)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - InputError, whatever its message
        parse_address(address)
    # The address as typed is quoted back: its words are the user's.
    assert_all_translated([str(raised.value).replace(repr(address), " ")], allowed=("host", "port", "https"))
