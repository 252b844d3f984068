"""Every error line the config tests provoke is checked for the validation library's wording: the whole
corpus of tests/config, not a chosen few, so a new pydantic error type cannot reach the operator unseen."""

from __future__ import annotations

import pytest

from components.config import loading

# pydantic's phrases (its error messages, and the text of a ValidationError): none may reach an error line.
LIBRARY_PHRASES = ("Input should", "input should", "input tag", "Field required", "validation error", "type=",
                   "For further information visit", "String should", "string should", "List should",
                   "list should", "Value should", "value should", "Dictionary should", "dictionary should",
                   "Value error,", "Unable to extract tag", "union_tag", "literal_error", "errors.pydantic.dev")


def library_wording(text: str) -> list[str]:
    return [p for p in LIBRARY_PHRASES if p in text]


@pytest.fixture(autouse=True)
def no_library_wording(monkeypatch):
    """Wraps the one function every config error line passes through, and checks what it wrote."""
    written: list[str] = []
    original = loading.format_problems

    def recording(*args, **kwargs):
        text = original(*args, **kwargs)
        written.append(text)
        return text

    monkeypatch.setattr(loading, "format_problems", recording)
    yield written
    leaked = [(line, library_wording(line)) for text in written for line in text.split("\n") if library_wording(line)]
    assert not leaked, f"the validation library's words reached an error line: {leaked[:3]}"
