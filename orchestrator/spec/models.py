"""A small dated table of models and their shutdowns, from the openai SDK (ChatModel and its docstrings, 3.57).

A model past its shutdown date is an error; one with an announced future date is a warning; a name
the table does not know is a warning, with a did-you-mean when it is close to a known one.
"""

from __future__ import annotations

from datetime import date

TABLE_DATE = date(2026, 11, 1)

_SHUTDOWNS: dict[date, tuple[str, ...]] = {
    date(2024, 9, 13): (
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-16k-0613",
    ),
    date(2024, 12, 6): ("gpt-4-vision-preview",),
    date(2025, 6, 6): ("gpt-4-32k", "gpt-4-32k-0314", "gpt-4-32k-0613"),
    date(2025, 7, 28): ("o1-preview", "o1-preview-2024-09-12"),
    date(2025, 10, 10): ("gpt-4o-audio-preview-2024-10-01",),
    date(2025, 10, 27): ("o1-mini", "o1-mini-2024-09-12"),
    date(2026, 2, 12): ("codex-mini-latest",),
    date(2026, 2, 17): ("chatgpt-4o-latest",),
    date(2026, 3, 26): ("gpt-4-0125-preview", "gpt-4-turbo-preview", "gpt-4-0314"),
    date(2026, 5, 7): (
        "gpt-4o-audio-preview",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-audio-preview",
        "gpt-4o-mini-audio-preview-2024-12-17",
    ),
    date(2026, 7, 23): (
        "gpt-5.1-codex",
        "gpt-5.1-chat-latest",
        "gpt-5-chat-latest",
        "gpt-4o-search-preview",
        "gpt-4o-mini-search-preview",
        "gpt-4o-search-preview-2025-03-11",
        "gpt-4o-mini-search-preview-2025-03-11",
    ),
    date(2026, 8, 10): ("gpt-5.3-chat-latest", "gpt-5.2-chat-latest"),
    date(2026, 9, 28): ("gpt-3.5-turbo-1106",),
    date(2026, 10, 23): (
        "gpt-4.1-nano",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini",
        "o4-mini-2025-04-16",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o1",
        "o1-2024-12-17",
        "gpt-4o-2024-05-13",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-1106-preview",
        "gpt-4",
        "gpt-4-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-0125",
    ),
    date(2026, 12, 11): (
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "o3",
        "o3-2025-04-16",
    ),
    date(2027, 1, 14): (
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4o",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-08-06",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
    ),
    date(2027, 1, 20): ("gpt-audio-mini", "gpt-audio-mini-2025-12-15"),
    date(2027, 4, 1): ("gpt-5.4-nano", "gpt-5.4-nano-2026-03-17", "gpt-5.1", "gpt-5.1-2025-11-13"),
}

# Every name of the SDK's ChatModel literal (3.57); a test fails when an installed SDK knows one more.
KNOWN_MODELS: frozenset[str] = frozenset(
    (
        "gpt-6-astra",
        "gpt-6.2-astra",
        "gpt-6.1-sol",
        "gpt-6.2-sol",
        "gpt-6.1-terra",
        "gpt-6-sol",
        "gpt-6-luna",
        "gpt-5.6-sol",
        "gpt-5.6-terra",
        "gpt-5.6-luna",
        "gpt-5.5",
        "gpt-5.5-2026-04-23",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.4-mini-2026-03-17",
        "gpt-5.4-nano-2026-03-17",
        "gpt-5.3-chat-latest",
        "gpt-5.2",
        "gpt-5.2-2025-12-11",
        "gpt-5.2-chat-latest",
        "gpt-5.2-pro",
        "gpt-5.2-pro-2025-12-11",
        "gpt-5.1",
        "gpt-5.1-2025-11-13",
        "gpt-5.1-codex",
        "gpt-5.1-mini",
        "gpt-5.1-chat-latest",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-2025-08-07",
        "gpt-5-mini-2025-08-07",
        "gpt-5-nano-2025-08-07",
        "gpt-5-chat-latest",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini",
        "o4-mini-2025-04-16",
        "o3",
        "o3-2025-04-16",
        "o3-mini",
        "o3-mini-2025-01-31",
        "o1",
        "o1-2024-12-17",
        "o1-preview",
        "o1-preview-2024-09-12",
        "o1-mini",
        "o1-mini-2024-09-12",
        "gpt-4o",
        "gpt-4o-2024-11-20",
        "gpt-4o-2024-08-06",
        "gpt-4o-2024-05-13",
        "gpt-audio-mini",
        "gpt-audio-mini-2025-12-15",
        "gpt-4o-audio-preview",
        "gpt-4o-audio-preview-2024-10-01",
        "gpt-4o-audio-preview-2024-12-17",
        "gpt-4o-audio-preview-2025-06-03",
        "gpt-4o-mini-audio-preview",
        "gpt-4o-mini-audio-preview-2024-12-17",
        "gpt-4o-search-preview",
        "gpt-4o-mini-search-preview",
        "gpt-4o-search-preview-2025-03-11",
        "gpt-4o-mini-search-preview-2025-03-11",
        "chatgpt-4o-latest",
        "codex-mini-latest",
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4-turbo",
        "gpt-4-turbo-2024-04-09",
        "gpt-4-0125-preview",
        "gpt-4-turbo-preview",
        "gpt-4-1106-preview",
        "gpt-4-vision-preview",
        "gpt-4",
        "gpt-4-0314",
        "gpt-4-0613",
        "gpt-4-32k",
        "gpt-4-32k-0314",
        "gpt-4-32k-0613",
        "gpt-3.5-turbo",
        "gpt-3.5-turbo-16k",
        "gpt-3.5-turbo-0301",
        "gpt-3.5-turbo-0613",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-16k-0613",
    )
)

SHUTDOWN_DATES: dict[str, date] = {model: day for day, models in _SHUTDOWNS.items() for model in models}


def shutdown_date(model: str) -> date | None:
    return SHUTDOWN_DATES.get(model)


def is_known(model: str) -> bool:
    """Known to the table, directly or as the base of a fine-tune (`ft:gpt-4.1:org::id`)."""
    if model.startswith("ft:"):
        model = model[3:].split(":", 1)[0]
    return model in KNOWN_MODELS


def close_models(model: str, today: date) -> list[str]:
    """Known, not shut-down names a typo of model may have meant, best first (`gtp-5` -> `gpt-5`)."""
    import difflib

    current = sorted(name for name in KNOWN_MODELS if (shutdown_date(name) or date.max) > today)
    return difflib.get_close_matches(model, current, n=3, cutoff=0.8)
