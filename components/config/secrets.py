"""Secret hygiene: which keys are secrets, which must not be, and keeping every secret out of every line.

An error line is read in CI logs and pasted into chats: it must never hold a password, even one the
user set in plain text or under a misspelt key. Values are hidden by what their key looks like
(password, secret, token, key, ... and near misses such as `adminPasword`) and by what Pulumi says is
a secret (`secure:` in the stack file).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Iterable

SECRET = "[secret]"
# The secrets this program reads; they never enter the model (which could print them).
SECRET_KEYS = ("adminPassword", "domainJoinPassword", "artifactSasToken")
# What each secret is, for the config reference and the stack-file schema (they are not model fields).
SECRET_DESCRIPTIONS = {
    "adminPassword": (
        "The local administrator's password on every fleet VM and reference VM; default a generated "
        "RandomPassword. Set it with `pulumi config set --secret image-factory:adminPassword`. Changing it: "
        "replace VMs: Azure sets a VM's password only at creation, so `vms` fleets are recreated (scale sets "
        "take it into their model); rotate day-to-day credentials with LAPS instead."),
    "domainJoinPassword": (
        "The password of `fleets.<name>.domainJoin.user`, needed by every fleet with domainJoin. Set it with "
        "`pulumi config set --secret image-factory:domainJoinPassword`. Changing it: in place (the join "
        "extension's protected settings); joined VMs stay joined."),
    "artifactSasToken": (
        "A SAS token appended to the URIs of customizers with `useSasToken: true` when the build downloads "
        "them; never stored in a template, hashed or printed. Changing it: nothing: rotating it rebuilds "
        "nothing, since the checksum already pins the content."),
}
# A shared access signature in a URI ("Grant limited access with shared access signatures", the `sig`
# parameter): a credential, whatever key it sits under.
SAS_SIGNATURE = re.compile(r"[?&]sig=", re.IGNORECASE)
# Keys whose values end up in Azure resource names or tags, which Azure stores and shows in plain text
# to anyone who can read the resource: a `secure:` value there would be decrypted into them.
NAMED_KEYS = frozenset({"owner", "environment", "location", "resourceGroup", "gallery", "tags", "images", "fleets",
                        "captures", "network", "adminUsername"})

_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "tokens",
                           "key", "keys", "apikey", "credential", "credentials", "sas"})
# Secrets whose name is two words, each harmless alone: `connectionString`, `connection_string`.
_SECRET_PHRASES = ("connectionstring",)
# Misspellings worth catching (`pasword`, `secert`): close to one of these, as difflib measures.
_NEAR = ("password", "secret", "token", "credential", "passphrase")
# Secret words long enough to find inside a run-together key (`adminpassword`) without false alarms.
_LONG_WORDS = ("password", "passwd", "passphrase", "secret", "token", "credential")
_SECRET_KEYS_FOLDED = [k.lower() for k in SECRET_KEYS]
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


def _words(segment: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(segment)]


def _secret_word(word: str) -> bool:
    return (word in _SECRET_WORDS or word.startswith("pass")
            or (len(word) >= 5 and bool(difflib.get_close_matches(word, _NEAR, cutoff=0.8))))


def looks_secret(key: str) -> bool:
    """True for a key (any segment of a dotted path) that names a secret: `adminPassword`, `apiKey`,
    `client_secret`, `adminPasword`, and any spelling or case of one (`adminpassword`, `ADMIN_PASSWORD`,
    `adminpasword`); not `sha256Checksum`, `managedImage` or `keyboardLayout`."""
    for segment in re.split(r"[.\[\]:]", key):  # a phrase never spans . [ ] :
        words = _words(segment)
        joined = "".join(words)
        if any(map(_secret_word, words)) or any(phrase in joined for phrase in _SECRET_PHRASES + _LONG_WORDS):
            return True
        # A run-together or case-typo'd spelling of a secret this program reads (`adminpasword`).
        if joined and difflib.get_close_matches(joined, _SECRET_KEYS_FOLDED, n=1, cutoff=0.8):
            return True
    return False


def redact(value: Any, key: str = "") -> Any:
    """value with everything under a secret-looking key, and every SAS-signed URI, replaced by [secret]
    (for showing dumps)."""
    if (key and looks_secret(key)) or (isinstance(value, str) and SAS_SIGNATURE.search(value)):
        return SECRET
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def secret_strings(value: Any, key: str = "", hidden: bool = False) -> set[str]:
    """Every string held under a secret-looking key in value: what no output line may contain."""
    hidden = hidden or bool(key and looks_secret(key))
    if isinstance(value, dict):
        return {s for k, v in value.items() for s in secret_strings(v, str(k), hidden)}
    if isinstance(value, list):
        return {s for v in value for s in secret_strings(v, hidden=hidden)}
    return {str(value)} if hidden and value is not None and str(value).strip() else set()


def scrub(text: str, secrets: Iterable[str]) -> str:
    """The last guard: any secret that reached a line (inside a hint, a message) becomes [secret]."""
    for secret in sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True):
        text = text.replace(secret, SECRET)
    return text


# A password written into a PowerShell line: a literal after ConvertTo-SecureString, after a -*Password,
# -Secret or -Token parameter, assigned to a $*password/secret/token variable, `net user <name> <password>`,
# or Password=... in a connection string. A variable or an environment value ($env:X) is not a literal.
_INLINE_LITERALS = (
    re.compile(r"ConvertTo-SecureString\s+(?:-String\s+)?(['\"])(?P<value>[^'\"$][^'\"]*)\1", re.IGNORECASE),
    re.compile(r"-\w*(?:password|passwd|pwd|secret|token)\w*\s*:?\s*(['\"])(?P<value>[^'\"$][^'\"]*)\1", re.IGNORECASE),
    re.compile(r"\$\w*(?:password|passwd|pwd|secret|token)\w*\s*=\s*(['\"])(?P<value>[^'\"$][^'\"]*)\1", re.IGNORECASE),
    re.compile(r"\bnet\s+user\s+\S+\s+(?P<value>[^\s/*$'\"][^\s]*)", re.IGNORECASE),
    re.compile(r"\b(?:password|pwd)\s*=\s*(?P<value>[^\s;'\"$][^\s;'\"]*)", re.IGNORECASE),
)
INLINE_SECRET_FIX = ("holds a literal password: the recipe is stored in the image template, which anyone who can "
                     "read it sees; read it in the script at build time (Get-AzKeyVaultSecret with the build "
                     "identity) or set it on the VM after deployment, never in the stack file")


def inline_literals(line: str) -> list[str]:
    """The literal passwords written in one line of an inline PowerShell script."""
    return [m["value"] for pattern in _INLINE_LITERALS for m in pattern.finditer(line)]
