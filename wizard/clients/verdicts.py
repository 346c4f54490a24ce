"""What judging each client's set found, remembered between runs: `status`, `client list` and the
Clients page open thousands of private keys and verify thousands of signatures only for the sets
whose files changed.

As git's index does: a verdict (the key belongs to the certificate or not, the workspace CA issued
it or not; and the certificate's serial number and expiry, so a remembered one is not even read)
is kept with the identity of the two files it judged (device, inode, size, modification
and change times; the change time cannot be set back, and every write, rename or chmod moves it)
and with the CA it was judged against. Any difference, and the set is judged anew. A file changed
in the last seconds is judged every time, since a second write within one tick of the coarse clock
that stamps files could leave its times as they were.

The record lives in the user's data folder (the workspace is not written by `status`, which runs
without its lock), 0600, and is read only when it is ours (wizard.own_files): a damaged, foreign or
missing record only means every set is judged again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from cryptography import x509

from wizard import pki
from wizard.errors import WizardError
from wizard.sets import Verdict
from wizard.workspace import Workspace, read_bytes

VERSION = 1
# (A record of 5,000 sets takes about 250 KB; one over 1 MiB, some 20,000 sets, is not read: every set is then judged.)
RECENT_NS = 3 * 10**9  # a file changed less than this ago is judged every time (see above)


def identity(key: os.stat_result, cert: os.stat_result) -> str:
    """The two files as found, in a short digest: a verdict stands only while this is unchanged."""
    found = b"%d:%d:%d:%d:%d/%d:%d:%d:%d:%d" % (key.st_dev, key.st_ino, key.st_size, key.st_mtime_ns, key.st_ctime_ns,
                                                cert.st_dev, cert.st_ino, cert.st_size, cert.st_mtime_ns, cert.st_ctime_ns)
    return hashlib.blake2b(found, digest_size=12).hexdigest()


class RememberedCertificate:
    """A client certificate judged before, standing in for it: its serial number and expiry as
    remembered (all a list and `status` read); anything else is read from the file when asked for
    (the common name and fingerprint of `client list --json`)."""

    def __init__(self, path: str, serial_number: int, not_valid_after_utc: dt.datetime) -> None:
        self.path, self.serial_number, self.not_valid_after_utc = path, serial_number, not_valid_after_utc
        self._cert: x509.Certificate | None = None

    def __getattr__(self, attribute: str) -> Any:  # (asked only for what the object does not hold itself)
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        if self._cert is None:
            self._cert = pki.load_cert_pem(read_bytes(self.path), self.path)
        return getattr(self._cert, attribute)


class Verdicts:
    """The remembered verdicts of one workspace's client sets, against its CA (DER bytes, or None)."""

    def __init__(self, ws: Workspace, ca_der: bytes | None) -> None:
        from wizard.session import data_dir  # (where sessions live: no other module of the core knows it)

        digest = hashlib.sha256(os.fsencode(ws.root)).hexdigest()[:32]
        self.path = data_dir() / "client-verdicts" / f"{digest}.json"
        self._ca = hashlib.sha256(ca_der).hexdigest() if ca_der is not None else ""
        self._known = self._read()
        self._found: dict[str, list[Any]] = {}
        self._new = False
        self._recent = time.time_ns() - RECENT_NS

    def _read(self) -> dict[str, list[Any]]:
        from wizard.own_files import read_own_file

        try:
            data = json.loads(read_own_file(self.path, "record", "").decode("utf-8"))
        except (OSError, ValueError, WizardError):
            return {}  # none yet, or not one to trust: every set is judged
        if not isinstance(data, dict) or data.get("version") != VERSION or data.get("ca") != self._ca or not isinstance(data.get("sets"), dict):
            return {}
        return data["sets"]

    def recall(self, name: str, key: os.stat_result, cert: os.stat_result, cert_path: str) -> tuple[x509.Certificate, Verdict] | None:
        """The set's certificate (a stand-in: RememberedCertificate) and verdict as judged before, or
        None: judge it."""
        entry = self._known.get(name)
        if not isinstance(entry, list) or len(entry) != 5 or entry[0] != identity(key, cert):
            return None
        _identity, matches, issued, serial, not_after = entry
        if matches not in (True, False, None) or issued not in (True, False, None) or not isinstance(serial, str) \
                or not isinstance(not_after, int) or isinstance(not_after, bool):
            return None
        try:
            remembered = RememberedCertificate(cert_path, int(serial, 16), dt.datetime.fromtimestamp(not_after, dt.timezone.utc))
        except (ValueError, OverflowError, OSError):
            return None
        self._found[name] = entry
        return remembered, (matches, issued)  # type: ignore[return-value]  # (it stands in for the certificate)

    def remember(self, name: str, key: os.stat_result, cert_file: os.stat_result, verdict: Verdict, cert: x509.Certificate) -> None:
        if max(key.st_mtime_ns, key.st_ctime_ns, cert_file.st_mtime_ns, cert_file.st_ctime_ns) > self._recent:
            return  # changed a moment ago: it could change again without its times moving
        self._found[name] = [identity(key, cert_file), *verdict, format(cert.serial_number, "x"), int(cert.not_valid_after_utc.timestamp())]
        self._new = True

    def save(self, *, every_client: bool) -> None:
        """Write the record when something new was judged; `every_client`: the survey saw them all,
        so the sets it did not see are gone (else the others are kept as they were)."""
        if not self._new and (not every_client or len(self._found) == len(self._known)):
            return
        sets = self._found if every_client else {**self._known, **self._found}
        try:
            _write_private(self.path, json.dumps({"version": VERSION, "ca": self._ca, "sets": sets}).encode())
        except (OSError, WizardError):
            pass  # not remembered: the next run judges these sets again


def _write_private(path: Path, data: bytes) -> None:
    from wizard.workspace import SECRET_MODE, atomic_write, make_private_folders

    make_private_folders(path.parent)
    atomic_write(path, data, SECRET_MODE)
