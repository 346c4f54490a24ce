"""The diagnosis's texts: what each finding means and what to do about it. Pure functions of the evidence."""

from __future__ import annotations

from wizard.handshake.model import (
    REQUEST_AFTER_HANDSHAKE, REQUEST_IN_HANDSHAKE, REQUEST_NONE, Attempt, ClientFacts, Evidence, Observation, Verdict, outcome_text,
)
from wizard.i18n import N_, _

# How the check ends when the first attempt (with our certificate) already settles it:
# kind -> (status, summary, diagnosis). The texts are formatted with where, host, detail
# and name (how the server name was sent), once translated (`diagnosis.diagnose`).
FIRST_ATTEMPT_ENDINGS: dict[str, tuple[str, str, str]] = {
    "dns": (
        "unreachable", N_("UNREACHABLE: {detail}"),
        N_("The host name could not be turned into an address ({detail}): check its spelling, or give the load balancer's IP address instead."),
    ),
    "dns_timeout": (
        "unreachable", N_("UNREACHABLE: {detail}"),
        N_("The name lookup did not finish in time ({detail}): check this machine's DNS settings (/etc/resolv.conf), or give the load balancer's IP address instead."),
    ),
    "refused": (
        "unreachable", N_("UNREACHABLE: {where} ({detail})"),
        N_("Nothing accepts connections on {where} (connection refused): check the IP and port, that the HTTPS listener exists on that port and that the load balancer is running."),
    ),
    "connect_timeout": (
        "unreachable", N_("UNREACHABLE: {where} ({detail})"),
        N_("{where} did not answer the TCP connection: check the address, that the load balancer has a public IP (EIP) if you are outside its network, and that security groups / network ACLs allow the port."),
    ),
    "unreachable": (
        "unreachable", N_("UNREACHABLE: {where} ({detail})"),
        N_("{where} cannot be reached ({detail}): check the address and your network route."),
    ),
    "silent": (
        "unreachable", N_("UNREACHABLE: {where} accepted TCP but never answered the TLS handshake"),
        N_("{where} took the connection but sent nothing back ({detail}): it is probably not an HTTPS listener (a TCP listener with no healthy backend?), or something in between swallows the traffic. Check the port and the listener's protocol."),
    ),
    "timeout": (
        "inconclusive", N_("INCONCLUSIVE: no answer from {where} with our client certificate; the other attempts were skipped"),
        N_("With our client certificate the listener did not answer in time: {detail}. The other two attempts were skipped: they would only wait as long again, and without an answer to our own certificate nothing can be proven. "
           "If the TLS handshake completed, the delay is behind the listener (slow or unhealthy backend servers): check them, or run the check again with a larger --timeout."),
    ),
    "not_tls": (
        "fail", N_("FAIL: {where} does not speak TLS"),
        N_("{where} answered, but not with TLS (a plain HTTP or other service): use the port of the HTTPS listener, or set the listener's protocol to HTTPS."),
    ),
    "closed": (
        "fail", N_("FAIL: {where} hung up before the TLS handshake"),
        N_("{where} accepted the TCP connection and closed it without starting TLS: check that this is the HTTPS listener's port, and that its TLS policy and certificate cover {name} (try --sni)."),
    ),
    "protocol": (
        "fail", N_("FAIL: no TLS version or cipher in common with {where}"),
        N_("The handshake failed before any certificate was exchanged ({detail}). This client speaks TLS 1.2 and 1.3 with current ciphers: choose a listener TLS policy that includes them (e.g. tls-1-2 or tls-1-2-fs-with-1-3)."),
    ),
    "name": (
        "fail", N_("FAIL: {where} does not answer for {name}"),
        N_("The listener refused the handshake with 'unrecognized name' before showing any certificate: it only answers for the domain names it is configured for (SNI), and {name} is not one of them. "
           "Run the check with --sni NAME, using the domain name of the listener's certificate."),
    ),
    "alpn": (
        "inconclusive", N_("INCONCLUSIVE: {where} speaks only HTTP/2, so the check could not ask"),
        N_("{detail}. The listener speaks only HTTP/2 (ALPN h2), and this check asks in HTTP/1.1, so nothing about client certificates was shown, "
           "and this is no refusal of ours. Allow HTTP/1.1 on the listener too (ELB's HTTPS listeners speak both), "
           "or test it by hand with curl --http2 and the client certificate."),
    ),
    "early_alert": (
        "fail", N_("FAIL: {where} refused the TLS handshake before any certificate was exchanged"),
        N_("The listener ended the handshake at once ({detail}), before it chose a TLS version or showed its certificate: this is not about client certificates. Check the listener's TLS policy and certificate, and its logs."),
    ),
}

