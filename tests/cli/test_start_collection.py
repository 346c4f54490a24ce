"""Python's collector is off while the command line starts (imports and parsing allocate much and
free almost nothing) and on while a command runs; main leaves it as it found it."""

from __future__ import annotations

import gc
from types import SimpleNamespace

import pytest

import wizard.cli
from wizard.cli import parser


@pytest.mark.parametrize("outcome", ["returns", "raises"])
def test_a_command_runs_with_the_collector_on_and_main_puts_it_back(monkeypatch: pytest.MonkeyPatch, outcome: str) -> None:
    seen: dict[str, bool] = {}

    def handler(_args: object) -> int:
        seen["running"] = gc.isenabled()
        if outcome == "raises":
            raise wizard.cli.WizardError("refused")
        return 0

    def parse(_arguments: list[str]) -> SimpleNamespace:
        seen["parsing"] = gc.isenabled()
        return SimpleNamespace(workspace=None, handler=handler)

    monkeypatch.setattr(parser, "parse_arguments", parse)
    assert gc.isenabled()
    code = wizard.cli.main(["status"])
    assert seen == {"parsing": False, "running": True}
    assert code == (0 if outcome == "returns" else 1) and gc.isenabled()


def test_main_leaves_a_collector_it_found_off_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "parse_arguments", lambda _arguments: SimpleNamespace(workspace=None, handler=lambda _args: 0))
    gc.disable()
    try:
        wizard.cli.main(["status"])
        assert not gc.isenabled()
    finally:
        gc.enable()
