"""One pass over the workspace's clients, shared by `status`, its integrity check, `client list`
and the Clients page: each client's folder listed and checked for ownership once (just before it
is read), its certificate parsed once, its set judged once (wizard.sets), against the revoked
serials read once.

A workspace with thousands of clients is surveyed on every `status` run, so the pass works on
strings, not Path objects, and yields clients one by one (the Clients page shows the first rows
while the rest are read).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from wizard import pki
from wizard.clients.names import CLIENTS_DIR, NAME_PATTERN, TUTORIAL_CLIENT, ClientFiles, client_files
from wizard.errors import WizardError
from wizard.clients.revocation_record import RecordDamaged, revoked_serials
from wizard.clients.verdicts import Verdicts
from wizard.sets import Checked, Judged, Verdict, check_files, judge, workspace_ca
from wizard.workspace import Workspace, read_bytes

# What makes a folder of clients/ a client: any of its files (wizard.clients.names.ClientFiles.artifacts).
_ARTIFACTS = (".key", ".csr", ".crt", ".p12", ".p12-password")


@dataclass(frozen=True)
class SurveyedClient:
    """One client as found: its set judged (`checked`), whether its certificate file is there, the
    certificate when it can be read (even in a set broken otherwise, e.g. by an unreadable key) and
    why not when it cannot (`status` says so beside the table)."""

    name: str
    folder: str  # the workspace path of its folder with a trailing "/" ("client/", "clients/NAME/")
    checked: Checked
    has_cert: bool
    cert: x509.Certificate | None = None
    cert_error: str = ""

    @property
    def cert_file(self) -> str:
        """Its certificate's workspace path ("clients/NAME/NAME.crt")."""
        return f"{self.folder}{self.name}.crt"

    def files(self, ws: Workspace) -> ClientFiles:
        return client_files(ws, self.name)


@dataclass(frozen=True)
class Survey:
    """Every client, and the revoked serials; `damaged` when the revocation record cannot be
    trusted (which clients are revoked is then unknown: `revoked` is empty, and means nothing)."""

    clients: list[SurveyedClient]
    revoked: set[str]
    damaged: RecordDamaged | None = None


def survey(ws: Workspace) -> Survey:
    """The whole survey, after `ws.refuse_untrusted(clients=False)`."""
    clients = list(survey_clients(ws, workspace_ca(ws)))
    try:
        return Survey(clients, revoked_serials(ws))
    except RecordDamaged as damaged:
        return Survey(clients, set(), damaged)


def client_folders(ws: Workspace) -> list[str]:
    """The names of the named clients' folders in clients/, in the order clients are shown (by
    name, ignoring case). Every other folder there is checked for ownership now, since no one
    reads it later (the caller ran `ws.refuse_untrusted(clients=False)`, which checked the rest of
    clients/); each client's folder is checked as it is read (survey_clients)."""
    folder = os.path.join(ws.root, CLIENTS_DIR)
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue  # a file or link there: refuse_untrusted judged it already
        if NAME_PATTERN.fullmatch(entry.name) and entry.name != TUTORIAL_CLIENT:
            names.append(entry.name)
        else:
            ws.checked_names(entry.path)
    return sorted(names, key=str.lower)


def survey_clients(ws: Workspace, ca_cert: x509.Certificate | None, names: list[str] | None = None) -> Iterator[SurveyedClient]:
    """Every client with any of its files in the workspace (the tutorial's first, then by name), or
    only `names` (those that have a folder). Raises ownership.Untrusted for a folder another user
    could have changed, before anything in it is read."""
    verdicts = Verdicts(ws, ca_cert.public_bytes(serialization.Encoding.DER) if ca_cert is not None else None)
    judging = _Judge(ca_cert, pki.IssuedBy(ca_cert) if ca_cert is not None else None, verdicts)
    if names is None or TUTORIAL_CLIENT in names:
        tutorial = _tutorial(ws, judging)
        if tutorial is not None:
            yield tutorial
    root = os.fspath(ws.root)
    for name in client_folders(ws) if names is None else [name for name in names if name != TUTORIAL_CLIENT]:
        folder = os.path.join(root, CLIENTS_DIR, name)
        if names is not None and not os.path.isdir(folder):
            continue
        present = ws.checked_names(folder)
        if not any(name + suffix in present for suffix in _ARTIFACTS):
            continue
        base = os.path.join(folder, name)
        yield _surveyed(ws, name, f"{CLIENTS_DIR}/{name}/", base, present, judging)
    verdicts.save(every_client=names is None)


@dataclass(frozen=True)
class _Judge:
    """How the sets are judged: against the CA, remembering the verdicts (wizard.clients.verdicts)."""

    ca_cert: x509.Certificate | None
    issued_by: pki.IssuedBy | None
    verdicts: Verdicts

    def of(self, name: str, base: str, present: dict[str, os.stat_result]) -> Judged:
        return _SetJudged(self, name, base, present)


class _SetJudged(Judged):
    """One set: its verdict recalled while its key and certificate are the files judged before."""

    def __init__(self, judging: _Judge, name: str, base: str, present: dict[str, os.stat_result]) -> None:
        self.judging, self.name, self.base = judging, name, base
        self.files = present.get(os.path.basename(base) + ".key"), present.get(os.path.basename(base) + ".crt")

    def recall(self) -> tuple[x509.Certificate, Verdict] | None:
        key, cert = self.files
        return self.judging.verdicts.recall(self.name, key, cert, self.base + ".crt") if key and cert else None

    def __call__(self, cert: x509.Certificate) -> Verdict:
        judging, (key_info, cert_info) = self.judging, self.files
        verdict = judge(self.base + ".key", cert, judging.ca_cert, judging.issued_by)
        if key_info and cert_info:
            judging.verdicts.remember(self.name, key_info, cert_info, verdict, cert)
        return verdict


def _tutorial(ws: Workspace, judging: _Judge) -> SurveyedClient | None:
    files = client_files(ws, TUTORIAL_CLIENT)
    # (No client/ folder: refuse_untrusted judged whatever stands there instead.)
    present = ws.checked_names(os.fspath(files.folder)) if files.folder.is_dir() else {}
    if not any(path.name in present for path in files.artifacts):
        return None
    return _surveyed(ws, TUTORIAL_CLIENT, ws.relative(files.folder) + "/", os.fspath(files.folder / TUTORIAL_CLIENT), present, judging)


def _surveyed(ws: Workspace, name: str, folder: str, base: str, present: dict[str, os.stat_result], judging: _Judge) -> SurveyedClient:
    """`base`: the path of its files without their endings (clients/NAME/NAME)."""
    key, cert, p12 = base + ".key", base + ".crt", base + ".p12"
    checked = check_files(ws, key, cert, p12, judging.ca_cert, present, judging.issued_by, judging.of(name, base, present))
    has_cert, readable, error = os.path.basename(cert) in present, checked.cert, ""
    if has_cert and readable is None:
        try:  # read on its own (check_files stops at the first broken piece, e.g. a key it cannot read)
            readable = pki.load_cert_pem(read_bytes(cert), ws.relative(cert))
        except (OSError, WizardError) as failure:
            error = str(getattr(failure, "strerror", None) or failure)
    return SurveyedClient(name, folder, checked, has_cert, readable, error)
