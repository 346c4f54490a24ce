"""A verdict kept as data, and shown again in whatever language is current.

What a check saw (the `Evidence`: each attempt's observation, the certificates' facts) is
kept, not the sentences it was told in: the texts of the wire (`Said`) as their message ids
and values, the rest as the plain facts they are. Showing a saved verdict runs the diagnosis
again, a pure function, so a verdict saved in an English run reads in Chinese in a Chinese
one, and the same on another machine that has the workspace.

What is kept is the listener's verdict (step 7's). The backend's checks of `check
--backend-echo` are that command's own output: only their conclusion for the listener (a
revoked client refused behind it) is kept, as the evidence's `revoked_refused_behind`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from wizard.handshake.diagnosis import diagnose
from wizard.handshake.model import ClientFacts, Evidence, Observation, ServerCertificate, Verdict
from wizard.i18n import said_again, said_data

SAVED_VERSION = 1
_SAID_FIELDS = ("detail", "verify_error", "page_problem")  # an Observation's texts (wizard.i18n.Said)


def saved_verdict(verdict: Verdict) -> dict[str, Any]:
    """The verdict as data: the outcome and its time, and the evidence it was drawn from."""
    saved: dict[str, Any] = {"version": SAVED_VERSION, "checked_at": verdict.checked_at, "status": verdict.status,
                             "passed": verdict.passed, "address": verdict.address}
    if verdict.evidence is not None:
        saved["evidence"] = _evidence_data(verdict.evidence)
    return saved


def shown_verdict(saved: dict[str, Any]) -> dict[str, Any]:
    """A saved verdict as `Verdict.to_dict()` gives it, in the current language, with `saved` kept
    beside it. One saved before verdicts were kept as data (`shown`) is shown as it was told."""
    try:
        shown = replay(saved["evidence"]).to_dict() if "evidence" in saved else dict(saved.get("shown") or {})
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        shown = {}  # damaged: the outcome alone, below
    shown.setdefault("status", str(saved.get("status", "")))
    shown.setdefault("passed", bool(saved.get("passed")))
    shown.setdefault("address", str(saved.get("address", "")))
    shown.setdefault("checked_at", str(saved.get("checked_at", "")))
    shown["saved"] = saved
    return shown


def say_again(shown: dict[str, Any]) -> None:
    """A verdict shown (`Verdict.to_dict()` with `saved`) told again in the current language, in
    place: whoever holds it (a page, the session) sees the new words. Without `saved`: as it is."""
    saved = shown.get("saved")
    if isinstance(saved, dict):
        again = shown_verdict(saved)
        shown.clear()
        shown.update(again)


def replay(data: dict[str, Any]) -> Verdict:
    """The verdict of saved evidence, drawn again in the current language."""
    evidence = _evidence_from(data)
    verdict = diagnose(evidence)
    verdict.evidence = evidence
    return verdict


# ---------------------------------------------------------------------------
# Evidence <-> data
# ---------------------------------------------------------------------------


def _evidence_data(evidence: Evidence) -> dict[str, Any]:
    return {
        "host": evidence.host, "port": evidence.port, "sni": evidence.sni, "client": _client_data(evidence.client),
        "observations": {name: _observation_data(o) for name, o in evidence.observations.items()},
        "server_certificate": dataclasses.asdict(evidence.server_certificate) if evidence.server_certificate else None,
        "trust": evidence.trust, "insecure": evidence.insecure, "post_handshake_auth_offered": evidence.post_handshake_auth_offered,
        "revoked_refused_behind": evidence.revoked_refused_behind,
        "workspace": evidence.workspace, "checked_at": evidence.checked_at, "elapsed": evidence.elapsed, "now": evidence.now.isoformat(),
    }


def _evidence_from(data: dict[str, Any]) -> Evidence:
    server = data.get("server_certificate")
    return Evidence(
        host=str(data["host"]), port=int(data["port"]), sni=str(data["sni"]), client=_client_from(data["client"]),
        observations={str(name): _observation_from(o) for name, o in data["observations"].items()},
        server_certificate=ServerCertificate(**server) if isinstance(server, dict) else None,
        trust=str(data.get("trust", "workspace")), insecure=bool(data.get("insecure")),
        post_handshake_auth_offered=bool(data.get("post_handshake_auth_offered")),
        revoked_refused_behind=bool(data.get("revoked_refused_behind")),
        workspace=str(data.get("workspace", "")), checked_at=str(data.get("checked_at", "")), elapsed=float(data.get("elapsed", 0.0)),
        now=dt.datetime.fromisoformat(data["now"]),
    )


def _client_data(client: ClientFacts) -> dict[str, Any]:
    data = dataclasses.asdict(client)
    data.update(not_before=client.not_before.isoformat(), not_after=client.not_after.isoformat(), fingerprints=list(client.fingerprints))
    return data


def _client_from(data: dict[str, Any]) -> ClientFacts:
    return ClientFacts(**{**data, "not_before": dt.datetime.fromisoformat(data["not_before"]),
                          "not_after": dt.datetime.fromisoformat(data["not_after"]), "fingerprints": tuple(data.get("fingerprints", ()))})


def _observation_data(observation: Observation) -> dict[str, Any]:
    data = {field.name: getattr(observation, field.name) for field in dataclasses.fields(observation)}
    for name in _SAID_FIELDS:
        data[name] = said_data(data[name])
    data["body"] = observation.body.decode("latin-1")
    data["peer_der"] = observation.peer_der is not None  # only whether a certificate came: its facts are kept apart
    data["client_ca_names"] = list(observation.client_ca_names)
    return data


def _observation_from(data: dict[str, Any]) -> Observation:
    known = {field.name for field in dataclasses.fields(Observation)}
    values = {name: value for name, value in data.items() if name in known}
    for name in _SAID_FIELDS:
        values[name] = said_again(values.get(name, ""))
    values["body"] = str(values.get("body", "")).encode("latin-1")
    values["peer_der"] = b"" if values.get("peer_der") else None
    return Observation(**values)

