"""What every command handler shares: warnings, the workspace and session, secrets from files.

All terminal printing of the CLI goes through here or through the handlers themselves;
the core never prints.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import sys
from pathlib import Path

from wizard.defaults import PASSWORD_WAIT, PROG
from wizard.environment import PASSWORD_ENV, PASSWORD_WAIT_ENV
from wizard.errors import InputError, WizardError
from wizard.i18n import _
from wizard.safe_text import first_control_character, printable
from wizard.session import Session, SessionFileError, SessionStore, default_workspace
from wizard.workspace import UnreadableFile, Workspace, read_limited


def warn(message: str) -> None:
    # A warning may quote a file's text (a certificate's subject): never let it steer the terminal.
    print(_("{prog}: warning: {message}").format(prog=PROG, message=printable(message)), file=sys.stderr)


def resolve_workspace(value: str | None, *, clients: bool = True, check: bool = True) -> Path:
    """--workspace, else the last session's workspace, else ./mtls-workspace; refused when
    another user could have prepared or changed it (Workspace.refuse_untrusted), before any
    command reads or writes it. `clients=False`: for a command that reads clients only under the
    lock, which walks them; `check=False`: for one whose core walks the workspace first thing
    (`status`, `client list`: their client survey), so it is walked once, not twice."""
    if value is not None:
        if not value.strip():
            raise InputError(_("--workspace is empty: give a folder, e.g. --workspace ./mtls-workspace"))
        root = Path(value).expanduser().absolute()
    else:
        try:
            last = SessionStore().last()
        except SessionFileError as error:
            warn(str(error))
            last = None
        root = Path(last.workspace) if last else default_workspace()
    if check:
        Workspace(root).refuse_untrusted(clients=clients)
    return root


def read_secret_file(path: str) -> str:
    """The password on the first line of a file, without its line ending; a clear error if
    unreadable, empty or holding a control character. The one place a password is read from a
    file: a pipe gets PASSWORD_WAIT seconds ($MTLS_WIZARD_PASSWORD_WAIT), never forever.

    Only a final "\\n" or "\\r\\n" ends the line: str.splitlines() would also cut at Unicode
    separators (U+2028 and others) that may be part of a password.
    """
    shown = printable(path)
    try:
        # A pipe is fine (--p12-password-file <(pass show x)); /dev/zero or a huge file is not.
        text = read_limited(Path(path), pipes=True, wait=password_wait()).decode("utf-8")
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
    control = first_control_character(secret)
    if control:
        raise InputError(_("the password in {path} holds a control character ({character}): put only the password, "
                           "in printable characters, on the file's first line").format(path=shown, character=control))
    return secret


def password_wait() -> float:
    """How long a password pipe may take: $MTLS_WIZARD_PASSWORD_WAIT seconds, else the default."""
    value = os.environ.get(PASSWORD_WAIT_ENV, "")
    try:
        seconds = float(value) if value.strip() else PASSWORD_WAIT
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise InputError(_("{variable}={value}: give a number of seconds from 1 to 3600").format(variable=PASSWORD_WAIT_ENV, value=printable(value)))
    return seconds


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
        session = store.open(workspace)
    except SessionFileError as error:
        warn(str(error))
        session = store.with_workspace(Session(workspace=str(workspace)))
    for notice in store.notices:  # e.g. a progress file another user could have written
        warn(notice)
    return store, session


def save_session(store: SessionStore, session: Session) -> None:
    try:
        store.save(session)
    except WizardError as error:
        warn(_("the session could not be saved ({error}); the files are in place").format(error=error))


def state_word(state: str) -> str:
    """A client's state (wizard.clients.STATES) as a person reads it; --json keeps the English word."""
    from wizard.clients.registry import STATE_WORDS

    return _(STATE_WORDS[state]) if state in STATE_WORDS else state


def is_loopback_host(host: str) -> bool:
    """Only this machine can reach `host`: a loopback address (127.0.0.0/8, ::1, ::ffff:127.x) or localhost."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower().rstrip(".") == "localhost"
    return address.is_loopback or bool(getattr(address, "ipv4_mapped", None) and address.ipv4_mapped.is_loopback)  # type: ignore[union-attr]


def check_listen_address(host: str, public: bool) -> None:
    """A listener (practice, serve) stays on this machine unless --public says otherwise: 0.0.0.0, :: or
    any address or name but loopback lets other machines connect, so it needs --public, and
    then gets a warning."""
    if is_loopback_host(host):
        return
    if not public:
        raise InputError(_("--host {host} lets other machines connect to the practice load balancer: add --public to do that on purpose, "
                           "or leave --host out to listen on 127.0.0.1 only").format(host=printable(host)))
    warn(_("listening on {host}: other machines can connect to this practice load balancer; it is for practice, stop it when done").format(host=printable(host)))
