"""What ImageBuild's test modules share: the template they build, the provider under test, its inputs and
the outputs a finished build leaves in the state. The fake Image Builder's alias, `aib`, is in conftest.py."""

from __future__ import annotations

from components.providers.arm import ArmRetry
from components.providers.image_build import ImageBuildError, ImageBuildProvider
from tests.fakes.fake_arm import FAST_RETRY, SUBSCRIPTION, FakeArm
from tests.providers.engine import create_error

RG, TEMPLATE, OUTPUT = "rg-images", "win2022-7f3a9c1d", "win2022-gallery"
TEMPLATE_PATH = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.VirtualMachineImages"
                 f"/imageTemplates/{TEMPLATE}")
RUN_PATH, CANCEL_PATH = TEMPLATE_PATH + "/run", TEMPLATE_PATH + "/cancel"
OP_STATUS = r"/operations/"


def provider(fake: FakeArm, retry: ArmRetry = FAST_RETRY, margin: float = 2.0) -> ImageBuildProvider:
    return ImageBuildProvider(**fake.provider_kwargs(retry), wait_margin_seconds=margin)


def inputs(fake: FakeArm, **overrides) -> dict:
    return {"subscription_id": SUBSCRIPTION, "resource_group_name": RG, "template_name": TEMPLATE,
            "run_output_name": OUTPUT, "build_timeout_minutes": 0.05, "poll_interval_seconds": 0.05,
            "arm_endpoint": fake.base_url, "__provider": "serialized", **overrides}


def build_error(p: ImageBuildProvider, props: dict) -> str:
    return create_error(p, props, ImageBuildError)


def stored_outputs(fake: FakeArm) -> dict:
    return {**ImageBuildProvider().check({}, inputs(fake)).inputs, "__provider": "old-pickle",
            "artifact_id": "/subscriptions/s/.../versions/1.0.0", "version_name": "1.0.0",
            "run_started": "2025-01-01T10:00:00+00:00", "run_ended": "2025-01-01T11:00:00+00:00"}
