"""Every value shown (plan views, render, saved plans, errors, events) passes one redactor that knows the
values of the variables the project names, in escaped forms too, and the passwords of target URLs; a key
that cannot be sent in a header is a configuration error before anything is sent."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from orchestrator.secrets import Redactor, url_secrets
from tests.support.live import owned_by, request_counts, reset_counts, snapshot, writes
from tests.support.projects import make_project, run_cli, run_in, write_spec, write_yaml
from tests.support.proxy import FailingProxy, error_body

# named by `api_key_env`, neither shaped like `sk-...` nor in a variable called *KEY*: only the project names it
CRED = 'SENTINEL/cred+0123="x'
CRED_PARTS = ("SENTINEL", "cred+0123", "cred%2B0123")


def secret_free(*texts: str) -> None:
    for text in texts:
        for part in CRED_PARTS:
            assert part not in text, text


def escaped_forms(value: str) -> list[str]:
    """How a secret shows up on its way out: as is, repr, JSON, JSON in JSON, bytes repr, percent-encoded."""
    return [
        value,
        repr(value),
        json.dumps(value),
        json.dumps(json.dumps(value)),
        repr(value.encode()),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        json.dumps({"e": repr(value)}),
    ]


# -- the redactor itself (pure) -----------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["abcdefSENTINEL\n", CRED, " padded SENTINEL\t", "päss wörd SENTINEL/é"])
def test_redactor_finds_every_escaped_form_of_a_secret(secret: str) -> None:
    redactor = Redactor().with_secrets([secret])
    for form in escaped_forms(secret):
        text = f"Illegal header value b'Bearer {form}' ({form})"
        shown = redactor.redact(text)
        assert "SENTINEL" not in shown, (form, shown)
        assert shown.startswith("Illegal header value b'Bearer ")


def test_redactor_hides_url_passwords_known_or_not() -> None:
    url = "http://bob:" + urllib.parse.quote("p@ss:SENTINEL/1", safe="") + "@127.0.0.1:9/v1"
    known = Redactor().with_secrets(url_secrets(url))
    basic = base64.b64encode(b"bob:p@ss:SENTINEL/1").decode()
    for text in (f"cannot reach {url}", "p@ss:SENTINEL/1", f"Authorization: Basic {basic}"):
        assert "SENTINEL" not in known.redact(text) and basic not in known.redact(text)
    assert Redactor().redact("see https://u:SENTINEL@h.example/x") == "see https://u:***@h.example/x"
    assert (
        Redactor().redact("http://127.0.0.1:8080/v1 and user@host")
        == "http://127.0.0.1:8080/v1 and user@host"
    )


def test_redactor_reads_only_what_it_is_given() -> None:
    environ = {
        "LLM_CRED": CRED,
        "GITHUB_TOKEN": "ghp_SENTINEL0123456789",
        "CACHE_KEY_PREFIX": "orchestrator",
        "SHORT_KEY": "abc",
        "HOME": "/root/SENTINEL",
    }
    guessed = Redactor.from_environment(environ)
    assert guessed.redact("ghp_SENTINEL0123456789") == "***"  # a *_TOKEN variable
    assert guessed.redact("orchestrator.owner abc") == "orchestrator.owner abc"  # plain words are not secrets
    assert CRED not in guessed.secrets  # LLM_CRED says nothing about secrets until the project names it
    named = guessed.with_variables(["LLM_CRED"], environ)
    assert named.redact(f"key {CRED}") == "key ***"


def test_redactor_redacts_inside_data_before_formatting() -> None:
    from orchestrator.engine.planning import Action, Change, FieldChange, Plan, Reason

    plan = Plan(
        "p",
        "dev",
        "main",
        "assistants",
        (
            Change(
                "assistant",
                "a",
                Action.UPDATE,
                Reason.DRIFT,
                id="asst_1",
                fields=(FieldChange("instructions", "x" * 95 + CRED, "ok"),),
                essence={"k": {CRED: [CRED]}},
            ),
        ),
    )
    redacted = Redactor().with_secrets([CRED]).redact_data(plan)
    assert redacted.changes[0].action is Action.UPDATE  # enums stay enums
    assert redacted.changes[0].fields[0].before == "x" * 95 + "***"
    assert redacted.changes[0].essence == {"k": {"***": ["***"]}}


# -- through the CLI, against the emulator ------------------------------------------------------------


@pytest.fixture
def cred_project(tmp_path: Path, served: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LLM_CRED", CRED)
    return make_project(tmp_path / "project", base_url=served.base_url, api_key_env="LLM_CRED")


def test_secret_in_specs_and_live_objects_never_shows_in_views_render_or_saved_plans(
    cred_project: Path, sdk: openai.OpenAI, tmp_path: Path
) -> None:
    cli = partial(run_in, cred_project)
    write_spec(cred_project, "helper")
    assert cli("apply", "--yes").exit_code == 0
    [live] = owned_by(sdk, "test-project/dev/helper")
    with warnings.catch_warnings():  # someone pasted the key into the live object, in several spellings
        warnings.simplefilter("ignore", DeprecationWarning)
        sdk.beta.assistants.update(
            live.id,
            instructions="\n".join(escaped_forms(CRED)),
            metadata={**live.metadata, "note": CRED[:60]},
        )
    write_spec(cred_project, "helper", instructions=f"Use the key {CRED} for the CRM.")  # and into the spec
    plan_file = tmp_path / "plan.json"
    events = tmp_path / "events.jsonl"
    results = [
        cli(*args)
        for args in (
            ["diff"],
            ["diff", "--output", "json"],
            ["diff", "--output", "markdown"],
            ["diff", "--out", str(plan_file)],
            ["render", "helper"],
            ["render", "helper", "--output", "json"],
            ["list"],
            ["diff", "--events", str(events)],
        )
    ]
    for result in results:
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output
        secret_free(result.stdout, result.stderr)
    shown = results[0]
    assert "Use the key *** for the CRM." in shown.stdout
    assert "warning: secret values" in shown.stderr and "saved as" not in shown.stderr
    assert "saved as ***: applying the saved plan would write *** in their place" in results[3].stderr
    assert "warning: secret values" in results[4].stderr
    json.loads(results[1].stdout)  # redaction keeps JSON valid
    secret_free(plan_file.read_text(encoding="utf-8"), events.read_text(encoding="utf-8"))
    applied = cli("apply", "--yes", "--events", str(events))  # the plan it prints is redacted too
    assert applied.exit_code == 0
    secret_free(applied.stdout, applied.stderr, events.read_text(encoding="utf-8"))


def test_a_secret_only_in_sync_is_not_shown_so_the_text_plan_does_not_warn_but_a_saved_plan_does(
    cred_project: Path, tmp_path: Path
) -> None:
    """In-sync objects are counted, never printed, by the text and markdown plans, and listed without what
    apply would send by the JSON and saved plans: the warning says what was shown (and saved) masked."""
    cli = partial(run_in, cred_project)
    write_spec(cred_project, "helper", instructions=f"Use the key {CRED} for the CRM.")
    assert cli("apply", "--yes").exit_code == 0
    plan_file = tmp_path / "plan.json"
    text, markdown, as_json, saved = (
        cli(*args)
        for args in (
            ["diff"],
            ["diff", "--output", "markdown"],
            ["diff", "--output", "json"],
            ["diff", "--out", str(plan_file)],
        )
    )
    for result in (text, markdown, as_json, saved):
        assert result.exit_code == 0, result.output
        secret_free(result.stdout, result.stderr)
    assert "No changes. 1 object in sync." in text.stdout
    assert "warning: secret values" not in text.stderr + markdown.stderr + as_json.stderr + saved.stderr
    assert json.loads(as_json.stdout)["changes"][0] == {
        "kind": "assistant",
        "name": "helper",
        "action": "noop",
        "id": json.loads(as_json.stdout)["changes"][0]["id"],
        "drift": False,
        "reason": "in_sync",
        "fields": [],
    }
    secret_free(plan_file.read_text(encoding="utf-8"))
    write_spec(cred_project, "helper", instructions=f"Use the key {CRED} for the ERP.")  # now it is shown
    text, as_json, saved = (
        cli(*args) for args in (["diff"], ["diff", "--output", "json"], ["diff", "--out", str(plan_file)])
    )
    for result in (text, as_json, saved):
        assert result.exit_code == 2, result.output
        secret_free(result.stdout, result.stderr)
        assert "warning: secret values" in result.stderr
    assert "Use the key *** for the ERP." in text.stdout and "saved as ***" in saved.stderr


def test_server_echoing_escaped_forms_of_the_key_is_redacted(
    cred_project: Path, root_url: str, tmp_path: Path
) -> None:
    def echo(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        token = headers.get("authorization", "").partition(" ")[2]
        return 401, error_body("Incorrect API key provided: " + " | ".join(escaped_forms(token)))

    events = tmp_path / "events.jsonl"
    write_spec(cred_project, "helper")
    with FailingProxy(root_url, echo) as proxy:
        make_project(cred_project, base_url=proxy.base_url, api_key_env="LLM_CRED")
        results = [
            run_in(cred_project, *args)
            for args in (
                ["diff"],
                ["list"],
                ["apply", "--yes", "--events", str(events)],
                ["destroy", "--yes"],
            )
        ]
    for result in results:
        assert result.exit_code == 1
        assert "Incorrect API key provided: ***" in result.stderr
        assert "Traceback" not in result.output
        secret_free(result.stdout, result.stderr)
    if events.exists():
        secret_free(events.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("sk-test-0123456789abcdefSENTINEL\n", "it ends with whitespace (a trailing newline"),
        ("sk-test-0123456789abcdefSENTINEL\r\n", "it ends with whitespace (a trailing newline"),
        (
            "SENTINEL-not-shaped-like-a-key\n",
            "it ends with whitespace (a trailing newline",
        ),  # was printed in full
        (" sk-test-0123456789abcdefSENTINEL", "it starts with whitespace"),
        ("sk-test-0123456789abcdéfSENTINEL", "character 23 of 32 is not ASCII"),
        ("sk-test-0123456789\x07abcdefSENTINEL", "character 19 of 33 is a control character"),
    ],
)
def test_key_that_is_not_a_header_value_is_a_configuration_error_before_anything_is_sent(
    project: Path, monkeypatch: pytest.MonkeyPatch, root_url: str, sdk: openai.OpenAI, key: str, problem: str
) -> None:
    monkeypatch.setenv("TEST_ORCHESTRATOR_KEY", key)
    write_spec(project, "helper")
    before = snapshot(sdk)
    reset_counts(root_url)
    for args in (["diff"], ["apply", "--yes"], ["list"], ["destroy", "--yes"]):
        started = time.monotonic()
        result = run_cli(["-C", str(project), *args])
        assert time.monotonic() - started < 10  # not a network fault retried with backoff
        assert result.exit_code == 1
        assert (
            "the API key in the environment variable TEST_ORCHESTRATOR_KEY (target `main`) cannot be sent "
            f"in an HTTP header: {problem}" in result.stderr
        )
        assert "Traceback" not in result.output and "SENTINEL" not in result.output
    assert request_counts(root_url)["total"] == 0 and snapshot(sdk) == before


def test_password_in_a_target_url_is_never_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root_url: str, served: Any
) -> None:
    monkeypatch.setenv("LLM_CRED", "sk-local-emulator")
    password = "pw-SENTINEL-" + urllib.parse.quote("c@t/1", safe="")
    events = tmp_path / "events.jsonl"
    plan_file = tmp_path / "plan.json"
    unreachable = make_project(
        tmp_path / "unreachable", base_url=f"http://bob:{password}@127.0.0.1:9/v1", api_key_env="LLM_CRED"
    )
    data = yaml.safe_load((unreachable / "orchestrator.yaml").read_text(encoding="utf-8"))
    data["targets"]["main"]["max_retries"] = 0  # the SDK's retries are tested elsewhere; keep this quick
    write_yaml(unreachable / "orchestrator.yaml", data)
    write_spec(unreachable, "helper")
    for args in (
        ["diff"],
        ["diff", "--output", "json"],
        ["list"],
        ["apply", "--yes", "--events", str(events)],
        ["diff", "--out", str(plan_file)],
    ):
        result = run_cli(["-C", str(unreachable), *args])
        assert result.exit_code == 1
        assert "cannot read live state of target main (http://bob:***@127.0.0.1:9/v1" in result.stderr
        assert "SENTINEL" not in result.output and "c%40t" not in result.output and "c@t" not in result.output
    for path in (events, plan_file):
        assert not path.exists() or "SENTINEL" not in path.read_text(encoding="utf-8")

    reachable = make_project(
        tmp_path / "reachable",
        base_url=served.base_url.replace("://", f"://bob:{password}@"),
        api_key_env="LLM_CRED",
    )
    write_spec(reachable, "helper", instructions=f"The password is {urllib.parse.unquote(password)}.")
    reset_counts(root_url)
    for args in (["diff"], ["diff", "--output", "markdown"], ["render", "helper"]):
        result = run_cli(["-C", str(reachable), *args])
        assert result.exit_code in (0, 2), result.output
        assert "The password is ***." in result.stdout
        assert "SENTINEL" not in result.output and "c@t" not in result.output
    assert writes(request_counts(root_url)) == 0
