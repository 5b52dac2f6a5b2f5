"""The one user-error type: the CLI prints its message and exits 1."""

from __future__ import annotations


class OrchestratorError(Exception):
    """An error the user can act on (bad flag value, unknown spec, unreachable target)."""