# Why the server certificate did not verify (Observation.verify_failure): the verdict line's words.
_UNVERIFIED_WHAT = {
    "expired": N_("it has expired"),
    "not_yet_valid": N_("it is not yet valid"),
    "name": N_("it does not cover the name {name!r}"),
    "untrusted": N_("it is not trusted ({reason})"),
}
# Said at the end of every such finding.
_NOTHING_SENT = N_("The check stopped there: neither our client certificate nor a request went to a server it could not verify. "
                   "--insecure skips this verification (like curl -k) to test mutual authentication anyway.")

# The usual fix, a sentence of its own that ends several findings (`{turn_mutual_on}` there).
MUTUAL_ON = N_("Turn on mutual authentication for the HTTPS listener (SSL authentication: mutual) with the CA certificate made from ca/ca.crt.")


def not_enforced(without: Attempt, line: str) -> tuple[str, str]:
    """(failure phrase, note) for a client without a certificate that got past the listener; `line` is its HTTP status line."""
    status = without.status_code
    if without.outcome == "denied":
        if without.certificate_request == REQUEST_AFTER_HANDSHAKE:
            return (_("clients without a certificate get through TLS (the application answered {code})").format(code=status),
                    _("The server asks for a client certificate after the handshake, for this path, but lets clients without one through "
                      "(optional verification, like Apache `SSLVerifyClient optional` in a <Location> with a Require rule); the answer "
                      "{status_line} came from an access rule, not from the TLS layer. A load balancer's listener must refuse them itself: "
                      "make the client certificate mandatory (SSL authentication: mutual).").format(status_line=line))
        if without.certificate_request == REQUEST_IN_HANDSHAKE:
            return (_("clients without a certificate get through TLS (the application answered {code})").format(code=status),
                    _("The listener asks for a client certificate during the handshake but lets clients without one through (optional verification); "
                      "the answer {status_line} came from the application behind it, not from the listener's TLS layer "
                      "(like HAProxy `verify optional` with a deny rule, or nginx `ssl_verify_client optional` with a 403). "
                      "A load balancer's listener must refuse them itself: make the client certificate mandatory (SSL authentication: mutual).").format(status_line=line))
        return (_("mutual authentication is not enforced (the application answered {code})").format(code=status),
                _("The listener never asked for a client certificate and let the attempt without one through TLS; the answer {status_line} "
                  "came from the application behind it. {turn_mutual_on}").format(status_line=line, turn_mutual_on=_(MUTUAL_ON)))
    if without.certificate_request == REQUEST_NONE:
        note = _("The listener answered without a client certificate and never asked for one: mutual authentication is off. {turn_mutual_on}").format(
            turn_mutual_on=_(MUTUAL_ON))
    elif without.certificate_requested:
        note = _("The listener asks for a client certificate but lets clients in without one (optional verification). Make the client certificate mandatory on the listener.")
    else:
        note = _("The listener answered without a client certificate: mutual authentication is not enforced. {turn_mutual_on}").format(turn_mutual_on=_(MUTUAL_ON))
    return _("mutual authentication is not enforced"), note


def server_unverified(verdict: Verdict, first: Observation) -> tuple[str, str]:
    """(summary, note) when the server certificate failed verification and the check stopped."""
    failure = first.verify_failure if first.verify_failure in _UNVERIFIED_WHAT else "untrusted"
    what = _(_UNVERIFIED_WHAT[failure]).format(name=verdict.sni, reason=first.verify_error)
    summary = _("FAIL: the server certificate of {where} did not verify: {what}").format(where=verdict.address, what=what)
    facts = verdict.server_certificate
    if failure == "expired":
        fix = _("Issue a new server certificate (mtls-wizard renew server) and replace it on the listener.")
    elif failure == "not_yet_valid":
        fix = _("Check the clocks of this machine and of whoever issued the certificate.")
    elif failure == "name":
        names = ", ".join(s.split(":", 1)[1] for s in facts.sans) if facts and facts.sans else (facts.subject if facts else "-")
        fix = _("It covers {names}: check with --sni NAME using one of those names, or issue the server certificate for {name!r}.").format(
            names=names, name=verdict.sni)
    elif verdict.trust == "system":
        fix = _("This machine's trusted CAs do not vouch for it: upload the whole chain (the certificate, then its intermediates) on the listener.")
    else:
        served = _(" It serves {subject}, issued by {issuer}.").format(subject=facts.subject, issuer=facts.issuer) if facts else ""
        fix = _("This workspace's CA did not issue it.{served} Choose the server certificate uploaded from server/server.crt on the listener; "
                "for a certificate bought from a public CA, check with --trust system.").format(served=served)
    return summary, f"{fix} {_(_NOTHING_SENT)}"


