"""A fake clock for a module's `time`: monotonic() moves only when the code sleeps, so a test sees every
wait the code makes, to the second, without waiting (HTTP calls to the fake ARM server still run in real
time). A module that reads the time as `time.monotonic()` gets it with `on(monkeypatch, module)`."""

from __future__ import annotations

import time
from types import ModuleType


class Clock:
    def __init__(self) -> None:
        # Whole seconds near the real clock: sums of the tests' halves are exact, and "what is left" is
        # exactly 0 at a deadline.
        self.now, self.sleeps = float(round(time.monotonic())), []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:  # the wall clock (Retry-After dates), unchanged
        return time.time()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        assert len(self.sleeps) < 100, f"the wait does not end: {self.sleeps[:5]}..."
        self.now += seconds


def on(monkeypatch, module: ModuleType) -> Clock:
    clock = Clock()
    monkeypatch.setattr(module, "time", clock)
    return clock
