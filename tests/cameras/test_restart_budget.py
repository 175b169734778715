"""The restart budget at its exact boundaries: 5 restarts a minute, then failed, then a fresh
budget once the pause is over."""

from __future__ import annotations

import pytest

from cameras.restart_budget import RestartBudget, Verdict

RESTART, FAILED = Verdict.RESTART, Verdict.FAILED


def test_five_restarts_within_a_minute_then_failed() -> None:
    budget = RestartBudget()  # 5 a minute, 60 s pause
    assert [budget.on_exit(float(t)) for t in range(5)] == [RESTART] * 5
    assert not budget.failed and budget.total == 5
    assert budget.on_exit(59.999) is FAILED  # the 6th crash inside the window
    assert budget.failed and budget.failed_until == pytest.approx(119.999)
    assert budget.total == 5  # a refused restart is not counted


def test_a_restart_exactly_a_window_old_no_longer_counts() -> None:
    budget = RestartBudget(limit=2, window_s=60.0)
    assert budget.on_exit(0.0) is RESTART
    assert budget.on_exit(10.0) is RESTART
    assert budget.recent(59.999) == 2
    assert budget.recent(60.0) == 1  # the restart at 0 s has left the window
    assert budget.on_exit(60.0) is RESTART
    assert budget.on_exit(69.999) is FAILED  # 10 s and 60 s are both still in


def test_pause_then_a_fresh_budget() -> None:
    budget = RestartBudget(limit=1, window_s=60.0, pause_s=30.0)
    assert budget.on_exit(0.0) is RESTART
    assert budget.on_exit(1.0) is FAILED
    assert not budget.retry_due(30.999)
    assert budget.retry_due(31.0) and not budget.failed
    assert not budget.retry_due(31.0)  # due once
    assert budget.recent(31.0) == 0  # the crashes before the pause are forgiven
    assert budget.on_exit(32.0) is RESTART
    assert budget.total == 2


def test_retry_is_never_due_for_a_healthy_camera() -> None:
    budget = RestartBudget()
    assert not budget.retry_due(1e9)
    assert budget.on_exit(0.0) is RESTART and not budget.retry_due(1e9)


def test_zero_limit_fails_on_the_first_crash() -> None:
    budget = RestartBudget(limit=0, pause_s=5.0)
    assert budget.on_exit(100.0) is FAILED and budget.failed_until == 105.0


@pytest.mark.parametrize(
    "kwargs", [{"limit": -1}, {"window_s": 0.0}, {"window_s": -1.0}, {"pause_s": -0.1}]
)
def test_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="need"):
        RestartBudget(**kwargs)  # type: ignore[arg-type]


def test_reset_after_a_changed_definition_ends_the_pause_and_keeps_the_total() -> None:
    budget = RestartBudget(limit=1, window_s=60.0, pause_s=60.0)
    assert budget.on_exit(0.0) is RESTART
    assert budget.on_exit(1.0) is FAILED
    budget.reset()  # the admin fixed the url: no waiting out the pause
    assert not budget.failed and budget.recent(2.0) == 0 and budget.total == 1
    assert budget.on_exit(2.0) is RESTART and budget.total == 2
