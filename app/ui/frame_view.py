"""A widget that shows rendered frames, letterboxed to its own size, with an optional HUD.

Both the preview and the fullscreen output use it. It never receives frames by signal: its
owner's display timer calls ``show_frame`` with the newest frame from the engine's mailbox
(DESIGN §3), and the numpy image is copied into a QImage here, on the GUI thread.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPixmap
from PyQt6.QtWidgets import QSizePolicy, QWidget

from app.core.types import RenderedFrame


def to_qimage(image: np.ndarray) -> QImage:
    """An HxWx3 uint8 array as a QImage that owns its pixels (safe after the array goes)."""
    h, w, _ = image.shape
    data = np.ascontiguousarray(image)
    return QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def to_qicon(image: np.ndarray) -> QIcon:
    """An HxWx3 uint8 array as an icon (thumbnails)."""
    return QIcon(QPixmap.fromImage(to_qimage(image)))


class FrameView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self.seq = -1
        self.hud_lines: list[str] = []
        self.show_hud = False

    def show_frame(self, frame: RenderedFrame) -> None:
        if frame.seq == self.seq and self._image is not None:
            return
        self.seq = frame.seq
        if frame.image.ndim == 3 and frame.image.shape[0] > 1:
            self._image = to_qimage(frame.image)
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
        if self.show_hud and self.hud_lines:
            painter.setFont(QFont("monospace", 9))
            metrics = painter.fontMetrics()
            box_h = metrics.height() * len(self.hud_lines) + 8
            box_w = max(metrics.horizontalAdvance(line) for line in self.hud_lines) + 12
            painter.fillRect(QRectF(6, 6, box_w, box_h), QColor(0, 0, 0, 170))
            painter.setPen(QColor(220, 255, 220))
            for i, line in enumerate(self.hud_lines):
                painter.drawText(12, 10 + metrics.ascent() + i * metrics.height(), line)
        painter.end()
