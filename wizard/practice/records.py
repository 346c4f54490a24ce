"""Steps 4-6 on the practice load balancer: what it holds, recorded as an upload is.

Like ELB, the practice load balancer holds what it was given, under ids of its own: the server
certificate with its key (step 4), the CA certificate (step 5), and one CA certificate it came
with ("another team's CA", for practising a listener that trusts the wrong CA). Step 6 makes
its listener from the same choices as ELB's: port, SSL authentication (mutual or one-way), the
CA certificate, the TLS policy and the client-certificate headers. Adding the same certificate
again reuses its id; a new one (a renewal) gets a new id, and the listener keeps serving the one
it refers to until step 6 moves it, as on ELB.

Where it is kept: the records (ids, fingerprints, the listener's choices; no key) in
WORKSPACE/elb/uploaded.json under "practice", beside the real uploads and never in their place,
and in the session through `wizard.record.record` (a `PracticeResult`); what the load balancer
holds (the certificates and the server key, as ELB keeps them) in elb/practice-held.json, mode
0600. Every change holds the workspace lock.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING

from wizard import pki
from wizard.defaults import PROG
from wizard.elb.headers import validate_forward_fields
from wizard.elb.material import checked_texts
from wizard.elb.payloads import UPLOADED, ensure_elb_dir, json_bytes
from wizard.elb.policies import DEFAULT_TLS_POLICY, TLS_POLICIES
from wizard.elb.records import read_uploaded_file
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.session import Session
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, atomic_write, read_limited

if TYPE_CHECKING:
    from wizard.practice.server import PracticeLoadBalancer

PRACTICE = "practice"  # the key in elb/uploaded.json
HELD = "practice-held.json"
SSL_AUTH = ("mutual", "one-way")
CA_CHOICES = ("ca", "other_ca")  # the CA certificate of step 5, or the one the practice load balancer came with
DEFAULT_PORT = 8443
OTHER_CA_NAME = N_("another team's CA (not yours)")
STEP_OF = {"server": 4, "ca": 5, "listener": 6}


@dataclass(frozen=True)
class ListenerChoices:
    """The practice listener, as step 6 sets it (validated)."""

    port: int = DEFAULT_PORT
    ssl_auth: str = "mutual"
    ca: str = "ca"
    tls_policy: str = DEFAULT_TLS_POLICY
    forward_client_cert: tuple[str, ...] = ()
    backend: str = ""  # "": the built-in backend
    host: str = "127.0.0.1"


@dataclass
class PracticeResult:
    """What a practice step did, for the session (`wizard.record.record`) and for people."""

    records: dict[str, dict[str, str]] = field(default_factory=dict)  # role -> the record now in uploaded.json
    steps_done: list[int] = field(default_factory=list)
    steps_reopened: list[int] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # roles whose certificate was already held
    listener_changed: bool = False  # the listener is new or serves something else now (a stale verdict)
    warnings: list[str] = field(default_factory=list)

    def done(self, step: int) -> None:
        self.steps_reopened = [s for s in self.steps_reopened if s != step]
        if step not in self.steps_done:
            self.steps_done.append(step)

    def reopen(self, step: int) -> None:
        self.steps_done = [s for s in self.steps_done if s != step]
        if step not in self.steps_reopened:
            self.steps_reopened.append(step)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _new_id() -> str:
    return f"practice-{secrets.token_hex(6)}"


# -- reading --------------------------------------------------------------------------------


def recorded(ws: Workspace) -> dict[str, dict[str, str]]:
    """The practice records of elb/uploaded.json (role -> record; {} none)."""
    section = read_uploaded_file(ws).get(PRACTICE)
    if not isinstance(section, dict):
        return {}
    return {str(role): {str(k): str(v) for k, v in record.items()} for role, record in section.items()
            if isinstance(record, dict) and record.get("id")}


def held(ws: Workspace) -> dict[str, dict[str, str]]:
    """What the practice load balancer holds: id -> {"certificate", and "private_key" for a server certificate}."""
    try:
        data = json.loads(read_limited(ws.elb_dir / HELD).decode("utf-8"))
    except (OSError, ValueError, WizardError):
        return {}
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def current(ws: Workspace, role: str) -> dict[str, str]:
    """The record of `role` when it still holds this workspace's certificate ({} otherwise)."""
    record = recorded(ws).get(role, {})
    if not record or role not in ("server", "ca"):
        return record
    try:
        cert = pki.load_cert_pem(ws.cert(role).read_bytes())
    except (OSError, WizardError, ValueError):
        return {}
    return record if record.get("fingerprint") == pki.fingerprint(cert) else {}


