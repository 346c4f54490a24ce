"""Shared fixtures: an isolated data dir for every test, a generated PKI, and a CLI runner."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.fake_elb_api import FakeElbApi
from support.ccm_setup import ccm  # noqa: F401 - the CCM stand-in, a fixture for the tests of a CA held in CCM
from support.openssl_chain import chain  # noqa: F401 - a fixture for the tests that bring their own CA

from wizard import i18n, steps
from wizard.session import Session
from wizard.workspace import Workspace

if TYPE_CHECKING:
    from wizard.elb import UploadResult

P12_PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English whatever this machine's locale (the CLI runs inherit it);
    the translation tests choose their language themselves."""
    monkeypatch.setenv("MTLS_WIZARD_LANG", "en")
    i18n.set_language(i18n.ENGLISH)
    yield
    i18n.set_language(i18n.ENGLISH)


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Sessions go to a fresh folder per test, never to the real user data dir."""
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("MTLS_WIZARD_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(data / "xdg"))
    monkeypatch.delenv("MTLS_WIZARD_P12_PASSWORD", raising=False)
    return data


def make_pki(root: Path, *, server_cn: str = "localhost", sans: tuple[str, ...] = ("127.0.0.1", "::1"), key_type: str = "ec-p256", **answers: object) -> Workspace:
    """A complete workspace (steps 1-3) under `root`; EC keys by default because they are fast."""
    ws = Workspace(root)
    session = Session(workspace=str(ws.root), server_cn=server_cn, server_sans=list(sans), ca_key_type=key_type, server_key_type=key_type, client_key_type=key_type)
    for name, value in answers.items():
        setattr(session, name, value)
    steps.generate(ws, session, P12_PASSWORD)
    return ws


@pytest.fixture(scope="session")
def pki_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One generated workspace for the whole run (CN localhost, SANs 127.0.0.1 and ::1). Do not modify it."""
    return make_pki(tmp_path_factory.mktemp("pki") / "workspace")


@pytest.fixture(autouse=True)
def _shared_workspaces_stay_as_made(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that runs `check` on a shared workspace records its verdict (and the SNI or address
    it used) in that workspace's progress.json, the wizard's truth: the next test must not inherit it."""
    yield
    for name in ("pki_workspace", "foreign_workspace"):
        if name in request.fixturenames:
            (request.getfixturevalue(name).root / "progress.json").unlink(missing_ok=True)


@pytest.fixture(scope="session")
def foreign_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A second, unrelated PKI (another CA) for wrong-CA and wrong-server-certificate cases."""
    return make_pki(tmp_path_factory.mktemp("foreign") / "workspace", org="Elsewhere")


CliRunner = Callable[..., subprocess.CompletedProcess]


def console_script() -> str:
    """The installed `mtls-wizard` command (what users run), beside this Python."""
    found = shutil.which("mtls-wizard", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.fail("the mtls-wizard console script is not installed: pip install '.[test]' first")
    return found


@pytest.fixture
def console_command() -> str:
    """The installed `mtls-wizard` command, for a test that runs it in the background."""
    return console_script()


@pytest.fixture
def cli(isolated_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    """Run the installed `mtls-wizard ARGS` as a real process, from a temporary working
    directory (never the source tree); returns the CompletedProcess (text)."""
    command = console_script()
    default_cwd = tmp_path_factory.mktemp("cwd")

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "MTLS_WIZARD_DATA_DIR": str(isolated_data_dir), **(env or {})}
        return subprocess.run(
            [command, *args],
            capture_output=True, text=True, env=full_env, input=input, timeout=timeout, cwd=cwd or default_cwd,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    return run


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# The ELB API stand-in (tests/support/fake_elb_api.py), shared by the CLI and the TUI upload tests.
ELB_AK = "AKTESTFAKE0001"
ELB_PROJECT = "0a1b2c3d4e5f"
ELB_REGION = "cn-north-4"
DEDICATED_LB, SHARED_LB, NO_L7_LB = "lb-dedicated", "lb-shared", "lb-no-l7"


def with_three_load_balancers(api: FakeElbApi) -> FakeElbApi:
    """A dedicated one, a shared one and a dedicated one without an application (L7) flavour."""
    api.add_load_balancer(DEDICATED_LB)
    api.add_load_balancer(SHARED_LB, shared=True)
    api.add_load_balancer(NO_L7_LB, l7_flavor_id=None)
    return api


@pytest.fixture
def sk() -> str:
    """A secret key unique to the test, so a leak anywhere can be searched for."""
    return "SK-" + secrets.token_hex(16)


@pytest.fixture
def api(sk: str) -> Iterator[FakeElbApi]:
    """The stand-in ELB API on 127.0.0.1, checking signatures made with `sk`."""
    with FakeElbApi(secret_key=sk, access_key=ELB_AK) as server:
        yield server


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch, sk: str) -> dict[str, str]:
    """AK/SK in the environment, and no proxy between the SDK and the stand-in on loopback."""
    from wizard import elb

    monkeypatch.setenv(elb.ENV_AK, ELB_AK)
    monkeypatch.setenv(elb.ENV_SK, sk)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")
    return {elb.ENV_AK: ELB_AK, elb.ENV_SK: sk}


@pytest.fixture
def credentials(cloud_env: dict[str, str]) -> None:
    """The SDK installed, AK/SK in the environment, and no proxy between it and the stand-in."""
    from wizard import elb

    if not elb.sdk_available():
        pytest.skip("the cloud extra (huaweicloudsdkelb) is not installed")


@pytest.fixture
def own_ws(tmp_path: Path) -> Workspace:
    """A workspace of the test's own (an upload records into its session)."""
    return make_pki(tmp_path / "ws")


def elb_session(ws: Workspace) -> Session:
    return Session(workspace=str(ws.root), server_cn="localhost", server_sans=["127.0.0.1", "::1"], server_key_type="ec-p256")


def upload_recorded(ws: Workspace, session: Session, api: FakeElbApi, **options: object) -> tuple[UploadResult, list[str]]:
    """Upload to the stand-in and record the outcome in `session`, as both faces do (a partial one too)."""
    from wizard import elb
    from wizard.record import record

    lines: list[str] = []
    kwargs = {"region": ELB_REGION, "project_id": ELB_PROJECT, "endpoint": api.endpoint, "log": lines.append, **options}
    try:
        result = elb.upload(ws, session, **kwargs)  # type: ignore[arg-type]
    except elb.UploadFailed as failure:
        record(session, failure.partial)
        raise
    record(session, result)
    return result, lines
