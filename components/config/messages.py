"""What a validation error says to the operator: the rule and the fix in this program's words, never the
validation library's ("Input should be", "input tag ... found using 'type'", "Field required").

loading.py turns each pydantic error into (key, value, what is allowed); this module writes the last part
from the error's type and context, suggests the nearest known key or value ("did you mean"), and names a
customizer or validation by its `name` rather than its position in the list.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Iterable, Optional

from .azure_rules import REGIONS
from .time_zones import WINDOWS_TIME_ZONE_RULE, WINDOWS_TIME_ZONES

# Lists whose items the operator knows by their `name` (Image Builder's customizers and validations).
NAMED_LISTS = frozenset({"customize", "inVMValidations"})


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """" (did you mean X?)" for the choice nearest to word, compared ignoring case; "" when none is near."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=cutoff)
    return f" (did you mean {lowered[close[0]]}?)" if close else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _quote_hint(value: Any) -> str:
    """A number where text is wanted: YAML read it as a number, so it must be quoted."""
    return f": write it in quotes, \"{value}\" (YAML reads {value} unquoted as a number)" if _is_number(value) else ""


def _expected(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def explain(kind: str, message: str, ctx: dict, value: Any) -> str:
    """The rule a value broke, as one clause starting with a verb ("must be ...", "is required")."""
    if kind == "missing":
        return "is required"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind == "string_type":
        return "must be text" + _quote_hint(value)
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "must be a map of keys to values"
    if kind in ("list_type", "tuple_type", "set_type"):
        return "must be a list"
    if kind == "literal_error":
        allowed = _expected(str(ctx.get("expected", "")))
        hint = _quote_hint(value) if _is_number(value) and str(value) in allowed else did_you_mean(str(value), allowed)
        return f"must be one of {', '.join(repr(a) for a in allowed)}{hint}"
    if kind == "union_tag_invalid":
        allowed = _expected(str(ctx.get("expected_tags", "")))
        return f"must be one of {', '.join(allowed)} (case matters){did_you_mean(str(ctx.get('tag')), allowed)}"
    if kind == "union_tag_not_found":
        return f"needs a {ctx.get('discriminator', 'type').strip(chr(39))} key"
    bounds = {"less_than_equal": ("at most", "le"), "greater_than_equal": ("at least", "ge"),
              "less_than": ("less than", "lt"), "greater_than": ("more than", "gt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return "must not be empty" if n == 1 else f"must be at least {n} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}"
    if kind == "extra_forbidden":
        return "is not a known key"
    message = message.removeprefix("Value error, ")
    message = re.sub(r" or instance of \w+", "", message)  # a Python class name means nothing here
    # Whatever else the library says, in our grammar: never its "Input should ..." wording.
    message = re.sub(r"^(?:Input|Value|String|List|Dictionary|Tuple|Set|Object|Data) should ", "must ", message)
    return message[0].lower() + message[1:] if message else "is not valid here"


def named(loc: tuple, document: Any) -> dict[int, str]:
    """For each position in loc that indexes a customize/inVMValidations list: the item's name, when the
    item has a unique text name there (else the position stays a number)."""
    out: dict[int, str] = {}
    node = document
    for i, part in enumerate(loc):
        naming_itself = loc[-1] == "name" and len(loc) - i <= 3  # a bad name: say where it is instead
        if isinstance(part, int) and i and loc[i - 1] in NAMED_LISTS and isinstance(node, list) and not naming_itself:
            item = node[part] if part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name and sum(isinstance(s, dict) and s.get("name") == name for s in node) == 1:
                out[i] = name
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif not isinstance(part, str) or not isinstance(node, (dict, list)):
            node = None
    return out


def item_label(name: str) -> str:
    """How a named list item appears in a key: customize[restart-before-updates]."""
    return f"[{json.dumps(name)[1:-1]}]"


def value_at(loc: tuple, document: Any) -> Optional[Any]:
    node = document
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def region_hint(value: str) -> str:
    """" (did you mean uksouth?)" for a region written as its display name (`UK South`) or misspelt."""
    folded = str(value).replace(" ", "").lower()
    if folded in REGIONS:
        return f" (did you mean {folded}? that is its display name)"
    close = sorted(r for r in REGIONS if r[:4] == folded[:4]) or difflib.get_close_matches(folded, sorted(REGIONS), n=1)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def time_zone_problem(value: str) -> str | None:
    """Why value is no Windows time zone ID, with the nearest one; None when it is one."""
    if value in WINDOWS_TIME_ZONES:
        return None
    folded = {z.lower(): z for z in WINDOWS_TIME_ZONES}
    close = ([folded[value.lower()]] if value.lower() in folded else
             [folded[c] for c in difflib.get_close_matches(value.lower(), sorted(folded), n=1, cutoff=0.6)])
    hint = f" (did you mean {close[0]}?)" if close else ""
    iana = " (an IANA name such as Europe/London is not one)" if "/" in value and not close else ""
    return f"must be {WINDOWS_TIME_ZONE_RULE}{hint}{iana}"