def choices_from(session: Session, ws: Workspace, *, port: int | None = None, ssl_auth: str | None = None, ca: str | None = None,
                 tls_policy: str | None = None, forward_client_cert: list[str] | tuple[str, ...] | None = None,
                 backend: str | None = None, host: str | None = None) -> ListenerChoices:
    """The listener's choices: those given, else the session's, else the recorded listener's
    backend and host; InputError names a bad one."""
    from wizard.practice.http import backend_address

    listener = recorded(ws).get("listener", {})
    port = session.practice_port if port is None else port
    if not 0 < port < 65536:
        raise InputError(_("{port} is not a port: give a whole number from 1 to 65535").format(port=port))
    ssl_auth = session.ssl_auth if ssl_auth is None else ssl_auth
    if ssl_auth not in SSL_AUTH:
        raise InputError(_("unknown SSL authentication {given!r}: use mutual or one-way").format(given=ssl_auth))
    ca = session.practice_ca if ca is None else ca
    if ca not in CA_CHOICES:
        raise InputError(_("unknown CA certificate choice {given!r}: use yours or other").format(given=ca))
    policy = session.tls_policy if tls_policy is None else tls_policy
    if policy not in TLS_POLICIES:
        raise InputError(_("unknown TLS policy {policy!r}: use one of {policies}").format(policy=policy, policies=", ".join(TLS_POLICIES)))
    fields = validate_forward_fields(session.forward_client_cert if forward_client_cert is None else forward_client_cert)
    backend = listener.get("backend", "") if backend is None else backend.strip()
    if backend:
        backend_address(backend)
    return ListenerChoices(port, ssl_auth, ca, policy, tuple(fields), backend, host or listener.get("host") or "127.0.0.1")


# -- writing --------------------------------------------------------------------------------


def _write(ws: Workspace, records: dict[str, dict[str, str]], holding: dict[str, dict[str, str]]) -> None:
    """The practice section of elb/uploaded.json (the real uploads' records kept as they are) and
    what the load balancer holds (only what a record or the listener refers to)."""
    listener = records.get("listener", {})
    wanted = {record["id"] for record in records.values()} | {listener.get("server_cert_id", ""), listener.get("ca_cert_id", "")}
    holding = {cert_id: item for cert_id, item in holding.items() if cert_id in wanted}
    ensure_elb_dir(ws)
    atomic_write(ws.elb_dir / HELD, json_bytes(holding), SECRET_MODE)
    data = {k: v for k, v in read_uploaded_file(ws).items()}
    data.setdefault("version", 1)
    data.setdefault("note", f"ids returned by the ELB API; written by {PROG} elb upload")
    data[PRACTICE] = {role: {**record, "practice": "true"} for role, record in records.items()}
    atomic_write(ws.elb_dir / UPLOADED, json_bytes(data), PUBLIC_MODE)


def _certificate_record(cert_pem: str, name: str, cert_id: str) -> dict[str, str]:
    cert = pki.load_cert_pem(cert_pem.encode())
    return {"id": cert_id, "name": name, "fingerprint": pki.fingerprint(cert), "common_name": pki.cn_of(cert.subject) or "",
            "expire_time": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "added_at": _now()}


def _add(ws: Workspace, role: str, records: dict[str, dict[str, str]], holding: dict[str, dict[str, str]], result: PracticeResult) -> None:
    """Give the practice load balancer this workspace's certificate of `role` ("server" or "ca")."""
    texts, warnings = checked_texts(ws, role)  # what ELB would refuse, it refuses too
    result.warnings += warnings
    cert_pem = texts["server_cert" if role == "server" else "ca_cert"]
    fingerprint = pki.fingerprint(pki.load_cert_pem(cert_pem.encode()))
    earlier = records.get(role, {})
    if earlier.get("fingerprint") == fingerprint and earlier.get("id") in holding:
        result.reused.append(role)
    else:
        cn = pki.cn_of(pki.load_cert_pem(cert_pem.encode()).subject) or "mtls"
        records[role] = _certificate_record(cert_pem, f"{cn}-{role}", _new_id())
        holding[records[role]["id"]] = {"certificate": cert_pem, **({"private_key": texts["server_key"]} if role == "server" else {})}
    result.records[role] = records[role]
    result.done(STEP_OF[role])
    listener = records.get("listener", {})
    if listener and listener.get(f"{role}_cert_id") != records[role]["id"]:
        result.reopen(6)  # the listener still serves the one it refers to: step 6 moves it


def _ensure_other_ca(records: dict[str, dict[str, str]], holding: dict[str, dict[str, str]]) -> None:
    """The CA certificate the practice load balancer comes with: another team's, whose key nobody here has."""
    if records.get("other_ca", {}).get("id") in holding:
        return
    from cryptography.hazmat.primitives import serialization

    from wizard.practice.other_ca import make_other_ca

    cert = make_other_ca()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode().rstrip("\n")
    records["other_ca"] = _certificate_record(cert_pem, "another-team-ca", _new_id())
    holding[records["other_ca"]["id"]] = {"certificate": cert_pem}


