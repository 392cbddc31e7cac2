"""Beat lights: one light per beat of the bar (the downbeat in its own colour), the bar's
place in a four-bar phrase, and the tempo with how sure the tracker is, so a performer
sees the lock at a glance. Drawn from the musical position of the frame on screen."""

from __future__ import annotations

import math

from PyQt6.QtCore import QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QPainter
from PyQt6.QtWidgets import QWidget

PHRASE_BARS = 4
DOWNBEAT = QColor("#ff4d4d")
BEAT = QColor("#f0a024")
UNLIT = QColor("#3a3d45")
TEXT = QColor("#e8e8ea")


def clock_position(beats: float, bar_phase: float, beats_per_bar: int) -> tuple[int, int, float]:
    """(beat in the bar, bar in the phrase, phrase progress 0-1) at a musical position."""
    beat = min(beats_per_bar - 1, int(bar_phase * beats_per_bar))
    bar_start = beats - bar_phase * beats_per_bar
    bar = int(round(bar_start / beats_per_bar)) % PHRASE_BARS
    return beat, bar, (bar + bar_phase) / PHRASE_BARS


class BeatLights(QWidget):
    """``set_clock`` from the display timer; paints on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("beat-lights")
        self.beats_per_bar = 4
        self.beat = self.bar = -1
        self.phrase = 0.0
        self.text = ""
        self.setToolTip(
            "beats of the bar (downbeat red), the bar in a four-bar phrase, "
            "tempo and the tracker's confidence"
        )

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(260, 22)

    def set_clock(
        self,
        beats: float,
        bar_phase: float,
        beats_per_bar: int,
        bpm: float,
        confidence: float,
        locked: bool,
    ) -> None:
        if not all(math.isfinite(v) for v in (beats, bar_phase, bpm)):
            return
        self.beats_per_bar = max(1, beats_per_bar)
        beat, bar, phrase = clock_position(beats, bar_phase, self.beats_per_bar)
        text = f"{bpm:5.1f} BPM {round(100 * confidence):3d}%" + (" lock" if locked else "")
        if (beat, bar, round(phrase, 2), text) != (
            self.beat,
            self.bar,
            round(self.phrase, 2),
            self.text,
        ):
            self.beat, self.bar, self.phrase, self.text = beat, bar, phrase, text
            self.update()

    def lit(self) -> list[bool]:
        return [i == self.beat for i in range(self.beats_per_bar)]

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        size = min(16.0, h - 6.0)
        x = 4.0
        for i, on in enumerate(self.lit()):
            colour = (DOWNBEAT if i == 0 else BEAT) if on else UNLIT
            painter.setBrush(colour)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QRectF(x, (h - size) / 2, size, size))
            x += size + 5
        x += 4
        width = 60.0  # the phrase: four bar segments, filled up to the position
        for bar in range(PHRASE_BARS):
            seg = QRectF(x + bar * width / PHRASE_BARS + 1, h / 2 - 3, width / PHRASE_BARS - 2, 6)
            painter.setBrush(UNLIT)
            painter.drawRect(seg)
            fill = min(1.0, max(0.0, self.phrase * PHRASE_BARS - bar))
            if fill > 0:
                painter.setBrush(DOWNBEAT if bar == 0 else BEAT)
                painter.drawRect(QRectF(seg.x(), seg.y(), seg.width() * fill, seg.height()))
        painter.setPen(TEXT)
        painter.drawText(
            QRectF(x + width + 8, 0, self.width() - x - width - 8, h),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.text,
        )
        painter.end()
