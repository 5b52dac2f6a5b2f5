"""Questions about a target's backend, each asked in one place: which kinds it has (the kind registry)
and what its wire protocol does (constants and spec.capabilities). Pure: no server, no SDK."""

from __future__ import annotations

import pytest

from orchestrator import kind_registry
from orchestrator.constants import AGENTS_BACKEND, ASSISTANTS_BACKEND
from orchestrator.spec.capabilities import cites_files, has_spend_limit

BACKENDS = (ASSISTANTS_BACKEND, AGENTS_BACKEND)


def test_the_target_kind_of_each_backend() -> None:
    assert kind_registry.primary_on(AGENTS_BACKEND).name == "agent"
    assert kind_registry.primary_on(ASSISTANTS_BACKEND).name == "assistant"


@pytest.mark.parametrize("backend", BACKENDS)
def test_deploys_agrees_with_the_kinds_on_a_backend(backend: str) -> None:
    on = {d.name for d in kind_registry.on_backend(backend)}
    for defined in kind_registry.definitions():
        assert kind_registry.deploys(backend, defined.name) == (defined.name in on)
    assert not kind_registry.deploys(backend, "no-such-kind")


def test_knowledge_stores_only_on_assistants_vaults_only_on_agents() -> None:
    assert kind_registry.deploys(ASSISTANTS_BACKEND, "vector_store")
    assert not kind_registry.deploys(AGENTS_BACKEND, "vector_store")
    assert kind_registry.deploys(AGENTS_BACKEND, "vault")
    assert not kind_registry.deploys(ASSISTANTS_BACKEND, "vault")


def test_protocol_capabilities() -> None:
    assert has_spend_limit(AGENTS_BACKEND) and not has_spend_limit(ASSISTANTS_BACKEND)
    assert cites_files(ASSISTANTS_BACKEND) and not cites_files(AGENTS_BACKEND)
