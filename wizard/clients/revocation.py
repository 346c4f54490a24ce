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
from wizard.ca_key import Unlock
from wizard.ccm.record import records_ccm, revoked_in_ccm
from wizard.clients.names import NAME_PATTERN, client_files, known_clients, validate_client_name
from wizard.elb.headers import serial_header_value
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.clients.revocation_record import (
    REASONS, RECORD_VERSION, RecordDamaged, crl_number_on_disk, crl_path, read_record, record_path, serials_path,
)
from wizard.steps import load_ca, load_ca_certificate
from wizard.workspace import PUBLIC_MODE, Workspace, read_bytes

CRL_DAYS = 30


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


def revoked_serials(ws: Workspace) -> set[str]:
    """The revoked serials; RecordDamaged when the record cannot be trusted (never "none")."""
    return {entry["serial"] for entry in read_record(ws)["revoked"]}


def is_revoked(ws: Workspace, cert: x509.Certificate) -> bool:
    return serial_text(cert.serial_number) in revoked_serials(ws)


def revoked_among(ws: Workspace, names: list[str]) -> list[str]:
    """Which of these clients' current certificates are revoked (an unreadable certificate counts as not)."""
    revoked, found = revoked_serials(ws), []
    for name in names:
        path = client_files(ws, name).cert
        try:
            if path.exists() and serial_text(pki.load_cert_pem(read_bytes(path)).serial_number) in revoked:
                found.append(name)
        except WizardError:
            continue
    return found


def revocation_of(ws: Workspace, serial: str) -> dict[str, Any] | None:
    """The revocation entry (name, date, reason) of the certificate with this serial, if any."""
    return next((dict(e) for e in read_record(ws)["revoked"] if e["serial"] == serial), None)


def revoke(ws: Workspace, name: str, reason: str = "unspecified", crl_days: int = CRL_DAYS, *, unlock: Unlock | None = None) -> Revocation:
    """Record the revocation of client `name` and re-sign the CRL (`unlock`: the CA key's passphrase,
    when it is under one). Revoking twice changes nothing."""
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
            if entry["serial"] == serial:
                return Revocation(name, serial, entry["fingerprint"], entry["date"], entry["reason"], already=True)
        now = pki.utc_now()
        entry = {"name": name, "serial": serial, "fingerprint": pki.fingerprint(cert), "date": now.isoformat(), "reason": reason}
        record["revoked"].append(entry)
        _publish(ws, record, crl_days, now, f"client revoke {name}", unlock)
        return Revocation(name, serial, entry["fingerprint"], entry["date"], reason)


def refresh_crl(ws: Workspace, crl_days: int = CRL_DAYS, *, unlock: Unlock | None = None) -> Path:
    """Sign the CRL again with a new nextUpdate (and number), with no new revocation."""
    with ws.locked():  # one writer at a time, for the whole read-check-write
        pki.validate_days(crl_days, "CRL")
        if records_ccm(ws):
            raise WizardError(_("the CA of this workspace is held in CCM, which signs and publishes its CRL itself (to an OBS bucket, "
                                "once turned on when a client is revoked)"))
        _publish(ws, read_record(ws), crl_days, pki.utc_now(), "client crl", unlock)
        return crl_path(ws)


@dataclass
class Rebuilt:
    revoked: int  # entries taken from the CRL
    unnamed: int  # of which no client certificate in the workspace (or its backups) carries the serial
    crl_number: int
    backup: Path | None  # where the damaged record went


def rebuild_record(ws: Workspace) -> Rebuilt:
    """Write ca/revoked.json (and revoked-serials.txt) again from ca/crl.pem, once the workspace
    CA's signature on it is checked; each serial named after the client certificate that
    carries it. The damaged record is kept in a backup folder; an intact one is left alone."""
    with ws.locked():
        try:
            read_record(ws)
        except RecordDamaged:
            pass
        else:  # intact, or no revocation yet (no CRL either)
            raise WizardError(_("{file} is in order (or there is no CRL to rebuild it from): nothing to rebuild").format(file=ws.relative(record_path(ws))))
        crl = _own_crl(ws)
        names = _certificates_by_serial(ws)
        entries = [_entry_from_crl(revoked, names) for revoked in crl]
        number = int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        record = {"version": RECORD_VERSION, "crl_number": number, "revoked": entries}
        backup = ws.replace_files("client rebuild-record", _record_files(ws, record))
        return Rebuilt(len(entries), sum(1 for entry in entries if not entry["name"]), number, backup)


