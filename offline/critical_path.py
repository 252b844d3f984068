"""How long `pulumi up` of a new stack will take, estimated from a plan document: the critical path.

Each custom resource starts when everything it depends on has finished and takes its nominal time
(offline/durations.py). Two waits Azure and the engine add are part of the estimate:
- dynamic resources share one provider process with PROVIDER_THREADS worker threads: a ready one that
  finds all four busy queues, first come first served;
- the replica steps of one image version update it one at a time (VersionReplicas' lock per version,
  home region first, then the others by name); a step waiting for the lock holds its thread.
The critical path is the chain of waits that ends last: each link is what the next one waited for
(a dependency, a provider thread, or the version's lock). It is an estimate, and the output says so.
"""

from __future__ import annotations

import heapq
from typing import Any

from .durations import PROVIDER_THREADS, REPLICAS, TABLE, change_minutes, minutes
from .durations import is_long_wait as _is_long_wait

FLEET = "image-factory:fleet:VmFleet"
NOTE = ("an estimate, not a measurement: nominal durations from offline/durations.py (each with the Microsoft "
        f"document it comes from), queueing behind the {PROVIDER_THREADS} dynamic-provider threads included; "
        "Azure's real times vary")


def _lock_key(resource: dict, index: dict[str, dict]) -> tuple | None:
    """Replica steps of one version share its lock: steps under one image component update one version."""
    if resource["type"] != REPLICAS:
        return None
    builds = tuple(sorted(u for u in resource["dependsOn"] if index[u]["type"].endswith(":ImageBuild")))
    return builds or (resource["parent"],)


def _is_home(resource: dict, index: dict[str, dict]) -> bool:
    location = next((index[t]["inputs"].get("location") for b in resource["dependsOn"] for t in index[b]["dependsOn"]
                     if index[t]["type"].endswith(":VirtualMachineImageTemplate")), None)
    return any(r.get("name") == location for r in resource["inputs"].get("target_regions") or [])


def simulate(doc: dict, runs: dict[str, float] | None = None) -> dict[str, Any]:
    """Start, finish and what each custom resource waited for last, plus the provider threads' peak demand.
    runs: for a change to a deployed stack, the minutes of each resource the change touches; the others
    take no time and hold no provider thread (Pulumi's "same" step makes no call)."""
    nodes = {r["urn"]: r for r in doc["resources"] if r["custom"]}
    deps = {u: [d for d in r["dependsOn"] if d in nodes] for u, r in nodes.items()}
    dependents: dict[str, list[str]] = {u: [] for u in nodes}
    for u, ds in deps.items():
        for d in ds:
            dependents[d].append(u)
    length = {u: minutes(r, nodes) for u, r in nodes.items()} if runs is None else \
        {u: runs.get(u, 0.0) for u in nodes}

    def is_long_wait(resource: dict) -> bool:
        return _is_long_wait(resource) and (runs is None or resource["urn"] in runs)
    lock = {u: _lock_key(r, nodes) for u, r in nodes.items()}
    order = {u: (not _is_home(r, nodes) if lock[u] else False, r["name"], u) for u, r in nodes.items()}
    left = {u: len(ds) for u, ds in deps.items()}
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    waited: dict[str, tuple[str | None, str]] = {}  # urn -> (what it waited for last, why)
    events: list[tuple[float, tuple, str]] = []
    threads, thread_queue, locks, lock_queue = PROVIDER_THREADS, [], {}, {}
    peak = {"demand": 0, "at": 0.0, "queued": []}

    def run(u: str, t: float) -> None:
        start[u], finish[u] = t, t + length[u]
        heapq.heappush(events, (finish[u], order[u], u))

    def with_thread(u: str, t: float) -> None:
        if lock[u] is not None and locks.get(lock[u]):
            lock_queue.setdefault(lock[u], []).append(u)
            return
        if lock[u] is not None:
            locks[lock[u]] = u
        run(u, t)

    def ready(u: str, t: float, after: str | None) -> None:
        nonlocal threads
        waited[u] = (after, "dependency")
        if not is_long_wait(nodes[u]):
            return run(u, t)
        if threads:
            threads -= 1
            with_thread(u, t)
        else:
            thread_queue.append(u)

    def measure(t: float) -> None:  # once all that happens at t has happened
        nonlocal peak
        busy = PROVIDER_THREADS - threads
        if busy + len(thread_queue) > peak["demand"]:
            peak = {"demand": busy + len(thread_queue), "at": t, "queued": [nodes[q]["name"] for q in thread_queue]}

    for u in sorted(nodes, key=lambda u: order[u]):
        if not left[u]:
            ready(u, 0.0, None)
    measure(0.0)
    while events:
        t, _, u = heapq.heappop(events)
        for v in dependents[u]:
            left[v] -= 1
        newly = sorted((v for v in dependents[u] if not left[v]), key=lambda v: order[v])
        if is_long_wait(nodes[u]):
            if lock[u] is not None:
                locks[lock[u]] = None
                queue = sorted(lock_queue.get(lock[u], []), key=lambda v: order[v])
                if queue:
                    nxt = queue[0]
                    lock_queue[lock[u]].remove(nxt)
                    locks[lock[u]] = nxt
                    waited[nxt] = (u, "the version's lock")
                    run(nxt, t)
            if thread_queue:
                nxt = thread_queue.pop(0)
                waited[nxt] = (u, "a provider thread")
                with_thread(nxt, t)
            else:
                threads += 1
        for v in newly:
            ready(v, t, u)
        if not events or events[0][0] > t:
            measure(t)
    return {"nodes": nodes, "start": start, "finish": finish, "waited": waited, "peak": peak, "length": length}


