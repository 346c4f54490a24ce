"""What `status` finds wrong with the workspace's sets of files, each with the command that mends it.

- a replacement that was interrupted (its journal, wizard.replacement), or is in progress;
- the CA: its key without its certificate or the reverse, a key that is not the certificate's;
- the server and each client (see wizard.sets): a piece missing or unreadable, a key that is not
  the certificate's, a certificate the workspace CA did not issue. For the server that counts
  only when a CA this workspace replaced since issued it: any other issuer is a certificate
  brought in on purpose (a purchased one).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from wizard import ca_key, pki, replacement
from wizard.ccm.record import records_ccm
from wizard.clients.names import ClientFiles
from wizard.clients.survey import Survey, survey
from wizard.elb.headers import serial_header_value as serial_text
from wizard.defaults import PROG
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.sets import BROKEN, LeafSet, backup_cas, backups, check_leaf, newest_copy, replaced_ca_of, workspace_ca
from wizard.workspace import Workspace, read_bytes


@dataclass(frozen=True)
class Finding:
    subject: str  # what it concerns: "replacement", "ca", "server", or a client's name
    message: str  # one line, ending with the command that mends it
    folder: str = ""  # the set's folder ("server/", "clients/NAME/"); "" for the replacement

    def to_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "message": self.message}


# The server name a new server certificate needs, as the person types it (one text: the wizard's
# wording, screens.wording, says it as the field to fill in).
SERVER_NAME_OPTION = "--server-cn NAME"


def command(ws: Workspace, *words: str, then: str = "") -> str:
    """A command line for the person, with this workspace (`then`: options written as they are typed)."""
    return printable(" ".join([shlex.join([PROG, *words]), *([then] if then else []), "-w", shlex.quote(str(ws.root))]))


def findings(ws: Workspace, clients: Survey | None = None) -> list[Finding]:
    """Everything broken in the workspace's sets (read only: status calls it without the lock);
    `clients`: the clients surveyed already (status reads them once for its table and for this)."""
    found, pending = _replacement(ws)
    ca_cert = workspace_ca(ws)
    found += _ca(ws)
    found += _server(ws, ca_cert)
    found += _clients(ws, survey(ws) if clients is None else clients)
    # A set the interrupted replacement is changing: the replacement's own finding says what happens to it.
    return [finding for finding in found if not finding.folder or not any(path.startswith(finding.folder) for path in pending)]


def _replacement(ws: Workspace) -> tuple[list[Finding], tuple[str, ...]]:
    recover = command(ws, "recover")
    try:
        journal = replacement.pending(ws.root)
    except replacement.JournalDamaged as damaged:
        return [Finding("replacement", str(damaged))], ()
    if journal is None:
        if os.path.lexists(ws.root / replacement.STAGING_NAME):
            return [Finding("replacement", _("{folder}/ is left from a run interrupted before it replaced anything: {command} removes "
                                             "it").format(folder=replacement.STAGING_NAME, command=recover))], ()
        return [], ()
    started, label = journal.started[:19].replace("T", " "), printable(journal.label)
    if ws.writer_active():
        message = _("a replacement is in progress ({label}, started {started}): until it ends, its files may be a mix of old and new; "
                    "look again in a moment")
    elif journal.phase == replacement.STAGING:
        message = _("a replacement was interrupted before it replaced anything ({label}, started {started}): the old files are as they "
                    "were; {command} rolls it back (any command that writes this workspace does it first)")
    else:
        message = _("a replacement was interrupted half-way ({label}, started {started}): its files are a mix of old and new, the new "
                    "ones all staged; {command} finishes it (any command that writes this workspace does it first)")
    return [Finding("replacement", message.format(label=label, started=started, command=recover))], journal.paths


def _ca(ws: Workspace) -> list[Finding]:
    if records_ccm(ws):  # no key here: only the certificate exported from CCM
        if ws.cert("ca").exists() and workspace_ca(ws) is None:
            return [Finding("ca", _("ca/ca.crt cannot be read: {command} exports it from CCM again").format(
                command=command(ws, "generate", "--force", then=SERVER_NAME_OPTION)), "ca/")]
        return []
    key, cert = ws.key("ca").exists(), ws.cert("ca").exists()
    if not key and not cert:
        return []
    if key != cert:
        problem = _("ca/ca.key is there without ca/ca.crt") if key else _("ca/ca.crt is there without ca/ca.key")
    else:
        try:
            matches = _ca_key_matches(read_bytes(ws.key("ca")), pki.load_cert_pem(read_bytes(ws.cert("ca")), "ca/ca.crt"))
        except WizardError as error:
            matches, problem = None, str(error)
        else:
            problem = _("ca/ca.key is not a readable private key") if matches is None else _("ca/ca.key does not belong to ca/ca.crt")
        if matches:
            return []
    return [Finding("ca", _("the CA is broken: {problem}; {mend}").format(problem=problem, mend=_ca_mend(ws)), "ca/")]


def _ca_key_matches(data: bytes, cert: x509.Certificate) -> bool | None:
    """Whether the CA key `data` belongs to `cert` (None: not a readable key). A key under a
    passphrase is taken as whole: reading commands never ask for the passphrase, and signing
    opens it and checks it then."""
    return True if ca_key.is_encrypted_pem(data) else pki.key_pem_matches(data, cert)


def _ca_mend(ws: Workspace) -> str:
    for folder in backups(ws):
        try:
            if _ca_key_matches(read_bytes(folder / "ca" / "ca.key"), pki.load_cert_pem(read_bytes(folder / "ca" / "ca.crt"))):
                return _("put back the last whole CA: {command}").format(command=command(ws, "restore", folder.name))
        except WizardError:
            continue
    return _("no backup holds a whole CA: start over with a new one, {command}").format(
        command=command(ws, "generate", "--new-ca", then=SERVER_NAME_OPTION))


def _server(ws: Workspace, ca_cert: x509.Certificate | None) -> list[Finding]:
    if not any(path.exists() for path in ws.artifacts("server")):
        return []
    checked = check_leaf(ws, LeafSet(ws.key("server"), ws.cert("server")), ca_cert)
    if checked.state is None:
        return []
    if checked.state == BROKEN:
        template = checked.cert is not None or newest_copy(ws, "server/server.crt") is not None
        mend = command(ws, "renew", "server") if template else command(ws, "generate", "--force", then=SERVER_NAME_OPTION)
        return [Finding("server", _("the server certificate is broken: {problem}; mend it with {command}").format(
            problem=checked.why, command=mend), "server/")]
    assert checked.cert is not None
    if replaced_ca_of(ws, checked.cert) is None:
        return []  # brought in (a purchased certificate): not this workspace CA's to judge
    return [Finding("server", _("the server certificate was issued by a CA this workspace replaced since, so clients that trust the "
                                "workspace CA refuse it: {command}").format(command=command(ws, "renew", "server")), "server/")]


def _clients(ws: Workspace, clients: Survey) -> list[Finding]:
    if clients.damaged is not None:  # which clients are revoked is not known: that is the finding
        return [Finding("revocation", str(clients.damaged), "ca/revoked.json")]
    found: list[Finding] = []
    cas: list[tuple[Path, x509.Certificate]] | None = None
    for client in clients.clients:
        checked = client.checked
        if checked.state is None or (checked.cert is not None and serial_text(checked.cert.serial_number) in clients.revoked):
            continue  # whole, or revoked (its files no longer matter)
        files = client.files(ws)
        if checked.state == BROKEN:
            found.append(_broken_client(ws, files, checked.cert is not None, checked.why))
            continue
        cas = backup_cas(ws) if cas is None else cas
        assert checked.cert is not None
        mend = command(ws, "renew", "client", files.name) if replaced_ca_of(ws, checked.cert, cas) else \
            command(ws, "client", "issue", files.name, "--force")
        found.append(Finding(files.name, _("the client {name} was issued by a CA this workspace replaced since (old-ca): no listener "
                                           "holding the workspace CA lets it in; {command}").format(name=files.name, command=mend),
                             _set_folder(ws, files)))
    return found


def _broken_client(ws: Workspace, files: ClientFiles, readable: bool, why: str) -> Finding:
    template = readable or newest_copy(ws, ws.relative(files.cert)) is not None
    mend = command(ws, "renew", "client", files.name) if template else command(ws, "client", "issue", files.name, "--force")
    return Finding(files.name, _("the client {name} is broken: {problem}; mend it with {command}").format(name=files.name, problem=why, command=mend),
                   _set_folder(ws, files))


def _set_folder(ws: Workspace, files: ClientFiles) -> str:
    return ws.relative(files.folder) + "/"
