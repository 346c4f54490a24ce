"""Workspace hygiene: a new workspace keeps itself out of git (its own .gitignore), and says so
when it lies inside a git work tree. Judged by real git."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import make_pki

from wizard import steps
from wizard.git_tree import GITIGNORE, work_tree_of
from wizard.session import Session
from wizard.workspace import Workspace


def git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git work tree with one committed file, as a checkout of this project would be."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "checkout"
    repo.mkdir()
    assert git(repo, "init", "-q").returncode == 0
    (repo / "README.md").write_text("a project\n")
    git(repo, "add", "README.md")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "start")
    return repo


def test_a_workspace_made_in_a_checkout_leaves_git_status_clean(checkout: Path) -> None:
    ws = make_pki(checkout / "mtls-workspace")
    assert git(checkout, "status", "--porcelain", "--untracked-files=all").stdout == ""  # ca.key and all: nothing to add
    assert git(checkout, "check-ignore", "-q", "mtls-workspace/ca/ca.key").returncode == 0
    gitignore = ws.root / GITIGNORE
    assert gitignore.read_text().splitlines()[0] == "*"
    assert stat.S_IMODE(gitignore.stat().st_mode) == 0o644
    assert git(checkout, "add", "-A").returncode == 0 and git(checkout, "diff", "--cached", "--name-only").stdout == ""


def test_the_first_step_says_the_workspace_lies_in_a_work_tree(checkout: Path) -> None:
    ws = Workspace(checkout / "deep" / "mtls-workspace")
    outcome = steps.create_ca(ws, Session(workspace=str(ws.root), ca_key_type="ec-p256"))
    said = [warning for warning in outcome.warnings if "git work tree" in warning]
    assert said == [f"the new workspace {ws.root} lies inside the git work tree {checkout}: its own .gitignore (*) keeps its keys "
                    "and certificates out of git"]
    again = steps.issue_server(ws, Session(workspace=str(ws.root), server_cn="localhost", server_key_type="ec-p256"))
    assert not any("git work tree" in warning for warning in again.warnings)  # said once, when it was made


def test_outside_a_work_tree_nothing_is_said_but_the_gitignore_is_there(tmp_path: Path) -> None:
    if work_tree_of(tmp_path) is not None:
        pytest.skip(f"{tmp_path} lies inside a git work tree here")
    ws = Workspace(tmp_path / "ws")
    outcome = steps.create_ca(ws, Session(workspace=str(ws.root), ca_key_type="ec-p256"))
    assert not any("git" in warning for warning in outcome.warnings)
    assert (ws.root / GITIGNORE).read_text().startswith("*\n")


def test_a_folder_that_already_holds_files_gets_no_gitignore(checkout: Path) -> None:
    """--workspace . in a project: its own files must not all be ignored by us."""
    ws = Workspace(checkout)
    outcome = steps.create_ca(ws, Session(workspace=str(ws.root), ca_key_type="ec-p256"))
    assert not (checkout / GITIGNORE).exists()
    assert not any("git work tree" in warning for warning in outcome.warnings)
    assert "ca/" in git(checkout, "status", "--porcelain").stdout  # git shows them: the person decides


def test_an_empty_folder_made_beforehand_counts_as_new(checkout: Path) -> None:
    (checkout / "ws").mkdir(mode=0o700)
    make_pki(checkout / "ws")
    assert (checkout / "ws" / GITIGNORE).is_file()
    assert git(checkout, "status", "--porcelain", "--untracked-files=all").stdout == ""
