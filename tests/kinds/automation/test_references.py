"""References as a typed value: a payload's target is a SessionTarget (names, resolved to ids by the client at
the call) and a live automation carries the names it resolved (LiveObject.references), never keys put into
the wire dicts. Pure: no SDK, no server."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.backends.automations import AutomationsMapping, SessionTarget
from orchestrator.engine.live import LiveObject, References, fingerprint
from orchestrator.errors import OrchestratorError

RAW: dict[str, Any] = {
    "id": "auto_1",
    "object": "agent.automation",
    "created_at": 1700000000,
    "name": "Daily digest",
    "type": "periodic",
    "status": "active",
    "expression": "0 7 * * *",
    "timezone": "Europe/Madrid",
    "metadata": {"orchestrator.owner": "p/dev/daily-digest"},
    "target": {
        "type": "new_session",
        "agent_id": "agent_1",
        "environment": {"type": "none"},
        "vault_ids": ["vault_1"],
        "input": [],
    },
}
REFS = References({"agent:analyst": "agent_1", "vault:crm": "vault_1", "agent:other": "agent_2"})
ESSENCE: dict[str, Any] = {
    "name": "Daily digest",
    "type": "periodic",
    "paused": False,
    "target": {"agent": "analyst", "environment": "tutor-env", "vaults": ["crm"], "input": "Go."},
    "metadata": {},
    "expression": "0 7 * * *",
    "timezone": "Europe/Madrid",
}


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        (References({"agent:analyst": "agent_1", "vault:crm": "vault_1"}), "947ab6de846093e5ecdb83be"),
        (References(), "8e1e29e8362aedb46e434100"),
        (None, "9d3e5413186b9e409b946ed6"),
    ],
)
def test_fingerprints_are_those_of_the_raw_dict_with_the_names_in_it(
    references: References | None, expected: str
) -> None:
    # the digests the code made when the names were a `_names` key of raw (saved plans hold them): the first
    # two are of {**RAW, "_names": ...}, the last of RAW alone (a kind that refers to nothing)
    assert fingerprint(LiveObject.from_raw(RAW, references)) == expected


def test_a_changed_reference_changes_the_fingerprint() -> None:
    moved = References({"agent:analyst": "agent_1", "vault:billing": "vault_1"})
    assert fingerprint(LiveObject.from_raw(RAW, moved)) != fingerprint(LiveObject.from_raw(RAW, REFS))


def test_the_payload_target_is_a_session_target_the_client_resolves() -> None:
    mapping = AutomationsMapping()
    payload = mapping.create_payload(ESSENCE, {"k": "v"})
    assert payload["target"] == SessionTarget("analyst", "tutor-env", ("crm",), "Go.")
    assert mapping.update_payload(ESSENCE, ["target"], {})["target"] == payload["target"]
    assert "target" not in mapping.update_payload(ESSENCE, ["paused"], {})
    refs = References({**REFS.ids, "environment:tutor-env": "envtpl_1"})
    assert payload["target"].resolve(refs) == {
        "type": "new_session",
        "agent_id": "agent_1",
        "environment": {"type": "openai_hosted", "environment_template_id": "envtpl_1"},
        "vault_ids": ["vault_1"],
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go."}]}],
    }
    without = SessionTarget("analyst", None, (), "").resolve(REFS)
    assert without["environment"] == {"type": "none"} and without["vault_ids"] == []


def test_a_name_with_no_live_object_is_an_error_at_the_call() -> None:
    with pytest.raises(OrchestratorError, match="the environment `tutor-env` an automation refers to has no"):
        SessionTarget.of(ESSENCE["target"]).resolve(REFS)


@pytest.mark.parametrize("target", [None, "analyst", ["analyst"], {"agent": "analyst"}])
def test_a_target_that_does_not_fit_fails_when_the_payload_is_built(target: Any) -> None:
    # apply builds every payload before it sends any (a hostile saved plan fails whole, before the first call)
    with pytest.raises((KeyError, TypeError)):
        AutomationsMapping().create_payload({**ESSENCE, "target": target}, {})


def test_the_live_essence_names_what_the_references_name() -> None:
    mapping = AutomationsMapping()
    named = mapping.live_essence(RAW, None, REFS.among([("agent", "agent_1"), ("vault", "vault_1")]))
    assert named["target"] == {"agent": "analyst", "environment": None, "vaults": ["crm"], "input": ""}
    # without references: the mapping's own (none here), so the ids show what is there
    assert mapping.live_essence(RAW)["target"]["agent"] == "agent_1"
    assert AutomationsMapping(REFS).live_essence(RAW)["target"]["agent"] == "analyst"


def test_names_put_into_the_wire_dict_are_not_read() -> None:
    # a server's answer cannot name what an automation targets: only the client's References do
    raw = {**RAW, "_names": {"agent:impostor": "agent_1"}}
    assert AutomationsMapping().live_essence(raw)["target"]["agent"] == "agent_1"
    assert AutomationsMapping().live_essence(raw, None, REFS)["target"]["agent"] == "analyst"


def test_among_keeps_only_what_one_object_points_at_in_order() -> None:
    picked = REFS.among([("vault", "vault_1"), ("agent", "agent_1"), ("environment", None)])
    assert list(picked.ids.items()) == [("agent:analyst", "agent_1"), ("vault:crm", "vault_1")]
    assert REFS.among([("vault", "agent_1")]).ids == {}  # the kind must match too
