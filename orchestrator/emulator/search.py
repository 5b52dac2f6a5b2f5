"""Lexical search over file text: the ranking both `/search` endpoints and the model use.

Chunks: the text (UTF-8, undecodable bytes replaced) is split into paragraphs at blank lines;
paragraphs are packed into chunks of at most 800 words, and longer paragraphs are cut every 800
words. Tokens are the lowercase `\\w+` words. For the set Q of distinct query tokens and a chunk
with tokens T:

    score = (|Q ∩ T| + matches / len(T)) / (|Q| + 1)

where `matches` counts the chunk tokens that are in Q. Coverage of distinct query words
dominates, density breaks ties, and the score lies in [0, 1]. Chunks scoring 0 are dropped;
equal scores are ordered by file id, then chunk position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.emulator.errors import invalid

CHUNK_WORDS = 800
TOKEN = re.compile(r"\w+")
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")


@dataclass(frozen=True, slots=True)
class Chunk:
    file_id: str
    filename: str
    position: int
    text: str
    attributes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def split_into_chunks(text: str) -> list[str]:
    """Paragraphs packed into chunks of at most CHUNK_WORDS words."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        words = paragraph.split()
        if not words:
            continue
        if len(words) <= CHUNK_WORDS:
            pieces.append(paragraph.strip())
            continue
        pieces.extend(" ".join(words[i : i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS))
    chunks: list[str] = []
    current: list[str] = []
    current_words = 0
    for piece in pieces:
        count = len(piece.split())
        if current and current_words + count > CHUNK_WORDS:
            chunks.append("\n\n".join(current))
            current, current_words = [], 0
        current.append(piece)
        current_words += count
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def chunk_file(file_id: str, filename: str, data: bytes, attributes: Mapping[str, Any]) -> list[Chunk]:
    text = data.decode("utf-8", errors="replace")
    return [Chunk(file_id, filename, i, piece, attributes) for i, piece in enumerate(split_into_chunks(text))]


def score_chunk(query_tokens: set[str], chunk_text: str) -> float:
    tokens = tokenize(chunk_text)
    if not tokens or not query_tokens:
        return 0.0
    matches = sum(1 for token in tokens if token in query_tokens)
    covered = len(query_tokens.intersection(tokens))
    return round((covered + matches / len(tokens)) / (len(query_tokens) + 1), 6)


def rank(query: str | Sequence[str], chunks: Iterable[Chunk], *, threshold: float = 0.0) -> list[Hit]:
    text = query if isinstance(query, str) else " ".join(query)
    query_tokens = set(tokenize(text))
    hits = [Hit(chunk, score_chunk(query_tokens, chunk.text)) for chunk in chunks]
    kept = [hit for hit in hits if hit.score > 0 and hit.score >= threshold]
    return sorted(kept, key=lambda hit: (-hit.score, hit.chunk.file_id, hit.chunk.position))


def check_filter(value: Any, param: str = "filters") -> None:
    """Validate a ComparisonFilter or CompoundFilter, as the API does, with 400s naming the param."""
    if not isinstance(value, dict):
        raise invalid(f"Invalid type for '{param}': expected an object.", param)
    kind = value.get("type")
    if kind in ("and", "or"):
        unknown = set(value) - {"type", "filters"}
        if unknown:
            raise invalid(
                f"Unknown parameter: '{param}.{sorted(unknown)[0]}'.", f"{param}.{sorted(unknown)[0]}"
            )
        filters = value.get("filters")
        if not isinstance(filters, list):
            raise invalid(f"Invalid type for '{param}.filters': expected an array.", f"{param}.filters")
        for index, item in enumerate(filters):
            check_filter(item, f"{param}.filters[{index}]")
        return
    if kind not in COMPARISONS:
        raise invalid(f"Invalid value for '{param}.type'.", f"{param}.type", "invalid_value")
    unknown = set(value) - {"type", "key", "value"}
    if unknown:
        raise invalid(f"Unknown parameter: '{param}.{sorted(unknown)[0]}'.", f"{param}.{sorted(unknown)[0]}")
    if not isinstance(value.get("key"), str):
        raise invalid(f"Invalid type for '{param}.key': expected a string.", f"{param}.key")
    operand = value.get("value")
    scalar_ok = isinstance(operand, str | int | float) and not (
        isinstance(operand, float) and operand != operand
    )
    list_ok = isinstance(operand, list) and all(
        isinstance(item, str | int | float) and not isinstance(item, bool) for item in operand
    )
    if not (scalar_ok or list_ok):
        raise invalid(
            f"Invalid type for '{param}.value': expected a string, number, boolean or array.",
            f"{param}.value",
        )


def matches_filter(attributes: Mapping[str, Any], spec: Mapping[str, Any]) -> bool:
    kind = spec["type"]
    if kind == "and":
        return all(matches_filter(attributes, item) for item in spec["filters"])
    if kind == "or":
        return any(matches_filter(attributes, item) for item in spec["filters"])
    actual = attributes.get(spec["key"])
    expected = spec["value"]
    if kind == "in":
        return isinstance(expected, list) and actual in expected
    if kind == "nin":
        return isinstance(expected, list) and actual not in expected
    if kind == "eq":
        return actual == expected
    if kind == "ne":
        return actual != expected
    if actual is None or isinstance(actual, bool) != isinstance(expected, bool):
        return False
    try:
        return {
            "gt": actual > expected,
            "gte": actual >= expected,
            "lt": actual < expected,
            "lte": actual <= expected,
        }[kind]
    except TypeError:
        return False
