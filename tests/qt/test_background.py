"""Work off the GUI thread always answers: a result, a UserError's line, or the name of
any other failure (so a panel waiting for thumbnails is never left waiting)."""

from __future__ import annotations

from app.core.errors import UserError
from app.ui.widgets import Background


def answers(qtbot, work):
    got = []
    background = Background(lambda result, error: got.append((result, error)))
    with qtbot.waitSignal(background.done, timeout=5000):
        background.run(work, "thumbnails")
    Background.wait_all()
    return got


def test_every_outcome_comes_back(qtbot):
    def refused():
        raise UserError("no such model")

    assert answers(qtbot, lambda: 42) == [(42, "")]
    assert answers(qtbot, refused) == [(None, "no such model")]
    assert answers(qtbot, lambda: 1 / 0) == [
        (None, "thumbnails: ZeroDivisionError: division by zero")
    ]
