"""Putting a backup's files back (`mtls-wizard restore BACKUP`), under the lock, as one replacement.

Every renewal, `--force` and `--new-ca` keeps what it replaced in a backup-<timestamp>/ folder.
`restore` copies the certificates, keys, .p12 files and CA records of one such folder back to
their places, staged and switched in as one set (wizard.replacement); what they replace goes to
a backup folder of its own, so a restore can itself be undone. The backup is only read.

A set the backup holds whole replaces the current one whole: when it has a leaf's key or
certificate, or the CA's key (or the record of a CA held in CCM), the current files of that set
that the backup lacks go to the new backup too, so an old key never sits beside a newer
certificate, nor a new CA's CRL beside an old CA. A backup of `renew ca` (the CA certificate
alone, same key) puts back just that certificate.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from wizard import ownership
from wizard.clients.names import NAME_PATTERN
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.lifecycle.integrity import findings
from wizard.replacement import BACKUP_NAME
from wizard.safe_text import printable
from wizard.sets import backups
from wizard.workspace import CA_RECORDS, PUBLIC_MODE, SECRET_MODE, Workspace, read_bytes

_SECRET_SUFFIXES = (".key", ".p12", ".p12-password")
_LEAF_SUFFIXES = (".key", ".csr", ".crt", ".p12", ".p12-password")
_CA_FILES = ("ca.key", "ca.csr", "ca.crt", *CA_RECORDS)


@dataclass
class Restored:
    source: Path  # the backup folder put back
    files: list[Path]
    backup: Path | None  # where the files it replaced went
    left_out: list[str] = field(default_factory=list)  # what the backup holds that is not put back
    warnings: list[str] = field(default_factory=list)


def restore(ws: Workspace, name: str) -> Restored:
    """Put back the files of the backup folder `name` (a backup-* folder of this workspace)."""
    with ws.locked() as hold:
        source = backup_folder(ws, name)
        found, left_out = _restorable(ws, source)
        if not found:
            raise WizardError(_("{backup}/ holds no certificate, key or CA record to put back").format(backup=source.name))
        files = {ws.root / relative: (read_bytes(path), SECRET_MODE if path.name.endswith(_SECRET_SUFFIXES) else PUBLIC_MODE)
                 for relative, path in found.items()}
        backup = ws.replace_files(f"restore {source.name}", files, remove=_rest_of_sets(ws, set(found)))
        folders = {relative.rsplit("/", 1)[0] + "/" for relative in found}
        warnings = [finding.message for finding in findings(ws) if finding.folder in folders]
        return Restored(source, sorted(files), backup, left_out, [*hold.notices, *warnings])


def backup_folder(ws: Workspace, name: str) -> Path:
    """The backup folder named (backup-..., or its path), checked to be one of this workspace's."""
    given = Path(name)
    folder = given if given.is_absolute() else ws.root / given.name if given.parent in (Path("."), Path("")) else Path(os.path.abspath(given))
    if folder.parent != ws.root or not BACKUP_NAME.match(folder.name):
        raise InputError(_("{name} is not a backup folder of {workspace}: give one of its backup-<timestamp> folders{hint}").format(
            name=printable(name), workspace=printable(ws.root), hint=_newest_hint(ws)))
    if not ownership.check_path(folder) or not folder.is_dir():
        raise InputError(_("there is no folder {name} in {workspace}{hint}").format(name=folder.name, workspace=printable(ws.root),
                                                                                    hint=_newest_hint(ws)))
    return folder


def _newest_hint(ws: Workspace) -> str:
    folders = backups(ws)
    return _(" (the newest is {name})").format(name=folders[0].name) if folders else _(" (it has none)")


def _restorable(ws: Workspace, source: Path) -> tuple[dict[str, Path], list[str]]:
    """relative path -> the backup's file, for what may be put back; the rest, by name."""
    found: dict[str, Path] = {}
    left_out: list[str] = []
    for path in _files_under(source):
        relative = path.relative_to(source).as_posix()
        if _may_restore(relative):
            ownership.check_path(path, secret=path.name.endswith(_SECRET_SUFFIXES))
            found[relative] = path
        else:
            left_out.append(relative)
    return found, sorted(left_out)


def _files_under(folder: Path) -> list[Path]:
    """Every regular file under `folder` (at most three levels: clients/NAME/FILE); no link is followed."""
    files: list[Path] = []
    stack = [(folder, 0)]
    while stack:
        current, depth = stack.pop()
        ownership.check_path(current)
        for entry in os.scandir(current):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode) and depth < 2:
                stack.append((Path(entry.path), depth + 1))
            elif stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode):
                files.append(Path(entry.path))  # a link is refused by check_path, with its message
    return files


def _may_restore(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    if len(parts) == 2 and parts[0] == "ca":
        return parts[1] in _CA_FILES
    if len(parts) == 2 and parts[0] in ("server", "client"):
        return parts[1] in {parts[0] + suffix for suffix in _LEAF_SUFFIXES}
    if len(parts) == 3 and parts[0] == "clients" and NAME_PATTERN.fullmatch(parts[1]):
        return parts[2] in {parts[1] + suffix for suffix in _LEAF_SUFFIXES}
    return False


def _rest_of_sets(ws: Workspace, restored: set[str]) -> list[Path]:
    """The current files of each set the backup holds whole, that the backup does not hold."""
    folders = {relative.rsplit("/", 1)[0] for relative in restored}
    rest: list[Path] = []
    for folder in sorted(folders):
        stem = folder.rsplit("/", 1)[-1]
        names = _CA_FILES if folder == "ca" else [stem + suffix for suffix in _LEAF_SUFFIXES]
        whole = {"ca/ca.key", "ca/issuer.json"} if folder == "ca" else {f"{folder}/{stem}.key", f"{folder}/{stem}.crt"}
        if whole & restored:
            rest += [ws.root / folder / name for name in names if f"{folder}/{name}" not in restored and (ws.root / folder / name).exists()]
    return rest
