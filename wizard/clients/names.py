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
# A workspace may be copied to Windows, where these names (with any extension) are devices
# and a trailing dot is dropped; Windows and macOS also see Alice/ and alice/ as one folder.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))})
MAX_BATCH = 10_000  # names in one `client issue` run: a file of 100,000 is split up, not run for hours


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
        shown = repr(name) if len(name) <= 80 else repr(name[:60]) + "..."
        raise InputError(_("{name} cannot name a client: use {rule}").format(name=shown if name else _("an empty name"), rule=_(NAME_RULE)))
    if name.split(".", 1)[0].upper() in WINDOWS_RESERVED or name.endswith("."):
        raise InputError(_("{name} cannot name a client: Windows reserves it (a device name, or a trailing dot), so the workspace "
                           "could not be copied there; choose another name").format(name=repr(name)))
    return name


def validate_client_names(names: Iterable[str]) -> list[str]:
    """Every name valid and given once, also ignoring case (Alice and alice would share a
    folder on Windows and macOS); at most MAX_BATCH. InputError (nothing written) otherwise.
    Linear in the number of names."""
    checked: list[str] = []
    seen: dict[str, str] = {}  # lower case -> the name as given
    for name in names:
        if len(checked) == MAX_BATCH:
            raise InputError(_("more than {limit} client names in one run: split the list and run the command once per part").format(limit=MAX_BATCH))
        validate_client_name(name)
        twin = seen.get(name.lower())
        if twin == name:
            raise InputError(_("the client {name} is named twice: give each name once").format(name=repr(name)))
        if twin is not None:
            raise InputError(case_twins(name, twin))
        seen[name.lower()] = name
        checked.append(name)
    if not checked:
        raise InputError(_("no client name given: name one or more clients, or give --from FILE"))
    return checked


def case_twins(name: str, other: str) -> str:
    return _("the client names {name} and {other} differ only in case: on Windows and macOS they would be one folder; "
             "choose names that differ in more than case").format(name=repr(name), other=repr(other))


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


def present_clients(ws: Workspace) -> list[ClientFiles]:
    """Every client with any of its files in the workspace, also one whose certificate is missing
    (a broken set, which `client list` and `status` show): the tutorial's first, then by name."""
    found = [client_files(ws, TUTORIAL_CLIENT)] if any(path.exists() for path in client_files(ws, TUTORIAL_CLIENT).artifacts) else []
    folder = ws.root / CLIENTS_DIR
    if folder.is_dir():
        for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
            if NAME_PATTERN.fullmatch(entry.name) and entry.name != TUTORIAL_CLIENT and entry.is_dir():
                files = client_files(ws, entry.name)
                if any(path.exists() for path in files.artifacts):
                    found.append(files)
    return found
