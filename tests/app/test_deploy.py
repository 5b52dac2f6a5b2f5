"""The application layer driven directly, as the front ends drive it: a project planned and applied against the
served emulator through app/planning and app/deploy, told through a recording ApplyReporter (app/report.py's
ApplyCollector) rather than a terminal. Nothing may be printed: the app layer reports, the front ends print."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.app.deploy import deploy
from orchestrator.app.planning import planned, with_warnings
from orchestrator.app.project import Invalid, select
from orchestrator.app.report import ApplyCollector, Collector
from orchestrator.engine.planning import Action
from orchestrator.events import EventBus
from tests.gitops.test_secret_precheck import _second_vault
from tests.support.projects import write_spec


def plan_and_deploy(root: Path, reporter: ApplyCollector, **options: object) -> object:
    with planned(root, None, None, reporter=reporter, bus=EventBus, lock=True, **options) as made:  # type: ignore[arg-type]
        return deploy(made.plan, made.live, reporter=reporter, parallelism=4, bus=made.bus, state=made.state)


def test_plan_and_apply_report_every_change_and_print_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(project, "tutor")
    write_spec(project, "grader")
    reporter = ApplyCollector()

    done = plan_and_deploy(project, reporter)

    assert done.status == "applied" and done.ok  # type: ignore[attr-defined]
    assert [p.summary()["create"] for p in reporter.plans] == [2]
    assert sorted((o.change.name, o.change.action, o.ok) for o in reporter.outcomes) == [
        ("grader", Action.CREATE, True),
        ("tutor", Action.CREATE, True),
    ]
    assert any(a.startswith("reading live state of target main") for a in reporter.activities)
    assert "applying 2 changes" in reporter.activities
    assert capsys.readouterr() == ("", "")

    again = ApplyCollector()
    assert plan_and_deploy(project, again).status == "nothing"  # type: ignore[attr-defined]
    assert again.outcomes == [] and capsys.readouterr() == ("", "")


def test_a_plan_not_confirmed_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_spec(project, "tutor")
    declined = ApplyCollector(yes=False)

    assert plan_and_deploy(project, declined).status == "cancelled"  # type: ignore[attr-defined]
    assert declined.outcomes == []
    with planned(project, None, None, reporter=Collector(), bus=EventBus) as made:
        assert [c.action for c in made.plan.actionable] == [Action.CREATE]  # still to create
    assert capsys.readouterr() == ("", "")


def test_a_missing_secret_refuses_the_plan_before_any_write(
    kinds_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM2_TOKEN", raising=False)
    _second_vault(kinds_project, "{from_env: CRM2_TOKEN}")
    reporter = ApplyCollector()

    done = plan_and_deploy(kinds_project, reporter)

    assert done.status == "refused" and not done.ok  # type: ignore[attr-defined]
    assert reporter.outcomes == [] and any("CRM2_TOKEN" in note for note in reporter.notes)
    assert capsys.readouterr() == ("", "")


def test_an_invalid_project_is_reported_not_printed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(project, "tutor", model=42)
    reporter = ApplyCollector()

    with pytest.raises(Invalid):
        plan_and_deploy(project, reporter)

    assert reporter.found and reporter.found[0].has_errors
    assert reporter.plans == [] and capsys.readouterr() == ("", "")


def test_diff_warnings_travel_with_the_plan(project: Path) -> None:
    write_spec(project, "tutor")
    reporter = Collector()
    with planned(project, None, None, reporter=reporter, bus=EventBus) as made:
        plan = with_warnings(made.plan, made.state)
    assert plan.project == "test-project" and [c.name for c in plan.actionable] == ["tutor"]
    selection = select(project, None, None)
    assert not hasattr(selection, "has_errors") and selection.target.name == "main"  # type: ignore[union-attr]
