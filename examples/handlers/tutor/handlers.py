"""The spanish-tutor's functions: deterministic, offline Python (no network, no randomness).

generate_exercise   builds exercises from the built-in bank (tutor/bank.py) by topic, level and kind
assess_pronunciation scores what a speech recogniser heard against the expected sentence
"""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from typing import Any

from tutor.bank import ALIASES, BANK, LEVELS, Item

HINT = re.compile(r"^\s*\([^)]*\)")
PUNCTUATION = set(string.punctuation) | set("¿¡«»“”\u2018\u2019…—\u2013")


def generate_exercise(topic: str, level: str, kind: str, count: int) -> dict[str, Any]:
    """`count` exercises on `topic`, closest to `level` first; kind: fill_in_the_blank, translation, multiple_choice."""
    key = find_topic(topic)
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    if kind not in ("fill_in_the_blank", "translation", "multiple_choice"):
        raise ValueError(f"unknown kind {kind!r}; use fill_in_the_blank, translation or multiple_choice")
    if count < 1:
        raise ValueError("count must be at least 1")
    items = pick_items(BANK[key], level, count)
    exercises = [build_exercise(index, item, kind) for index, item in enumerate(items, start=1)]
    result: dict[str, Any] = {"topic": key, "level": level, "kind": kind, "exercises": exercises}
    if len(exercises) < count:
        result["note"] = f"only {len(exercises)} exercises are available for {key}"
    return result


def find_topic(topic: str) -> str:
    wanted = fold(topic).replace("-", " ").replace("_", " ").strip()
    for key in BANK:
        if wanted == key.replace("_", " "):
            return key
    if wanted in ALIASES:
        return ALIASES[wanted]
    close = difflib.get_close_matches(
        wanted, [k.replace("_", " ") for k in BANK] + list(ALIASES), n=1, cutoff=0.7
    )
    if close:
        return ALIASES.get(close[0], close[0].replace(" ", "_"))
    raise ValueError(f"no exercises for topic {topic!r}; topics: {', '.join(sorted(BANK))}")


def pick_items(items: tuple[Item, ...], level: str, count: int) -> list[Item]:
    """The items nearest the learner's level (easier before harder at equal distance), in bank order."""
    rank = LEVELS.index(level)

    def distance(item: Item) -> tuple[int, int]:
        gap = LEVELS.index(item.level) - rank
        return (abs(gap), 0 if gap <= 0 else 1)

    ordered = sorted(range(len(items)), key=lambda i: (*distance(items[i]), i))
    return [items[i] for i in ordered[:count]]


def build_exercise(number: int, item: Item, kind: str) -> dict[str, Any]:
    full = full_sentence(item)
    exercise: dict[str, Any] = {"number": number, "level": item.level}
    if kind == "fill_in_the_blank":
        exercise.update(prompt=item.sentence, answer=item.answer)
    elif kind == "translation":
        exercise.update(prompt=f"Translate into Spanish: {item.english}", answer=full)
    else:
        options = [item.answer, *item.distractors]
        shift = number % len(options)  # deterministic, but the answer is not always first
        options = options[shift:] + options[:shift]
        exercise.update(prompt=item.sentence, options=options, answer=item.answer)
    exercise.update(rule=item.rule, translation=item.english)
    return exercise


def full_sentence(item: Item) -> str:
    """The sentence with the blank filled and the hint in parentheses removed."""
    head, _, tail = item.sentence.partition("___")
    return head + item.answer + HINT.sub("", tail, count=1)


def assess_pronunciation(expected_text: str, transcript: str) -> dict[str, Any]:
    """Score 0-100 of the transcript against the expected text, with feedback for each word."""
    expected = words(expected_text)
    heard = words(transcript)
    if not expected:
        raise ValueError("expected_text has no words")
    matcher = difflib.SequenceMatcher(a=expected, b=heard, autojunk=False)
    feedback: list[dict[str, Any]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            feedback.extend({"word": w, "status": "ok"} for w in expected[a1:a2])
            continue
        wanted, got = expected[a1:a2], heard[b1:b2]
        for offset in range(max(len(wanted), len(got))):
            word = wanted[offset] if offset < len(wanted) else None
            said = got[offset] if offset < len(got) else None
            feedback.append(word_feedback(word, said))
    exact = sum(1 for f in feedback if f["status"] == "ok")
    partial = sum(f.get("similarity", 0.0) for f in feedback if f["status"] == "mispronounced")
    extra = sum(1 for f in feedback if f["status"] == "extra")
    score = round(100 * (exact + 0.5 * partial) / (len(expected) + extra))
    return {
        "score": score,
        "rating": rating(score),
        "words_expected": len(expected),
        "words_correct": exact,
        "feedback": feedback,
        "tips": sorted({f["tip"] for f in feedback if "tip" in f}),
    }


def word_feedback(word: str | None, said: str | None) -> dict[str, Any]:
    if word is None:
        return {"word": said, "status": "extra"}
    if said is None:
        return {"word": word, "status": "missing"}
    similarity = round(difflib.SequenceMatcher(a=word, b=said).ratio(), 2)
    entry: dict[str, Any] = {"word": word, "heard": said, "status": "mispronounced", "similarity": similarity}
    tip = sound_tip(word, said)
    if tip:
        entry["tip"] = tip
    return entry


def sound_tip(word: str, said: str) -> str | None:
    if "rr" in word and "rr" not in said:
        return "trill the double r (rr), as in perro"
    if "ñ" in word and "ñ" not in said:
        return "ñ sounds like the ny in canyon"
    if "j" in word and "j" not in said:
        return "j is a strong, throaty h, as in jamón"
    if "ll" in word and "ll" not in said and "y" not in said:
        return "ll sounds like the y in yes"
    return None


def rating(score: int) -> str:
    if score >= 90:
        return "excellent"
    if score >= 75:
        return "good"
    if score >= 50:
        return "fair"
    return "needs practice"


def fold(text: str) -> str:
    """Lower case without accents and diaeresis, keeping ñ (it is a different letter)."""
    kept = []
    for char in text.casefold():
        if char == "ñ":
            kept.append(char)
            continue
        kept.extend(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return "".join(kept)


def words(text: str) -> list[str]:
    cleaned = "".join(" " if char in PUNCTUATION else char for char in fold(text))
    return cleaned.split()
