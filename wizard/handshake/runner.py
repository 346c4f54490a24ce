"""The check itself: validate, resolve the name, make the three attempts, hand the evidence to the diagnosis."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from OpenSSL import SSL

from wizard.errors import InputError
from wizard.handshake.client import ClientContexts
from wizard.handshake.diagnosis import diagnose, judge_attempts
from wizard.handshake.findings import FIRST_ATTEMPT_ENDINGS
from wizard.handshake.material import Material, load_material, server_facts
from wizard.handshake.model import ATTEMPT_ORDER, WITH_CERT, Attempt, Evidence, Observation, Verdict
from wizard.handshake.names import is_ip, server_name
from wizard.handshake.wire import Target, run_attempt
from wizard.i18n import N_, Said, _
from wizard.workspace import Workspace

CONNECT_TIMEOUT = 5.0  # the TCP connect alone; the whole attempt is bounded by --timeout
# A follow-up request (the page behind a bodiless 400, a GET where HEAD went unanswered) gets at most
# this long, and never more than its attempt has left: every attempt stays within --timeout.
FOLLOW_UP_TIMEOUT = 3.0

Progress = Callable[[Attempt], None]


@dataclass
class Plan:
    """Everything a check needs, validated before any connection is made."""

    host: str
    port: int
    ws: Workspace
    material: Material
    name: str  # SNI and the name verified
    timeout: float
    insecure: bool
    trust: str
    connect_timeout: float
    backend_echo: bool = False  # then read the backend kit's echo through the listener (backend_echo.read_echo)


def prepare(host: str, port: int, ws: Workspace, sni: str | None, timeout: float, insecure: bool, trust: str,
            connect_timeout: float | None, client: str | None = None, backend_echo: bool = False) -> Plan:
    """Check the options and read the workspace; InputError / WizardError before any connection."""
    if trust not in ("auto", "workspace", "system"):
        raise InputError(_("unknown trust {trust!r}: use auto, workspace or system").format(trust=trust))
    if sni is not None:  # a bad --sni is a usage error, reported before the workspace is read
        if not sni.strip():
            raise InputError(_("--sni is empty: give the server name the certificate was issued for"))
        sni = server_name(sni, given=True)
    material = load_material(ws, client)
    name = sni or server_name(material.server_cn or host, given=False)
    if trust == "auto":
        # A server certificate the workspace CA did not issue was brought in (a purchased one):
        # it is verified against the system's trusted CAs, as browsers do.
        trust = "system" if material.server_issued_by_ca is False else "workspace"
    return Plan(host, port, ws, material, name, timeout, insecure, trust, min(timeout, connect_timeout or CONNECT_TIMEOUT), backend_echo)


def probe(
    host: str,
    port: int,
    ws: Workspace,
    *,
    sni: str | None = None,
    timeout: float = 10.0,
    insecure: bool = False,
    trust: str = "auto",
    progress: Progress | None = None,
    connect_timeout: float | None = None,
    client: str | None = None,
    backend_echo: bool = False,
) -> Verdict:
    """Run the three attempts against host:port and judge them. Blocking; safe in a worker thread.

    SNI and the name verified default to the workspace's server CN (also for an IP address).
    Raises WizardError when the workspace lacks what the check needs and InputError for an
    unusable name; whatever the server does becomes part of the verdict, never an exception.
    The name lookup and every attempt are each bounded by `timeout`. `client`: a named client
    whose certificate the first attempt presents instead of the tutorial's (a revoked one must
    be refused). `backend_echo`: then read the backend kit's echo location through the listener
    with that certificate (Verdict.backend_echo).
    """
    return execute(prepare(host, port, ws, sni, timeout, insecure, trust, connect_timeout, client, backend_echo), progress)


def resolve(host: str, port: int, timeout: float) -> tuple[list[tuple[int, tuple[Any, ...]]], Observation | None]:
    """getaddrinfo in a daemon thread: a hanging resolver costs at most `timeout`, never the whole run."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    problem: list[str] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend((info[0], info[4]) for info in infos)  # (family, sockaddr)
        except Exception as error:  # noqa: BLE001 - reported as the lookup's result, never raised in a thread
            problem.append(str(getattr(error, "strerror", "") or error or type(error).__name__))
        finally:
            done.set()

    threading.Thread(target=look_up, name=f"resolve-{host}", daemon=True).start()
    if not done.wait(timeout):
        return [], Observation("dns_timeout", Said(N_("cannot resolve {host} within {seconds:g} s"), host=host, seconds=timeout), "connect")
    if problem or not found:
        reason = problem[0] if problem else Said(N_("no address"))
        return [], Observation("dns", Said(N_("cannot resolve {host} ({reason})"), host=host, reason=reason), "connect")
    return list(found), None


