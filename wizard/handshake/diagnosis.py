"""From what the three attempts saw to a verdict: a pure function, no sockets, no files.

Each attempt is first judged on its own (with what our certificate got as the yardstick):

- accepted: an HTTP answer that lets the client in (a 5xx with our certificate counts: it
  comes from behind the listener, after TLS and the certificate passed);
- rejected: a refusal of the client certificate: a TLS alert, reset or close once a
  certificate was asked for (TLS 1.3 refusals arrive after the handshake), or nginx's (ELB's)
  own 400 page ("No required SSL certificate was sent", read with a GET) or 495/496;
- denied: an HTTP refusal after TLS let the client in: 401/403 with our certificate; for the
  others any other 4xx/5xx or a redirect, the application's refusal (the listener did not
  enforce); a refusal that every attempt got alike proves nothing either way;
- timeout / error: proves nothing.

Then the whole: the first attempt may settle it at once (unreachable, not TLS, no common
protocol, ...); otherwise failures (not enforced, foreign CA accepted, ours refused, the
server certificate) make a FAIL, anything unproven an INCONCLUSIVE, and the rest a PASS.
"""

from __future__ import annotations

import wizard.handshake.findings as findings
from wizard.handshake.model import (
    ATTEMPT_ORDER, FOREIGN_CERT, LABELS, REQUEST_AFTER_HANDSHAKE, REQUEST_IN_HANDSHAKE, REQUEST_NONE, WITH_CERT,
    WITHOUT_CERT, Attempt, Evidence, Observation, Verdict, outcome_text,
)
from wizard.handshake.names import format_address, is_ip
from wizard.i18n import _, ngettext

# The reason texts in the pages nginx (and nginx-based load balancers such as ELB) send when a
# client certificate is missing or refused; the status line itself only says "400 Bad Request".
# Only these exact phrases: an application page may well mention "SSL certificates", and a 400
# without one of them is the application's answer, never the load balancer's refusal.
REJECTION_TEXTS = ("No required SSL certificate was sent", "The SSL certificate error")
_NGINX_CERTIFICATE_CODES = (495, 496)  # certificate error, certificate required
_DENIAL_CODES = (401, 403)


def rejection_text(observation: Observation) -> str | None:
    """The reason text of an nginx-style refusal page, if the body carries one."""
    lowered = observation.body.lower()
    return next((text for text in REJECTION_TEXTS if text.lower().encode() in lowered), None)


def judge_attempts(evidence: Evidence) -> list[Attempt]:
    """One row per attempt made so far, each judged against what our certificate got."""
    rows = _judged_rows(evidence)
    if rows and rows[0].name == WITH_CERT and evidence.client.name != "client":
        first, name = rows[0], evidence.client.name
        first.label = (_("with {name}'s revoked certificate") if evidence.client.revoked else _("with the certificate of {name}")).format(name=name)
        if evidence.client.revoked:  # a revoked client must be refused, like a stranger (or behind the listener: --backend-echo)
            first.ok = first.outcome == "rejected" or (first.outcome == "accepted" and evidence.revoked_refused_behind)
    return rows


def judge_alone(name: str, observation: Observation) -> Attempt:
    """One observation judged on its own (no other attempt as a yardstick): is it a refusal of the certificate?"""
    return _judge(name, observation, None)


def _judged_rows(evidence: Evidence) -> list[Attempt]:
    ours = evidence.observations.get(WITH_CERT)
    rows = [_judge(name, evidence.observations[name], ours) for name in ATTEMPT_ORDER if name in evidence.observations]
    if ours is None or len(rows) < len(ATTEMPT_ORDER) or ours.kind != "http":
        return rows
    first, others, line = rows[0], rows[1:], ours.status_line
    if first.outcome == "accepted" and first.status_code is not None and first.status_code >= 400 and all(
            o.kind == "http" and o.status_code == first.status_code for o in others):
        # The same 4xx/5xx with and without certificates: the server refuses everyone alike.
        first.outcome, first.ok = "denied", False
        first.detail = _("{status_line} (the same answer as without a certificate)").format(status_line=line)
    elif first.outcome == "denied" and all(o.outcome == "rejected" for o in others):
        # TLS refused the strangers and let us through: the application's refusal is about the path, not us.
        first.outcome, first.ok = "accepted", True
        first.detail = _("{status_line} (our certificate passed TLS; the application refused the request)").format(status_line=line)
    return rows


