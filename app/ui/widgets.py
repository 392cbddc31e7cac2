"""Small building blocks the panels share."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QPushButton

from app.core.errors import UserError


def button_row(
    specs: Sequence[tuple[str, Callable[[], object]]], into: dict[str, QPushButton]
) -> QHBoxLayout:
    """A row of push buttons, one per (label, slot); each is also put in ``into`` by label
    (tests and callers reach them there)."""
    row = QHBoxLayout()
    for label, slot in specs:
        button = QPushButton(label)
        button.clicked.connect(slot)
        row.addWidget(button)
        into[label] = button
    return row


class Background(QObject):
    """Runs work off the GUI thread (loading presets and models, rebuilding renderers,
    drawing thumbnails) and hands its outcome to ``on_done(result, error)`` on the GUI
    thread; ``error`` is the UserError's line (or the name of any other failure, so the
    caller never waits for an answer that does not come), "" when the work succeeded. The window
    calls ``wait_all`` as it closes, so no work outlives the objects it reports to."""

    done = pyqtSignal(object, str)
    _running: set[threading.Thread] = set()

    @classmethod
    def wait_all(cls, timeout_s: float = 10.0) -> None:
        for thread in list(cls._running):
            thread.join(timeout_s)

    def __init__(self, on_done: Callable[[object, str], None]) -> None:
        super().__init__()
        self.done.connect(on_done)

    def run(self, work: Callable[[], object], name: str) -> None:
        def target() -> None:
            try:
                self.done.emit(work(), "")
            except UserError as exc:
                self.done.emit(None, str(exc))
            except Exception as exc:  # noqa: BLE001 - said in the window; the show goes on
                self.done.emit(None, f"{name}: {type(exc).__name__}: {exc}")
            finally:
                Background._running.discard(threading.current_thread())

        thread = threading.Thread(target=target, name=name, daemon=True)
        Background._running.add(thread)
        thread.start()
