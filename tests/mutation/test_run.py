"""make mutation's verdicts (tests/mutation/run.py): what counts as killed, and what must be explained."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location("mutation_run", Path(__file__).with_name("run.py"))
run_py = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(run_py)


@pytest.fixture
def fake_mutmut(monkeypatch, tmp_path):
    """run() over scripted verdicts: results() answers the next dict each time (before, after the first pass,
    at the end); the mutmut calls are recorded instead of run."""
    answers, calls = [], []
    monkeypatch.setattr(run_py, "prepare", lambda name, spec: tmp_path)
    monkeypatch.setattr(run_py, "_mutmut", lambda command, folder, env: calls.append(command[4:]))
    monkeypatch.setattr(run_py, "results", lambda folder, spec: answers.pop(0))
    monkeypatch.setattr(run_py, "equivalent", lambda: {"m.equivalent": "why"})
    return answers, calls


def test_a_mutant_that_times_out_twice_in_a_row_hangs_a_test_and_counts_as_killed(fake_mutmut):
    answers, calls = fake_mutmut
    answers += [{}, {"m.hang": 36, "m.slow": 36, "m.dead": 1},
                {"m.hang": 36, "m.slow": 1, "m.dead": 1}]
    name, total, killed, timeouts, listed, unexplained, _ = run_py.run("x", {}, 1)
    assert calls == [[], ["m.hang", "m.slow"]]  # only the timeouts are tried again
    assert (total, killed, timeouts, listed, unexplained) == (3, 3, 0, 0, [])


def test_a_survivor_a_single_timeout_and_a_mutant_no_test_reaches_must_be_explained(fake_mutmut):
    answers, calls = fake_mutmut
    # m.old survived an earlier run; m.slow timed out once, then survived; m.untested has no test reaching it.
    answers += [{"m.old": 0}, {"m.old": 0, "m.new": 0, "m.equivalent": 0, "m.untested": 33, "m.slow": 36},
                {"m.old": 0, "m.new": 0, "m.equivalent": 0, "m.untested": 33, "m.slow": 0}]
    name, total, killed, timeouts, listed, unexplained, _ = run_py.run("x", {}, 1)
    assert calls == [[], ["m.old", "m.slow"]]  # an earlier run's survivor is tried again against the current tests
    assert (killed, timeouts, listed) == (0, 0, 1)
    assert unexplained == ["m.new", "m.old", "m.slow", "m.untested"]


def test_an_earlier_runs_untested_mutant_is_tried_again_once_tests_reach_it(fake_mutmut):
    answers, calls = fake_mutmut
    answers += [{"m.untested": 33}, {"m.untested": 33}, {"m.untested": 1}]
    assert run_py.run("x", {}, 1)[1:6] == (1, 1, 0, 0, [])
    assert calls == [[], ["m.untested"]]


def test_only_this_runs_workers_past_the_wall_clock_limit_are_stuck():
    mutmut = "/venv/bin/python3 /venv/bin/mutmut run --max-children 1"
    procs = {10: (1, mutmut),        # this run's mutmut (root)
             11: (10, mutmut),       # its forkserver: lives all run long, never killed
             12: (11, mutmut),       # a worker, running one mutant
             13: (11, mutmut),       # a worker started later
             20: (1, mutmut), 21: (20, mutmut), 22: (21, mutmut)}  # another run's
    started = {12: 0.0, 13: 100.0, 22: 0.0, 11: 0.0}
    assert run_py.stuck_workers(10, procs, started, run_py.WALL_SECONDS + 1) == [12]
    # Titled workers (setproctitle) count at any depth below root.
    procs[14] = (10, "mutmut: components.x__mutmut_3")
    started[14] = 0.0
    assert run_py.stuck_workers(10, procs, started, run_py.WALL_SECONDS + 1) == [12, 14]
