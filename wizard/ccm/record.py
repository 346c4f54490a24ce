"""ca/issuer.json: which CA issued the workspace's certificates, when that CA is held in CCM.

A workspace whose CA key is on this machine has no such file. One with a CCM private CA records
here where the CA lives (region or endpoint, account), its id and the fingerprint of the
certificate exported into ca/ca.crt, and for every certificate it issued the CCM certificate id,
the route (`csr`: the key made here and never sent; `ccm`: the key made by CCM and exported once),
its serial and fingerprint. No secret is ever written here.

`pending` holds the intent of each call that creates something in CCM, written before the call
(with the target and the CA id a retry needs) to ca/ccm-pending/pending.json, never to
issuer.json: a run that fails or is killed half-way leaves only that staging folder behind, and
the next run finds what the first call made and adopts it instead of issuing it twice. A key
made here for a pending request waits in the same folder (0600) until its certificate is in
place; then issuer.json is written and the intent cleared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.errors import WizardError
from wizard.i18n import _
from wizard.workspace import PUBLIC_MODE, SECRET_MODE, Workspace, atomic_write, read_bytes, make_private_folders, read_limited

if TYPE_CHECKING:
    from cryptography import x509

RECORD_NAME = "issuer.json"
PENDING_FOLDER = "ccm-pending"
PENDING_NAME = "pending.json"
RECORD_VERSION = 1
KIND_CCM = "ccm"


def record_path(ws: Workspace) -> Path:
    return ws.folder("ca") / RECORD_NAME


def pending_folder(ws: Workspace) -> Path:
    return ws.folder("ca") / PENDING_FOLDER


def leaf_label(role: str, name: str = "") -> str:
    """How the record names a certificate: "server", or "client/NAME" (the tutorial's is client/client)."""
    return "server" if role == "server" else f"client/{name or 'client'}"


@dataclass
class IssuerRecord:
    target: dict[str, str] = field(default_factory=dict)  # region, account, endpoint
    ca: dict[str, Any] = field(default_factory=dict)  # id, type, common_name, fingerprint, created_here, crl
    certificates: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> id, route, serial, fingerprint, ...
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # label ("ca" for the CA) -> the intent of a call
    replaced: list[dict[str, Any]] = field(default_factory=list)  # certificates whose files were replaced (still in CCM)

    @property
    def ca_id(self) -> str:
        return str(self.ca.get("id") or "")

    def to_json(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, "issuer": KIND_CCM, "target": self.target, "ca": self.ca,
                "certificates": self.certificates, "pending": self.pending, "replaced": self.replaced}

    def known_ids(self) -> set[str]:
        ids = {str(entry.get("id")) for entry in self.certificates.values() if entry.get("id")}
        return ids | {str(entry.get("id")) for entry in self.replaced if entry.get("id")}


def _read_json(ws: Workspace, path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_limited(path).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, WizardError) as error:
        raise WizardError(_("{file} cannot be read ({reason}): it says which CA in CCM issued this workspace's certificates; "
                            "restore it from a backup").format(file=ws.relative(path), reason=error)) from None
    if not isinstance(data, dict) or data.get("issuer") != KIND_CCM or not isinstance(data.get("ca"), dict):
        raise WizardError(_("{file} is not an issuer record of mtls-wizard: restore it from a backup").format(file=ws.relative(path)))
    return data


def read_record(ws: Workspace) -> IssuerRecord | None:
    """The workspace's record, None when it has none (its CA, if any, is on this machine).
    An unreadable record stops the command: it is never silently taken for a local CA."""
    data = _read_json(ws, record_path(ws))
    if data is None:
        return None
    return IssuerRecord(target=dict(data.get("target") or {}), ca=dict(data["ca"]), certificates=dict(data.get("certificates") or {}),
                        replaced=list(data.get("replaced") or []))


def working_record(ws: Workspace) -> IssuerRecord:
    """The record a run works on: the settled one (or an empty one) with what an interrupted run left
    pending (its target and CA too, when nothing was settled yet)."""
    record = read_record(ws) or IssuerRecord()
    staged = _read_json(ws, pending_folder(ws) / PENDING_NAME)
    if staged is not None:
        record.pending = dict(staged.get("pending") or {})
        record.target = record.target or dict(staged.get("target") or {})
        record.ca = record.ca or dict(staged["ca"])
    return record


def write_record(ws: Workspace, record: IssuerRecord) -> None:
    """A run's progress (target, CA, intents) into the staging folder, which a retry reads; ca/issuer.json
    changes only with `settle_record`, once the files it describes are in place. No secret in either."""
    with ws.locked():
        ws.ensure()
        _make_pending_folder(ws)
        staged = {**record.to_json(), "certificates": {}, "replaced": []}
        atomic_write(pending_folder(ws) / PENDING_NAME, (json.dumps(staged, indent=2) + "\n").encode(), PUBLIC_MODE)


def settle_record(ws: Workspace, record: IssuerRecord) -> None:
    """The record of what is now in the workspace, into ca/issuer.json (mode 0644, like the certificates);
    the staging file keeps only what is still pending."""
    with ws.locked():
        ws.ensure()
        atomic_write(record_path(ws), (json.dumps({**record.to_json(), "pending": {}}, indent=2) + "\n").encode(), PUBLIC_MODE)
        if record.pending:
            write_record(ws, record)
        else:
            (pending_folder(ws) / PENDING_NAME).unlink(missing_ok=True)
            _remove_empty(pending_folder(ws))


def _make_pending_folder(ws: Workspace) -> None:
    make_private_folders(pending_folder(ws))  # 0700 whatever the umask


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # missing, or a key still waits there


def records_ccm(ws: Workspace) -> bool:
    """True when the workspace's CA is held in CCM (its record exists)."""
    return record_path(ws).exists()


def ccm_ca_id(ws: Workspace) -> str:
    """The recorded CCM CA id, "" for a workspace without a record."""
    record = read_record(ws)
    return record.ca_id if record else ""


def revoked_in_ccm(ws: Workspace, fingerprint: str) -> bool:
    """Whether the certificate with this fingerprint is recorded as revoked in CCM."""
    record = read_record(ws)
    return record is not None and any(
        entry.get("fingerprint") == fingerprint and entry.get("status") == "REVOKED"
        for entry in [*record.certificates.values(), *record.replaced])


def ca_held_in_ccm(ws: Workspace) -> WizardError:
    """What a local-CA action says on a workspace whose CA is in CCM (no key here to sign with)."""
    return WizardError(_("the CA of {workspace} is held in CCM (private CA {ca_id}), so there is no CA key here to sign with: issue "
                         "with `mtls-wizard generate` or `mtls-wizard client issue` and renew with `mtls-wizard renew server` or "
                         "`renew client`, which go through CCM; renewing the CA itself or rotating through CCM is not available "
                         "yet").format(workspace=ws.root, ca_id=ccm_ca_id(ws) or "?"))


def ccm_ca_certificate(ws: Workspace) -> x509.Certificate:
    """ca/ca.crt, checked to be the certificate recorded for the CCM CA."""
    from wizard import pki

    record = read_record(ws)
    if record is None:
        raise WizardError(_("{file} is missing").format(file=ws.relative(record_path(ws))))
    cert = pki.load_cert_pem(read_bytes(ws.cert("ca")), _("CA certificate (ca/ca.crt)"))
    if record.ca.get("fingerprint") and pki.fingerprint(cert) != record.ca["fingerprint"]:
        raise WizardError(_("ca/ca.crt is not the certificate of the private CA {ca_id} recorded in {file}: run {command} to export "
                            "it again").format(ca_id=record.ca_id, file=ws.relative(record_path(ws)), command="mtls-wizard generate --force"))
    return cert


# -- keys waiting for their certificate --------------------------------------------------


def stage_key(ws: Workspace, label: str, key_pem: bytes) -> str:
    """Keep a key made for a pending request (0600) until its certificate is in place; its path in the workspace."""
    with ws.locked():
        ws.ensure()
        _make_pending_folder(ws)
        path = pending_folder(ws) / (label.replace("/", "__") + ".key")
        atomic_write(path, key_pem, SECRET_MODE)
    return ws.relative(path)


def staged_key(ws: Workspace, relative: str) -> bytes | None:
    path = ws.root / relative
    try:
        return read_bytes(path)
    except WizardError:
        return None


def drop_staged_key(ws: Workspace, relative: str) -> None:
    if relative:
        (ws.root / relative).unlink(missing_ok=True)
        _remove_empty(pending_folder(ws))
