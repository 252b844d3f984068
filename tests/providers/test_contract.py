"""The Pulumi contract every dynamic provider of ours keeps, checked once for all of them.

check rejects bad inputs by name; the provider pickles into the state by reference (its module path is
state: components/providers/__init__.py); diff never compares `__provider` or defaulted inputs; a
changed identity input replaces (a new job), unknown ones too in preview; a tuning input updates in
place and keeps what the job made, without calling Azure; read returns what was recorded.

Each provider's own scenarios against the fake ARM server stay in its own module.
"""

from __future__ import annotations

import sys
import typing
from dataclasses import dataclass, field, fields
from typing import Any, Callable

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from components.providers import STATE_PATHS
from components.providers.disk_upload import DiskUpload, DiskUploadProvider
from components.providers.definition_versions import DefinitionVersions, DefinitionVersionsProvider
from components.providers.generalize import Generalize, GeneralizeProvider
from components.providers.image_build import ImageBuild, ImageBuildProvider
from components.providers.role_propagation import RolePropagation, RolePropagationProvider
from components.providers.subnet_release import SubnetRelease, SubnetReleaseProvider
from components.providers.version_replicas import VersionReplicas, VersionReplicasProvider
from tests.fakes.fake_arm import SUBSCRIPTION
from tests.providers import disk_upload_support as up
from tests.providers import generalize_support as gen
from tests.providers import image_build_support as build
from tests.providers import test_definition_versions as dv
from tests.providers import test_role_propagation as rp
from tests.providers import test_subnet_release as sr
from tests.providers import version_replicas_support as rep
from tests.providers.engine import assert_pickles_by_reference

OTHER_SUB = "22222222-0000-0000-0000-000000000000"
ASSIGNMENT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/g/providers/Microsoft.Authorization/roleAssignments/a"
ACI_SUBNET = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/aci"


@dataclass(frozen=True)
class Case:
    provider: type
    resource: type
    token: str  # the dynamic resource's type name in the plan
    inputs: Callable[..., dict]  # (fake, **overrides) -> the props the engine passes
    stored: Callable[[Any], dict]  # fake -> the outputs a finished job left in the state
    outputs: tuple[str, ...]  # what the job made: kept across a tuning update
    tuning: dict  # a change to tuning inputs only
    replaces: list[tuple[dict, list[str]]]  # identity changes and the keys that force a replace
    bad: list[tuple[dict, tuple[str, ...], set[str]]] = field(default_factory=list)  # overrides, deleted, failing
    # Whether delete acts in Azure (cancelling a run, deleting versions): tested in the provider's module.
    delete_acts: bool = False

    def __str__(self) -> str:
        return self.provider.__name__


