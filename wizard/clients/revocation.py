"""Withdrawing a client: the record of revocations, an X.509 v2 CRL signed by the workspace
CA, and the list of revoked serial numbers for backends that filter on a forwarded header.

ELB itself checks no CRL (see the README): the CRL is for backends that load one (nginx
`ssl_crl`, Envoy, HAProxy `crl-file`); behind ELB, the forwarded serial number or
fingerprint, or a new CA, is what takes a client out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard import pki
from wizard.ccm.record import records_ccm, revoked_in_ccm
from wizard.clients.names import client_files, validate_client_name
from wizard.elb.headers import serial_header_value
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.steps import load_ca
from wizard.workspace import PUBLIC_MODE, Workspace, atomic_write, read_bytes, read_limited

REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}
CRL_DAYS = 30
RECORD_VERSION = 1


def crl_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "crl.pem"


def record_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "revoked.json"


def serials_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "revoked-serials.txt"


def serial_text(serial: int) -> str:
    """A serial number in the form ELB forwards it to the backends (X-Forwarded-Clientcert-
    serialnumber), so ca/revoked-serials.txt can be compared with the header as it is."""
    return serial_header_value(serial)


@dataclass
class Revocation:
    name: str
    serial: str
    fingerprint: str
    date: str
    reason: str
    already: bool = False  # it was revoked before: nothing changed


def read_record(ws: Workspace) -> dict[str, Any]:
    """ca/revoked.json, or an empty record; an unreadable one stops (never silently emptied)."""
    path = record_path(ws)
    if not path.exists():
        return {"version": RECORD_VERSION, "crl_number": 0, "revoked": []}
    try:
        data = json.loads(read_limited(path).decode("utf-8"))
    except (OSError, ValueError, WizardError) as error:  # WizardError: not a regular file, or far too big
        raise WizardError(_("{file} cannot be read ({reason}): restore it from a backup before revoking more").format(
            file=ws.relative(path), reason=error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("revoked"), list):
        raise WizardError(_("{file} is not a revocation record: restore it from a backup before revoking more").format(file=ws.relative(path)))
    return data


def revoked_serials(ws: Workspace) -> set[str]:
    try:
        return {str(entry.get("serial", "")) for entry in read_record(ws)["revoked"]}
    except WizardError:
        return set()


def is_revoked(ws: Workspace, cert: x509.Certificate) -> bool:
    return serial_text(cert.serial_number) in revoked_serials(ws)


def revoked_among(ws: Workspace, names: list[str]) -> list[str]:
    """Which of these clients' current certificates are revoked (an unreadable one counts as not)."""
    found = []
    for name in names:
        path = client_files(ws, name).cert
        try:
            if path.exists() and is_revoked(ws, pki.load_cert_pem(read_bytes(path))):
                found.append(name)
        except WizardError:
            continue
    return found


def revocation_of(ws: Workspace, serial: str) -> dict[str, Any] | None:
    """The revocation entry (name, date, reason) of the certificate with this serial, if any."""
    try:
        return next((dict(e) for e in read_record(ws)["revoked"] if str(e.get("serial", "")) == serial), None)
    except WizardError:
        return None


def revoke(ws: Workspace, name: str, reason: str = "unspecified", crl_days: int = CRL_DAYS) -> Revocation:
    """Record the revocation of client `name` and re-sign the CRL. Revoking twice changes nothing."""
    with ws.locked():  # one writer at a time, for the whole read-check-write
        validate_client_name(name)
        if reason not in REASONS:
            raise InputError(_("unknown reason {reason}: use one of {reasons}").format(reason=repr(reason), reasons=", ".join(REASONS)))
        pki.validate_days(crl_days, "CRL")
        files = client_files(ws, name)
        if not files.cert.exists():
            raise WizardError(_("there is no client {name} in {folder}: see `client list` for the names").format(name=repr(name), folder=ws.root))
        cert = pki.load_cert_pem(read_bytes(files.cert), _("certificate of {name}").format(name=name))
        record = read_record(ws)
        serial = serial_text(cert.serial_number)
        for entry in record["revoked"]:
            if entry.get("serial") == serial:
                return Revocation(name, serial, entry.get("fingerprint", ""), entry.get("date", ""), entry.get("reason", ""), already=True)
        now = pki.utc_now()
        entry = {"name": name, "serial": serial, "fingerprint": pki.fingerprint(cert), "date": now.isoformat(), "reason": reason}
        record["revoked"].append(entry)
        _publish(ws, record, crl_days, now)
        return Revocation(name, serial, entry["fingerprint"], entry["date"], reason)


