"""User-facing errors: one clear line naming the thing and what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class UserError(Exception):
    """Bad input from the user (a file, a preset, a flag, a device, a model).

    The CLI prints ``str(error)`` as one line and exits with code 2, without a traceback.
    The message must name the thing (file path, field path, flag) and say what is wrong.
    """


def describe(exc: BaseException, limit: int = 160) -> str:
    """The first sentence of an exception's message (or its type), for one-line errors."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    first = text.splitlines()[0]
    sentence_end = first.find(". ")
    return (first[:sentence_end] if sentence_end > 0 else first)[:limit]


def validation_message(exc: Exception, show_input: bool = False, top_level: str = "") -> str:
    """A pydantic ValidationError's first problem as ``field.path[index]: what is wrong``
    (the one-line form every user error takes): an unknown field says so, pydantic's
    "Value error, " prefix is dropped, ``show_input`` adds the offending value, and an
    error at the top level reads ``top_level: ...`` (or the message alone)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    err = errors()[0]
    loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"])
    loc = loc.replace(".[", "[") or top_level
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    else:
        msg = err["msg"].removeprefix("Value error, ")
        if (
            show_input
            and err["type"] != "missing"
            and "input" in err
            and not isinstance(err["input"], dict)
        ):
            msg = f"{msg} (got {err['input']!r})"
    return f"{loc}: {msg}" if loc else msg


def validate_each(
    model,
    entries: list,
    label: Callable[[int, object], str],
    check: Callable[[Any], str | None] = lambda item: None,
    suffix: str = "",
) -> tuple[list, list[str]]:
    """Each of ``entries`` validated on its own as ``model`` (a pydantic model), then by
    ``check`` (a problem, or None): (the valid ones, one line per bad one, as
    ``label(i, entry): what is wrong`` plus ``suffix``). A list a user edits keeps playing
    with its good rows while the bad ones are reported."""
    from pydantic import ValidationError

    items, problems = [], []
    for i, entry in enumerate(entries):
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            problems.append(f"{label(i, entry)}: {validation_message(exc)}{suffix}")
            continue
        problem = check(item)
        if problem is not None:
            problems.append(f"{label(i, entry)}: {problem}{suffix}")
            continue
        items.append(item)
    return items, problems