def execute(plan: Plan, progress: Progress | None = None) -> Verdict:
    """Make the attempts `plan` describes and return the verdict; `progress` gets each attempt's row."""
    started = time.monotonic()
    evidence = Evidence(
        host=plan.host, port=plan.port, sni=plan.name, client=plan.material.client, observations={},
        trust=plan.trust, insecure=plan.insecure, workspace=str(plan.ws.root),
        checked_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    sockaddrs, failure = resolve(plan.host, plan.port, plan.timeout)
    if failure is not None:
        _record(evidence, WITH_CERT, failure, progress)
        return _conclude(evidence, plan, started)
    contexts = ClientContexts(plan.material, verify=not plan.insecure, trust=plan.trust)
    host_name = f"[{plan.name}]" if ":" in plan.name else plan.name
    target = Target(host=plan.host, port=plan.port, sni=None if is_ip(plan.name) else plan.name, verify_name=plan.name,
                    host_header=host_name if plan.port == 443 else f"{host_name}:{plan.port}",
                    timeout=plan.timeout, connect_timeout=plan.connect_timeout, sockaddrs=sockaddrs)
    for name in ATTEMPT_ORDER:
        deadline = time.monotonic() + plan.timeout
        first = run_attempt(contexts.get(name), target, deadline=deadline)
        observation = _follow_up(contexts.get(name), target, first, deadline, ours=name == WITH_CERT)
        evidence.post_handshake_auth_offered = contexts.post_handshake_auth
        _record(evidence, name, observation, progress)
        if name == WITH_CERT and (observation.kind in FIRST_ATTEMPT_ENDINGS or observation.kind == "server_unverified"):
            # Nothing more to learn; a silent or stalling server must not cost three timeouts; and
            # nothing at all goes to a server whose certificate did not verify.
            break
    if plan.backend_echo:
        # Loaded only when asked for: it brings the backend kits' code, which a plain check never needs.
        from wizard.handshake.backend_echo import echo_evidence, read_echo

        evidence.backend_echo = echo_evidence(plan.ws, plan.material.client)
        first = evidence.observations[WITH_CERT]
        if first.kind not in FIRST_ATTEMPT_ENDINGS and first.kind != "server_unverified":  # else: not run, said in the verdict
            read_echo(contexts.get(WITH_CERT), target, evidence.backend_echo, plan.timeout)
    return _conclude(evidence, plan, started)


def _follow_up(context: SSL.Context, target: Target, observation: Observation, deadline: float, ours: bool) -> Observation:
    """Ask again with GET where the answer to HEAD cannot tell a refusal from something else.

    - A 400 without a body: nginx and ELB refuse a missing or unverifiable certificate with their own
      400 page, which only a GET carries; any other 400 is the application's. The GET decides.
    - The connection closed after the handshake without an answer and without an alert: the server
      may just not answer HEAD. If GET gets an answer, that answer counts. If it does not, our own
      certificate's attempt (`ours`) asks one more question: a server that chose no protocol when
      offered HTTP/1.1 but takes HTTP/2 when offered that speaks only HTTP/2, which is no refusal
      of our certificate (kind "alpn"). The others' silent close, once a certificate was asked for,
      stays the TLS 1.3 refusal it usually is.
    """
    bodiless_400 = observation.kind == "http" and observation.status_code == 400 and not observation.body
    unanswered = observation.kind in ("eof", "reset") and observation.phase == "response" and observation.alert is None
    if not (bodiless_400 or unanswered):
        return observation
    follow_up_deadline = min(deadline, time.monotonic() + FOLLOW_UP_TIMEOUT)
    if follow_up_deadline - time.monotonic() < 0.05:
        page = Observation("timeout", Said(N_("no time left within --timeout")))
    else:
        page = run_attempt(context, target, method="GET", deadline=follow_up_deadline)
    if page.kind == "http":
        page.head_unanswered = unanswered
        return page
    if bodiless_400:
        observation.page_problem = page.detail
    elif ours and not observation.alpn and _takes_http2(context, target, deadline):
        observation.kind = "alpn"
        observation.detail = Said(N_("{detail}; offered HTTP/2 instead (ALPN h2), the server took it"), detail=observation.detail)
    return observation


def _takes_http2(context: SSL.Context, target: Target, deadline: float) -> bool:
    """Whether a handshake offering only HTTP/2 (ALPN h2) gets the server to choose it."""
    follow_up_deadline = min(deadline, time.monotonic() + FOLLOW_UP_TIMEOUT)
    if follow_up_deadline - time.monotonic() < 0.05:
        return False
    return run_attempt(context, target, method=None, deadline=follow_up_deadline, alpn=[b"h2"]).alpn == "h2"


def _record(evidence: Evidence, name: str, observation: Observation, progress: Progress | None) -> None:
    evidence.observations[name] = observation
    if progress is not None:
        progress(judge_attempts(evidence)[-1])  # provisional: the last row may still be re-judged


def _conclude(evidence: Evidence, plan: Plan, started: float) -> Verdict:
    handshaken = next((o for o in evidence.observations.values() if o.peer_der is not None), None)
    if handshaken is not None and handshaken.peer_der is not None:
        evidence.server_certificate = server_facts(handshaken.peer_der, plan.material, plan.name, evidence.now)
    evidence.elapsed = time.monotonic() - started
    if evidence.backend_echo is None:
        verdict = diagnose(evidence)
    else:
        from wizard.handshake.echo_verdict import conclude  # the backend echo's judge, loaded only when asked for

        verdict = conclude(evidence)
    verdict.evidence = verdict.evidence or evidence  # kept with the verdict: saved as data, shown again in any language
    return verdict
