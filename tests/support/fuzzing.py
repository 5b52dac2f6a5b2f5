"""Hypothesis settings of the fuzz tests: a fixed, quick sample with the suite; FUZZ_EXAMPLES=2000 explores at random."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXPLORE = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int) -> settings:
    """`examples` drawn the same way every run, or FUZZ_EXAMPLES drawn at random when it is set."""
    return settings(
        max_examples=EXPLORE or examples,
        deadline=None,
        database=None,
        derandomize=not EXPLORE,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )
