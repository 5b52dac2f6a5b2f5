"""watch beside a behaviour test: the spec is reconciled, the test never deployed and never an error."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests.support.projects import write, write_spec
from tests.watch.conftest import WatchProcess, wait_until

pytestmark = pytest.mark.slow


def test_watch_deploys_the_spec_and_leaves_its_test_alone(project: Path, sdk: openai.OpenAI) -> None:
    write_spec(project, "analyst")
    write(
        project / "specs" / "analyst-test.yaml",
        """
        version: 1
        kind: test
        name: analyst-test
        spec: analyst
        cases:
          - name: echo
            turns:
              - user: hi
                model: [{reply: hello}]
                expect: [{reply: {equals: hello}}]
    """,
    )
    watch = WatchProcess(["-C", str(project), "--resync", "0"], cwd=project)
    try:
        [assistant] = wait_until(lambda: sdk.beta.assistants.list().data or None, what="assistant created")
        assert assistant.metadata["orchestrator.owner"].endswith("/analyst")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nwatch output:\n{watch.output}") from None
    finally:
        watch.stop()
    assert "error" not in watch.output.lower() and "Traceback" not in watch.output
    assert len(sdk.beta.assistants.list().data) == 1
