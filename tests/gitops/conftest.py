"""The agents project of tests/agent_kinds (an agent, a vault, a skill, an automation) on a served emulator."""

from tests.agent_kinds.test_cli import kinds_project

__all__ = ["kinds_project"]
