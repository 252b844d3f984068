"""The layout's promises that a refactor could quietly break: the product never depends on the test
suite, product files stay small enough to hold one idea, and __main__.py stays a one-screen table of
contents."""

from __future__ import annotations

import re

import pytest

from offline.plan import ROOT

PRODUCT = sorted([*ROOT.glob("components/**/*.py"), *ROOT.glob("offline/**/*.py"), *ROOT.glob("policy/*.py"),
                  ROOT / "__main__.py"])
IMPORTS_TESTS = re.compile(r"^\s*(from|import)\s+tests\b", re.M)


def test_there_is_product_code():
    assert len(PRODUCT) > 20


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_product_never_imports_the_tests(path):
    assert not IMPORTS_TESTS.search(path.read_text())


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_product_files_stay_under_300_lines(path):
    assert len(path.read_text().splitlines()) <= 300


def test_main_fits_on_one_screen():
    # 80 lines until the import step (issue 22: VHD -> disk -> upload -> image) took its own six.
    assert len((ROOT / "__main__.py").read_text().splitlines()) <= 90  # four sources of images now: builds, captures, imports (issue 22), promotions (issue 20)