def _judge(name: str, observation: Observation, ours: Observation | None) -> Attempt:
    request = observation.certificate_request
    attempt = Attempt(name, _(LABELS[name]), "error", observation.detail, False, kind=observation.kind,
                      status_code=observation.status_code, tls_version=observation.tls_version,
                      certificate_request=request, elapsed=round(observation.elapsed, 4))
    if request in (REQUEST_IN_HANDSHAKE, REQUEST_AFTER_HANDSHAKE):
        attempt.certificate_requested = True
    elif request == REQUEST_NONE:
        attempt.certificate_requested = False
    if observation.kind == "http":
        attempt.outcome, attempt.detail = _judge_answer(name, observation, ours)
    elif observation.kind in ("alert", "eof", "reset"):
        if attempt.certificate_requested is False:
            # The server never asked for a certificate, so hanging up cannot be a refusal of one.
            attempt.detail = _("{detail}, although no client certificate was asked for").format(detail=observation.detail)
        else:
            attempt.outcome = "rejected"
            if request == REQUEST_AFTER_HANDSHAKE:
                attempt.detail = _("{detail} (the certificate was asked for after the handshake)").format(detail=observation.detail)
    elif observation.kind in ("timeout", "silent", "connect_timeout", "dns_timeout"):
        attempt.outcome = "timeout"
    attempt.ok = (attempt.outcome == "accepted") if name == WITH_CERT else (attempt.outcome == "rejected")
    return attempt


def _judge_answer(name: str, observation: Observation, ours: Observation | None) -> tuple[str, str]:
    """(outcome, detail) for an HTTP answer (or a non-HTTP one after the handshake), naming what decided it."""
    code, line = observation.status_code, observation.status_line
    if observation.head_unanswered:  # HEAD went unanswered and GET got this: say so once, here
        line = _("{status_line} (to GET: HEAD got no answer)").format(status_line=line)
    if code is None:
        return "accepted", observation.detail
    if code in _NGINX_CERTIFICATE_CODES:
        return "rejected", _("{status_line} (nginx's refusal of the client certificate)").format(status_line=line)
    if code == 400:
        reason = rejection_text(observation)
        if reason:
            return "rejected", _("{status_line} with nginx's (and ELB's) refusal page {reason!r}").format(status_line=line, reason=reason)
        if observation.page_problem:
            return "error", _("{status_line}, and the page that would tell the load balancer's refusal from the application's "
                              "could not be read ({problem})").format(status_line=line, problem=observation.page_problem)
    ours_code = ours.status_code if ours is not None and ours.kind == "http" else None
    if name == WITH_CERT:
        if code in _DENIAL_CODES:
            return "denied", _("{status_line} (the server answered, but refused the request)").format(status_line=line)
        if code >= 500:
            return "accepted", _("{status_line} (from behind the listener: the TLS part passed)").format(status_line=line)
        return "accepted", line
    if code < 300 or (code < 400 and ours_code == code):
        return "accepted", line
    if ours_code == code:
        return "denied", _("{status_line} (the same answer as with our certificate)").format(status_line=line)
    return "denied", _application_refusal(name, observation, line)


def _application_refusal(name: str, observation: Observation, line: str) -> str:
    """The detail of an HTTP refusal (4xx/5xx, or a redirect to a login page) after TLS let a stranger in."""
    if observation.location:
        line = _("{status_line} to {location}").format(status_line=line, location=observation.location)
    request = observation.certificate_request
    if request == REQUEST_AFTER_HANDSHAKE:
        # The certificate was asked for and the request still answered: optional verification with an
        # access rule (Apache per <Location>). A required one ends in a TLS alert instead.
        return _("{status_line} (asked for a certificate after the handshake, then refused by an access rule)").format(status_line=line)
    if request == REQUEST_NONE:
        return _("{status_line} (no certificate was asked for; refused by the application)").format(status_line=line)
    if name == FOREIGN_CERT:
        return _("{status_line} from the application after TLS let us in with a foreign CA's certificate").format(status_line=line)
    return _("{status_line} from the application after TLS let us in without a certificate").format(status_line=line)


