"""What every command handler shares: warnings, the workspace and session, secrets from files.

All terminal printing of the CLI goes through here or through the handlers themselves;
the core never prints.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from wizard.defaults import PROG
from wizard.environment import PASSWORD_ENV
from wizard.errors import InputError, WizardError
from wizard.i18n import N_, _
from wizard.safe_text import printable
from wizard.session import Session, SessionFileError, SessionStore, default_workspace
from wizard.workspace import UnreadableFile, read_limited


def warn(message: str) -> None:
    # A warning may quote a file's text (a certificate's subject): never let it steer the terminal.
    print(_("{prog}: warning: {message}").format(prog=PROG, message=printable(message)), file=sys.stderr)


def resolve_workspace(value: str | None) -> Path:
    """--workspace, else the last session's workspace, else ./mtls-workspace."""
    if value is not None:
        if not value.strip():
            raise InputError(_("--workspace is empty: give a folder, e.g. --workspace ./mtls-workspace"))
        return Path(value).expanduser().absolute()
    try:
        last = SessionStore().last()
    except SessionFileError as error:
        warn(str(error))
        last = None
    return Path(last.workspace) if last else default_workspace()


def read_secret_file(path: str) -> str:
    """The password on the first line of a file, without its line ending; a clear error if
    unreadable or empty.

    Only a final "\\n" or "\\r\\n" ends the line: str.splitlines() would also cut at Unicode
    separators (U+2028 and others) that may be part of a password.
    """
    shown = printable(path)
    try:
        # A pipe is fine (--p12-password-file <(pass show x)); /dev/zero or a huge file is not.
        text = read_limited(Path(path), pipes=True).decode("utf-8")
    except FileNotFoundError:
        raise InputError(_("the password file {path} does not exist").format(path=shown)) from None
    except UnreadableFile as error:
        raise InputError(_("cannot read the password file {path}: {reason}").format(path=shown, reason=error.reason)) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise InputError(_("cannot read the password file {path}: {reason}").format(path=shown, reason=reason)) from None
    secret = text.split("\n", 1)[0].removesuffix("\r")
    if not secret:
        raise InputError(_("the password file {path} is empty: put the password on its first line").format(path=shown))
    return secret


def password_given_without_prompt(password_file: str | None) -> bool:
    """True when the .p12 password comes from a file or the environment (no prompt needed)."""
    return bool(password_file) or PASSWORD_ENV in os.environ or not sys.stdin.isatty()


def p12_password(password_file: str | None, what: str = "client.p12") -> str:
    """The .p12 password: --p12-password-file, else $MTLS_WIZARD_P12_PASSWORD, else a prompt
    (for `what`: a file name, or words already translated)."""
    if password_file:
        return read_secret_file(password_file)
    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        first = getpass.getpass(_("Password for {what}: ").format(what=what))
        if first != getpass.getpass(_("Again, to confirm: ")):
            raise InputError(_("the two passwords differ: run the command again"))
        return first
    raise InputError(_("no .p12 password: give --p12-password-file FILE or set {variable} (never on the command line)").format(variable=PASSWORD_ENV))


def open_session(workspace: Path) -> tuple[SessionStore, Session]:
    """The workspace's session (a fresh one when its file is unusable, with a warning)."""
    store = SessionStore()
    try:
        return store, store.open(workspace)
    except SessionFileError as error:
        warn(str(error))
        return store, Session(workspace=str(workspace))


def save_session(store: SessionStore, session: Session) -> None:
    try:
        store.save(session)
    except WizardError as error:
        warn(_("the session could not be saved ({error}); the files are in place").format(error=error))


# A client's state (wizard.clients.STATES) as a person reads it; --json keeps the English word.
STATE_WORDS = {"valid": N_("valid"), "expiring": N_("expiring"), "expired": N_("expired"), "revoked": N_("revoked")}


def state_word(state: str) -> str:
    return _(STATE_WORDS[state]) if state in STATE_WORDS else state
