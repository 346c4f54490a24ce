"""Issuing one certificate through a CCM private CA, and adopting what an earlier run made.

Two routes (wizard.ccm.record): `csr`, the key made here and only its CSR sent (the key never
leaves this machine); `ccm`, the key made by CCM and exported once, for the server by default,
because CCM ignores the names (SANs) of a CSR. Whatever comes back is checked against the
request (wizard.ccm.profile.problems_with) before anyone writes a file.

Every creating call is announced first: its intent goes into ca/issuer.json (and a key made
here waits in ca/ccm-pending/, 0600), then the call is made and its id recorded. When a call
fails half-way (the answer lost, the export refused, the run killed), the next run for the same
request finds the certificate (by the recorded id, or by listing CCM's certificates of that name
made since the intent, matched by key or profile) and adopts it: never a second certificate for
the same request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from cryptography import x509

from wizard import pki
from wizard.ccm import profile
from wizard.ccm.api import CcmApi
from wizard.ccm.errors import CcmRefusal
from wizard.ccm.record import IssuerRecord, drop_staged_key, settle_record, stage_key, staged_key, write_record
from wizard.errors import WizardError
from wizard.i18n import N_, _
from wizard.issuers import IssuedLeaf, LeafRequest
from wizard.workspace import Workspace

ROUTES = {"auto": {"server": "ccm", "client": "csr"}, "local": {"server": "csr", "client": "csr"}, "ccm": {"server": "ccm", "client": "ccm"}}
CLOCK_SLACK_MS = 5 * 60 * 1000  # our clock and CCM's may differ: look this far before the intent
_WHAT = {"server": N_("server certificate {name}"), "client": N_("client certificate {name}")}


def now_ms() -> int:
    return int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)


def what(request: LeafRequest) -> str:
    return _(_WHAT[request.role]).format(name=request.common_name)


class CcmIssuer:
    """Signs through the private CA of `record` (its certificate `ca_cert`, already exported and checked)."""

    kind = "ccm"

    def __init__(self, ws: Workspace, api: CcmApi, record: IssuerRecord, ca_cert: x509.Certificate, *, keys: str = "auto",
                 note: Callable[[str], None] | None = None) -> None:
        self.ws, self.api, self.record, self.ca_cert = ws, api, record, ca_cert
        self.routes = ROUTES[keys]
        self.note = note or (lambda _line: None)

    def ca_certificate(self) -> x509.Certificate:
        return self.ca_cert

    def _save(self) -> None:
        write_record(self.ws, self.record)

    # -- issuing -------------------------------------------------------------------------
    def sign_leaf(self, request: LeafRequest, key: pki.PrivateKey | None = None) -> IssuedLeaf:
        """The certificate for `request`: adopted from an earlier run's call, or issued now."""
        profile.check_request(request)
        intent = self.record.pending.get(request.label)
        if intent is not None and not _same_request(intent, request):
            self.note(_("an interrupted run had asked CCM for another {what}; if CCM made it, it is not used: revoke it in the CCM "
                        "console").format(what=what(request)))
            self._forget(request.label)
            intent = None
        if intent is not None:
            adopted = self._adopt(request, intent)
            if adopted is not None:
                return adopted
        else:
            intent = self._announce(request, key)
        return self._issue(request, intent)

    def _announce(self, request: LeafRequest, key: pki.PrivateKey | None) -> dict[str, Any]:
        """The intent of the creating call, recorded before it is made (a key made here staged with it)."""
        route = self.routes[request.role]
        intent: dict[str, Any] = {"route": route, "role": request.role, "common_name": request.common_name, "days": request.days,
                                  "key_type": request.key_type, "sans": request.all_sans, "started": now_ms()}
        if route == "csr":
            key = key or pki.generate_key(request.key_type)
            csr = profile.csr_for(request, key)
            intent.update(key_file=stage_key(self.ws, request.label, pki.key_to_pem(key)), csr=pki.csr_to_pem(csr).decode())
        self.record.pending[request.label] = intent
        self._save()
        return intent

    def _issue(self, request: LeafRequest, intent: dict[str, Any]) -> IssuedLeaf:
        action = _("issuing the {what} in CCM").format(what=what(request))
        try:
            if intent["route"] == "csr":
                csr = x509.load_pem_x509_csr(intent["csr"].encode())
                cert_id = self.api.create_certificate_by_csr(profile.csr_body(csr, self.record.ca_id, request.days), action)
            else:
                cert_id = self.api.create_certificate(profile.certificate_body(request, self.record.ca_id), action)
        except CcmRefusal as refusal:
            if refusal.status < 500:  # CCM said no: nothing was made, nothing to adopt (a 5xx may have made it)
                self._forget(request.label)
            raise
        intent["id"] = cert_id
        self._save()
        leaf = self._fetch(request, intent, cert_id, adopting=False)
        assert leaf is not None  # a fresh certificate is ours: refused above or returned
        return leaf

    def _fetch(self, request: LeafRequest, intent: dict[str, Any], cert_id: str, *, adopting: bool) -> IssuedLeaf | None:
        """Export the certificate (and the key CCM made), check it; None when an adopted one is not what was asked."""
        exported = self.api.export_certificate(cert_id, _("exporting the {what} from CCM").format(what=what(request)))
        cert = next(iter(profile.certificates_from_export(exported["certificate"])), None)
        if cert is None:
            raise WizardError(_("CCM exported no certificate for {id}: run the command again").format(id=cert_id))
        key = self._key_of(intent, exported)
        problems = profile.problems_with(cert, request, self.ca_cert, key)
        if problems and adopting:
            return None
        if problems:
            self._reject(request, cert_id, problems)
        chain = profile.certificates_from_export(exported["certificate_chain"])
        csr = x509.load_pem_x509_csr(intent["csr"].encode()) if intent.get("csr") else None
        return IssuedLeaf(key, csr, cert, chain, {"issuer": self.kind, "id": cert_id, "route": intent["route"]})

    def _key_of(self, intent: dict[str, Any], exported: dict[str, str]) -> pki.PrivateKey:
        if intent["route"] == "ccm":
            if not exported.get("private_key"):
                raise WizardError(_("CCM exported the certificate without its private key: run the command again"))
            return profile.key_from_export(exported["private_key"])
        data = staged_key(self.ws, str(intent.get("key_file") or ""))
        if data is None:
            raise WizardError(_("the key made for this request ({file}) is gone, so its certificate cannot be used: revoke it in "
                                "the CCM console, then run the command again").format(file=intent.get("key_file") or "?"))
        return pki.load_key_pem(data)

    def _reject(self, request: LeafRequest, cert_id: str, problems: list[str]) -> None:
        """A certificate that is not what was asked is revoked at once and never written."""
        self._forget(request.label)
        try:
            self.api.revoke_certificate(cert_id, "CESSATION_OF_OPERATION", _("revoking the refused certificate {id}").format(id=cert_id))
            fate = _("it was revoked in CCM")
        except WizardError:
            fate = _("revoke it in the CCM console")
        raise WizardError(_("CCM issued the {what} as {id}, but {problems}; {fate}, and nothing was written").format(
            what=what(request), id=cert_id, problems="; ".join(problems), fate=fate))

    # -- adopting what an earlier run made --------------------------------------------------
    def _adopt(self, request: LeafRequest, intent: dict[str, Any]) -> IssuedLeaf | None:
        cert_id = str(intent.get("id") or "") or self._search(request, intent)
        if not cert_id:
            return None  # the earlier call made nothing: issue now, with the same intent (and key)
        shown = self.api.show_certificate(cert_id)
        if shown is None or shown.get("status") != "ISSUED":
            intent.pop("id", None)
            return None
        leaf = self._fetch(request, intent, cert_id, adopting=True)
        if leaf is not None:
            self.note(_("adopted {id}, the {what} an earlier run had made in CCM (no second certificate was issued)").format(
                id=cert_id, what=what(request)))
        return leaf

    def _search(self, request: LeafRequest, intent: dict[str, Any]) -> str:
        """The certificate an earlier call made for this intent, whose answer was lost: same CA and
        name, made since the intent, not recorded; for a key made here, the very key."""
        since, known = int(intent.get("started", 0)) - CLOCK_SLACK_MS, self.record.known_ids()
        wanted_mode = "CSR" if intent["route"] == "csr" else "GENERATE"
        candidates = []
        for item in self.api.list_certificates(request.common_name):
            if int(item.get("create_time") or 0) < since:
                break  # newest first: the rest is older than the intent
            if (item.get("issuer_id") == self.record.ca_id and item.get("status") == "ISSUED" and item.get("gen_mode") == wanted_mode
                    and (item.get("distinguished_name") or {}).get("common_name") == request.common_name
                    and item.get("certificate_id") not in known):
                candidates.append(str(item["certificate_id"]))
        if intent["route"] == "csr":
            staged = staged_key(self.ws, str(intent.get("key_file") or ""))
            public = pki.load_key_pem(staged).public_key() if staged else None
            return next((cid for cid in candidates if public is not None and self._certifies(cid, public, request)), "")
        return candidates[-1] if candidates else ""  # the oldest since the intent: the earlier call's

    def _certifies(self, cert_id: str, public_key: object, request: LeafRequest) -> bool:
        exported = self.api.export_certificate(cert_id, _("exporting the {what} from CCM").format(what=what(request)))
        cert = next(iter(profile.certificates_from_export(exported["certificate"])), None)
        return cert is not None and pki.public_keys_equal(cert.public_key(), public_key)

    # -- once the files are in place --------------------------------------------------------
    def settle(self, request: LeafRequest, leaf: IssuedLeaf) -> None:
        """Record the certificate as the workspace's (an older one of that name moves to `replaced`)."""
        label = request.label
        old = self.record.certificates.get(label)
        if old and old.get("id") != leaf.reference.get("id"):
            self.record.replaced.append({**old, "label": label, "replaced_at": pki.utc_now().isoformat()})
        self.record.certificates[label] = {
            "id": leaf.reference["id"], "route": leaf.reference["route"], "common_name": request.common_name,
            "serial": format(leaf.cert.serial_number, "X"), "fingerprint": pki.fingerprint(leaf.cert),
            "not_after": leaf.cert.not_valid_after_utc.isoformat(), "status": "ISSUED",
        }
        self._forget(label, save=False)
        settle_record(self.ws, self.record)

    def _forget(self, label: str, *, save: bool = True) -> None:
        intent = self.record.pending.pop(label, None)
        if intent:
            drop_staged_key(self.ws, str(intent.get("key_file") or ""))
        if save:
            self._save()


def _same_request(intent: dict[str, Any], request: LeafRequest) -> bool:
    return (intent.get("role"), intent.get("common_name"), intent.get("days"), intent.get("key_type"), list(intent.get("sans") or [])) == (
        request.role, request.common_name, request.days, request.key_type, request.all_sans)


def ensure_quota(api: CcmApi, needed: int) -> None:
    """Refuse before the first certificate when the account's quota cannot take them all."""
    if needed <= 0:
        return
    used, quota = api.certificate_quota()
    if used + needed > quota:
        raise WizardError(_("the account's CCM quota allows {quota} private certificates and {used} are used, {needed} more are needed: "
                            "revoke and delete certificates you no longer need in the CCM console, or ask for a higher quota; "
                            "nothing was issued").format(quota=quota, used=used, needed=needed))
