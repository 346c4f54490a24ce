"""Finding text that was never marked for translation.

Under the pseudo-locale (MTLS_WIZARD_LANG=qps) every marked text comes out with accented
letters, so a plain-ASCII English word on a screen or in a message was not marked. What may
legitimately stay ASCII is allowed: technical words (ELB, openssl, TLS...), anything that
looks like a path, host, option, id or number, and the data a test put on the screen.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console

# Names, acronyms and key names that stay as they are in every language.
TECHNICAL = frozenset("""
ELB CA CAs TLS SSL mTLS HTTPS HTTP SNI PEM DER CSR CN SAN SANs RSA ECDSA EC AES SHA PBE MAC API SDK SSH IP IPv4 IPv6
DNS CRL CRLs OCSP SVG AK SK ID IDs PKCS UTF OSC JSON URL URLs PASS GUI TUI CLI SEC Huawei HuaweiCloud macOS Windows Linux
IE Java Keychain Firefox Chrome Safari Edge iOS Android curl openssl OpenSSL nginx Apache HAProxy Envoy Textual keytool
pk12util certutil NSS ssl_crl tls ctrl Ctrl Tab Enter Esc Escape PgUp PgDn Alt Shift Space F1 alt Backspace CBC GCM
DES MD5 X509 PKIX clientAuth serverAuth keyCertSign cRLSign digitalSignature keyEncipherment basicConstraints
keyUsage extendedKeyUsage subjectAltName nextUpdate thisUpdate AKI SKI ECDHE TERMINATED_HTTPS HTTPS_PROXY
REQUESTS_CA_BUNDLE ASCII OK esc
""".split())
_TOKEN_EDGES = "()[]{}<>,.;:!?\"'`…·▶◀✔✘✓✗*|“”‘’「」，。：；！？（）"
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def screen_text(app: Any) -> str:
    """What the app's current screen shows (with the screens beneath a modal), as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True,
                      color_system=None, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))  # noqa: SLF001
    return console.export_text()


def untranslated_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Plain English words in `text` that are neither technical nor data the test allowed."""
    allowed_words = {word.lower() for word in allowed}
    found: list[str] = []
    for token in text.split():
        word = token.strip(_TOKEN_EDGES)
        if len(word) < 2 or not _PLAIN_WORD.fullmatch(word):
            continue  # a path, host, option, id, number, a single letter, or not plain ASCII
        if word in TECHNICAL or word.lower() in allowed_words:
            continue
        found.append(word)
    return found