def diagnose(evidence: Evidence) -> Verdict:
    """The verdict the evidence supports, with a plain-language diagnosis."""
    verdict = _header(evidence)
    verdict.attempts = judge_attempts(evidence)
    first = evidence.observations[WITH_CERT]
    if first.kind == "server_unverified":  # the check stopped before our certificate or a request was sent
        verdict.status = "fail"
        verdict.summary, note = findings.server_unverified(verdict, first)
        verdict.diagnosis.append(note)
        return verdict
    ending = findings.FIRST_ATTEMPT_ENDINGS.get(first.kind)
    if ending is not None:
        status, summary, diagnosis = ending
        # How the name was sent, a noun phrase ("{name}" in the texts of FIRST_ATTEMPT_ENDINGS).
        name = (_("the IP address {address} (sent without SNI)").format(address=verdict.sni) if is_ip(verdict.sni)
                else _("the name {name!r}").format(name=verdict.sni))
        facts = {"where": verdict.address, "host": verdict.host, "detail": first.detail, "name": name}
        verdict.status, verdict.summary = status, _(summary).format(**facts)
        verdict.diagnosis.append(_(diagnosis).format(**facts))
        return verdict
    _judge_whole(verdict, evidence)
    return verdict


def _header(evidence: Evidence) -> Verdict:
    """The verdict's facts: address, names, TLS, server certificate, advertised CAs."""
    verdict = Verdict(
        status="unreachable", passed=False, summary="", diagnosis=[], attempts=[],
        address=format_address(evidence.host, evidence.port), host=evidence.host, port=evidence.port, sni=evidence.sni,
        trust=evidence.trust, insecure=evidence.insecure, server_certificate=evidence.server_certificate,
        post_handshake_auth_offered=evidence.post_handshake_auth_offered, workspace=evidence.workspace,
        client=evidence.client.name, client_revoked=evidence.client.revoked,
        checked_at=evidence.checked_at, elapsed=round(evidence.elapsed, 4),
    )
    observations = list(evidence.observations.values())
    handshaken = next((o for o in observations if o.peer_der is not None or o.verify_failure), None)
    if handshaken is not None:
        verdict.tls_version, verdict.cipher = handshaken.tls_version, handshaken.cipher
        if evidence.insecure:
            verdict.server_verification = "not_verified"
        else:
            facts = evidence.server_certificate
            name_problem = "" if facts is None or facts.matches_sni else _("certificate is not valid for {name!r}").format(name=evidence.sni)
            verdict.server_verify_error = handshaken.verify_error or name_problem
            verdict.server_verified = not verdict.server_verify_error
            verdict.server_verification = "verified" if verdict.server_verified else "failed"
    requested = [o for o in observations if o.certificate_request in (REQUEST_IN_HANDSHAKE, REQUEST_AFTER_HANDSHAKE)]
    verdict.client_ca_names_known = bool(requested)
    names = next((o.client_ca_names for o in requested if o.client_ca_names), [])
    verdict.accepted_client_cas = list(names)
    verdict.our_ca_advertised = (evidence.client.ca_subject in names) if names else None
    return verdict


def _judge_whole(verdict: Verdict, evidence: Evidence) -> None:
    rows = {a.name: a for a in verdict.attempts}
    ours, without, foreign = rows[WITH_CERT], rows.get(WITHOUT_CERT), rows.get(FOREIGN_CERT)
    failures, notes = _failures(verdict, evidence, ours, without, foreign)
    if ours.outcome == "accepted" and ours.status_code in _DENIAL_CODES:
        notes.append(findings.denied_but_enforced(evidence.observations[WITH_CERT].status_line))
    if ours.outcome == "accepted" and ours.status_code is not None and ours.status_code >= 500:
        notes.append(_("With our certificate the answer was {code}: that comes from behind the listener (often no healthy backend server), "
                       "after TLS and the client certificate were accepted. Mutual authentication itself works.").format(code=ours.status_code))
    others = [a for a in (without, foreign) if a is not None]
    pending = [a for a in (ours, *others) if not a.ok and a.outcome != "denied"]
    if failures:
        verdict.status = "fail"
        verdict.summary = _("FAIL: {problems} at {where}").format(problems=_("; ").join(failures), where=verdict.address)
    elif ours.outcome == "denied":
        verdict.status = "inconclusive"
        line = evidence.observations[WITH_CERT].status_line
        verdict.summary, refusal_notes = findings.every_request_refused(ours, line, others, evidence, verdict.address)
        notes[:0] = refusal_notes
    elif pending:
        _inconclusive(verdict, pending, notes)
    else:
        verdict.status, verdict.passed = "pass", True
        if evidence.client.revoked and evidence.revoked_refused_behind and ours.outcome == "accepted":
            verdict.summary = _("PASS: {where} demands a client certificate and refuses strangers; the revoked {name} passes its TLS "
                                "and is refused behind it by the backend's deny-list").format(where=verdict.address, name=evidence.client.name)
        elif evidence.client.revoked:
            verdict.summary = _("PASS: {where} demands a client certificate and refuses the revoked {name} and strangers").format(
                where=verdict.address, name=evidence.client.name)
        else:
            verdict.summary = _("PASS: {where} demands a client certificate, accepts ours and refuses strangers").format(where=verdict.address)
        if evidence.insecure:
            verdict.summary = _("{summary} (server not verified: --insecure)").format(summary=verdict.summary)
    verdict.diagnosis.extend(notes)


