"""Client names and where each client's files live.

The tutorial's client keeps its place (client/client.*) and is listed as `client`; every
further client is named and gets its own folder: clients/NAME/NAME.key .csr .crt .p12.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wizard.errors import InputError
from wizard.i18n import N_, _
from wizard.workspace import Workspace

TUTORIAL_CLIENT = "client"
CLIENTS_DIR = "clients"
# Letters, digits, dot, underscore, hyphen, @; 1-64 characters; never a leading dot or hyphen,
# so no name is a path (../x), an option (-x) or a hidden file.
NAME_PATTERN = re.compile(r"^(?![.-])[A-Za-z0-9._@-]{1,64}$")
NAME_RULE = N_("letters, digits, '.', '_', '-' and '@', 1-64 characters, not starting with '.' or '-'")  # shown with _()


@dataclass(frozen=True)
class ClientFiles:
    """The files of one client."""

    name: str
    folder: Path
    key: Path
    csr: Path
    cert: Path
    p12: Path
    password: Path  # written only with --random-passwords

    @property
    def artifacts(self) -> list[Path]:
        return [self.key, self.csr, self.cert, self.p12, self.password]


def validate_client_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):  # (match would let a trailing newline through "$")
        shown = repr(name) if name else _("an empty name")
        raise InputError(_("{name} cannot name a client: use {rule}").format(name=shown, rule=_(NAME_RULE)))
    return name


def validate_client_names(names: Iterable[str]) -> list[str]:
    """Every name valid and given once; InputError (nothing written) otherwise."""
    checked: list[str] = []
    for name in names:
        validate_client_name(name)
        if name in checked:
            raise InputError(_("the client {name} is named twice: give each name once").format(name=repr(name)))
        checked.append(name)
    if not checked:
        raise InputError(_("no client name given: name one or more clients, or give --from FILE"))
    return checked


def read_names_file(text: str) -> list[str]:
    """One name per line; blank lines and # comments are skipped."""
    names = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if stripped:
            names.append(stripped)
    return names


def client_files(ws: Workspace, name: str) -> ClientFiles:
    if name == TUTORIAL_CLIENT:
        folder = ws.folder("client")
        return ClientFiles(name, folder, ws.key("client"), ws.csr("client"), ws.cert("client"), ws.p12,
                           folder / "client.p12-password")
    folder = ws.root / CLIENTS_DIR / name
    return ClientFiles(name, folder, folder / f"{name}.key", folder / f"{name}.csr", folder / f"{name}.crt",
                       folder / f"{name}.p12", folder / f"{name}.p12-password")


def known_clients(ws: Workspace) -> list[ClientFiles]:
    """Every client with a certificate in the workspace: the tutorial's first, then by name."""
    found = [client_files(ws, TUTORIAL_CLIENT)] if ws.cert("client").exists() else []
    folder = ws.root / CLIENTS_DIR
    if folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if NAME_PATTERN.fullmatch(entry.name) and entry.name != TUTORIAL_CLIENT and (entry / f"{entry.name}.crt").exists():  # not is_file: a pipe or folder there is reported, not skipped
                found.append(client_files(ws, entry.name))
    return found
