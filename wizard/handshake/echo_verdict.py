"""`check --backend-echo`, judged: what the backend behind the listener received, layer by layer.

A pure function of the evidence, like `diagnosis`. Each echo answer is first classified (a TLS
refusal, the kit's echo, one of the kit's three refusals, the echo location missing, ...), then
read as the check it answers:

- a valid client's plain request: its serial number must arrive as the listener forwards it
  (compared as the kits compare it: any case, with or without colons or leading zeros);
- a revoked client's plain request: it must be refused, by the listener's TLS or by the backend's
  deny-list (`revoked client certificate`); an echo means it was let in;
- the forged request: the made-up serial must not reach the backend (the echo shows our real
  serial, or the kit refuses it as forged); a revoked client must still be refused.

Each check names the layer that decided it. `conclude` judges the echo first, so the listener's
verdict knows when a revoked client it let in was refused behind it (ELB checks no CRL).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import wizard.handshake.echo_findings as texts
from wizard.backend.denylist import minimal_serial
from wizard.backend.echo import ECHO_PATH, SERVER_LINE, SOURCE_LINE, parse_echo
from wizard.backend.kits import reload_command
from wizard.backend.refusals import FORGED, REFUSALS, REVOKED, UNVERIFIED
from wizard.backend.spec import SERVERS, SHARED_LB_SOURCE
from wizard.defaults import PROG
from wizard.handshake.backend_echo import FORGED as FORGED_REQUEST
from wizard.handshake.backend_echo import PLAIN
from wizard.handshake.diagnosis import diagnose, judge_alone
from wizard.handshake.echo_findings import Outcome
from wizard.handshake.model import WITH_CERT, BackendEcho, ClientFacts, EchoCheck, EchoEvidence, Evidence, Observation, Verdict
from wizard.handshake.names import format_address
from wizard.i18n import _

SERIAL_ARRIVES, REVOKED_REFUSED, FORGED_HEADER = "serial_arrives", "revoked_refused", "forged_header"
_KIT_REFUSALS = {REVOKED: "kit_revoked", FORGED: "kit_forged", UNVERIFIED: "kit_unverified"}


@dataclass
class Answer:
    """One echo request's answer, classified, with the facts its texts are formatted with."""

    kind: str  # tls_refused | echo | kit_revoked | kit_forged | kit_unverified | missing | not_echo | refused | unavailable
    #            | tls_no_answer | no_answer
    facts: dict[str, str]
    echo: dict[str, str] | None = None


def classify(observation: Observation) -> Answer:
    """What one answer of the echo location is, whoever it came from."""
    attempt = judge_alone(WITH_CERT, observation)
    facts = {"path": ECHO_PATH, "detail": observation.detail, "status_line": observation.status_line}
    if attempt.outcome == "rejected":  # a TLS refusal, or nginx's (ELB's) own refusal page
        return Answer("tls_refused", {**facts, "detail": attempt.detail})
    code = observation.status_code
    if observation.kind != "http" or code is None:
        early = observation.phase in ("connect", "handshake") or observation.kind in ("connect_timeout", "refused", "dns")
        return Answer("tls_no_answer" if early else "no_answer", facts)
    body = observation.body.decode("utf-8", "replace")
    echo = parse_echo(body) if code == 200 else None
    if echo is not None:
        return Answer("echo", facts, echo)
    if code == 403 and body.strip() in REFUSALS:
        return Answer(_KIT_REFUSALS[body.strip()], {**facts, "refusal": body.strip()})
    if code == 404:
        return Answer("missing", facts)
    if code >= 500:
        return Answer("unavailable", facts)
    return Answer("not_echo" if code < 400 else "refused", facts)


@dataclass
class Identity:
    """Where the echo shows who the client is: `kind` serial | fingerprint | "" (no such header)."""

    kind: str = ""
    header: str = ""
    value: str = ""


def _same_serial(value: str, serial: str) -> bool:
    return bool(value.strip()) and minimal_serial(value.strip()) == minimal_serial(serial)


def _fingerprint(value: str) -> str:
    return value.strip().replace(":", "").lower()


def identity_of(echo: dict[str, str], evidence: EchoEvidence, serial: str, fingerprints: tuple[str, ...]) -> Identity:
    """The echo line that carries the client's identity: a known serial header first, then a known
    fingerprint header, then any line that holds our serial or fingerprint in some spelling."""
    for kind, headers in (("serial", evidence.serial_headers), ("fingerprint", evidence.fingerprint_headers)):
        for header in headers:
            if header in echo:
                return Identity(kind, header, echo[header])
    for header, value in echo.items():
        if header in (SERVER_LINE, SOURCE_LINE):
            continue
        if _same_serial(value, serial):
            return Identity("serial", header, value)
        if _fingerprint(value) in fingerprints:
            return Identity("fingerprint", header, value)
    return Identity()