def foreign_let_in(foreign: Attempt, line: str) -> tuple[str, str]:
    """(failure phrase, note) for a foreign CA's certificate that got past the listener."""
    if foreign.outcome == "denied":
        return (_("a certificate from a foreign CA gets through TLS (the application answered {code})").format(code=foreign.status_code),
                _("The listener let a client certificate from a CA it should not trust through the TLS handshake (like nginx `optional_no_ca`, "
                  "or a setting that ignores verification errors); the answer {status_line} came from the application behind it. "
                  "Require verification against ca/ca.crt only.").format(status_line=line))
    return (_("a certificate from a foreign CA is accepted"),
            _("The listener accepted a client certificate issued by a CA it should not trust: it does not check who issued client certificates. "
              "Require verification against ca/ca.crt only."))


def revoked_client(name: str, attempt: Attempt) -> tuple[str, str]:
    """(failure phrase or '', note) for a check made with a revoked client's certificate."""
    if attempt.outcome == "rejected":
        return "", _("{name} is revoked (ca/revoked.json) and the listener refused it ({detail}): "
                     "it enforces the CRL (ca/crl.pem) or the revoked serial numbers.").format(name=name, detail=attempt.detail)
    if attempt.outcome == "accepted":
        return (_("the revoked client {name} is let in").format(name=name),
                _("The listener let {name} in although it is revoked: it checks no CRL. ELB never does; a backend that loads "
                  "ca/crl.pem (nginx: ssl_crl) or refuses the forwarded serial numbers in ca/revoked-serials.txt does. "
                  "Or move the other clients to a new CA.").format(name=name))
    return "", _("{name} is revoked: its attempt ({outcome}) shows neither an acceptance nor a refusal.").format(
        name=name, outcome=outcome_text(attempt.outcome))


def revoked_refused_behind(name: str) -> str:
    """The note when a revoked client passed the listener and the backend's deny-list refused it (--backend-echo)."""
    return _("{name} is revoked and the listener let it through TLS: it checks no CRL, as ELB never does. The backend's deny-list "
             "refused it (see the backend checks below), which is where revocation holds behind ELB.").format(name=name)


def our_cert_refused(verdict: Verdict, client: ClientFacts, attempt: Attempt, evidence: Evidence) -> str:
    detail = attempt.detail
    if client.not_after < evidence.now:
        return _("The listener refused our client certificate ({detail}), which expired on {expired:%Y-%m-%d}: "
                 "issue a new one (mtls-wizard generate --force).").format(detail=detail, expired=client.not_after)
    if client.not_before > evidence.now:
        return _("The listener refused our client certificate ({detail}), which is not valid before {valid_from:%Y-%m-%d %H:%M} UTC: "
                 "check this machine's clock.").format(detail=detail, valid_from=client.not_before)
    if verdict.accepted_client_cas and verdict.our_ca_advertised is False:
        return _("The listener refused our client certificate ({detail}). It accepts client certificates from: {advertised_cas}, "
                 "not from our CA ({our_ca}). Upload ca/ca.crt of this workspace as the listener's CA certificate.").format(
            detail=detail, advertised_cas="; ".join(verdict.accepted_client_cas), our_ca=client.ca_subject)
    return _("The listener refused our client certificate ({detail}). Most likely it trusts a different CA: "
             "check that the listener's CA certificate is ca/ca.crt from this workspace (and that the client certificate was issued after that CA).").format(detail=detail)


