"""Writing backend kits, remembering them, and rewriting their deny-lists after a revocation.

WORKSPACE/backend-kits.json records each kit written (web server, folder, load balancer addresses,
forwarded fields; no secret), so `refresh_kits` knows what to rewrite: `client revoke`, `client crl`
and a CA rotation call it after they change the revocation record. A refresh rewrites the deny-list
files alone (nginx's http.conf, HAProxy's .lst files, Apache's revoked.map); nothing else of the
web server's configuration is touched, and the web server is told nothing: the reload command to
run is returned with what was rewritten.

Kit files are not secret (0644, folders 0755: the web server's workers read some at run time). A
file in the kit's folder is replaced only when it is a kit file (its first line says so), never a
file of the user's of the same name.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

# Each module by its full name: `from wizard.backend import ...` would import this package's __init__ (a cycle).
import wizard.backend.apache as apache  # noqa: PLR0402
import wizard.backend.haproxy as haproxy  # noqa: PLR0402
import wizard.backend.nginx as nginx  # noqa: PLR0402
from wizard.backend.denylist import DenyList, read_deny_list
from wizard.backend.refusals import MARKER
from wizard.backend.spec import KitSpec
from wizard.errors import WizardError
from wizard.i18n import _
from wizard.safe_text import printable
from wizard.workspace import PUBLIC_MODE, Workspace, atomic_write, read_limited

RECORD_NAME = "backend-kits.json"
RECORD_VERSION = 1
FOLDER_MODE = 0o755
RENDERERS: dict[str, ModuleType] = {"nginx": nginx, "haproxy": haproxy, "apache": apache}


def renderer(server: str) -> ModuleType:
    return RENDERERS[server]


def reload_command(server: str) -> str:
    return str(renderer(server).RELOAD)


@dataclass
class WrittenKit:
    """A kit just written: its files, the lines to add to the web server's configuration, how to
    test and reload it, and the deny-list it holds."""

    spec: KitSpec
    files: list[Path]
    include: list[str]
    where: str  # where the include lines go, in English (N_): translate with _()
    test: str
    reload: str
    deny: DenyList


@dataclass
class RefreshedKit:
    """One recorded kit after a refresh: the files rewritten, or why it could not be (`problem`)."""

    spec: KitSpec
    files: list[Path] = field(default_factory=list)
    reload: str = ""
    problem: str = ""


def record_path(ws: Workspace) -> Path:
    return ws.root / RECORD_NAME


def read_kit_record(ws: Workspace) -> list[KitSpec]:
    """The kits this workspace has written (none before the first); an unreadable record stops."""
    path = record_path(ws)
    if not path.exists():
        return []
    try:
        data = json.loads(read_limited(path).decode("utf-8"))
        return [KitSpec.from_dict(entry) for entry in data["kits"]]
    except (OSError, ValueError, KeyError, TypeError, WizardError) as error:
        raise WizardError(_("{file} cannot be read ({reason}): remove it and write the backend kits again with `mtls-wizard backend`").format(
            file=ws.relative(path), reason=error)) from None


def _write_record(ws: Workspace, kits: list[KitSpec]) -> None:
    data = {"version": RECORD_VERSION, "kits": [kit.to_dict() for kit in kits]}
    atomic_write(record_path(ws), (json.dumps(data, indent=2) + "\n").encode(), PUBLIC_MODE)


def _make_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.mkdir(parents=True, mode=FOLDER_MODE)
        os.chmod(folder, FOLDER_MODE)  # whatever the umask: the web server's workers read from it
    except FileExistsError:
        raise WizardError(_("{path} exists and is not a folder: choose another --out folder").format(path=printable(folder))) from None
    except OSError as error:
        raise WizardError(_("cannot create {path}: {reason}; choose another --out folder").format(
            path=printable(folder), reason=error.strerror or error)) from None


def _check_ours(path: Path) -> None:
    """Refuse to replace a file that is not a kit file (a configuration of the user's, say)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except FileNotFoundError:
        return
    except OSError as error:
        raise WizardError(_("cannot read {path}: {reason}").format(path=printable(path), reason=error.strerror)) from None
    if MARKER.encode() not in head.split(b"\n", 1)[0]:
        raise WizardError(_("{path} exists and was not written by mtls-wizard: move it away or choose another --out folder").format(
            path=printable(path)))


def _write_files(folder: Path, files: dict[str, str]) -> list[Path]:
    targets = [folder / name for name in files]
    for target in targets:
        _check_ours(target)  # every file checked before the first is written
    for target, text in zip(targets, files.values()):
        atomic_write(target, text.encode(), PUBLIC_MODE)
    return targets


def write_kit(ws: Workspace, spec: KitSpec) -> WrittenKit:
    """Write the kit for `spec` from the workspace's revocations, and record it."""
    with ws.locked():  # the revocation record and the kit record are read and written as one
        kits = read_kit_record(ws)
        deny = read_deny_list(ws)
        render = renderer(spec.server)
        _make_folder(spec.out)
        files = _write_files(spec.out, render.kit_files(spec, deny))
        kits = [kit for kit in kits if (kit.server, kit.out) != (spec.server, spec.out)] + [spec]
        _write_record(ws, kits)
    return WrittenKit(spec=spec, files=files, include=render.include_lines(spec), where=render.WHERE, test=render.TEST, reload=render.RELOAD, deny=deny)


def refresh_kits(ws: Workspace) -> list[RefreshedKit]:
    """Rewrite the deny-list of every kit the workspace has written, from its revocation record.

    Call it after anything that changes ca/revoked.json (a revocation, a new CRL, a CA rotation).
    One kit's failure (its folder gone, not writable) is reported in its RefreshedKit and does not
    stop the others; an unreadable record raises WizardError.
    """
    if not record_path(ws).exists():
        return []
    with ws.locked():
        kits = read_kit_record(ws)
        deny = read_deny_list(ws) if kits else DenyList()
        return [_refresh(kit, deny) for kit in kits]


def _refresh(spec: KitSpec, deny: DenyList) -> RefreshedKit:
    render = renderer(spec.server)
    if not spec.out.is_dir():
        return RefreshedKit(spec, problem=_("its folder {path} is gone: write the kit again with `mtls-wizard backend {server} --out DIR`").format(
            path=printable(spec.out), server=spec.server))
    try:
        files = _write_files(spec.out, render.deny_list_files(spec, deny))
    except WizardError as error:
        return RefreshedKit(spec, problem=str(error))
    return RefreshedKit(spec, files=files, reload=render.RELOAD)


__all__ = ["RECORD_NAME", "RefreshedKit", "WrittenKit", "read_kit_record", "record_path", "refresh_kits", "reload_command",
           "write_kit"]

