"""The make targets the README and the workflows name run the modules they should."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from offline.plan import ROOT


@pytest.mark.parametrize("args, command", [
    (["plan", "FORMAT=mermaid"], "-m offline --stack dev --format mermaid"),
    (["plan", "STACK=prod", "FORMAT=dot"], "-m offline --stack prod --format dot"),
    (["diff", "BASE=HEAD~1", "STACK=prod", "FORMAT=json"], "-m offline.diff_cli --base HEAD~1 --stack prod --format json"),
    (["policy", "STACK=all"], "-m policy.offline --stack all --format text"),
    (["readme-graph"], "-m offline.readme_graph --write"),
    (["docs"], "-m offline.config_docs --write"),
])
def test_make_target(args, command):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and command in done.stdout, done.stdout + done.stderr


def test_make_diff_without_a_base_says_how_to_use_it():
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-s", "diff", "-o", ".venv/.installed"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "usage: make diff BASE=<git ref>" in done.stdout
