"""`check --backend-echo`: read the backend kit's echo location through the real listener.

After the three attempts, two more requests go through the listener to the backend, each a new
connection with the same client certificate as the first attempt (the --client's), made by the
same TLS client (`wire.run_attempt`) and each bounded by --timeout:

- plain: `GET /.well-known/mtls-wizard/echo`: the echo says which client-certificate headers the
  backend received (wizard.backend.echo), or the kit refuses with its 403 and reason;
- forged: the same request carrying made-up X-Forwarded-Clientcert-serialnumber and -fingerprint
  headers (under ELB's names and every alias the workspace's kits read): a listener that forwards
  the headers replaces them, so the backend must receive our real serial, or refuse.

Nothing is judged here (`echo_verdict` does that). The header names come from the workspace's
kit record (`backend-kits.json`): the echo lists headers under the names its kit reads.
"""

from __future__ import annotations

import time

from OpenSSL import SSL

from wizard.backend.denylist import minimal_serial
from wizard.backend.echo import ECHO_PATH
from wizard.backend.kits import read_kit_record
from wizard.elb.headers import FORWARDABLE_FIELDS
from wizard.errors import WizardError
from wizard.handshake.model import ClientFacts, EchoEvidence
from wizard.handshake.wire import Request, Target, run_attempt
from wizard.workspace import Workspace

PLAIN, FORGED = "plain", "forged"
# Made-up values no CA of ours issues ("0BADC0DE", "0DEC0DED" repeated): easy to spot in a backend's logs.
FORGED_SERIAL = "0BADC0DE" * 4
FORGED_FINGERPRINT = "0dec0ded" * 5  # the length of a SHA-1 fingerprint, as ELB forwards it
OTHER_FORGED_SERIAL = "0DEFACED" * 4  # should our own serial ever be the one above


def _default_header(field: str) -> str:
    return FORWARDABLE_FIELDS[field][0].lower()


def echo_evidence(ws: Workspace, client: ClientFacts) -> EchoEvidence:
    """What the echo requests will look for: the header names (ELB's and the recorded kits' aliases)
    and the made-up values the forged request carries. An unreadable kit record leaves ELB's names."""
    serials, fingerprints = [_default_header("serialnumber")], [_default_header("fingerprint")]
    try:
        kits = read_kit_record(ws)
    except WizardError:
        kits = []
    for kit in kits:
        serials.append(kit.header("serialnumber") or "")
        fingerprints.append(kit.header("fingerprint") or "")
    forged = FORGED_SERIAL if minimal_serial(FORGED_SERIAL) != minimal_serial(client.serial or "1") else OTHER_FORGED_SERIAL
    return EchoEvidence(serial_headers=[h for h in dict.fromkeys(serials) if h],
                        fingerprint_headers=[h for h in dict.fromkeys(fingerprints) if h],
                        forged_serial=forged, forged_fingerprint=FORGED_FINGERPRINT)


def forged_headers(evidence: EchoEvidence) -> tuple[tuple[str, str], ...]:
    """The forged request's extra headers: the made-up serial and fingerprint under every name."""
    return tuple([(name, evidence.forged_serial) for name in evidence.serial_headers]
                 + [(name, evidence.forged_fingerprint) for name in evidence.fingerprint_headers])


def read_echo(context: SSL.Context, target: Target, evidence: EchoEvidence, timeout: float) -> None:
    """Make the plain and the forged request (each within `timeout`) and record what came back."""
    requests = {
        PLAIN: Request("GET", target.host_header, ECHO_PATH, whole_body=True),
        FORGED: Request("GET", target.host_header, ECHO_PATH, forged_headers(evidence), whole_body=True),
    }
    for name, request in requests.items():
        evidence.observations[name] = run_attempt(context, target, deadline=time.monotonic() + timeout, request=request)


__all__ = ["FORGED", "FORGED_FINGERPRINT", "FORGED_SERIAL", "PLAIN", "echo_evidence", "forged_headers", "read_echo"]
