"""`make bench`'s upload part says why it skipped when Azurite is missing, instead of failing the whole bench."""

from __future__ import annotations

import io

from offline import upload_bench


def test_without_azurite_the_upload_bench_says_so_and_skips(monkeypatch):
    monkeypatch.setattr(upload_bench, "installed", lambda: None)
    out = io.StringIO()
    upload_bench.report(out)
    assert out.getvalue() == ("Upload benchmark skipped: Azurite is not installed: run `npm ci --prefix tests/azurite` "
                              "(`make venv`, `make test` and `make bench` do it).\n")
