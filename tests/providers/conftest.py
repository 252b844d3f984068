"""Fixtures the provider tests share (the fakes themselves are pytest plugins: tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.fakes.fake_compute import ComputeFake
from tests.fakes.fake_gallery import GalleryFake
from tests.fakes.fake_image_builder import ImageBuilderFake


@pytest.fixture
def gallery(fake_gallery: GalleryFake) -> GalleryFake:
    """The fake gallery, as VersionReplicas' tests call it."""
    return fake_gallery


@pytest.fixture
def compute(fake_compute: ComputeFake) -> ComputeFake:
    """The fake Compute, as Generalize's tests call it."""
    return fake_compute


@pytest.fixture
def aib(fake_image_builder: ImageBuilderFake) -> ImageBuilderFake:
    """The fake Image Builder, as ImageBuild's tests call it."""
    return fake_image_builder