CASES = [
    Case(ImageBuildProvider, ImageBuild, "dynamic/image_build:ImageBuild", build.inputs, build.stored_outputs,
         outputs=("artifact_id", "version_name", "run_started", "run_ended"),
         tuning={"poll_interval_seconds": 60, "build_timeout_minutes": 300},
         replaces=[({"template_name": "win2022-0badc0de"}, ["template_name"]),
                   ({"template_name": Unknown()}, ["template_name"]),
                   ({"template_name": rpc.UNKNOWN}, ["template_name"]),
                   ({"resource_group_name": "rg-2"}, ["resource_group_name"]),
                   ({"subscription_id": OTHER_SUB}, ["subscription_id"])],
         delete_acts=True,
         bad=[({"template_name": "has spaces", "build_timeout_minutes": 1000, "poll_interval_seconds": 0},
               ("subscription_id",),
               {"template_name", "build_timeout_minutes", "poll_interval_seconds", "subscription_id"}),
              ({"template_name": "a" * 65}, (), {"template_name"}),
              ({"run_output_name": "has spaces"}, (), {"run_output_name"}),
              ({"build_timeout_minutes": True}, (), {"build_timeout_minutes"})]),
    Case(GeneralizeProvider, Generalize, "dynamic/generalize:Generalize", gen.inputs, gen.stored_outputs,
         outputs=("vm_id", "generalized_at"),
         tuning={"timeout_minutes": 60, "poll_interval_seconds": 30},
         replaces=[({"vm_name": "vm-ref-2"}, ["vm_name"]),
                   ({"resource_group_name": "rg-2"}, ["resource_group_name"]),
                   ({"vm_id": gen.VM_PATH + "-2", "vm_name": gen.VM + "-2"}, ["vm_name", "vm_id"]),
                   ({"vm_name": Unknown(), "vm_id": rpc.UNKNOWN}, ["vm_name", "vm_id"])],
         bad=[({"timeout_minutes": 0, "poll_interval_seconds": "15",
                "vm_id": gen.VM_PATH.replace(gen.VM, "other-vm")}, ("resource_group_name",),
               {"timeout_minutes", "poll_interval_seconds", "vm_id", "resource_group_name"})]),
    Case(VersionReplicasProvider, VersionReplicas, "dynamic/version_replicas:VersionReplicas", rep.inputs,
         rep.stored_outputs, outputs=("applied_target_regions", "applied_at", "resource_group_name"),
         tuning={"timeout_minutes": 600, "poll_interval_seconds": 60},
         replaces=[({"version_id": rep.VERSION_PATH.replace("1.0.3", "1.0.4")}, ["version_id"]),
                   ({"version_id": Unknown()}, ["version_id"]),
                   ({"subscription_id": OTHER_SUB, "version_id": rep.VERSION_PATH.replace(SUBSCRIPTION, OTHER_SUB)},
                    ["subscription_id", "version_id"])],
         bad=[({"version_id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/images/img"}, (),
               {"version_id"}),
              ({"timeout_minutes": 0, "poll_interval_seconds": "30"}, (), {"timeout_minutes", "poll_interval_seconds"})]),
    Case(DefinitionVersionsProvider, DefinitionVersions, "dynamic/definition_versions:DefinitionVersions",
         dv.inputs, lambda fake: {**dv.inputs(fake), "definition_id": "/subscriptions/s/.../images/win2022"},
         outputs=("definition_id",), tuning={"timeout_minutes": 30, "poll_interval_seconds": 5}, delete_acts=True,
         replaces=[({"gallery_image_name": "win2025"}, ["gallery_image_name"]),
                   ({"gallery_name": "other"}, ["gallery_name"]),
                   ({"gallery_image_name": Unknown()}, ["gallery_image_name"])],
         bad=[({"gallery_image_name": "", "timeout_minutes": -1}, (), {"gallery_image_name", "timeout_minutes"})]),
    Case(RolePropagationProvider, RolePropagation, "dynamic/role_propagation:RolePropagation",
         lambda fake, **o: rp.inputs(fake, [ASSIGNMENT], **o),
         lambda fake: {**rp.inputs(fake, [ASSIGNMENT]), "effective_at": "2026-01-01T00:00:00+00:00"},
         outputs=("effective_at",), tuning={"propagation_minutes": 5, "timeout_minutes": 20},
         replaces=[({"role_assignment_ids": [ASSIGNMENT, ASSIGNMENT + "b"]}, ["role_assignment_ids"]),
                   ({"role_assignment_ids": Unknown()}, ["role_assignment_ids"])],
         bad=[({"role_assignment_ids": ["not-an-id"]}, (), {"role_assignment_ids"})]),
    Case(SubnetReleaseProvider, SubnetRelease, "dynamic/subnet_release:SubnetRelease",
         lambda fake, **o: sr.inputs(fake, **{"subnet_id": ACI_SUBNET, **o}), lambda fake: sr.inputs(fake, ACI_SUBNET),
         outputs=(), tuning={"timeout_minutes": 45, "poll_interval_seconds": 30}, delete_acts=True,
         replaces=[({"subnet_id": ACI_SUBNET + "-2"}, ["subnet_id"]), ({"subnet_id": Unknown()}, ["subnet_id"])],
         bad=[({"subnet_id": "not-an-id", "timeout_minutes": 0}, (), {"subnet_id", "timeout_minutes"})]),
    Case(DiskUploadProvider, DiskUpload, "dynamic/disk_upload:DiskUpload", up.contract_inputs, up.contract_stored,
         outputs=("bytes_sent", "data_bytes", "uploaded_at", "disk_id", "fingerprint"),
         tuning={"vhd_path": "/mnt/export/web.vhd", "parallel_uploads": 16, "access_seconds": 7200},
         replaces=[({"fingerprint": "sha256:" + "cd" * 32}, ["fingerprint"]),
                   ({"fingerprint": Unknown()}, ["fingerprint"]),
                   ({"disk_id": up.CONTRACT_DISK.replace("0a1b2c3d", "9f8e7d6c")}, ["disk_id"]),
                   ({"size_bytes": 128 * 1024 * up.MIB + 512}, ["size_bytes"])],
         bad=[({"disk_id": "/subscriptions/x/disks/y", "size_bytes": 64 * up.MIB, "parallel_uploads": 0,
                "access_seconds": 10 ** 7}, ("fingerprint",),
               {"disk_id", "size_bytes", "parallel_uploads", "access_seconds", "fingerprint"})]),
]
REPLACES = [(c, o, r) for c in CASES for o, r in c.replaces]
BAD = [(c, o, d, f) for c in CASES for o, d, f in c.bad]


