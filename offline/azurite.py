"""Azurite, Microsoft's Azure Storage emulator, as a local page-blob endpoint: DiskUpload's tests and `make bench`
upload to it. Installed from npm by tests/azurite/package.json (+ package-lock.json: `npm ci`, which
`make venv`, `make test` and `make bench` run).

Started on loopback, on a free port, with its data in a temporary folder removed at stop. The account is
Azurite's well-known development account (published in Azurite's README; not a secret: it opens nothing but
this emulator).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
AZURITE_BLOB = ROOT / "tests" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
HOW_TO_INSTALL = ("Azurite is not installed: run `npm ci --prefix tests/azurite` "
                  "(`make venv`, `make test` and `make bench` do it)")


def installed() -> Optional[Path]:
    """The azurite-blob launcher, or None."""
    return AZURITE_BLOB if AZURITE_BLOB.exists() and shutil.which("node") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Azurite:
    """One azurite-blob process. `blob_endpoint` is the account's URL; `connection_string` for the SDK."""

    def __init__(self, startup_seconds: float = 30.0) -> None:
        launcher = installed()
        if launcher is None:
            raise RuntimeError(HOW_TO_INSTALL)
        self.port = _free_port()
        self._dir = tempfile.mkdtemp(prefix="azurite-")
        self._proc = subprocess.Popen(
            [str(launcher), "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", self._dir,
             "--silent", "--skipApiVersionCheck", "--disableProductStyleUrl"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self.blob_endpoint = f"http://127.0.0.1:{self.port}/{ACCOUNT}"
        self.connection_string = (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
                                  f"BlobEndpoint={self.blob_endpoint};")
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                urllib.request.urlopen(f"{self.blob_endpoint}?comp=list", timeout=1)
            except urllib.error.HTTPError:
                return  # it answers (403 without a signature): up
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    err = (self._proc.stderr.read() if self._proc.stderr else b"").decode(errors="replace")
                    self.stop()
                    raise RuntimeError(f"Azurite did not start on 127.0.0.1:{self.port}: {err.strip()[:500]}")
                time.sleep(0.1)

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stderr:
            self._proc.stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "Azurite":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
