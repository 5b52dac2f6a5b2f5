"""Fixtures shared with other folders."""

from tests.agent_kinds.test_cli import kinds_project

__all__ = ["kinds_project"]
