"""watch --prune never deletes what a failed read could not see: a spec that cannot be read is not a deleted spec."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.support.projects import run_cli, write_spec
from tests.watch.conftest import live_by_spec

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_spec_replaced_by_a_fifo_is_an_error_not_a_deletion(
    project: Path, sdk: openai.OpenAI, start_watch: Any
) -> None:
    write_spec(project, "alpha")
    write_spec(project, "beta")
    watch = start_watch("--resync", "0", "--prune")
    watch.wait_for_cycles(1)
    assert set(live_by_spec(sdk)) == {"alpha", "beta"}
    beta = live_by_spec(sdk)["beta"].id

    spec = project / "specs" / "beta.yaml"
    spec.unlink()
    os.mkfifo(spec)
    cycles = watch.wait_for_cycles(2)
    assert "invalid, live state left untouched" in cycles[1], watch.output
    assert "specs/beta.yaml" in watch.output and "not a regular file" in watch.output
    assert live_by_spec(sdk)["beta"].id == beta, "a spec that cannot be read is not deleted"

    validate = run_cli(["-C", str(project), "validate"])
    assert validate.exit_code == 1 and "not a regular file" in validate.output  # the same verdict as watch
    assert watch.stop() == 0
    assert set(live_by_spec(sdk)) == {"alpha", "beta"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_apply_prune_with_a_spec_replaced_by_a_fifo_deletes_nothing(
    project: Path, sdk: openai.OpenAI
) -> None:
    write_spec(project, "alpha")
    write_spec(project, "beta")
    assert run_cli(["-C", str(project), "apply", "--yes"]).exit_code == 0
    spec = project / "specs" / "beta.yaml"
    spec.unlink()
    os.mkfifo(spec)
    result = run_cli(["-C", str(project), "apply", "--prune", "--yes"])
    assert result.exit_code == 1 and "not a regular file" in result.stderr, result.output
    assert set(live_by_spec(sdk)) == {"alpha", "beta"}