def forged_line(echo: dict[str, str], evidence: EchoEvidence) -> Identity | None:
    """The echo line that carries one of our made-up values (alone, or beside the real one), the serial's first."""
    for kind, forged in (("serial", evidence.forged_serial), ("fingerprint", evidence.forged_fingerprint)):
        for header, value in echo.items():
            if header not in (SERVER_LINE, SOURCE_LINE) and forged and forged.lower().lstrip("0") in value.replace(":", "").lower():
                return Identity(kind, header, value)
    return None


def _is_ours(identity: Identity, evidence: Evidence) -> bool:
    client = evidence.client
    if identity.kind == "serial":
        return _same_serial(identity.value, client.serial)
    return identity.kind == "fingerprint" and _fingerprint(identity.value) in client.fingerprints


def _requests(evidence: Evidence) -> EchoEvidence:
    return evidence.backend_echo or EchoEvidence([], [], "", "")


def _identity(evidence: Evidence, answer: Answer) -> Identity:
    if answer.echo is None:
        return Identity()
    return identity_of(answer.echo, _requests(evidence), evidence.client.serial, evidence.client.fingerprints)


def _echo_facts(answer: Answer, identity: Identity) -> dict[str, str]:
    """The facts an echo adds: who answered, from where it saw us, what it received."""
    echo = answer.echo or {}
    server = echo.get(SERVER_LINE, "")
    facts = {"server": server or "?", "source": echo.get(SOURCE_LINE, "") or "?", "header": identity.header or "-",
             "received": identity.value}
    if server in SERVERS:
        facts["reload"] = reload_command(server)
    facts["headers"] = ", ".join(h for h in echo if h not in (SERVER_LINE, SOURCE_LINE)) or "-"
    return facts


Result = tuple[EchoCheck, Outcome, dict[str, str]]


def _check(name: str, outcome: Outcome, facts: dict[str, str], identity: Identity | None = None) -> Result:
    identity = identity or Identity()
    check = EchoCheck(name=name, status=outcome.status, layer=outcome.layer, detail=_(outcome.detail).format(**facts),
                      status_line=facts.get("status_line", ""), refusal=facts.get("refusal", ""),
                      header=identity.header, received=identity.value, expected=facts.get("expected", ""),
                      forged=facts.get("forged", "") if name == FORGED_HEADER else "")
    return check, outcome, facts


def _arrival_key(identity: Identity, evidence: Evidence) -> str:
    """How the echo's identity line compares with our valid client's (a key of texts.ARRIVES)."""
    if not identity.kind:
        return "no_header"
    if not identity.value.strip():
        return "empty"
    if not _is_ours(identity, evidence):
        return "other_value"
    if identity.kind == "fingerprint":
        return "ok_fingerprint"
    return "ok" if identity.value.strip() == evidence.client.serial else "ok_spelled"


def _arrival(evidence: Evidence, answer: Answer, facts: dict[str, str]) -> Result:
    """A valid client's plain request: its serial must arrive."""
    if answer.echo is None:
        return _check(SERIAL_ARRIVES, texts.ARRIVES[answer.kind], facts)
    identity = _identity(evidence, answer)
    return _check(SERIAL_ARRIVES, texts.ARRIVES[_arrival_key(identity, evidence)], facts | _echo_facts(answer, identity), identity)


def _revocation(evidence: Evidence, answer: Answer, facts: dict[str, str]) -> Result:
    """A revoked client's plain request: it must be refused."""
    if answer.kind in texts.REVOKED:
        return _check(REVOKED_REFUSED, texts.REVOKED[answer.kind], facts)
    if answer.kind in ("missing", "not_echo"):
        return _check(REVOKED_REFUSED, texts.REVOKED["no_kit"], facts)
    if answer.echo is None:
        return _check(REVOKED_REFUSED, texts.ARRIVES[answer.kind], facts)
    identity = _identity(evidence, answer)
    # Let in: our serial arrived and the deny-list missed it (not reloaded), or it arrived otherwise (as for a valid client).
    reading = texts.ARRIVES[_arrival_key(identity, evidence)]
    let_in = texts.REVOKED["let_in"]._replace(note="reload" if reading.status == "pass" else reading.note)
    return _check(REVOKED_REFUSED, let_in, facts | _echo_facts(answer, identity), identity)


def _forged_key(evidence: Evidence, answer: Answer, identity: Identity, table: dict[str, Outcome], reached: bool) -> str:
    if answer.echo is None and evidence.client.revoked and answer.kind in ("missing", "not_echo"):
        return "no_kit"
    if answer.echo is None:
        return answer.kind if answer.kind in table else ""
    if reached:
        return "reached"
    if evidence.client.revoked:
        return "let_in"
    return "replaced" if _is_ours(identity, evidence) else ""


