"""One place that turns exceptions into messages and exit codes, never a traceback."""

from __future__ import annotations

import click

from orchestrator.cli.output import echo
from orchestrator.errors import OrchestratorError


def run_cli(group: click.Group, argv: list[str]) -> int:
    """One run of the CLI: it owns the ledger of its secrets (from the environment; select() adds the
    project's), bound until every message of the run, errors and crash reports included, is written."""
    import os

    from orchestrator.secrets import SecretLedger

    with SecretLedger.from_environment(os.environ).bound():
        return _run(group, argv)


def _run(group: click.Group, argv: list[str]) -> int:
    try:
        result = group.main(args=argv, prog_name="orchestrator", standalone_mode=False)
    except click.exceptions.Exit as stop:
        return int(stop.exit_code)
    except click.exceptions.Abort:
        echo("Aborted.", err=True)
        return 130
    except click.UsageError as error:
        # Click exits 2 for usage errors; 2 means "changes" for diff, so usage errors are 1.
        _show(error)
        return 1
    except click.ClickException as error:
        _show(error)
        return 1
    except OrchestratorError as error:
        from orchestrator.secrets import redact

        echo(f"error: {redact(str(error))}", err=True)
        return 1
    except KeyboardInterrupt:
        echo("Interrupted.", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as error:  # a bug: say so briefly, never print a raw traceback
        from orchestrator.cli.crash import report_crash

        return report_crash(error)
    if isinstance(result, int):
        return result
    return 0


def _show(error: click.ClickException) -> None:
    """Click's own message (usage, hint, error), through the one output path: it quotes what was typed."""
    import io

    buffer = io.StringIO()
    error.show(file=buffer)
    echo(buffer.getvalue(), err=True, nl=False)
