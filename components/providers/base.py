"""What our ARM dynamic providers (ImageBuild, Generalize, VersionReplicas, DefinitionVersions,
RolePropagation) share: one job run by `create`, and a Pulumi contract that is otherwise bookkeeping.

- check: defaults filled in, each known input validated (`_invalid`), unknowns left for later.
- diff: a change to a REPLACE_KEYS input (or an unknown one, in preview) replaces, which runs the job
  again; a change to a TUNING_KEYS input updates in place. `__provider` is never compared: it changes
  with unrelated code edits.
- update: keeps the outputs (what the job made) and takes the new tuning inputs.
- delete and read: nothing in Azure by default. The job is a past event; what it made, and what it ran on,
  belong to other resources (or to a retention policy). Two providers override delete because Azure
  refuses the delete that follows theirs otherwise: ImageBuild cancels a run in progress (before its
  template goes), DefinitionVersions deletes the versions Image Builder wrote (before their definition goes).
- Azure calls go through `_session` (arm.ArmSession) and arm's one retry policy.

Subclasses stay in their own modules: a provider is pickled into the state by reference (module path and
class name), and nothing of this base is stored there.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Callable, Optional

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pulumi.output import contains_unknowns
from pulumi.runtime import rpc

from components.providers.arm import ArmRetry, ArmSession, management_client


def unknown(value: Any) -> bool:
    """An input not known yet (preview), bare or nested."""
    return value == rpc.UNKNOWN or contains_unknowns(value)


def with_defaults(props: dict, defaults: dict) -> dict:
    return {**defaults, **{k: v for k, v in props.items() if v is not None}}


def is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float))


def human_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f}s"
    minutes = round(seconds / 60)
    return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"


class ArmDynamicResource(pulumi.dynamic.Resource):
    """Base of our ARM dynamic resources, declaring the inputs they all have (inputs are outputs too:
    delete and read only see outputs). Subclasses give the type token with module= and name=."""

    subscription_id: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]
    poll_interval_seconds: pulumi.Output[float]
    api_version: pulumi.Output[str]
    arm_endpoint: pulumi.Output[str]


def resource_props(args: Any, output_keys: tuple[str, ...]) -> dict[str, Any]:
    """The props of a dynamic resource from its args dataclass. A fresh dict each time (the SDK mutates
    it), with the output keys present as None: only keys in props become outputs."""
    return {**{f.name: getattr(args, f.name) for f in fields(args)}, **dict.fromkeys(output_keys)}


class ArmDynamicProvider(ResourceProvider):
    """Subclasses declare REPLACE_KEYS, TUNING_KEYS, DEFAULTS and CLIENT (the SDK client class), and
    implement create; they may refine `_invalid` (check) and `_differs` (diff).

    Constructor arguments exist for tests (fake ARM server); production uses the defaults. The instance
    is pickled into state, so it must never hold a live credential or client in production."""

    REPLACE_KEYS: tuple[str, ...] = ()
    TUNING_KEYS: tuple[str, ...] = ()
    DEFAULTS: dict[str, Any] = {}
    RANGES: dict[str, tuple[float, float]] = {}  # numeric inputs: inclusive (low, high)
    CLIENT: Callable[..., Any]

    # Class-level defaults: an instance unpickled from older state still finds attributes added later.
    _credential: Any = None
    _client_kwargs: dict = {}
    _retry: Optional[ArmRetry] = None

    def __init__(self, *, credential: Any = None, client_kwargs: Optional[dict] = None,
                 retry: Optional[ArmRetry] = None) -> None:
        super().__init__()
        self._credential, self._client_kwargs, self._retry = credential, dict(client_kwargs or {}), retry

    @property
    def input_keys(self) -> tuple[str, ...]:
        return self.REPLACE_KEYS + self.TUNING_KEYS

    @property
    def arm_retry(self) -> ArmRetry:
        return self._retry or ArmRetry()

    def _with_defaults(self, props: dict) -> dict:
        return with_defaults(props, self.DEFAULTS)

    # -- Pulumi contract ---------------------------------------------------------------------------

    def check(self, _olds: dict, news: dict) -> CheckResult:
        inputs, failures = self._with_defaults(news), []
        for key in self.input_keys:
            value = inputs.get(key)
            if unknown(value):  # preview: decided when known
                continue
            reason = self._invalid(key, value)
            if reason:
                failures.append(CheckFailure(key, reason))
        return CheckResult(inputs, failures)

    def _invalid(self, key: str, value: Any) -> Optional[str]:
        """Why a known input is not acceptable, or None. Numbers must lie in their RANGES; every other
        input is by default a non-empty string."""
        if key in self.RANGES:
            low, high = self.RANGES[key]
            return None if is_number(value) and low <= value <= high else \
                f"{key} must be a number from {low} to {high}, got {value!r}"
        if not isinstance(value, str) or not value:
            return f"{key} must be a non-empty string, got {value!r}"
        return None

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        # `olds` are stored outputs (they carry the inputs).
        old, new = self._with_defaults(olds), self._with_defaults(news)
        changed = [k for k in self.input_keys if unknown(new.get(k)) or self._differs(k, old.get(k), new.get(k))]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k in self.REPLACE_KEYS],
                          delete_before_replace=False)

    def _differs(self, _key: str, old: Any, new: Any) -> bool:
        return old != new

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        # Only tuning inputs reach update (diff replaces on the rest): keep what the job made.
        new = self._with_defaults(news)
        outs = {k: v for k, v in olds.items() if not k.startswith("__")}
        return UpdateResult({**outs, **{k: new[k] for k in self.TUNING_KEYS}})

    def delete(self, _id: str, _props: dict) -> None:
        return None

    def read(self, id_: str, props: dict) -> ReadResult:
        return ReadResult(id_, props)

    # -- Azure -------------------------------------------------------------------------------------

    def _session(self, a: dict) -> ArmSession:
        """A context manager giving an ArmSession over CLIENT: the retry policy renews it after a 401."""
        return ArmSession(lambda: self._client(a))

    def _client(self, a: dict) -> Any:
        """A context manager for CLIENT, built per call from the (defaulted) inputs `a`."""
        # No polling_interval: every begin_* call brings its own poller (arm.lro_polling) or none.
        return management_client(self.CLIENT, subscription_id=a["subscription_id"],
                                 api_version=a["api_version"], arm_endpoint=a["arm_endpoint"],
                                 credential_override=self._credential, **self._client_kwargs)
