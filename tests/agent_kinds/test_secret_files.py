"""A vault's `from_file:` names a regular file outside the project and nothing else (issue 25): never a
pseudo-file of the system (/proc/self/environ is the whole environment, /dev/stdin the input), a FIFO
(whose open blocked apply while it held the apply lock) or a socket. Each refusal is a diagnostic at the
spec's file:line, offline, before anything is read."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from orchestrator.emulator import EmulatorServer
from orchestrator.secret_sources import SecretSource, SecretUnavailable, resolve
from tests.conftest import TEST_KEY
from tests.support.processes import run_measured
from tests.support.projects import run_cli, write, write_spec

SENTINEL = "s3cr3t-SENTINEL-file-value-91c"
VAULT = """\
version: 1
kind: vault
name: crm
credentials:
  - name: crm-token
    revision: 1
    auth: {{type: static_bearer, mcp_server_url: "https://mcp.example.com", token: {{from_file: {path}}}}}
"""


@pytest.fixture
def vault_project(agents_project: Path) -> Path:
    write_spec(agents_project, "analyst")
    return agents_project


def with_source(root: Path, path: str) -> Path:
    write(root / "specs" / "crm.yaml", VAULT.format(path=path))
    return root


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/proc/self/environ", "is under /proc, a system pseudo-file"),
        ("/dev/stdin", "a system pseudo-file"),
        ("/sys/kernel/mm/transparent_hugepage/enabled", "is under /sys, a system pseudo-file"),
    ],
    ids=["proc-environ", "dev-stdin", "sys"],
)
def test_a_pseudo_file_is_refused_at_the_specs_line(vault_project: Path, path: str, fragment: str) -> None:
    with_source(vault_project, path)
    for command in (["validate"], ["diff"], ["apply", "--yes"]):
        result = run_cli(["-C", str(vault_project), *command])
        assert result.exit_code == 1, (command, result.output)
        assert "specs/crm.yaml:7" in result.stderr and fragment in result.stderr, result.stderr
        assert "Traceback" not in result.output and TEST_KEY not in result.output


def test_a_fifo_is_refused_without_blocking_apply(vault_project: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "outside" / "token.fifo"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with_source(vault_project, str(fifo))
    env = {"TEST_ORCHESTRATOR_KEY": TEST_KEY}
    result = run_measured(["-C", str(vault_project), "apply", "--yes"], timeout=30, env=env)
    assert result.exit_code == 1, result.output  # None: killed, blocked in open()
    assert result.seconds < 20
    assert "specs/crm.yaml:7" in result.stderr and "is a FIFO, not a regular file" in result.stderr
    assert "Traceback" not in result.output
    again = run_cli(["-C", str(vault_project), "diff"])  # the apply lock was not left held
    assert again.exit_code == 1 and "is a FIFO" in again.stderr


def test_a_socket_is_refused(vault_project: Path, tmp_path: Path) -> None:
    path = tmp_path / "outside" / "token.sock"
    path.parent.mkdir()
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        with_source(vault_project, str(path))
        result = run_cli(["-C", str(vault_project), "validate"])
    assert result.exit_code == 1 and "is a socket, not a regular file" in result.stderr


def test_a_regular_file_outside_the_project_is_applied_and_never_shown(
    vault_project: Path, tmp_path: Path, served: EmulatorServer
) -> None:
    secret = write(tmp_path / "outside" / "token", SENTINEL + "\n")
    with_source(vault_project, str(secret))
    applied = run_cli(["-C", str(vault_project), "apply", "--yes"])
    assert applied.exit_code == 0, applied.output
    assert "vault crm" in applied.stdout
    again = run_cli(["-C", str(vault_project), "diff"])
    assert again.exit_code == 0, again.output
    for text in (applied.output, again.output):
        assert SENTINEL not in text and TEST_KEY not in text


def test_a_file_swapped_for_a_fifo_after_validation_is_refused_when_read(tmp_path: Path) -> None:
    path = tmp_path / "token"
    os.mkfifo(path)  # validate saw a regular file; apply finds a FIFO: refused at once, never blocking
    with pytest.raises(SecretUnavailable, match="is a FIFO, not a regular file"):
        resolve(SecretSource(file=str(path)), {})
    link = tmp_path / "link"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(SecretUnavailable, match="system pseudo-file"):
        resolve(SecretSource(file=str(link)), {})
    big = write(tmp_path / "big", "x" * (64 * 1024 + 1))
    with pytest.raises(SecretUnavailable, match="larger than"):
        resolve(SecretSource(file=str(big)), {})
