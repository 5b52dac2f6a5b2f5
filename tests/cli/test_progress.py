"""The status line of long waits: drawn on a terminal only, with the SDK's retries as they happen."""

from __future__ import annotations

import io
import logging
import time

from orchestrator.cli.progress import SDK_LOGGER, Activity


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_wait_on_a_terminal_says_what_it_waits_for_and_clears_the_line() -> None:
    screen = Terminal()
    with Activity("reading live state of target prod", stream=screen, delay=0.0, interval=0.01) as activity:
        time.sleep(0.1)
        activity.update("waiting for ingestion of 3 files in vector store vs_1")
        time.sleep(0.1)
    shown = screen.getvalue()
    assert "reading live state of target prod (0 s)" in shown
    assert "waiting for ingestion of 3 files in vector store vs_1" in shown
    assert shown.endswith("\r\x1b[K")  # nothing left behind on the line


def test_the_sdks_retries_show_on_the_line_while_it_waits() -> None:
    screen = Terminal()
    with Activity("reading live state of target prod", stream=screen, delay=0.0, interval=0.01):
        logging.getLogger(SDK_LOGGER).info("Retrying request in %f seconds (retry %i of %s)", 0.8, 2, 4)
        time.sleep(0.1)
    assert "reading live state of target prod; retry 2 of 4 in 0.8 s" in screen.getvalue()
    assert not logging.getLogger(SDK_LOGGER).handlers  # the listener leaves with the wait


def test_lines_printed_during_a_wait_stand_above_the_status_line() -> None:
    screen = Terminal()
    with Activity("applying 2 changes", stream=screen, delay=0.0, interval=0.01) as activity:
        time.sleep(0.05)
        activity.say("  assistant a: created (asst_1)")
        time.sleep(0.05)
    assert "\r\x1b[K  assistant a: created (asst_1)\n" in screen.getvalue()


def test_nothing_is_drawn_when_not_a_terminal_or_for_a_short_wait() -> None:
    pipe = io.StringIO()
    with Activity("reading live state", stream=pipe, delay=0.0, interval=0.01):
        time.sleep(0.05)
    assert pipe.getvalue() == ""
    screen = Terminal()
    with Activity("reading live state", stream=screen, delay=5.0, interval=0.01):
        time.sleep(0.05)
    assert screen.getvalue() == ""
