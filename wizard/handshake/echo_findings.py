"""The texts of `check --backend-echo`: what each answer of the echo location means, which layer
decided it, and the fix. English constants (N_), translated where `echo_verdict` formats them.

Each outcome is (status, layer, detail, phrase, note): `detail` is the check's line, `phrase` the
short form the summary lists when the check did not pass, `note` a key of NOTES (the fix) or "".
The texts are formatted with the facts of the answer: name (the client), path, status_line,
refusal (the kit's 403 body), header, received, expected, forged, server, source, detail (how a
connection ended), reload, prog, headers (the echo's header names), lb_source.
"""

from __future__ import annotations

from typing import NamedTuple

from wizard.i18n import N_


class Outcome(NamedTuple):
    status: str  # pass | fail | inconclusive
    layer: str  # a key of model.LAYER_WORDS
    detail: str
    phrase: str = ""
    note: str = ""


# The fixes, said once each under the checks.
NOTES = {
    "forward": N_("Turn on the client-certificate headers for the listener (step 6: X-Forwarded-Clientcert-serialnumber, -fingerprint "
                  "and -clientverify, under the aliases the kit was written with; {prog} elb upload --forward-client-cert serialnumber "
                  "--forward-client-cert fingerprint --forward-client-cert clientverify). Some regions need a service ticket for them."),
    "other_value": N_("The listener forwards another value under {header} than our client's serial number: check that step 6 forwards the "
                      "serial number under that name, and that nothing between the listener and the backend sets the header."),
    "unknown_headers": N_("The kit behind the listener reads headers under names this workspace did not record: write the kit from this "
                          "workspace ({prog} backend nginx|haproxy|apache --out DIR) with the aliases step 6 set, then reload the web server."),
    "foreign_deny_list": N_("The backend's deny-list holds a client this workspace has not revoked: the kit was written from another "
                            "workspace. Write it again from this one ({prog} backend ... --out DIR) and reload the web server."),
    "lb_source": N_("The load balancer reaches the backend from an address outside the kit's load balancer addresses (--lb-source): "
                    "write the kit again with --lb-source CIDR (shared load balancers: {lb_source}; dedicated ones: their backend "
                    "subnet) and reload the web server."),
    "install": N_("Write the backend kit ({prog} backend nginx|haproxy|apache --out DIR), add the include lines it prints to the "
                  "configuration of the web server behind the listener, test and reload it. If the kit is installed, the listener may "
                  "send {path} to another backend server group (a forwarding policy)."),
    "order": N_("Something in front of the kit refuses the request: put the kit's lines before the site's own rules (nginx: include "
                "server.conf in the server {{}} block; HAProxy: before other http-request rules; Apache: at the top of the VirtualHost)."),
    "backend_down": N_("The listener got no answer from a backend server: check the backend server group's health and that its web "
                       "server runs, then check again."),
    "retry": N_("Run the check again, with a larger --timeout if the backend is slow; if it repeats, look at the listener's and the "
                "backend's logs."),
    "reload": N_("The backend received {name}'s serial number and let it in: its deny-list is out of date. Reload the web server after "
                 "each client revoke ({reload}); a kit written before the revocation from another workspace must be written again "
                 "from this one."),
    "forged": N_("The listener (or a proxy between it and the backend) passes a client's own {header} through instead of replacing it: "
                 "any client can claim another serial number and slip past the deny-list. On ELB the headers turned on for the "
                 "listener (step 6) replace what a client sent; a proxy in between must set these headers, never add to them."),
}

# The answer to the plain request, for a valid client: its serial must arrive.
ARRIVES = {
    "ok": Outcome("pass", "listener_headers", N_("{name}'s serial number arrives at the backend ({server}, from {source}) as the listener "
                                                 "forwards it: {header}: {received}")),
    "ok_spelled": Outcome("pass", "listener_headers", N_("{name}'s serial number arrives at the backend ({server}, from {source}) as the "
                                                         "listener forwards it: {header}: {received} (that is {expected}, spelled otherwise)")),
    "ok_fingerprint": Outcome("pass", "listener_headers", N_("{name}'s fingerprint arrives at the backend ({server}, from {source}) as the "
                                                             "listener forwards it: {header}: {received}")),
    "empty": Outcome("fail", "listener_headers", N_("the backend received no serial number: {header} is empty"),
                     N_("the listener does not forward the serial number"), "forward"),
    "other_value": Outcome("fail", "listener_headers", N_("the backend received {header}: {received}, not {name}'s {expected}"),
                           N_("the backend receives another serial number"), "other_value"),
    "no_header": Outcome("inconclusive", "backend_kit", N_("the echo shows no serial number or fingerprint header this workspace knows "
                                                           "(it shows: {headers})"),
                         N_("the echo names no header this workspace knows"), "unknown_headers"),
    "kit_revoked": Outcome("fail", "backend_deny_list", N_("{name} is refused as revoked ({status_line}: {refusal}), although this "
                                                           "workspace has not revoked it"),
                           N_("the backend refuses {name} as revoked"), "foreign_deny_list"),
    "kit_forged": Outcome("fail", "backend_kit", N_("the backend kit refuses the listener's own headers as forged ({status_line}: {refusal})"),
                          N_("the backend kit does not take the listener's address for the load balancer's"), "lb_source"),
    "kit_unverified": Outcome("fail", "listener_headers", N_("the backend received no verified client certificate ({status_line}: "
                                                             "{refusal}): the listener forwards no client-certificate headers"),
                              N_("the listener forwards no client-certificate headers"), "forward"),
    "missing": Outcome("fail", "backend_kit", N_("{path} is missing ({status_line}): the backend kit is not installed behind this listener"),
                       N_("the backend kit is not installed"), "install"),
    "not_echo": Outcome("fail", "backend_kit", N_("{path} answered {status_line}, but not with the kit's echo: the backend kit is not "
                                                  "installed behind this listener"),
                        N_("the backend kit is not installed"), "install"),
    "refused": Outcome("inconclusive", "backend", N_("{path} answered {status_line}, which is no refusal of the kit: something in front "
                                                     "of the kit refuses it"),
                       N_("the backend refuses the echo location"), "order"),
    "unavailable": Outcome("inconclusive", "backend", N_("{status_line}: no backend server answered behind the listener"),
                           N_("no backend server answers"), "backend_down"),
    "tls_refused": Outcome("fail", "listener_tls", N_("the listener refused {name}'s certificate ({detail})"),
                           N_("the listener refuses {name}")),
    "tls_no_answer": Outcome("inconclusive", "listener_tls", N_("no answer from the listener: {detail}"),
                             N_("the listener did not answer"), "retry"),
    "no_answer": Outcome("inconclusive", "backend", N_("no answer from behind the listener: {detail}"),
                         N_("the echo location did not answer"), "retry"),
}

