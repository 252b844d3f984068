"""npm packages the tests run with Node.js, installed once into a cache directory outside the clone
(`npm install --prefix`), so that `make test` on a clean clone needs nothing but Node and npm.
IMAGE_FACTORY_NODE_CACHE moves the cache; without Node or npm the tests that need it skip, saying so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("IMAGE_FACTORY_NODE_CACHE", Path.home() / ".cache" / "image-factory" / "node"))


def node_modules(what: str, packages: dict[str, str]) -> Path:
    """node_modules holding packages ({name: exact version}), for the check called what."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip(f"Node.js and npm are not installed: {what} is not checked")
    key = "_".join(f"{n}-{v}" for n, v in sorted(packages.items())).replace("/", "+").replace("@", "")
    prefix = CACHE / key
    for name, version in packages.items():
        manifest = prefix / "node_modules" / name / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text())["version"] != version:
            prefix.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--silent",
                                   *(f"{n}@{v}" for n, v in packages.items())], capture_output=True, text=True,
                                  timeout=900)
            assert done.returncode == 0, f"npm install for {what} failed:\n{done.stderr[-2000:]}"
            break
    return prefix / "node_modules"
