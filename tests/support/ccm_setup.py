"""Fixtures and helpers for the tests of a CA held in CCM: the stand-in API (fake_ccm_api) on
127.0.0.1, the target the SDK is pointed at, and a session with the wizard's answers.

The `ccm` fixture is made known to every test by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fake_ccm_api import FakeCcmApi

from wizard.ccm.api import CcmApi, CcmTarget
from wizard.ccm.authority import CaChoice
from wizard.elb import ENV_AK, ENV_SK
from wizard.session import Session

ACCOUNT = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"  # an account (domain) id: 32 hex digits, as the console shows one
PLACE = {"country": "CN", "state": "Beijing", "locality": "Beijing", "organizational_unit": "Operations"}
CREATE = CaChoice(create=True, accept_charges=True, place=PLACE)


@pytest.fixture
def ccm(cloud_env: dict[str, str]) -> Iterator[FakeCcmApi]:
    """The CCM stand-in, checking signatures made with the test's AK/SK (cloud_env puts them in the environment)."""
    with FakeCcmApi(secret_key=cloud_env[ENV_SK], access_key=cloud_env[ENV_AK], account=ACCOUNT) as api:
        yield api


def target(api: FakeCcmApi) -> CcmTarget:
    return CcmTarget("", ACCOUNT, api.endpoint)


def connect(api: FakeCcmApi, deadline: float = 30.0) -> CcmApi:
    return CcmApi.connect(target(api), timeout=(5.0, 10.0), deadline=deadline)


def ccm_session(root: Path, **answers: object) -> Session:
    """The wizard's answers for a quick workspace: CN localhost with 127.0.0.1, EC keys (fast)."""
    session = Session(workspace=str(root), server_cn="localhost", server_sans=["127.0.0.1"], ca_key_type="ec-p256",
                      server_key_type="ec-p256", client_key_type="ec-p256")
    for name, value in answers.items():
        setattr(session, name, value)
    return session


def cli_target(api: FakeCcmApi) -> list[str]:
    """The options that point a command at the stand-in."""
    return ["--account", ACCOUNT, "--endpoint", api.endpoint]
