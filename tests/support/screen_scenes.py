"""The stable scenes the screen tests share (the English and Chinese snapshots, the language
tests): a fake home shown as ~, a frozen clock and serial numbers, one fixed RSA key (RSA
signatures are deterministic) for every certificate, a recorded verdict, and the ways a test
reaches a page with the cursor still."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from support.pilot_helpers import SIZE, resume, start, tables_shown

from wizard import pki, steps
from wizard.app import WizardApp
from wizard.record import record
from wizard.session import Session, SessionStore
from wizard.workspace import Workspace

__all__ = ["FIXED_KEY_PEM", "FROZEN_NOW", "PASS_VERDICT", "SIZE", "clients_page", "home", "no_blink", "prepare",
           "resume_then", "settle", "still", "with_clients"]

# A test-only key, used for all three certificates so the screens show the same bytes every run.
FIXED_KEY_PEM = """-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDKNwLRr/rwGrD1
U3kpsPK2eNxgZ8i5KUVOgY28D1eDJW2xaTAChL4KTsQQtC2Qm8e1og7LDevZ84UA
dWEFrs/4j8yVIKQrbXANe+5DpJIJ2Ab6CbkK+m8MMiVIxB34PQ6o67h/RgRl9KRf
A6uidBFIrxBUZwhYHdbKrm+V3rWtdxk58mXGYt2w/QQ/Kkh2Nev3eGfRPHbHz52Q
6oFwu55is7byYj2Hz+cz602t18QBkF2aZc/GQNheoixMfDd+A3ukUokWWjKO8paV
ChAe+hrITXMvgFb9ssWCYPYhm7PF4LL4XZ+i/39Ep03GYC6g2LUjhL84NhijkKNU
w74xo98PAgMBAAECggEAREZJoeHQkKP6boJ2DNENSfXJtpUkDPx1xZlxcPcfHY0U
GcwBpUALaDCK+3bSUZp/VgC3DPEQ2mBh3jNDhGcvGeX3dbx1IaKMLElVO6qDkmZJ
iL+ipiXDO7NsqkJpOgjne7pG61YJIyF0JA55s1qMAWX2VgEJrLK6dGlsDIaLAdtz
ZMcUPsk5R0nDQFpae24j0ZTZ+zuj8byfCTL38/RTxoCGo1x5ByxLUD95Xm5H8VKw
kEt4ctf41kGV+fPcROipWOKRK+LJ2sUUW38s3m4aI5guMKyQbp7rngFE+7coYI3t
+O4eYbp0dhSK3p2+uwfxLtV7LxssiE9cFgus8OfYWQKBgQD+WC3hj4LMkD1YiO5I
Fl5aXE1bjhKm4sB0JjT4jVAPMH8RWDabxZhb2fZZCTI3UEXwcdBMM6M6fN17zzPR
0au1uslQfraebDTDK12p1WGHqbuJ1OyWgiMcRjpFjb3Nb2kX7tN/fLBdSaQlH7IS
qpXuTcH/+sJ3afZPb7pReEywOQKBgQDLh/eJcICblWPbMOQbAmse9RslKJZTDT0b
LVV3l9ciS8+TYzzw2ztcxF46sM9hQRz11q2+ObrE8WwoiDqw1ISizID6LqXd2VLK
dQ6ox+j8hPXibOxTSJam55Ssb5tgCG27G+kbJc7H04PAlszGhPXm4+/g87dfTxyH
rJq9wSh5hwKBgDeCSSkkJ/i7Nhg/cjmbYCY6ZMupexqe/D+dIwxn0uQtwl2nsetX
OYQ6UpBl+GaoB0uNm1c2Idae77uYogeVyfLUfCEsNnDmzrEVotBw+GMiQQK4zJWg
e0ctcIRDhfvy563IerIlJVyGuOM9QqDeR/CFWeSi9pQXNSFrEe+74IjJAoGBAMXw
6RwAjwNBCcltxhpCgt2rsQe1bmU9NdWNhFZ4FKFlK26DEAyKmjQBQkdAF5/VDI5G
h9i+GldZGEBfJP0+4fPWggVOgr+8kNkXePdK3NthkCTym+/vY5zVEnGVZX3DFLzp
Sw68+Vq76aHOxz62ptQzj+KuBAOsU+nbQu8SwQNXAoGAaTc3nwFBHzfP/6JSroMC
o3HmOeAXnYqdCB/GWV2cWJUoF7Ampo1lUdqbOjDY4MpWBrp6mrdZBS4hqTZtaplJ
m9TTNa/Dthsuu1flyzf+DBVf5R14WTlVn7Ne7OsFMJHNmYbKjqCRZ1NRKC/FBWqj
dbRaAMF7vRGodGpihyuHGYg=
-----END PRIVATE KEY-----"""
FROZEN_NOW = dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.timezone.utc)

PASS_VERDICT: dict[str, Any] = {
    "status": "pass", "passed": True,
    "summary": "PASS: 192.0.2.10:443 demands a client certificate, accepts ours and refuses strangers",
    "diagnosis": [], "address": "192.0.2.10:443", "sni": "www.example.com",
    "attempts": [
        {"name": "with_client_cert", "label": "with our client certificate", "outcome": "accepted", "detail": "HTTP/1.1 200 OK", "ok": True},
        {"name": "without_client_cert", "label": "without a client certificate", "outcome": "rejected", "detail": "TLS alert: certificate required", "ok": True},
        {"name": "foreign_client_cert", "label": "with a foreign CA's certificate", "outcome": "rejected", "detail": "TLS alert: unknown CA", "ok": True},
    ],
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake home (the screens show ~/...), a frozen clock and fixed serial numbers."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    monkeypatch.setattr("wizard.pki.issue.utc_now", lambda: FROZEN_NOW)
    monkeypatch.setattr("wizard.pki.utc_now", lambda: FROZEN_NOW)
    serials = itertools.count(0x5EED0001)
    monkeypatch.setattr("cryptography.x509.random_serial_number", lambda: next(serials))
    import screens.summary

    monkeypatch.setattr(screens.summary, "now", lambda: FROZEN_NOW)
    return home


def prepare(home: Path, step: int, *, done_upto: int | None = None, **answers: Any) -> Workspace:
    """A workspace whose steps 1..done_upto are finished, and a session standing at `step`."""
    done_upto = step - 1 if done_upto is None else done_upto
    ws = Workspace(home / "mtls-workspace")
    key = pki.load_key_pem(FIXED_KEY_PEM.encode())
    session = Session(workspace=str(ws.root), server_cn="www.example.com", server_sans=["192.0.2.10"])
    if done_upto >= 1:
        record(session, steps.create_ca(ws, session, key=key))
    if done_upto >= 2:
        record(session, steps.issue_server(ws, session, key=key))
    if done_upto >= 3:
        record(session, steps.issue_client(ws, session, "snapshot-password", key=key))
    for later in range(4, done_upto + 1):
        session.mark_done(later)
    if done_upto >= 6:
        session.lb_address, session.lb_port = "192.0.2.10", 443
    if done_upto >= 7:
        session.last_verdict = PASS_VERDICT
    for name, value in answers.items():
        setattr(session, name, value)
    session.current_step = step
    SessionStore().save(session)
    return ws


def no_blink(app: WizardApp) -> None:
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


def resume_then(step: int, *keys: str):  # noqa: ANN201
    """run_before: continue from the welcome screen, open `step`, then press `keys`, with the cursor still."""

    async def run_before(pilot) -> None:  # noqa: ANN001
        await resume(pilot, step)
        await settle(pilot)
        no_blink(pilot.app)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)  # what the keys opened (a confirmation, a list) is at rest
        no_blink(pilot.app)

    return run_before


async def settle(pilot) -> None:  # noqa: ANN001
    await tables_shown(pilot)


async def still(pilot) -> None:  # noqa: ANN001
    """run_before: the welcome page, once it has read its folder, with the cursor still."""
    await start(pilot)  # the welcome page has read its folder
    no_blink(pilot.app)


def with_clients(root: Path) -> None:
    """Steps 1-3 done, two named clients, one of them revoked."""
    from wizard import clients

    ws = prepare(root, 3, done_upto=3)
    clients.issue_clients(ws, ["alice", "partner-7"], "snapshot-password", clients.ClientOptions(key_type="ec-p256"))
    clients.revoke(ws, "partner-7", "keyCompromise")


async def clients_page(pilot) -> None:  # noqa: ANN001
    """run_before: the Clients page, from step 3, with its list read."""
    await resume_then(3)(pilot)
    pilot.app.action_clients()
    await pilot.pause()
    await settle(pilot)
    no_blink(pilot.app)