def _forged(evidence: Evidence, answer: Answer, facts: dict[str, str]) -> Result:
    """The forged request: the made-up serial must not reach the backend; a revoked client stays refused."""
    requests, table = _requests(evidence), texts.FORGED_REVOKED if evidence.client.revoked else texts.FORGED
    reached = forged_line(answer.echo, requests) if answer.echo is not None else None
    identity = reached or _identity(evidence, answer)
    facts = facts | (_echo_facts(answer, identity) if answer.echo is not None else {})
    facts |= {"header": identity.header or (requests.serial_headers or ["-"])[0],
              "forged": requests.forged_fingerprint if identity.kind == "fingerprint" else requests.forged_serial}
    key = _forged_key(evidence, answer, identity, table, reached is not None)
    if key:
        return _check(FORGED_HEADER, table[key], facts, identity)
    # Anything else tells nothing about forged headers: say what the answer was; the layer is the one
    # the plain request's reading names (that check explains it).
    _plain, plain_outcome, _facts = (_revocation if evidence.client.revoked else _arrival)(evidence, answer, facts)
    unknown = texts.FORGED["unknown"]._replace(layer=plain_outcome.layer)
    return _check(FORGED_HEADER, unknown, facts | {"answer": _answer_text(answer, identity)}, identity)


def _answer_text(answer: Answer, identity: Identity) -> str:
    """An answer in a few words: its status line (with the kit's refusal, or what the echo showed), or how the connection ended."""
    facts = answer.facts
    if not facts.get("status_line"):
        return facts.get("detail", "")
    if facts.get("refusal"):
        return f"{facts['status_line']}: {facts['refusal']}"
    if answer.echo is not None and identity.header:
        return f"{facts['status_line']}, {identity.header}: {identity.value}"
    return facts["status_line"]


def judge_backend_echo(evidence: Evidence) -> BackendEcho:
    """The backend-echo part of the verdict: one check per request, the fixes, one summary line."""
    observations = _requests(evidence).observations
    if PLAIN not in observations:
        return BackendEcho(status="not_run", passed=False, summary=_(texts.SUMMARY_NOT_RUN), checks=[], diagnosis=[], path=ECHO_PATH)
    client = evidence.client
    base = {"name": client.name, "expected": client.serial, "prog": PROG, "lb_source": SHARED_LB_SOURCE, "header": "-",
            "reload": _("the web server's reload command")}
    plain = classify(observations[PLAIN])
    results = [(_revocation if client.revoked else _arrival)(evidence, plain, base | plain.facts)]
    if FORGED_REQUEST in observations:
        forged = classify(observations[FORGED_REQUEST])
        results.append(_forged(evidence, forged, base | forged.facts))
    echo = plain.echo or {}
    result = BackendEcho(status="pass", passed=False, summary="", checks=[check for check, _outcome, _facts in results],
                         diagnosis=_notes(results), path=ECHO_PATH, server=echo.get(SERVER_LINE, ""), source=echo.get(SOURCE_LINE, ""),
                         received={name: value for name, value in echo.items() if name not in (SERVER_LINE, SOURCE_LINE)})
    _summarise(result, format_address(evidence.host, evidence.port), client, results)
    return result


def _notes(results: list[Result]) -> list[str]:
    """The fixes of the checks that did not pass, each once."""
    notes = [_(texts.NOTES[outcome.note]).format(**facts) for check, outcome, facts in results if outcome.note and check.status != "pass"]
    return list(dict.fromkeys(notes))


def _summarise(result: BackendEcho, where: str, client: ClientFacts, results: list[Result]) -> None:
    failed = [outcome for check, outcome, _facts in results if check.status == "fail"]
    unproven = [outcome for check, outcome, _facts in results if check.status == "inconclusive"]
    if failed or unproven:
        result.status = "fail" if failed else "inconclusive"
        phrases = [_(outcome.phrase).format(name=client.name) for outcome in failed or unproven if outcome.phrase]
        summary = texts.SUMMARY_FAIL if failed else texts.SUMMARY_INCONCLUSIVE
        result.summary = _(summary).format(problems=_("; ").join(dict.fromkeys(phrases)), where=where)
        return
    result.status, result.passed = "pass", True
    summary = texts.SUMMARY_PASS_REVOKED if client.revoked else texts.SUMMARY_PASS
    result.summary = _(summary).format(where=where, name=client.name, server=result.server or "?")


def conclude(evidence: Evidence) -> Verdict:
    """The verdict with the backend echo (when asked for): the echo is judged first, so that the
    listener's verdict can count a revoked client it let in as refused behind it."""
    if evidence.backend_echo is None:
        return diagnose(evidence)
    echo = judge_backend_echo(evidence)
    refused_behind = any(check.name == REVOKED_REFUSED and check.status == "pass" and check.layer == "backend_deny_list"
                         for check in echo.checks)
    judged = dataclasses.replace(evidence, revoked_refused_behind=refused_behind)
    verdict = diagnose(judged)
    verdict.backend_echo = echo
    verdict.evidence = judged  # what the listener's verdict was drawn from (wizard.handshake.saved keeps it)
    return verdict


__all__ = ["FORGED_HEADER", "REVOKED_REFUSED", "SERIAL_ARRIVES", "classify", "conclude", "forged_line", "identity_of", "judge_backend_echo"]
