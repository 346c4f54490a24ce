"""ca/revoked.json, the record of revocations, read only when it is exactly what we write.

Which clients are revoked decides what `client list`, `status`, `inspect`, `renew` and `check
--client` say, and what the next CRL holds: a record that was replaced by garbage, deleted
while ca/crl.pem exists, or filled with odd values (a serial "ZZZZ", 1e400, deep nesting) must
stop them, with the way back (the last good backup, or `client rebuild-record`), never
read as "nobody is revoked" or end in a crash. Rebuilding takes the CRL the workspace CA signed
and names each serial after the client certificate that carries it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path
from typing import Any

from cryptography import x509

from wizard.clients.names import NAME_PATTERN
from wizard.defaults import PROG
from wizard.elb.headers import serial_header_value
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.workspace import Workspace, read_limited

RECORD_VERSION = 1
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_REVOKED = 50_000  # about 13 MB of record: far beyond any private CA's clients
MAX_CRL_NUMBER = 2**159  # RFC 5280: a CRL number fits in 20 octets
MAX_SERIAL_DIGITS = 40  # 20 octets, RFC 5280's limit for a serial number
REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}
_SERIAL = re.compile(rf"^[0-9A-Fa-f]{{1,{MAX_SERIAL_DIGITS}}}\Z")
_FINGERPRINT = re.compile(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}\Z")


class RecordDamaged(WizardError):
    """ca/revoked.json is missing (while a CRL exists), unreadable or not a revocation record."""


def crl_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "crl.pem"


def record_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "revoked.json"


def serials_path(ws: Workspace) -> Path:
    return ws.folder("ca") / "revoked-serials.txt"


def empty_record() -> dict[str, Any]:
    return {"version": RECORD_VERSION, "crl_number": 0, "revoked": []}


def read_record(ws: Workspace) -> dict[str, Any]:
    """The checked record (serials in the form we write them), or an empty one when there has
    been no revocation; RecordDamaged, with the way back, for anything else."""
    path = record_path(ws)
    try:
        data = read_limited(path, limit=MAX_RECORD_BYTES)
    except FileNotFoundError:
        if crl_path(ws).exists():
            raise RecordDamaged(_("{file} is missing but {crl} exists, so which clients are revoked is not known: nothing was changed; {way_back}").format(
                file=ws.relative(path), crl=ws.relative(crl_path(ws)), way_back=way_back(ws))) from None
        return empty_record()
    except (OSError, WizardError) as error:  # WizardError: not a regular file, or far too big
        raise _damaged(ws, str(getattr(error, "strerror", None) or error)) from None
    try:
        return checked_record(parse_json(data))
    except ValueError as error:
        raise _damaged(ws, str(error)) from None


def revoked_serials(ws: Workspace) -> set[str]:
    """The revoked serials; RecordDamaged when the record cannot be trusted (never "none").
    Here, beside the record, so a reader (`check`) needs not load the CRL and signing code."""
    return {entry["serial"] for entry in read_record(ws)["revoked"]}


def parse_json(data: bytes) -> object:
    """JSON, or ValueError (deep nesting and over-long numbers included)."""
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError(_("it is nested too deeply")) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(_("it is not JSON: {error}").format(error=error)) from None


def _damaged(ws: Workspace, reason: str) -> RecordDamaged:
    return RecordDamaged(_("{file} is damaged ({reason}), so which clients are revoked is not known: nothing was changed; {way_back}").format(
        file=ws.relative(record_path(ws)), reason=printable(reason)[:200], way_back=way_back(ws)))


def way_back(ws: Workspace) -> str:
    """What to do about a damaged or missing record: the newest good backup, or the rebuild."""
    rebuild = shlex.join([PROG, "client", "rebuild-record", "--workspace", str(ws.root)])
    for backup in sorted(ws.root.glob("backup-*/ca/revoked.json"), reverse=True):
        try:
            checked_record(parse_json(read_limited(backup, limit=MAX_RECORD_BYTES)))
        except (OSError, ValueError, WizardError):
            continue
        return _("restore the last good copy ({backup}), or rebuild it from the CRL: {command}").format(
            backup=printable(ws.relative(backup)), command=printable(rebuild))
    return _("rebuild it from the CRL: {command}").format(command=printable(rebuild))


def checked_record(data: object) -> dict[str, Any]:
    """The record if every field has the type and range we write, else ValueError (why)."""
    if not isinstance(data, dict):
        raise ValueError(_("not a JSON object"))
    version, number, revoked = data.get("version"), data.get("crl_number"), data.get("revoked")
    if version != RECORD_VERSION or isinstance(version, bool):
        raise ValueError(_("version {value} instead of {version}").format(value=printable(repr(version))[:40], version=RECORD_VERSION))
    if not _whole(number) or not 0 <= number < MAX_CRL_NUMBER:
        raise ValueError(_("crl_number {value} is not a whole number from 0 to 2^159").format(value=printable(repr(number))[:40]))
    if not isinstance(revoked, list):
        raise ValueError(_("revoked is not a list"))
    if len(revoked) > MAX_REVOKED:
        raise ValueError(_("{count} revocations, more than the {limit} a record may hold").format(count=len(revoked), limit=MAX_REVOKED))
    return {"version": RECORD_VERSION, "crl_number": number, "revoked": [_checked_entry(entry, index) for index, entry in enumerate(revoked)]}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_entry(entry: object, index: int) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise ValueError(_("revocation {number} is not a JSON object").format(number=index + 1))
    serial, name, fingerprint = entry.get("serial"), entry.get("name", ""), entry.get("fingerprint", "")
    date, reason = entry.get("date"), entry.get("reason", "unspecified")
    if not isinstance(serial, str) or not _SERIAL.match(serial) or int(serial, 16) == 0:
        raise ValueError(_("revocation {number}: serial {value} is not 1-{digits} hexadecimal digits (and not 0)").format(
            number=index + 1, value=printable(repr(serial))[:60], digits=MAX_SERIAL_DIGITS))
    if not isinstance(name, str) or (name and not NAME_PATTERN.fullmatch(name)):
        raise ValueError(_("revocation {number}: {value} is not a client name").format(number=index + 1, value=printable(repr(name))[:80]))
    if not isinstance(fingerprint, str) or (fingerprint and not _FINGERPRINT.match(fingerprint)):
        raise ValueError(_("revocation {number}: the fingerprint is not a SHA-256 fingerprint").format(number=index + 1))
    if not isinstance(reason, str) or reason not in REASONS:
        raise ValueError(_("revocation {number}: unknown reason {value}").format(number=index + 1, value=printable(repr(reason))[:60]))
    if not isinstance(date, str) or _aware_time(date) is None:
        raise ValueError(_("revocation {number}: the date {value} is not an ISO date with a time zone").format(
            number=index + 1, value=printable(repr(date))[:60]))
    return {"name": name, "serial": serial_header_value(int(serial, 16)), "fingerprint": fingerprint, "date": date, "reason": reason}


_EARLIEST = dt.datetime(1950, 1, 1, tzinfo=dt.timezone.utc)  # X.509 times start in 1950
_LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)


def _aware_time(text: str) -> dt.datetime | None:
    """An ISO date with a time zone that a CRL can carry, else None."""
    try:
        moment = dt.datetime.fromisoformat(text)
        return moment if moment.tzinfo is not None and _EARLIEST <= moment <= _LATEST else None
    except (ValueError, OverflowError):
        return None


def crl_number_on_disk(ws: Workspace) -> int:
    """The number of ca/crl.pem (0 without one, or when it cannot be read: the record's number
    then decides), so a new CRL's number never goes backwards."""
    try:
        crl = x509.load_pem_x509_crl(read_limited(crl_path(ws)))
        return int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    except (OSError, ValueError, WizardError, x509.ExtensionNotFound):
        return 0