# The answer to the plain request, for a revoked client: it must be refused.
REVOKED = {
    "tls_refused": Outcome("pass", "listener_tls", N_("the revoked {name} is refused by the listener's TLS ({detail})")),
    "kit_revoked": Outcome("pass", "backend_deny_list", N_("the revoked {name} passes the listener and is refused by the backend's "
                                                           "deny-list ({status_line}: {refusal})")),
    "let_in": Outcome("fail", "backend_deny_list", N_("the revoked {name} is let in: the backend ({server}) answered the echo with "
                                                      "{header}: {received}"),
                      N_("the backend lets the revoked {name} in")),
    "no_kit": Outcome("fail", "backend_kit", N_("the revoked {name} is let in: {path} answered {status_line}, and no kit refused it"),
                      N_("the backend lets the revoked {name} in (no backend kit)"), "install"),
    "kit_forged": Outcome("inconclusive", "backend_kit", N_("the revoked {name} is refused, but as a forged header, not by the deny-list "
                                                            "({status_line}: {refusal})"),
                          N_("the backend kit does not take the listener's address for the load balancer's"), "lb_source"),
    "kit_unverified": Outcome("inconclusive", "listener_headers", N_("the revoked {name} is refused, but for want of a verified client "
                                                                     "certificate, not by the deny-list ({status_line}: {refusal})"),
                              N_("the listener forwards no client-certificate headers"), "forward"),
}

# The answer to the forged request (made-up serial and fingerprint headers).
FORGED = {
    "replaced": Outcome("pass", "listener_headers", N_("a forged {header} ({forged}) does not reach the backend: the listener replaces "
                                                       "it, and the backend receives {received}")),
    "reached": Outcome("fail", "listener_headers", N_("a forged {header} ({forged}) reaches the backend as it was sent"),
                       N_("a forged client-certificate header reaches the backend"), "forged"),
    "kit_forged": Outcome("pass", "backend_kit", N_("a forged {header} is refused by the backend kit ({status_line}: {refusal})")),
    "unknown": Outcome("inconclusive", "", N_("cannot tell whether a forged {header} reaches the backend: the answer was {answer}"),
                       N_("it is unknown whether a forged header reaches the backend")),
}

# The answer to the forged request of a revoked client: it must still be refused.
FORGED_REVOKED = {
    "tls_refused": Outcome("pass", "listener_tls", N_("the revoked {name} with a forged {header} is refused by the listener's TLS ({detail})")),
    "kit_revoked": Outcome("pass", "backend_deny_list", N_("the revoked {name} with a forged {header} ({forged}) is still refused by the "
                                                           "backend's deny-list ({status_line}: {refusal})")),
    "kit_forged": Outcome("pass", "backend_kit", N_("the revoked {name} with a forged {header} is refused by the backend kit "
                                                    "({status_line}: {refusal})")),
    "reached": Outcome("fail", "listener_headers", N_("a forged {header} ({forged}) reaches the backend and lets the revoked {name} in"),
                       N_("a forged serial number header lets the revoked {name} in"), "forged"),
    "let_in": Outcome("fail", "backend_deny_list", N_("the revoked {name} with a forged {header} is let in: the backend ({server}) "
                                                      "received {received}"),
                      N_("the backend lets the revoked {name} in")),
    "no_kit": Outcome("fail", "backend_kit", N_("the revoked {name} with a forged {header} is let in: {path} answered {status_line}, "
                                                "and no kit refused it"),
                      N_("the backend lets the revoked {name} in (no backend kit)"), "install"),
}

SUMMARY_PASS = N_("PASS: behind {where} the backend ({server}) receives {name}'s certificate details as the listener forwards them, and "
                  "no forged ones")
SUMMARY_PASS_REVOKED = N_("PASS: behind {where} the revoked {name} is refused, also when it sends a forged serial number header")
SUMMARY_FAIL = N_("FAIL: {problems} behind {where}")
SUMMARY_INCONCLUSIVE = N_("INCONCLUSIVE: {problems} behind {where}")
SUMMARY_NOT_RUN = N_("NOT RUN: the backend was not asked, because the listener check stopped first")
