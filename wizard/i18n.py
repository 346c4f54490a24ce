"""Translations: gettext catalogs shipped in wizard/locale, one language per process (the TUI
may switch it), English as the fallback for every string.

Mark a text with `_()` where it is built (never at import: the language may change while
the wizard runs), or with `N_()` where a constant is defined and translate it where it is
shown. Placeholders are named (`_("{name} is revoked").format(name=...)`) so a translation
may reorder them. Babel extracts and compiles the catalogs (see README, "Translating").
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping
from pathlib import Path

from wizard.environment import LANGUAGE_ENV

DOMAIN = "mtls_wizard"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
CHINESE = "zh_CN"
# code -> the language's own name (how the choice is shown, in any language)
LANGUAGES: dict[str, str] = {ENGLISH: "English", CHINESE: "简体中文"}
# code -> the language's name in a sentence of the current language ("Show the wizard in English");
# filled at the end of this module, with N_
LANGUAGE_WORDS: dict[str, str] = {}
# A pseudo-locale for finding what is not marked for translation: every marked text is shown
# with accented letters, so plain English left on a screen or in a message was never marked.
PSEUDO = "qps"
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX order: the first one set decides

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "áƀçđéƒĝĥíĵķĺṁñóṗʠŕšţúṽŵẋýžÁƁÇĐÉƑĜĤÍĴĶĹṀÑÓṖꝖŔŠŢÚṼŴẊÝŽ"
# placeholders, markup and escapes keep their letters: the text must still format and render
_KEEP = re.compile(r"\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z]|\[[^\[\]]*\]|\\.")


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return pseudo(singular if n == 1 else plural)


def pseudo(text: str) -> str:
    table = str.maketrans(_PLAIN, _ACCENTED)
    parts, last = [], 0
    for match in _KEEP.finditer(text):
        parts += [text[last:match.start()].translate(table), match.group(0)]
        last = match.end()
    parts.append(text[last:].translate(table))
    return "".join(parts)


def normalise(value: str | None) -> str | None:
    """A language code as we name it ("zh_CN", "en"), from a locale-like value; None if unknown.

    zh_CN.UTF-8, zh-CN, zh_Hans, zh and zh_SG all read as simplified Chinese; zh_TW and zh_HK
    (traditional characters) do not."""
    if not value:
        return None
    text = value.strip().split(".", 1)[0].split("@", 1)[0].replace("-", "_")
    lowered = text.lower()
    if lowered == PSEUDO:
        return PSEUDO
    if lowered in ("c", "posix", "en") or lowered.startswith("en_"):
        return ENGLISH
    if lowered in ("zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn"):
        return CHINESE
    return None


def choose_language(requested: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The language to use: `requested` (--lang), else $MTLS_WIZARD_LANG, else the locale
    variables as gettext reads them (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG); English when
    none names a language we have. As in GNU gettext, a "C" locale ignores LANGUAGE."""
    env = os.environ if environ is None else environ
    for explicit in (requested, env.get(LANGUAGE_ENV)):
        chosen = normalise(explicit)
        if chosen:
            return chosen
    locale_value = next((env[name] for name in _LOCALE_VARIABLES if env.get(name)), "")
    if normalise(locale_value) == ENGLISH and locale_value.split(".", 1)[0].upper() in ("C", "POSIX"):
        return ENGLISH
    for entry in env.get("LANGUAGE", "").split(":"):
        chosen = normalise(entry)
        if chosen:
            return chosen
    return normalise(locale_value) or ENGLISH


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def set_language(language: str) -> str:
    """Use `language` from now on (an unknown one or a missing catalog: English); returns it."""
    global _translations, _language
    chosen = normalise(language) or ENGLISH
    translations: gettext.NullTranslations = gettext.NullTranslations()
    if chosen == PSEUDO:
        translations = PseudoTranslations()
    elif chosen != ENGLISH:
        try:
            with catalog_path(chosen).open("rb") as catalog:
                translations = gettext.GNUTranslations(catalog)
        except OSError:
            chosen = ENGLISH  # a damaged install: say everything in English rather than fail
    _translations, _language = translations, chosen
    return chosen


def use_translations(translations: gettext.NullTranslations, language: str) -> None:
    """Install a translations object directly (tests: the pseudo-locale)."""
    global _translations, _language
    _translations, _language = translations, language


def current_language() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the current language (the English text itself where no translation exists)."""
    if not message:
        return message  # gettext("") is the catalog's header, never a text to show
    return _translations.gettext(message) or message


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations.ngettext(singular, plural, count) or (singular if count == 1 else plural)


def N_(message: str) -> str:  # noqa: N802 - the conventional name the extractor looks for
    """Mark `message` for the catalog without translating it now (a constant, shown later via `_`)."""
    return message


class Said(str):
    """A text said in the current language that keeps its message id and values, so that it can
    be kept as data (`to_data`) and said again in whatever language is current then (`said_again`).

    It is a `str` in every other respect: printed, formatted, joined, compared, dumped as JSON.
    Made with the message marked for the catalog: `Said(N_("TLS alert: {alert}"), alert=name)`.
    """

    msgid: str
    values: dict[str, object]

    def __new__(cls, msgid: str, **values: object) -> Said:
        text = _(msgid).format(**values) if values else _(msgid)
        said = super().__new__(cls, text)
        said.msgid, said.values = msgid, values
        return said

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # A copy (copy.deepcopy, dataclasses.asdict, pickle) keeps what it was made from.
        return _remade, (self.msgid, self.values)

    def to_data(self) -> dict[str, object]:
        return {"said": self.msgid, "values": {name: said_data(value) for name, value in self.values.items()}}


def _remade(msgid: str, values: dict[str, object]) -> Said:
    return Said(msgid, **values)


def said_data(value: object) -> object:
    """A value as JSON data: a Said as its message id and values, anything else as it is."""
    return value.to_data() if isinstance(value, Said) else value


def said_again(data: object) -> object:
    """What `said_data` kept, said again in the current language (a Said, or the value as it was)."""
    if isinstance(data, dict) and isinstance(data.get("said"), str) and isinstance(data.get("values"), dict):
        return Said(data["said"], **{str(name): said_again(value) for name, value in data["values"].items()})
    return data


LANGUAGE_WORDS.update({ENGLISH: N_("English"), CHINESE: N_("Simplified Chinese")})
