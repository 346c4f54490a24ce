"""Step 7: prove the listener demands a client certificate, accepts ours and refuses strangers.

Three attempts against one address, each a real TLS connection followed by `HEAD /`
(what `curl -I` sends; a `GET` follows within the same deadline where the answer to `HEAD`
cannot tell a refusal from something else: a 400 without its page, a close without an answer):

1. with the workspace's client certificate   -> must be accepted (an HTTP answer arrives);
2. without a client certificate               -> must be rejected;
3. with a throwaway certificate from a foreign CA (made in memory) -> must be rejected.

A refusal is a TLS-level one or nginx's (ELB's) own 400 page; an application's 400/401/403
after TLS let the client in is not. Nothing is sent to a server whose certificate did not
verify (unless --insecure).

The parts:
- `names`: addresses and server names as typed (no sockets);
- `model`: what is recorded and concluded (Observation, Evidence, Attempt, Verdict);
- `material`: the workspace's certificates, the foreign identity, the server certificate's facts;
- `client` and `wire`: the TLS client on pyOpenSSL and one attempt on the wire, within a deadline;
- `diagnosis` (with its texts in `findings`): a pure function from the evidence to a verdict;
- `runner`: prepare / execute / probe, the three attempts in order.

`probe`, `prepare`, `execute` and `foreign_identity_pem` load the TLS library on first use, so
validating an address (the TUI does it as you type) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wizard.errors import WizardError
from wizard.handshake.model import (
    FOREIGN_CERT, LABELS, WITH_CERT, WITHOUT_CERT, Attempt, Evidence, Observation, ServerCertificate, Verdict, outcome_text,
    status_text,
)
from wizard.handshake.names import format_address, parse_address
from wizard.i18n import _

if TYPE_CHECKING:  # pragma: no cover - what the lazy names below resolve to
    from wizard.handshake.material import foreign_identity_pem
    from wizard.handshake.runner import Plan, execute, prepare, probe

_LAZY = {
    "probe": "wizard.handshake.runner", "prepare": "wizard.handshake.runner", "execute": "wizard.handshake.runner",
    "Plan": "wizard.handshake.runner", "foreign_identity_pem": "wizard.handshake.material",
}

__all__ = [
    "FOREIGN_CERT", "LABELS", "WITH_CERT", "WITHOUT_CERT", "Attempt", "Evidence", "Observation", "Plan",
    "ServerCertificate", "Verdict", "execute", "foreign_identity_pem", "format_address", "parse_address",
    "outcome_text", "prepare", "probe", "status_text",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wizard.handshake' has no attribute {name!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        if error.name not in ("OpenSSL", "cryptography"):
            raise
        package = "pyOpenSSL" if error.name == "OpenSSL" else error.name
        raise WizardError(_("the handshake test needs {package}, which is not installed here: reinstall mtls-wizard (pip install mtls-wizard) "
                            "or pip install 'pyOpenSSL>=26.3'").format(package=package)) from None