def _own_crl(ws: Workspace) -> x509.CertificateRevocationList:
    """ca/crl.pem, signed by the workspace CA and carrying a CRL number."""
    path = ws.relative(crl_path(ws))
    ca_cert = load_ca_certificate(ws)  # checking a signature never needs the CA key
    try:
        crl = x509.load_pem_x509_crl(read_bytes(crl_path(ws)))
        crl.extensions.get_extension_for_class(x509.CRLNumber)
    except (ValueError, x509.ExtensionNotFound):
        raise WizardError(_("{file} is not a CRL this tool signed, so the record cannot be rebuilt from it: "
                            "restore both from a backup").format(file=path)) from None
    if crl.issuer != ca_cert.subject or not crl.is_signature_valid(ca_cert.public_key()):
        raise WizardError(_("{file} is not signed by the workspace CA (ca/ca.crt), so the record cannot be rebuilt from it: "
                            "restore both from a backup").format(file=path))
    return crl


def _certificates_by_serial(ws: Workspace) -> dict[str, tuple[str, str]]:
    """serial -> (client name, fingerprint) of every client certificate in the workspace and its backups."""
    found: dict[str, tuple[str, str]] = {}
    paths = [*ws.root.glob("backup-*/client/client.crt"), *ws.root.glob("backup-*/clients/*/*.crt"),
             *(files.cert for files in known_clients(ws))]
    for path in paths:
        name = "client" if path.parent.name == "client" else path.parent.name
        try:
            cert = pki.load_cert_pem(read_bytes(path))
        except WizardError:
            continue
        if NAME_PATTERN.fullmatch(name):
            found[serial_text(cert.serial_number)] = (name, pki.fingerprint(cert))
    return found


def _entry_from_crl(revoked: x509.RevokedCertificate, names: dict[str, tuple[str, str]]) -> dict[str, str]:
    serial = serial_text(revoked.serial_number)
    name, fingerprint = names.get(serial, ("", ""))
    try:
        flag = revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
        reason = next((word for word, value in REASONS.items() if value == flag), "unspecified")
    except x509.ExtensionNotFound:
        reason = "unspecified"
    return {"name": name, "serial": serial, "fingerprint": fingerprint, "date": revoked.revocation_date_utc.isoformat(), "reason": reason}


def _publish(ws: Workspace, record: dict[str, Any], crl_days: int, now: dt.datetime, label: str, unlock: Unlock | None) -> None:
    """A new CRL (number + 1), the record and the serial list, replaced as one set (wizard.replacement;
    the old ones are superseded, not kept); `unlock` opens a CA key under a passphrase. A CA held in
    CCM has no key here: CCM signs its CRL (wizard.ccm.clients), so only the record and the list are written."""
    if records_ccm(ws):
        if not all(revoked_in_ccm(ws, str(entry.get("fingerprint", ""))) for entry in record["revoked"][-1:]):
            raise WizardError(_("this client was issued through CCM: revoke it with `mtls-wizard client revoke NAME`, which revokes it in CCM first"))
        ws.replace_files(label, _record_files(ws, record), backup=False)
        return
    ca_key, ca_cert = load_ca(ws, unlock)
    if "cRLSign" not in pki.key_usages(ca_cert) and pki.key_usages(ca_cert):
        raise WizardError(_("the workspace CA may not sign CRLs (its key usage lacks cRLSign): revocation needs a CA made for it"))
    # Never backwards: a record restored from an older backup still gets a higher number.
    record["crl_number"] = max(record["crl_number"], crl_number_on_disk(ws)) + 1
    crl = build_crl(ca_key, ca_cert, record["revoked"], record["crl_number"], now, now + dt.timedelta(days=crl_days))
    files = {crl_path(ws): (crl.public_bytes(serialization.Encoding.PEM), PUBLIC_MODE), **_record_files(ws, record)}
    ws.replace_files(label, files, backup=False)


def _record_files(ws: Workspace, record: dict[str, Any]) -> dict[Path, tuple[bytes, int]]:
    """ca/revoked.json and ca/revoked-serials.txt for `record`."""
    record["version"] = RECORD_VERSION
    serials = "".join(f"{entry['serial']}\n" for entry in record["revoked"])
    return {record_path(ws): ((json.dumps(record, indent=2) + "\n").encode(), PUBLIC_MODE), serials_path(ws): (serials.encode(), PUBLIC_MODE)}


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