def add_certificates(ws: Workspace, roles: tuple[str, ...]) -> PracticeResult:
    """Steps 4 ("server") and 5 ("ca") on the practice load balancer."""
    result = PracticeResult()
    with ws.locked() as hold:
        result.warnings += hold.notices
        records, holding = recorded(ws), held(ws)
        _ensure_other_ca(records, holding)
        for role in roles:
            _add(ws, role, records, holding, result)
        _write(ws, records, holding)
    result.records.setdefault("other_ca", records["other_ca"])
    return result


def configure_listener(ws: Workspace, choices: ListenerChoices) -> PracticeResult:
    """Step 6: create the practice listener, or change it, to serve exactly `choices`."""
    result = PracticeResult()
    with ws.locked() as hold:
        result.warnings += hold.notices
        records, holding = recorded(ws), held(ws)
        _ensure_other_ca(records, holding)
        for role, step in (("server", 4), ("ca", 5)):
            if records.get(role, {}).get("id") not in holding:
                raise WizardError(_("the practice load balancer holds no {what} yet: do step {step} first ({prog} practice does "
                                    "steps 4-6 at once)").format(what=_("server certificate") if role == "server" else _("CA certificate"),
                                                                   step=step, prog=PROG))
        earlier = records.get("listener", {})
        wanted = {
            "host": choices.host, "port": str(choices.port), "protocol": "HTTPS", "ssl_auth": choices.ssl_auth,
            "server_cert_id": records["server"]["id"], "ca_cert_id": records[choices.ca]["id"] if choices.ssl_auth == "mutual" else "",
            "ca_choice": choices.ca, "tls_policy": choices.tls_policy, "forward_client_cert": ",".join(choices.forward_client_cert),
            "backend": choices.backend,
        }
        same = all(earlier.get(key, "") == value for key, value in wanted.items())
        records["listener"] = {**earlier, **wanted, "updated_at": earlier.get("updated_at", "") if same else _now(),
                               "id": earlier.get("id") or _new_id()}
        result.listener_changed = not same
        _write(ws, records, holding)
    result.records["listener"] = records["listener"]
    result.records.update({role: records[role] for role in ("server", "ca", "other_ca") if role in records})
    result.done(6)
    return result


def practise(ws: Workspace, choices: ListenerChoices) -> PracticeResult:
    """Steps 4-6 at once (`mtls-wizard practice`)."""
    added = add_certificates(ws, ("server", "ca"))
    made = configure_listener(ws, choices)
    made.warnings = added.warnings + made.warnings
    made.reused = added.reused
    for step in (4, 5):
        made.done(step)
    return made


def serving_material(ws: Workspace, listener: dict[str, str]) -> tuple[str, str, str]:
    """(server certificate, its key, the client CA certificate) the listener refers to, as PEM
    text ("" for the CA of a one-way listener); WizardError when the load balancer lost one."""
    holding = held(ws)
    server = holding.get(listener.get("server_cert_id", ""), {})
    ca_id = listener.get("ca_cert_id", "")
    if not server.get("private_key") or (ca_id and ca_id not in holding):
        raise WizardError(_("the practice load balancer lost the certificates its listener refers to ({path} is missing or "
                            "damaged): do steps 4-6 again ({prog} practice)").format(path=ws.relative(ws.elb_dir / HELD), prog=PROG))
    return server["certificate"], server["private_key"], holding[ca_id]["certificate"] if ca_id else ""


def listener_record(ws: Workspace) -> dict[str, str]:
    """The recorded practice listener ({} none)."""
    return recorded(ws).get("listener", {})


def balancer_for(ws: Workspace, listener: dict[str, str], log: Callable[[str], None] | None = None) -> PracticeLoadBalancer:
    """The practice load balancer serving exactly the recorded `listener` (not started yet):
    ELB's refusals (nginx's 400 pages), the certificates it holds, its backend."""
    from wizard.practice.server import PracticeLoadBalancer

    return PracticeLoadBalancer(
        ws, host=listener.get("host") or "127.0.0.1", port=int(listener.get("port") or DEFAULT_PORT), reject_with="http400", log=log,
        request_client_cert=listener.get("ssl_auth") != "one-way", tls_policy=listener.get("tls_policy") or DEFAULT_TLS_POLICY,
        forward_client_cert=tuple(item for item in listener.get("forward_client_cert", "").split(",") if item),
        backend=listener.get("backend", ""), held=serving_material(ws, listener))