def test_every_provider_has_a_case():
    assert sorted(c.provider.__name__ for c in CASES) == sorted(STATE_PATHS)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pickles_by_reference_from_its_state_path(case):
    assert case.provider.__module__ == STATE_PATHS[case.provider.__name__]
    assert_pickles_by_reference(case.provider(), STATE_PATHS[case.provider.__name__])
    assert case.resource._resource_type_name == case.token


@pytest.mark.parametrize("case, overrides, deleted, failing", BAD, ids=lambda v: str(v) if isinstance(v, Case) else "")
def test_check_rejects_bad_inputs_by_name(fake, case, overrides, deleted, failing):
    props = case.inputs(fake, **overrides)
    for key in deleted:
        del props[key]
    failures = case.provider().check({}, props).failures
    assert {f.property for f in failures} == failing, [(f.property, f.reason) for f in failures]
    assert all(f.reason for f in failures)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_check_accepts_what_the_program_sends(fake, case):
    checked = case.provider().check({}, case.inputs(fake))
    assert not checked.failures, [(f.property, f.reason) for f in checked.failures]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_diff_ignores_the_pickled_provider_and_defaults(fake, case):
    news = case.inputs(fake, __provider="new-pickle")
    result = case.provider().diff("id", case.stored(fake), news)
    assert result.changes is False and result.replaces == []


@pytest.mark.parametrize("case, overrides, replaces", REPLACES, ids=lambda v: str(v) if isinstance(v, Case) else "")
def test_a_changed_identity_replaces(fake, case, overrides, replaces):
    p = case.provider()
    checked = p.check({}, case.inputs(fake, **overrides))
    assert not checked.failures
    result = p.diff("id", case.stored(fake), checked.inputs)
    assert result.changes is True and result.replaces == replaces
    assert result.delete_before_replace is False  # the new job runs before the old record goes


@pytest.mark.parametrize("case", CASES, ids=str)
def test_tuning_updates_in_place_and_keeps_what_the_job_made(fake, case):
    p, olds = case.provider(**fake.provider_kwargs()), case.stored(fake)
    news = case.inputs(fake, **case.tuning)
    result = p.diff("id", olds, news)
    assert result.changes is True and result.replaces == []
    outs = p.update("id", olds, p.check(olds, news).inputs).outs
    assert {k: outs[k] for k in case.outputs} == {k: olds[k] for k in case.outputs}
    assert {k: outs[k] for k in case.tuning} == case.tuning
    assert "__provider" not in outs and not fake.log


@pytest.mark.parametrize("case", CASES, ids=str)
def test_read_returns_what_was_recorded_without_calling_azure(fake, case):
    olds = case.stored(fake)
    result = case.provider(**fake.provider_kwargs()).read("the-id", olds)
    # An empty ID would tell `pulumi refresh` the resource is gone, and drop it from the state.
    assert result.id == "the-id" and result.outs == olds
    assert not fake.log


@pytest.mark.parametrize("case", [c for c in CASES if not c.delete_acts], ids=str)
def test_delete_of_a_finished_job_leaves_azure_alone(fake, case):
    # The job is a past event: what it made (an image version, a generalized VM, replicas) belongs
    # to other resources or to a retention policy, so deleting the record must not touch them.
    case.provider(**fake.provider_kwargs()).delete("id", case.stored(fake))
    assert not fake.log


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_resource_hands_the_engine_its_own_provider_and_the_callers_options(fake, monkeypatch, case):
    # What pulumi.dynamic.Resource receives is what the engine pickles into the state and runs: another
    # provider (or none) would run another job, and lost options would lose the parent (the URN) and protect.
    handed: dict = {}
    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__",
                        lambda _self, provider, name, props, opts=None: handed.update(
                            provider=provider, name=name, props=props, opts=opts))
    args_type = typing.get_type_hints(case.resource.__init__)["args"]
    props = case.inputs(fake)
    args = args_type(**{f.name: props[f.name] for f in fields(args_type) if f.name in props})
    opts = pulumi.ResourceOptions(protect=True)
    case.resource("the-step", args, opts)
    assert type(handed["provider"]) is case.provider and handed["name"] == "the-step" and handed["opts"] is opts
    # Every argument as given, and each output present as None: only keys in props become outputs.
    outputs = sys.modules[case.provider.__module__].OUTPUT_KEYS
    assert set(handed["props"]) == {f.name for f in fields(args_type)} | set(outputs)
    assert all(handed["props"][f.name] == getattr(args, f.name) for f in fields(args_type))
    assert all(handed["props"][k] is None for k in outputs if k not in props or props[k] is None)
    assert_pickles_by_reference(handed["provider"], STATE_PATHS[case.provider.__name__])
