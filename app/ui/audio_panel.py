"""The audio panel: what the engine hears. Input and level, input gain, and pyqtgraph
scopes: the waveform of the last second, low / mid / high band meters, the onset envelope
of the last 4 s with the announced beats as ticks, and tempo with confidence.

It reads the audio ring with its own cursor and the analyzer's history with its own
counter, on the window's display timer: nothing is pushed to it, and it never blocks the
capture or analysis threads.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from app.core.errors import UserError
from app.live import LiveEngine, input_device_names

DEMO = "built-in demo track"

WAVE_S = 1.0
ENVELOPE_S = 4.0
GAIN_DB = (-24, 24)


class AudioPanel(QWidget):
    def __init__(self, engine: LiveEngine, notify) -> None:
        super().__init__()
        self.engine = engine
        self.notify = notify
        self._follow_input()

        layout = QVBoxLayout(self)
        self.device = QComboBox()
        self.device.setObjectName("audio-device")
        self.device.setToolTip("what to listen to: an input device, or the demo track")
        self._list_devices()
        self.device.textActivated.connect(self._choose_device)
        layout.addWidget(self.device)
        self.source = QLabel(engine.where)
        self.source.setWordWrap(True)
        layout.addWidget(self.source)
        gain_row = QHBoxLayout()
        gain_row.addWidget(QLabel("Input gain"))
        self.gain = QSlider(Qt.Orientation.Horizontal)
        self.gain.setObjectName("input-gain")
        self.gain.setRange(*GAIN_DB)
        self.gain.setValue(0)
        self.gain.valueChanged.connect(self._set_gain)
        gain_row.addWidget(self.gain, 1)
        self.gain_label = QLabel("0 dB")
        gain_row.addWidget(self.gain_label)
        layout.addLayout(gain_row)
        self.level = QLabel()
        self.tempo = QLabel()
        self.tempo.setObjectName("tempo")
        layout.addWidget(self.level)
        layout.addWidget(self.tempo)

        pg.setConfigOptions(antialias=False, background="k", foreground="w")
        self.wave_plot = pg.PlotWidget(title="waveform (1 s)")
        self.wave_plot.setYRange(-1, 1)
        self.wave_plot.hideAxis("bottom")
        self.wave_curve = self.wave_plot.plot(pen=pg.mkPen((120, 200, 255), width=1))
        self.bands_plot = pg.PlotWidget(title="bands: low, mid, high")
        self.bands_plot.setYRange(0, 1)
        self.bands_plot.hideAxis("bottom")
        self.bands_bars = pg.BarGraphItem(
            x=[0, 1, 2], height=[0, 0, 0], width=0.7, brushes=["#e85d3a", "#e8c23a", "#3ab8e8"]
        )
        self.bands_plot.addItem(self.bands_bars)
        self.onset_plot = pg.PlotWidget(title="onset envelope and beats (4 s)")
        self.onset_plot.setYRange(0, 1.05)
        self.onset_plot.hideAxis("bottom")
        self.onset_curve = self.onset_plot.plot(pen=pg.mkPen((160, 255, 160), width=1))
        self.beat_ticks = self.onset_plot.plot(
            pen=None, symbol="t1", symbolSize=8, symbolBrush=(255, 170, 0)
        )
        for plot in (self.wave_plot, self.bands_plot, self.onset_plot):
            plot.setMouseEnabled(False, False)
            plot.setMenuEnabled(False)
            plot.setMinimumHeight(90)
            layout.addWidget(plot)

    def _follow_input(self) -> None:
        """(Re)start the scopes on the engine's current ring and analyzer."""
        self._tap = tap = self.engine.input_tap
        self._wave = np.zeros(int(WAVE_S * tap.samplerate), np.float32)
        self._cursor = tap.ring.written
        self._frame_count = 0
        hops = int(ENVELOPE_S * tap.frame_rate)
        self._onset = np.zeros(hops, np.float32)
        self._beat = np.zeros(hops, bool)
        self._bands = np.zeros(3, np.float32)

    def _list_devices(self) -> None:
        self.device.clear()  # without PortAudio, the demo track is all there is
        self.device.addItems(input_device_names() + [DEMO])
        current = self.engine.input_tap.device_name or DEMO
        self.device.setCurrentText(current)

    def _choose_device(self, name: str) -> None:
        try:
            if name == DEMO:
                self.engine.switch_input(play="demo")
            else:
                self.engine.switch_input(audio_device=name)
        except UserError as exc:  # the old input keeps playing
            self.notify(str(exc))
            return
        self.source.setText(self.engine.where)
        self._follow_input()

    def _set_gain(self, db: int) -> None:
        self.engine.input_gain = 10.0 ** (db / 20.0)
        self.gain_label.setText(f"{db:+d} dB")

    def refresh(self) -> None:
        """Pull what arrived since the last call (the window's display timer)."""
        if self.engine.input_tap is not self._tap:  # the input was switched elsewhere
            self._follow_input()
        block, self._cursor, _ = self._tap.ring.read(self._cursor)
        if len(block):
            mono = self.engine.input_gain * np.asarray(block, np.float32).mean(axis=1)
            mono = mono[-len(self._wave) :]
            self._wave = np.concatenate([self._wave[len(mono) :], mono])
            step = max(1, len(self._wave) // 1000)  # ~1000 points drawn
            self.wave_curve.setData(self._wave[::step])
        new = self._tap.history(self._frame_count)
        if new:
            self._frame_count = new[-1][0]
            frames = [f for _, f in new][-len(self._onset) :]
            n = len(frames)
            self._onset = np.concatenate([self._onset[n:], [f.onset for f in frames]])
            self._beat = np.concatenate([self._beat[n:], [f.is_beat for f in frames]])
            self._bands = np.array(frames[-1].bands, np.float32)
            self.onset_curve.setData(self._onset)
            ticks = np.flatnonzero(self._beat)
            self.beat_ticks.setData(ticks, np.ones(len(ticks)))
            self.bands_bars.setOpts(height=self._bands)
        status = self.engine.status()
        self.level.setText(
            f"level {status.level_db:6.1f} dBFS" if status.level_db > -120 else "level: silence"
        )
        self.tempo.setText(
            f"tempo {status.bpm:6.1f} BPM ({status.source}), confidence {status.confidence:.2f}"
        )

    def beats_shown(self) -> int:
        return int(self._beat.sum())

    def peak_shown(self) -> float:
        return float(np.abs(self._wave).max())
