"""Conformance of the emulator to OpenAI's OpenAPI description (assistants, files, vector stores,
threads, messages, runs and run steps).

Runs the schemathesis CLI (examples, coverage and fuzzing phases; positive and negative data)
against a live emulator. The description's own `x-errata` are already folded into the file.
Where the description contradicts the real API or the SDK, the contradiction is patched into a
temporary copy of the description here, each with its reason; checks are never switched off.

The description has no links, so schemathesis cannot make the threads, messages and runs the
/threads operations act on: the test makes them first (a thread per purpose, so a DELETE or a
cancel does not starve the others) and names them per operation in a schemathesis config file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from orchestrator.emulator import EmulatorServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBSET = REPO_ROOT.parent / "shared" / "reference" / "openai-openapi-subset.json"
CHECKS = (
    "not_a_server_error,status_code_conformance,response_schema_conformance,"
    "content_type_conformance,negative_data_rejection"
)
PATHS = r"^/(assistants|files|vector_stores|threads)"
OPERATIONS = 44
API_KEY = "sk-conformance-key"


@dataclass(frozen=True, slots=True)
class Deviation:
    where: str
    reason: str
    patch: Callable[[dict[str, Any]], None]


def add_evals_purpose(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["OpenAIFile"]["properties"]["purpose"]["enum"].append("evals")


def add_binary_content(spec: dict[str, Any]) -> None:
    content = spec["paths"]["/files/{file_id}/content"]["get"]["responses"]["200"]["content"]
    content["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}


def allow_null_expires_after(spec: dict[str, Any]) -> None:
    prop = spec["components"]["schemas"]["UpdateVectorStoreRequest"]["properties"]["expires_after"]
    spec["components"]["schemas"]["UpdateVectorStoreRequest"]["properties"]["expires_after"] = {
        "anyOf": [prop["allOf"][0], {"type": "null"}]
    }


def add_unknown_assistant_404(spec: dict[str, Any]) -> None:
    responses = spec["paths"]["/threads/runs"]["post"]["responses"]
    responses["404"] = spec["paths"]["/threads/{thread_id}/runs"]["post"]["responses"]["404"]


# The one list of places where the description disagrees with the real API and the SDK.
DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "OpenAIFile.purpose",
        "CreateFileRequest accepts purpose 'evals' and the API returns the purpose it was given, but the "
        "response enum (and the SDK's FileObject.purpose Literal) omits 'evals'.",
        add_evals_purpose,
    ),
    Deviation(
        "GET /files/{file_id}/content",
        "The API returns the raw file bytes (application/octet-stream; the SDK reads them as binary), "
        "while the description declares application/json with a string schema.",
        add_binary_content,
    ),
    Deviation(
        "UpdateVectorStoreRequest.expires_after",
        "The API and the SDK (VectorStoreUpdateParams.expires_after: Optional) take null to remove the "
        "expiration, and the description means the same with `allOf: [$ref, {nullable: true}]`; but "
        "`nullable` is not an OpenAPI 3.1 keyword, so read literally the description rejects null.",
        allow_null_expires_after,
    ),
    Deviation(
        "POST /threads/runs",
        "An assistant_id that names no assistant answers 404 (NotFoundError in the SDK), as it does on "
        "POST /threads/{thread_id}/runs, where the description lists 404; x-errata add 404 only where "
        "the path names an object, and this path names none.",
        add_unknown_assistant_404,
    ),
)


CPYTHON_AST_BUG = "AST constructor recursion depth mismatch"


def tool_crashed(output: str) -> bool:
    """A run that ended in schemathesis runtime errors only, with no check failing."""
    return "Runtime Error" in output and "Failures:" not in output


def make_thread_objects(base_url: str) -> dict[str, dict[str, str]]:
    """The objects each /threads operation acts on, as schemathesis parameters by operation name."""
    sdk = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0)
    threads = sdk.beta.threads
    assistant = sdk.beta.assistants.create(model="gpt-4o-mini").id

    def thread_saying(text: str) -> str:
        return threads.create(messages=[{"role": "user", "content": text}]).id

    read = thread_saying("hello")
    message = threads.messages.list(read).data[0].id
    doomed_message = threads.messages.create(read, role="user", content="delete me").id
    run = threads.runs.create_and_poll(thread_id=read, assistant_id=assistant, poll_interval_ms=25)
    step = threads.runs.steps.list(run.id, thread_id=read).data[0].id
    tools = thread_saying("/call lookup {}")
    waiting = threads.runs.create_and_poll(thread_id=tools, assistant_id=assistant, poll_interval_ms=25)
    assert waiting.status == "requires_action"
    slow = thread_saying("/slow 3600000")
    active = threads.runs.create(thread_id=slow, assistant_id=assistant).id
    on_read = {"path.thread_id": read}
    on_run = {**on_read, "path.run_id": run.id}
    return {
        "POST /threads/runs": {"body.assistant_id": assistant},
        "GET /threads/{thread_id}": on_read,
        "POST /threads/{thread_id}": on_read,
        "DELETE /threads/{thread_id}": {"path.thread_id": threads.create().id},
        "GET /threads/{thread_id}/messages": on_read,
        "POST /threads/{thread_id}/messages": on_read,
        "GET /threads/{thread_id}/messages/{message_id}": {**on_read, "path.message_id": message},
        "POST /threads/{thread_id}/messages/{message_id}": {**on_read, "path.message_id": message},
        "DELETE /threads/{thread_id}/messages/{message_id}": {**on_read, "path.message_id": doomed_message},
        "GET /threads/{thread_id}/runs": on_read,
        "POST /threads/{thread_id}/runs": {
            "path.thread_id": thread_saying("hello"),
            "body.assistant_id": assistant,
        },
        "GET /threads/{thread_id}/runs/{run_id}": on_run,
        "POST /threads/{thread_id}/runs/{run_id}": on_run,
        "POST /threads/{thread_id}/runs/{run_id}/cancel": {"path.thread_id": slow, "path.run_id": active},
        "GET /threads/{thread_id}/runs/{run_id}/steps": on_run,
        "GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}": {**on_run, "path.step_id": step},
        "POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs": {
            "path.thread_id": tools,
            "path.run_id": waiting.id,
        },
    }


def write_config(target: Path, parameters: dict[str, dict[str, str]]) -> Path:
    """A schemathesis.toml with fixed parameters per operation (JSON strings are TOML strings)."""
    blocks = []
    for name, values in parameters.items():
        pairs = ", ".join(f"{json.dumps(key)} = {json.dumps(value)}" for key, value in values.items())
        blocks.append(f"[[operations]]\ninclude-name = {json.dumps(name)}\nparameters = {{ {pairs} }}\n")
    target.write_text("\n".join(blocks), encoding="utf-8")
    return target


def write_patched_description(target: Path) -> Path:
    spec = json.loads(SUBSET.read_text(encoding="utf-8"))
    for deviation in DEVIATIONS:
        deviation.patch(spec)
    target.write_text(json.dumps(spec), encoding="utf-8")
    return target


@pytest.mark.slow
@pytest.mark.skipif(not SUBSET.exists(), reason=f"OpenAPI subset not found at {SUBSET}")
def test_emulator_conforms_to_the_openapi_description(tmp_path: Path) -> None:
    description = write_patched_description(tmp_path / "openapi.json")
    with EmulatorServer(tmp_path / "conformance.db", api_key=API_KEY) as server:
        config = write_config(tmp_path / "schemathesis.toml", make_thread_objects(server.base_url))
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            str(description),
            "--url",
            server.base_url,
            "-H",
            f"Authorization: Bearer {API_KEY}",
            "-H",
            "OpenAI-Beta: assistants=v2",
            "--checks",
            CHECKS,
            "--include-path-regex",
            PATHS,
            "--mode",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "20",
            "--seed",
            "20260826",
            "--generation-database",
            "none",
            "--workers",
            "2",
            "--continue-on-failure",
            "--no-color",
            "--request-timeout",
            "10",
        ]
        seed = command.index("--seed") + 1
        workers = command.index("--workers") + 1
        for attempt in range(3):
            # a crash inside the test generator (seen: CPython's "AST constructor recursion depth
            # mismatch" from hypothesis) is schemathesis's own error, not a finding: run again, with
            # another seed, since the same seed walks into the same crash (seen with the lowest deps),
            # and in one worker: the AST constructor's recursion count is shared by the interpreter's
            # threads, so two workers parsing lambdas' source at once can trip it
            command[seed] = str(20260826 + attempt)
            command[workers] = "2" if attempt == 0 else "1"
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path
            )
            if not tool_crashed(result.stdout):
                break
    report = result.stdout[-12000:] + result.stderr[-2000:]
    if tool_crashed(result.stdout) and CPYTHON_AST_BUG in result.stdout:
        # every seed walked into CPython's SystemError (python/cpython#106905: the AST constructor's
        # recursion count, hit when hypothesis parses a lambda's source deep in its stack): the tool
        # stopped before any check ran, so there is no finding either way
        pytest.skip(f"schemathesis crashed in all 3 runs on CPython's {CPYTHON_AST_BUG!r}")
    assert f"Selected: {OPERATIONS}/{OPERATIONS}" in result.stdout, report
    assert result.returncode == 0, report
