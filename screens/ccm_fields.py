"""Step 1's questions for a CA held in CCM Private CA: use a private CA of the account (its id) or
create a root CA (the country, state, locality and unit CCM requires of its name), and where CCM
is reached (region, account ID, optional endpoint: the rows of the ELB upload's dialog). The
credentials come only from the environment; the line below the fields names any variable that
is missing, before anything is sent."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from screens.forms import FieldRow, cloud_target_rows
from wizard.ccm.api import CcmTarget, check_endpoint
from wizard.ccm.authority import CaChoice
from wizard.ccm.profile import check_name
from wizard.elb.sdk import missing_credentials
from wizard.environment import ENV_AK, ENV_SK
from wizard.errors import InputError
from wizard.i18n import N_, _, ngettext

ACCOUNT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # an account (domain) id as the console shows it
# the parts of a root CA's name CCM requires besides O and CN: (input id, CCM field, label, longest)
PLACE = (("ccm-country", "country", N_("Country (C)"), 2), ("ccm-state", "state", N_("State (ST)"), 128),
         ("ccm-locality", "locality", N_("Locality (L)"), 128), ("ccm-unit", "organizational_unit", N_("Unit (OU)"), 64))


def credentials_line() -> str:
    missing = missing_credentials()
    if not missing:
        return _("Credentials come from {env_ak} and {env_sk}.").format(env_ak=ENV_AK, env_sk=ENV_SK)
    return ngettext("{names} is not set: set it in the environment and start the wizard again; nothing is sent without it",
                    "{names} are not set: set them in the environment and start the wizard again; nothing is sent without them",
                    len(missing)).format(names=" / ".join(missing))


class QuestionsMounted(Message):
    """CcmFields mounted its questions: the page holding it shows them as it shows everything else.
    (Declared beside the widget, as LongTable's RowsDrawn: the widget's news for whatever holds it.)"""


class CcmFields(Vertical):
    """Shown by step 1 while "CCM Private CA" is chosen; the page asks it for the choice and the target.

    Its questions (some 40 widgets) are made the first time they are wanted (`wanted`), not with
    the page: most CAs are made on this machine, and styling widgets nobody sees held up the opening
    of step 1. Until they are there, the answers read as empty."""

    def __init__(self, *, composed: bool = False, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.composed = composed  # the questions are (or are being) there
        self._mounting = False

    def compose(self) -> ComposeResult:
        if self.composed:
            yield from self._questions()

    def _questions(self) -> list[Widget]:
        modes = [(_("use an existing private CA"), "use"), (_("create a root CA (billed)"), "create")]
        place = [FieldRow(_(label), Input("CN" if input_id == "ccm-country" else "", id=input_id, compact=True))
                 for input_id, _field, label, _longest in PLACE]
        return [
            Static(_("CCM keeps the CA's key and signs through its API: the wizard writes ca/ca.crt (exported from CCM) "
                     "and ca/issuer.json, and no ca/ca.key. A private CA is billed from the moment it exists."),
                   classes="hint", markup=False),
            FieldRow(_("In CCM"), Select(modes, id="ccm-mode", value="use", allow_blank=False, compact=True)),
            FieldRow(_("Private CA id"), Input(id="ccm-ca-id", compact=True), id="ccm-ca-row"),
            Vertical(*place, id="ccm-place"),
            *cloud_target_rows(_("Account ID"), "ccm-account", prefix="ccm-"),
            Static("", id="ccm-credentials", classes="hint", markup=False),
        ]

    def wanted(self) -> bool:
        """Whether the questions are there to read; if not, they are mounted now and QuestionsMounted follows."""
        if self.composed and not self._mounting:
            return True
        if not self.composed:
            self.composed = self._mounting = True
            self.call_later(self._mount_questions)
        return False

    async def _mount_questions(self) -> None:
        if not self.is_attached:
            return  # the page was left meanwhile
        await self.mount_all(self._questions())
        self._mounting = False
        self.post_message(QuestionsMounted())

    def value(self, field_id: str) -> str:
        if not self.wanted():
            return ""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def creating(self) -> bool:
        return self.wanted() and self.query_one("#ccm-mode", Select).value == "create"

    def sync(self) -> str | None:
        """The rows of the chosen way and the credentials line; why the CA cannot be made or used yet."""
        if not self.wanted():
            return self.problem()  # (for the moment the questions take to be mounted)
        creating = self.creating()
        self.query_one("#ccm-ca-row").display = not creating
        self.query_one("#ccm-place").display = creating
        credentials = self.query_one("#ccm-credentials", Static)
        credentials.update(credentials_line())
        credentials.set_class(bool(missing_credentials()), "-error")
        return self.problem()

    def problem(self) -> str | None:
        """The first answer to fix, in one line (the credentials first: nothing is sent without them)."""
        if missing_credentials():
            return credentials_line()
        try:
            self._check()
        except InputError as error:
            return str(error)
        return None

    def _check(self) -> None:
        if self.creating():
            place = self.place()
            country = place["country"]
            if len(country) != 2 or not country.isascii() or not country.isalpha():
                raise InputError(_("give the two-letter country code in Country (C), e.g. CN"))
            for _input_id, field, label, longest in PLACE[1:]:
                if not place[field]:
                    raise InputError(_("CCM requires a root CA's country, state, locality and unit: fill in {field}").format(field=_(label)))
                check_name(place[field], _(label), limit=longest)
        elif not self.value("ccm-ca-id"):
            raise InputError(_("give the Private CA id (the CCM console lists the account's private CAs)"))
        if not ACCOUNT.fullmatch(self.value("ccm-account")):
            raise InputError(_("give the Account ID (My Credentials in the console shows it): CCM takes the account, not a project id"))
        if not self.value("ccm-region") and not self.value("ccm-endpoint"):
            raise InputError(_("give the Region (e.g. cn-north-4) or the Endpoint of CCM"))
        try:
            check_endpoint(self.value("ccm-endpoint"))
        except InputError:
            raise InputError(_("the Endpoint: give an https:// URL (plain http only to this machine, 127.0.0.1 or ::1)")) from None

    def place(self) -> dict[str, str]:
        return {field: self.value(input_id).upper() if field == "country" else self.value(input_id) for input_id, field, _label, _n in PLACE}

    def choice(self, *, accept_charges: bool = False) -> CaChoice:
        if self.creating():
            return CaChoice(create=True, accept_charges=accept_charges, place=self.place())
        return CaChoice(ca_id=self.value("ccm-ca-id"))

    def target(self) -> CcmTarget:
        return CcmTarget(self.value("ccm-region"), self.value("ccm-account"), check_endpoint(self.value("ccm-endpoint")))