def server_problems(verdict: Verdict, evidence: Evidence, notes: list[str]) -> str:
    """Add findings about the server certificate; return a short failure phrase or ''."""
    facts = verdict.server_certificate
    if facts is None:
        return ""
    # Said at the end of each finding when --insecure makes the check overlook it.
    ignored = _(" (ignored with --insecure)") if verdict.insecure else ""
    problem = ""
    if facts.expired:
        notes.append(_("The server certificate expired on {date}: issue a new one and replace it on the listener{ignored}.").format(
            date=facts.not_after[:10], ignored=ignored))
        problem = _("the server certificate has expired")
    elif facts.not_yet_valid:
        notes.append(_("The server certificate is not valid before {valid_from} UTC: check the clocks{ignored}.").format(
            valid_from=facts.not_before[:16], ignored=ignored))
        problem = _("the server certificate is not yet valid")
    if verdict.trust == "workspace" and not facts.verifies_against_ca:
        notes.append(_("The listener serves a different server certificate ({subject}, issued by {issuer}), not one from this workspace's CA. "
                       "Choose the server certificate uploaded from server/server.crt on the listener; for a certificate bought from a public CA, "
                       "check with --trust system{ignored}.").format(subject=facts.subject, issuer=facts.issuer, ignored=ignored))
        problem = problem or _("a different server certificate is served")
    elif verdict.trust == "workspace" and not facts.is_workspace_cert and evidence.client.has_server_cert:
        notes.append(_("The server certificate is signed by our CA but is not the current server/server.crt (an older or re-issued one): "
                       "fine for trust, but upload the current one if you meant to replace it."))
    if not facts.matches_sni:
        names = ", ".join(s.split(":", 1)[1] for s in facts.sans) or facts.subject
        notes.append(_("The server certificate does not cover the name {name!r} (it covers {names}). Check with --sni NAME using one of those names, "
                       "or issue the server certificate for {name!r}{ignored}.").format(name=verdict.sni, names=names, ignored=ignored))
        problem = problem or _("the server certificate does not match {name!r}").format(name=verdict.sni)
    if verdict.server_verified is False and not problem:
        notes.append(_("The server certificate did not verify ({reason}){ignored}.").format(reason=verdict.server_verify_error, ignored=ignored))
        problem = _("the server certificate does not verify")
    return problem


def every_request_refused(ours: Attempt, line: str, others: list[Attempt], evidence: Evidence, where: str) -> tuple[str, list[str]]:
    """(summary, notes) when our own certificate got an HTTP refusal (`line`), so nothing can be shown accepted."""
    same = bool(others) and all(a.outcome == "denied" and a.status_code == ours.status_code for a in others)
    if same:
        summary = _("INCONCLUSIVE: {where} refuses every request, with or without a certificate ({status_line})").format(where=where, status_line=line)
        notes = [_("The server refuses every request, with or without a certificate: check the path or the application. Every attempt got {status_line}, "
                   "so the answer comes from the server or the application behind it, not from a check of client certificates, and proves nothing about them. "
                   "The check asks for /; try the same with curl and a path that answers.").format(status_line=line)]
    else:
        summary = _("INCONCLUSIVE: with our client certificate {where} answered {status_line}, so acceptance cannot be shown").format(where=where, status_line=line)
        notes = [_("With our client certificate the handshake went through, but the server answered {status_line}: a refusal, not an acceptance. "
                   "Check the path or the application (the check asks for /); once our certificate gets a success answer, run the check again.").format(status_line=line)]
    notes.extend(_refusal_tls_facts(ours, others, evidence))
    return summary, notes


def _refusal_tls_facts(ours: Attempt, others: list[Attempt], evidence: Evidence) -> list[str]:
    requests = {a.certificate_request for a in (ours, *others)}
    if requests == {REQUEST_NONE}:
        if evidence.post_handshake_auth_offered or ours.tls_version != "TLSv1.3":
            return [_("The listener never asked for a client certificate, neither during nor after the handshake: "
                      "if this is the load balancer's listener, its mutual authentication is off. {turn_mutual_on}").format(turn_mutual_on=_(MUTUAL_ON))]
        return [_("This installation could not offer TLS 1.3 post-handshake authentication (its pyOpenSSL/cryptography lack the call), "
                  "and the listener asked for no certificate during the handshake. "
                  "A server that asks for the certificate only for some paths (Apache httpd's SSLVerifyClient inside a <Location>) answers 403 "
                  "to clients that cannot offer it: check with curl, which offers it, or update pyOpenSSL and cryptography.")]
    if REQUEST_IN_HANDSHAKE in requests:
        return [_("The listener asked for a client certificate during the handshake and let the attempts through TLS: the refusal comes from the application behind it.")]
    return []


def denied_but_enforced(line: str) -> str:
    return _("With our certificate the handshake went through and the server answered {status_line}: the application behind the listener refuses this path (/), "
             "which is not about client certificates. Mutual authentication itself works: clients without our CA's certificate were refused by TLS. "
             "Check the application's access rules if this is not expected.").format(status_line=line)