def _failures(verdict: Verdict, evidence: Evidence, ours: Attempt, without: Attempt | None, foreign: Attempt | None) -> tuple[list[str], list[str]]:
    failures: list[str] = []
    notes: list[str] = []
    lines = {name: observation.status_line for name, observation in evidence.observations.items()}
    # When our own certificate is refused by the application too, HTTP refusals of the others
    # say nothing about client certificates: never "not enforced" on identical refusals.
    ours_let_in = ours.outcome != "denied"
    if without and (without.outcome == "accepted" or (ours_let_in and without.outcome == "denied")):
        phrase, note = findings.not_enforced(without, lines.get(WITHOUT_CERT, ""))
        failures.append(phrase)
        notes.append(note)
    if foreign and (foreign.outcome == "accepted" or (ours_let_in and foreign.outcome == "denied")):
        phrase, note = findings.foreign_let_in(foreign, lines.get(FOREIGN_CERT, ""))
        failures.append(phrase)
        notes.append(note)
    if evidence.client.revoked and evidence.revoked_refused_behind and ours.outcome == "accepted":
        notes.append(findings.revoked_refused_behind(evidence.client.name))
    elif evidence.client.revoked:
        phrase, note = findings.revoked_client(evidence.client.name, ours)
        notes.append(note)
        if phrase:
            failures.append(phrase)
    elif ours.outcome == "rejected":
        failures.append(_("our client certificate is refused"))
        notes.append(findings.our_cert_refused(verdict, evidence.client, ours, evidence))
    server_problem = findings.server_problems(verdict, evidence, notes)
    if server_problem and not verdict.insecure:
        failures.append(server_problem)
    return failures, notes


def _inconclusive(verdict: Verdict, pending: list[Attempt], notes: list[str]) -> None:
    verdict.status = "inconclusive"
    parts = []
    cut_off = []  # hung up although no certificate was asked for: explained once below
    for attempt in pending:
        parts.append(_("{attempt}: {outcome}").format(attempt=attempt.label, outcome=outcome_text(attempt.outcome)))
        if attempt.outcome == "timeout":
            notes.append(_("The attempt {attempt} got no answer in time ({detail}). Neither accepted nor refused proves nothing: "
                           "run the check again with a larger --timeout and look for something slowing the listener down.").format(
                attempt=attempt.label, detail=attempt.detail))
        elif attempt.kind in ("eof", "reset", "alert") and attempt.certificate_requested is False:
            cut_off.append(attempt.label)
        else:
            notes.append(_("The attempt {attempt} ended with an error ({detail}), so it proves nothing: run the check again; "
                           "if it repeats, check the listener's logs.").format(attempt=attempt.label, detail=attempt.detail))
    if cut_off:
        notes.append(_hung_up_note(cut_off))
    verdict.summary = _("INCONCLUSIVE: {attempts} at {where}").format(attempts=_("; ").join(parts), where=verdict.address)


def _hung_up_note(labels: list[str]) -> str:
    attempts = labels[0]
    for label in labels[1:]:
        attempts = _("{earlier} and {later}").format(earlier=attempts, later=label)
    return ngettext(
        "The listener hung up on the attempt {attempts} without ever asking for a client certificate, so this is no refusal of one and proves nothing. "
        "Something else closes connections (a connection limit, an overloaded listener, a proxy in front): run the check again and look at the listener's logs; "
        "if mutual authentication is meant to be on, check that the listener's SSL authentication is set to mutual.",
        "The listener hung up on the attempts {attempts} without ever asking for a client certificate, so this is no refusal of one and proves nothing. "
        "Something else closes connections (a connection limit, an overloaded listener, a proxy in front): run the check again and look at the listener's logs; "
        "if mutual authentication is meant to be on, check that the listener's SSL authentication is set to mutual.",
        len(labels)).format(attempts=attempts)
