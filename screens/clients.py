"""The Clients page (from step 3 and the summary): every client with its days left and state,
issuing more (one or a batch, with progress), and revoking one after a confirmation that
says what the load balancer will and will not do.

The page reads the client certificates itself; issuing, renewing and revoking are the App's
work (`IssueRequested`, `RenewalRequested`, `RevocationRequested`)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Collapsible, DataTable, Input, Label, ProgressBar, Select, Static

from screens.base import ConfirmModal, WorkspacePage
from screens.download import P12, DownloadButton
from screens.footer import PageFooter
from screens.forms import FieldRow, first_failure, password_hint, split_names
from screens.long_table import LongTable, RowsDrawn
from wizard.i18n import N_, _
from wizard.safe_text import printable

if TYPE_CHECKING:
    from wizard.clients import ClientInfo, ClientOptions

STATE_STYLE = {"valid": "green", "expiring": "yellow", "expired": "red", "revoked": "red", "broken": "red", "old-ca": "red"}
# (label, CRL reason): the labels are translated where the choice is shown
REASON_CHOICES = [(N_("reason: not given"), "unspecified"), (N_("key compromised"), "keyCompromise"),
                  (N_("replaced by a new one"), "superseded"), (N_("no longer needed"), "cessationOfOperation")]
# Seconds of adding rows per turn of the event loop: thousands of clients fill the table in steps,
# the page answering keys and painting between them (a step stays well under the 50 ms stall budget).
FILL_SLICE = 0.015
FILL_PAUSE = 0.002  # seconds between slices
FILL_CHUNK = 200  # rows added to the table at once within a slice (the time is looked at between chunks)
# The worker hands the rows over as it reads them: a screenful first, so it paints at once, then larger batches.
FIRST_ROWS = 30
# Seconds after the page is mounted before the widgets under the table are, if no row has come by then.
BELOW_AFTER = 0.3
BELOW_STEP = 0.01  # seconds between the steps of mounting them
# Seconds the reading waits at most after its first batch for the page to be built.
BUILD_WAIT = 0.5
LATER_ROWS = 250
COLUMNS = (N_("Name"), N_("State"), N_("Expires"), N_("Days left"), N_("Serial"))
# the files as placeholders: a path ending a sentence would take the translation's full stop
REVOKE_EXPLAINED = N_(
    "This records {name} in {record} and signs a new {crl} and {serials}.\n\n"
    "ELB does NOT check CRLs: the load balancer itself will still let {name} in.\n"
    "What refuses {name}: a backend that loads {crl} (nginx: ssl_crl), or a backend that refuses the "
    "serial numbers in {serials} (forward them with the listener's client-certificate headers), "
    "or a new CA for every other client."
)
REVOKE_FILES = {"record": "ca/revoked.json", "crl": "ca/crl.pem", "serials": "ca/revoked-serials.txt"}


TableRow = tuple[str, tuple[Text, ...]]


def table_rows(entries: Iterable[ClientInfo]) -> list[TableRow]:
    """The clients' rows: each its name as the key, and the cells as Text (a str cell would be read
    as Rich markup). Made by the reading worker, so the page only adds them; each state's words are
    translated once for the batch, not once a row."""
    from wizard.clients import STATE_WORDS

    words = {state: _(text) for state, text in STATE_WORDS.items()}
    return [_table_row(entry, words) for entry in entries]


def _table_row(entry: ClientInfo, words: dict[str, str]) -> TableRow:
    style = STATE_STYLE.get(entry.state, "")
    serial = entry.serial[:16] + ("…" if len(entry.serial) > 16 else "")
    return entry.name, (Text(printable(entry.name)), Text(words.get(entry.state, entry.state), style=style),
                        Text(entry.not_after[:10]), Text(str(entry.days_left), style=style), Text(serial))


class ClientNames(Validator):
    def validate(self, value: str) -> ValidationResult:
        from wizard.clients import validate_client_names
        from wizard.errors import InputError

        if not value.strip():
            return self.success()
        try:
            validate_client_names(split_names(value))
        except InputError as error:
            return self.failure(str(error))
        return self.success()


class ClientsScreen(WorkspacePage):
    BINDINGS = [Binding("escape", "close", N_("Back"))]
    AUTO_FOCUS = "#clients-table"

    class Listed(Message):
        """The page's own worker read some of the client certificates: the list starts again with
        their `rows` (`first`) or goes on with them; once `done`, `problems` is what it could not read."""

        def __init__(self, reading: int, rows: list[TableRow], problems: list[str], *, first: bool, done: bool) -> None:
            super().__init__()
            self.reading, self.rows, self.problems, self.first, self.done = reading, rows, problems, first, done

    class IssueRequested(Message):
        """Issue named clients (a batch: with progress); `password` is every .p12's unless
        `options.random_passwords` (a Message shows no fields in Textual's log)."""

        def __init__(self, names: list[str], password: str, options: ClientOptions) -> None:
            super().__init__()
            self.names, self.password, self.options = names, password, options

    class RenewalRequested(Message):
        """A new key, certificate and .p12 (with `password`) for the client `name`."""

        def __init__(self, name: str, password: str) -> None:
            super().__init__()
            self.name, self.password = name, password

    class RevocationRequested(Message):
        """Revoke the client `name` (a CRL `reason`)."""

        def __init__(self, name: str, reason: str) -> None:
            super().__init__()
            self.name, self.reason = name, reason

    def compose(self) -> ComposeResult:
        self._built = threading.Event()  # set once the widgets under the table are mounted and drawn
        self.reload()  # reading starts as the page is built: its first rows are there as soon as it is
        self._below_started = self._below_mounted = False  # the widgets under the table
        with VerticalScroll(id="body", can_focus=False):
            yield Label(_("Clients: one certificate and .p12 for each person, partner or device"), classes="section")
            yield LongTable(id="clients-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="clients-problems", classes="note -warning", markup=False)
        with Horizontal(id="nav"):
            yield Static("", id="nav-hint", markup=False)
            yield Button(_("◀ Back"), id="back", compact=True)

    def _below_the_table(self, body: Widget) -> Iterator[tuple[Widget, list[Widget]]]:
        """The actions and the form under the table, a few at a time: (where, what), each appended
        after what is there, so nothing already on the screen moves under a pointer about to click it.
        Mounted (after the footer) once the first rows are drawn (styling some 40 widgets first
        held them back by as much again as the table and its frame), in steps that each hold up
        the event loop briefly; the choice list (a dozen widgets of its own) is a step by itself."""
        actions = Horizontal(Select([(_(label), value) for label, value in REASON_CHOICES], id="reason", allow_blank=False, compact=True),
                             classes="actions")
        yield body, [actions]
        yield actions, [Button(_("Revoke…"), id="revoke", variant="warning", compact=True),
                        Button(_("Renew…"), id="renew", compact=True),
                        DownloadButton(_("Download .p12…"), P12, id="download-p12")]  # in a browser only
        names = Input(id="names", compact=True, placeholder="alice bob partner-7", validators=[ClientNames()])
        yield body, [Label(_("Issue more clients"), classes="section"), FieldRow(_("Names"), names, note_id="names-note"),
                     Checkbox(_("a random password for each (saved beside its .p12, mode 0600)"), id="random", compact=True)]
        yield body, [FieldRow(_(".p12 password"), Input(id="password", password=True, compact=True)),
                     FieldRow(_("Confirm password"), Input(id="confirm", password=True, compact=True), note_id="password-note")]
        yield body, [Horizontal(Button(_("Issue"), id="issue", variant="primary", compact=True),
                                ProgressBar(id="progress", total=1, show_eta=False), classes="actions"),
                     Static("", id="actions-hint", classes="why-disabled", markup=False)]
        yield body, [Collapsible(Static(self._commands(), classes="commands", markup=False), title=_("Show the openssl commands"),
                                 classes="teach")]

    async def _mount_below(self, *, at_once: bool = False) -> None:
        """The widgets under the table; `at_once`, or a step per frame."""
        if self._below_started or not self.is_attached:
            return  # (a page composed again has a new body, and mounts them anew)
        self._below_started = True
        body = self.query_one("#body", VerticalScroll)
        await self.mount(PageFooter())  # (a widget per key: composed with the page, it held up the first rows by half)
        self.refresh_bindings()  # a Footer mounted after the page's keys were published shows them once they are again
        for parent, widgets in self._below_the_table(body):
            if not body.is_attached:
                return  # the page was left, or composed again (which mounts its own)
            await parent.mount_all(widgets)
            if not at_once:
                await asyncio.sleep(BELOW_STEP)  # the page draws what it has meanwhile
        if not body.is_attached:
            return
        self._below_mounted = True
        self.fit_menus()
        self.sync()
        self.call_after_refresh(self._built.set)

    def _commands(self) -> str:
        from wizard import teaching

        session = self.session
        return (teaching.client_commands("alice", org=session.org, key_type=session.client_key_type, legacy=session.p12_legacy)
                + "\n\n" + teaching.revoke_commands("alice"))

    def on_mount(self) -> None:
        self._columns()
        # the rest of the page once the first rows are drawn (_rows_drawn), or after a moment when they are slow to come
        self.set_timer(BELOW_AFTER, self._mount_below)

    async def recompose(self) -> None:
        """Composed again (a language switch): the widgets under the table at once, so that what the
        person typed there can be put back (screens.language)."""
        await super().recompose()
        await self._mount_below(at_once=True)

    def after_retranslate(self) -> None:
        self.on_mount()  # the table composed again is empty: its columns (compose asked for the list again)

    def _columns(self) -> LongTable:
        """The table, with its columns (the first rows may come before the page is mounted)."""
        table = self.query_one(LongTable)
        if not table.columns:
            table.add_columns(*(_(title) for title in COLUMNS))
        return table

    # -- the list -------------------------------------------------------------------------
    _readings = 0  # lists asked for: the batches of an older one are dropped
    _below_started = _below_mounted = False  # the widgets under the table (set again by each compose)

    def reload(self) -> None:
        self._readings += 1
        self._list(self.ws, self._readings, self._built)

    @work(thread=True, exclusive=True, group="clients-list", description="reading the client certificates")
    def _list(self, ws: Any, reading: int, built: threading.Event) -> None:
        """The list in batches: the first rows paint while thousands of others are still being read.
        After the first batch the reading waits (a moment at most) until the page is built: both
        at once take turns at Python's one lock, and building the page would hold up the event loop twice as long."""
        from textual.worker import get_current_worker

        from wizard.clients.registry import client_batches

        problems: list[str] = []
        first = True
        for batch in client_batches(ws, problems=problems, first=FIRST_ROWS, size=LATER_ROWS):
            if get_current_worker().is_cancelled:
                return  # a newer list was asked for
            if batch is None:  # refused on the way: no client is shown, only why
                first = True
                break
            self.post_message(self.Listed(reading, table_rows(batch), [], first=first, done=False))
            if first:
                built.wait(BUILD_WAIT)
            first = False
        self.post_message(self.Listed(reading, [], list(problems), first=first, done=True))

    _fills = 0  # lists shown so far: a fill goes on only while it is the newest
    _filling = False  # a fill is adding rows (or waits for its next slice)

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if message.reading != self._readings:
            return  # a newer list is on its way
        if message.first:
            self._columns().clear()
            self._fills += 1
            self._waiting: deque[TableRow] = deque()
            self._filling = False
        self._waiting.extend(message.rows)
        if message.done:
            problems = self.query_one("#clients-problems", Static)
            problems.update("\n".join(message.problems))
            problems.display = bool(message.problems)
        if not self._filling:
            self._filling = True
            self._fill_slice(self._fills)
        if message.first or message.done:
            self.sync()  # (not for every batch: sync updates notes, and each update lays out the whole page)

    def _fill_slice(self, fill: int) -> None:
        """Rows added for FILL_SLICE seconds, then the rest on a timer (call_later would not yield:
        the page's queue runs its messages back to back), so the page paints and answers keys
        between slices; a newer list stops an older fill."""
        if fill != self._fills:
            return
        waiting, table = self._waiting, self.query_one(LongTable)
        first_rows = not table.row_count and waiting
        slice_ends = time.perf_counter() + FILL_SLICE
        while waiting:
            table.append_rows([waiting.popleft() for _row in range(min(FILL_CHUNK, len(waiting)))])
            if time.perf_counter() > slice_ends and waiting:
                self.set_timer(FILL_PAUSE, lambda: self._fill_slice(fill), name="clients-fill")
                break
        else:
            self._filling = False  # the next batch starts a fill of its own
        if first_rows:
            self.sync()  # a row to revoke, renew or download: the buttons for it

    @on(RowsDrawn)
    def _rows_drawn(self) -> None:
        if not self._below_started:
            self.call_after_refresh(self._mount_below)  # the rest of the page, now that its first rows are seen

    def selected(self) -> str | None:
        table = self.query_one(LongTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    # -- state ------------------------------------------------------------------------------
    def sync(self) -> None:
        if not self._below_mounted:
            return
        busy = self.busy_with("clients") or self.busy_with("revoke")
        progress = self.query_one("#progress", ProgressBar)
        progress.display = bool(self.busy_with("clients"))
        done, total = self.work.clients_progress
        progress.update(total=max(total, 1), progress=done)
        reason = None if busy else self.why_not_issuable()
        self.query_one("#issue", Button).disabled = bool(busy) or reason is not None
        hint = self.query_one("#actions-hint", Static)
        hint.update(_("Issue: {reason}").format(reason=reason) if reason else (busy or ""))
        hint.display = bool(reason or busy)
        self.query_one("#revoke", Button).disabled = bool(busy) or self.selected() is None
        self.query_one("#renew", Button).disabled = bool(busy) or self.selected() is None
        download = self.query_one("#download-p12", DownloadButton)
        download.item, download.disabled = self.selected() or "", self.selected() is None
        names = self.query_one("#names", Input)
        self.set_note("names-note", first_failure(names.validate(names.value)) if names.value.strip() else None)
        random = self.query_one("#random", Checkbox).value
        for field in ("#password", "#confirm"):
            self.query_one(field, Input).disabled = random
        message, level = password_hint(self.query_one("#password", Input).value, self.query_one("#confirm", Input).value)
        untouched = not self.query_one("#password", Input).value
        self.set_note("password-note", None if random or untouched else message, level=level)
        if not busy and getattr(self, "_was_busy", False):
            self.reload()  # the batch or the revocation finished: show the files as they are now
        self._was_busy = bool(busy)

    def why_not_issuable(self) -> str | None:
        names = self.query_one("#names", Input)
        if not names.value.strip():
            return _("give one or more names")
        if first_failure(names.validate(names.value)):
            return _("fix the names")
        if not self.query_one("#random", Checkbox).value:
            message, level = password_hint(self.query_one("#password", Input).value, self.query_one("#confirm", Input).value)
            if level == "error":
                return message or _("type the .p12 password twice")
        return None

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(DataTable.RowHighlighted)
    def _changed(self) -> None:
        self.sync_soon()

    # -- actions -----------------------------------------------------------------------------
    @on(Button.Pressed, "#issue")
    def issue(self) -> None:
        from wizard.clients import ClientOptions

        reason = self.why_not_issuable()
        if reason:
            self.notify(reason, severity="error")
            return
        random = self.query_one("#random", Checkbox).value
        options = ClientOptions(days=self.session.client_days, legacy_p12=self.session.p12_legacy, random_passwords=random)
        names = split_names(self.query_one("#names", Input).value)
        password = self.query_one("#password", Input).value
        for field in ("#password", "#confirm", "#names"):
            self.query_one(field, Input).value = ""  # the worker holds the only copy of the password
        self.post_message(self.IssueRequested(names, password, options))

    @on(Button.Pressed, "#revoke")
    def revoke(self) -> None:
        name = self.selected()
        if name is None:
            return
        reason = str(self.query_one("#reason", Select).value)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(self.RevocationRequested(name, reason))

        self.app.push_screen(ConfirmModal(lambda: _("Revoke {name}?").format(name=name), lambda: _(REVOKE_EXPLAINED).format(name=name, **REVOKE_FILES),
                                          yes=lambda: _("Revoke"), no=lambda: _("Keep it")), answered)

    @on(Button.Pressed, "#renew")
    def renew(self) -> None:
        """The selected client anew (new key, certificate and .p12), with the password typed below."""
        name = self.selected()
        if name is None:
            return
        message, level = password_hint(self.query_one("#password", Input).value, self.query_one("#confirm", Input).value)
        if self.query_one("#random", Checkbox).value or level == "error":
            self.notify(_("Type the new .p12 password twice below (not a random one), then Renew…"), severity="error")
            return
        password = self.query_one("#password", Input).value

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                for field in ("#password", "#confirm"):
                    self.query_one(field, Input).value = ""  # the worker holds the only copy
                self.post_message(self.RenewalRequested(name, password))

        self.app.push_screen(ConfirmModal(lambda: _("Renew {name}?").format(name=name), lambda: _(
            "A new key and certificate from the same CA, and a new .p12 with the password you typed. The old files are "
            "kept in a backup folder; the listener needs nothing new. Hand the new .p12 to {name}.").format(name=name),
            yes=lambda: _("Renew"), no=lambda: _("Cancel")), answered)

    @on(Button.Pressed, "#back")
    def action_close(self) -> None:
        self.dismiss()
