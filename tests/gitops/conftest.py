"""The agents project of tests/agent_kinds (an agent, a vault, a skill, an automation) on a served emulator;
two environments with a long template (test_comment), for the comment's tests of plans and test reports."""

from tests.agent_kinds.test_cli import kinds_project
from tests.gitops.test_comment import two_environments

__all__ = ["kinds_project", "two_environments"]