def critical_path(doc: dict) -> dict[str, Any]:
    """The plan's `criticalPath` entry: total minutes, the chain (name, URN, minutes, what it waited for)."""
    sim = simulate(doc)
    nodes, finish, waited = sim["nodes"], sim["finish"], sim["waited"]
    if not finish:
        return {"minutes": 0, "estimate": True, "note": NOTE, "path": [], "fleetsReady": {}}
    last = max(finish, key=lambda u: (finish[u], nodes[u]["name"]))
    chain, u = [], last
    while u is not None:
        before, why = waited[u]
        chain.append({"name": nodes[u]["name"], "urn": u, "minutes": sim["length"][u],
                      "startsAfter": why if before else None})
        u = before
    chain.reverse()
    fleets = {r["urn"]: r["name"] for r in doc["resources"] if r["type"] == FLEET}
    ready: dict[str, float] = {}
    for u, r in nodes.items():
        if r["parent"] in fleets:
            ready[fleets[r["parent"]]] = max(ready.get(fleets[r["parent"]], 0.0), finish[u])
    return {"minutes": int(finish[last] + 0.5), "estimate": True, "note": NOTE, "path": chain,
            "fleetsReady": {name: int(t + 0.5) for name, t in sorted(ready.items())}}


CHANGE_NOTE = ("an estimate, not a measurement: only what this change touches runs (durations.py change_minutes: a "
               "rebuild, a new replica region, a delete-first replacement, a resize, a rolling batch), in the order "
               "of the plan's graph; deletions run last")


def change_estimate(doc: dict, changes: list[dict], before: dict[str, dict]) -> dict[str, Any]:
    """How long `pulumi up` of this change takes on the deployed stack (doc: the new plan; changes: the
    diff's classified changes; before: the base plan's resources by URN): the critical path of the
    changed resources, each with change_minutes, then the deletions (Pulumi deletes what leaves the
    program after the rest of the update; they run in parallel)."""
    nodes = {r["urn"]: r for r in doc["resources"] if r["custom"]}
    runs = {c["urn"]: change_minutes(c, nodes[c["urn"]], before.get(c["urn"]), nodes)
            for c in changes if c["urn"] in nodes}
    action = {c["urn"]: c["action"] for c in changes}
    deletes = [c for c in changes if c["action"] == "delete"]
    sim = simulate(doc, runs)
    finish = {u: t for u, t in sim["finish"].items() if u in runs}
    path: list[dict] = []
    end = 0.0
    if finish:
        last = max(finish, key=lambda u: (finish[u], nodes[u]["name"]))
        end, u = finish[last], last
        while u is not None:
            if u in runs and runs[u]:
                path.append({"name": nodes[u]["name"], "urn": u, "minutes": runs[u], "action": action[u]})
            u = sim["waited"][u][0]
        path.reverse()
    if deletes:
        gone = TABLE["delete"].minutes
        path.append({"name": f"{len(deletes)} deletion(s)", "urn": None, "minutes": gone, "action": "delete"})
        end += gone
    return {"minutes": int(end + 0.5), "estimate": True, "note": CHANGE_NOTE, "path": path}


def long_waits(doc: dict) -> dict[str, Any]:
    """The plan's `longWaits` entry: the most dynamic-provider operations that would want a thread at once."""
    peak = simulate(doc)["peak"]
    over = peak["demand"] > PROVIDER_THREADS
    return {"threads": PROVIDER_THREADS, "peak": peak["demand"], "atMinute": int(peak["at"] + 0.5),
            "queued": peak["queued"],
            "warning": (f"{peak['demand']} long waits at once (around minute {int(peak['at'] + 0.5)}) but the dynamic "
                        f"provider has {PROVIDER_THREADS} threads: {', '.join(peak['queued'])} queue(s) behind the "
                        "others. Build fewer images per stack, or split them into separate stacks (docs/design.md: "
                        "Concurrency)") if over else None}


def render(entry: dict, waits: dict) -> list[str]:
    """The text plan's closing lines; the last is the critical path."""
    lines = [f"warning: {waits['warning']}"] if waits["warning"] else []
    path = " → ".join(link["name"] for link in entry["path"])
    fleets = ", ".join(f"{name} ≈ {m} min" for name, m in entry["fleetsReady"].items())
    return lines + [f"Time to a running stack, {entry['note']}.", *([f"fleets running: {fleets}"] if fleets else []),
                    f"critical path ≈ {entry['minutes']} min: {path}"]
