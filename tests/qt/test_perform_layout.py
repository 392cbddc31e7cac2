"""Perform / Edit: F2 puts the panels away for a large preview and brings them back as they
were; closing in Perform remembers the Edit layout."""

from __future__ import annotations

from PyQt6.QtCore import Qt


def test_perform_and_edit_switch_keeps_the_layout(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    window.motion_dock.raise_()  # the performer's own arrangement: the Motion tab in front
    window.removeDockWidget(window.audio_dock)  # and the Audio panel floating on its own
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.audio_dock)
    window.audio_dock.show()
    edit_state = window.saveState()
    preview_width = window.preview.width()
    window.layout_action.trigger()  # F2
    assert window.performing and not any(d.isVisible() for d in window.docks)
    qtbot.waitUntil(lambda: window.preview.width() > preview_width)  # the preview grows
    assert window.edit_layout() == edit_state  # what closing now would remember
    window.layout_action.trigger()
    assert not window.performing
    assert window.saveState() == edit_state
    assert window.dockWidgetArea(window.audio_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.audio_dock.isVisible() and window.motion_dock.isVisible()


def test_the_layout_mode_is_remembered(qtbot, window):
    from app.ui.settings import remember, restore

    window.set_perform(True)
    remember(window)
    window.set_perform(False)
    restore(window)  # as the next start does
    assert window.performing
    window.set_perform(False)
    remember(window)
    restore(window)
    assert not window.performing
