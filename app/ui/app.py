"""Starting the desktop app: a QApplication, the live engine, the performance window."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from typing import NoReturn

from app.live import LiveEngine, LiveOptions


def display_variable(environ: Mapping[str, str]) -> str | None:
    """What lets Qt open windows here (a desktop session, or a platform set explicitly),
    as ``NAME=value``, or None."""
    for name in ("WAYLAND_DISPLAY", "DISPLAY", "QT_QPA_PLATFORM"):
        if environ.get(name):
            return f"{name}={environ[name]}"
    return sys.platform if sys.platform in ("darwin", "win32") else None


def display_available() -> bool:
    """Whether Qt can open windows here."""
    return display_variable(os.environ) is not None


def run_app(
    options: LiveOptions, seconds: float | None = None, explicit: frozenset[str] = frozenset()
) -> NoReturn:
    """Open the window on a started engine; when it closes (or after ``seconds``) the
    process exits with the event loop's code (``_exit_skipping_qt_teardown``).
    Options not in ``explicit`` (given on the command line) come from the last run where
    remembered. Bad options raise UserError before any window or audio exists."""
    from app.core.errors import UserError

    from .qt_libs import xcb_problem, xcb_will_be_used

    problem = xcb_problem() if xcb_will_be_used() else None
    if problem:  # else Qt aborts the process with a message that names no package
        raise UserError(problem)
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from .main_window import MainWindow
    from .settings import restore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("latentvj")
    from .settings import remembered_theme
    from .theme import apply_theme

    apply_theme(app, remembered_theme())
    engine = _start_engine(options, set(explicit))
    # Ctrl-C and SIGTERM close the window like Quit does (Python runs the handler the next
    # time the display timer gives it control)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    try:
        window = MainWindow(engine)
        restore(window)
        window.show()
        window.show_notice(f"'{engine.patch.name}', {engine.where}")
        print(f"latentvj: window open, '{engine.patch.name}', {engine.where}", flush=True)
        if seconds is not None:
            QTimer.singleShot(int(seconds * 1000), window.close)
        code = app.exec()
    finally:
        engine.stop()
    _exit_skipping_qt_teardown(code)


def _exit_skipping_qt_teardown(code: int) -> NoReturn:
    """End the process once the window has closed (layout remembered, background work
    waited for) and the engine has stopped (a recording finished, audio and MIDI clients
    closed, shared memory unlinked): nothing is left to save. PyQt's own clean-up at
    interpreter exit walks every wrapper it ever made, and now and then met a dangling one
    (a SIGSEGV in PyQt6's cleanup_on_exit, about one exit in twenty on a loaded machine,
    from a core dump): so the process skips it, as pyqtgraph.exit() does."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _start_engine(options: LiveOptions, explicit: set[str]) -> LiveEngine:
    """The engine started on remembered choices; where one is unusable now (a device
    unplugged, a preset deleted), on what was asked for instead."""
    from app.core.errors import UserError

    from .settings import remembered_options

    remembered = remembered_options(options, explicit)
    if remembered != options:
        try:
            return LiveEngine(remembered).start()
        except UserError:
            pass
    return LiveEngine(options).start()
