"""The emulator's URL check matches `format: uri` as schemathesis reads the description (jsonschema-rs).

Agreement both ways: what the emulator accepts and echoes back is a valid response, and what
the description calls invalid is refused.
"""

from __future__ import annotations

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.emulator.validation import URI_PATTERN

FORMAT = jsonschema_rs.validator_for({"type": "string", "format": "uri"}, validate_formats=True)
PIECES = [*"ab1:/?#[]@!$&'()*+,;=%-._~ AFé\\", "%41", "http://", "[::1]", "data:", "//"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cat.png",
        "https://example.com/cat.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "http://[::1]:8080/a?b=c#d",
        "http://x/a b",
        "http://x/%zz",
        "urn:isbn:0451450523",
        "//example.com/x",
        "http://x/é",
    ],
)
def test_known_cases_agree(text: str) -> None:
    assert (URI_PATTERN.fullmatch(text) is not None) == FORMAT.is_valid(text)


@settings(max_examples=3000, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_random_strings_agree(text: str) -> None:
    assert (URI_PATTERN.fullmatch(text) is not None) == FORMAT.is_valid(text)
