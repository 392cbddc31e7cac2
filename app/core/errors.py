"""User-facing errors: one clear line naming the thing and what is wrong."""


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