def refresh_crl(ws: Workspace, crl_days: int = CRL_DAYS) -> Path:
    """Sign the CRL again with a new nextUpdate (and number), with no new revocation."""
    with ws.locked():  # one writer at a time, for the whole read-check-write
        pki.validate_days(crl_days, "CRL")
        if records_ccm(ws):
            raise WizardError(_("the CA of this workspace is held in CCM, which signs and publishes its CRL itself (to an OBS bucket, "
                                "once turned on when a client is revoked)"))
        _publish(ws, read_record(ws), crl_days, pki.utc_now())
        return crl_path(ws)


def _publish(ws: Workspace, record: dict[str, Any], crl_days: int, now: dt.datetime) -> None:
    """A new CRL (number + 1), then the record and the serial list: each written atomically. A CA held in
    CCM has no key here: CCM signs its CRL (wizard.ccm.clients), so only the record and the list are written."""
    if records_ccm(ws):
        if not all(revoked_in_ccm(ws, str(entry.get("fingerprint", ""))) for entry in record["revoked"][-1:]):
            raise WizardError(_("this client was issued through CCM: revoke it with `mtls-wizard client revoke NAME`, which revokes it in CCM first"))
        _write_record_and_serials(ws, record)
        return
    ca_key, ca_cert = load_ca(ws)
    if "cRLSign" not in pki.key_usages(ca_cert) and pki.key_usages(ca_cert):
        raise WizardError(_("the workspace CA may not sign CRLs (its key usage lacks cRLSign): revocation needs a CA made for it"))
    record["crl_number"] = int(record.get("crl_number", 0)) + 1
    crl = build_crl(ca_key, ca_cert, record["revoked"], record["crl_number"], now, now + dt.timedelta(days=crl_days))
    atomic_write(crl_path(ws), crl.public_bytes(serialization.Encoding.PEM), PUBLIC_MODE)
    _write_record_and_serials(ws, record)


def _write_record_and_serials(ws: Workspace, record: dict[str, Any]) -> None:
    record["version"] = RECORD_VERSION
    atomic_write(record_path(ws), (json.dumps(record, indent=2) + "\n").encode(), PUBLIC_MODE)
    serials = "".join(f"{entry['serial']}\n" for entry in record["revoked"])
    atomic_write(serials_path(ws), serials.encode(), PUBLIC_MODE)


def build_crl(ca_key: pki.PrivateKey, ca_cert: x509.Certificate, entries: list[dict[str, Any]], number: int,
              this_update: dt.datetime, next_update: dt.datetime) -> x509.CertificateRevocationList:
    """An X.509 v2 CRL (RFC 5280 profile): CRL number, authority key identifier, reasons."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(_authority_key_id(ca_key, ca_cert), critical=False)
    )
    for entry in entries:
        revoked = (x509.RevokedCertificateBuilder()
                   .serial_number(int(entry["serial"], 16))
                   .revocation_date(dt.datetime.fromisoformat(entry["date"])))
        if entry.get("reason", "unspecified") != "unspecified":  # RFC 5280: leave "unspecified" out
            revoked = revoked.add_extension(x509.CRLReason(REASONS[entry["reason"]]), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(ca_key, pki.signing_hash(ca_key))


def _authority_key_id(ca_key: pki.PrivateKey, ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
