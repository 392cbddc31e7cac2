"""Tempo and onset estimation for the online analyzer, as pure functions of an onset
envelope: the tempo by autocorrelation (harmonics summed, a prior around 120 BPM, half
tempo when every other beat is much weaker), the last beat's place by a decaying comb, and
the running peak followers and onset picker that auto-gain and flag hops."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_BPM, MAX_BPM = 60.0, 200.0
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
# The beat is the level at which strong onsets do not alternate with weak ones: when every
# other beat of the chosen tempo collects this many times less onset strength than the
# others (weighed by the tempo prior of the two levels), the pulse is the half tempo (a
# slow song's eighth-note strums or hats otherwise win at double tempo). On the evaluation
# clips (chosen on every other clip, checked on the others): F +0.02, fewer double tempi.
ALTERNATION_RATIO = 1.8


_SMOOTH = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
ONSET_TAIL = 128  # samples over which the onset window falls to zero at its newest end


def onset_window(n: int, tail: int = ONSET_TAIL) -> np.ndarray:
    """A window that rises slowly over the past and falls only over the newest ``tail``
    samples: a hit weighs fully from the hop it enters the input (a Hann window weighs it
    lightly there, so the onset would show one hop later)."""
    return np.concatenate(
        [np.hanning(2 * (n - tail))[: n - tail], np.hanning(2 * tail)[tail:]]
    ).astype(np.float32)


class RunningPeak:
    """Auto-gain: divides by a peak that decays with time constant ``decay_s``."""

    def __init__(self, decay_s: float, hop_s: float, floor: float) -> None:
        self._k = math.exp(-hop_s / decay_s)
        self._floor = floor
        self.peak = floor

    def __call__(self, x: float) -> float:
        self.peak = max(x, self.peak * self._k, self._floor)
        return min(1.0, x / self.peak)


class OnsetPicker:
    """Causal onset detection on the auto-gained flux: an onset is the first hop that rises
    clearly above the recent mean, at most one per ``refractory_s``. It fires on the rising
    edge, not the peak, so a frame can answer a hit within a hop of it entering the input."""

    def __init__(
        self, hop_s: float, threshold: float = 0.3, margin: float = 0.2, refractory_s: float = 0.06
    ) -> None:
        self._mean_k = math.exp(-hop_s / 0.25)
        self._refractory = max(1, round(refractory_s / hop_s))
        self.threshold, self.margin = threshold, margin
        self._mean = 0.0
        self._since = self._refractory

    def __call__(self, onset: float) -> bool:
        fired = (
            self._since >= self._refractory
            and onset > self.threshold
            and onset > self._mean + self.margin
        )
        self._since = 0 if fired else self._since + 1
        self._mean = self._mean_k * self._mean + (1 - self._mean_k) * onset
        return fired


@dataclass
class TempoEstimate:
    bpm: float
    confidence: float


def tempo_from_envelope(env: np.ndarray, frame_rate: float) -> TempoEstimate | None:
    """Autocorrelation tempo with summed harmonics and a log-normal prior around 120 BPM."""
    # a light smoothing widens each onset to a few frames, so a period that is not a whole
    # number of frames still meets one autocorrelation peak instead of two half ones
    x = np.convolve(env, _SMOOTH, mode="same")
    x = x - x.mean()
    if not np.any(x):
        return None
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spec * np.conj(spec))[:n]
    acf /= acf[0] + 1e-12
    # unbiased (long lags overlap fewer samples) for sub-frame refinement only: its noisy
    # long lags would tip octave choices towards slow tempi
    unbiased = acf * n / (n - np.arange(n))
    lags = np.arange(int(frame_rate * 60 / MAX_BPM), int(frame_rate * 60 / MIN_BPM) + 1)
    lags = lags[lags * 2 < n]
    if len(lags) < 3:
        return None
    score = (
        acf[lags] + 0.5 * acf[np.minimum(2 * lags, n - 1)] + 0.25 * acf[np.minimum(4 * lags, n - 1)]
    )
    bpm = 60.0 * frame_rate / lags
    weighted = score * _prior(bpm)
    i = int(np.argmax(weighted))
    lag = _refine_period(unbiased, float(lags[i]))
    spread = float(np.std(weighted)) + 1e-9
    confidence = float(np.clip((weighted[i] - np.median(weighted)) / (4 * spread), 0.0, 1.0))
    bpm = 60.0 * frame_rate / lag
    if (
        bpm / 2 >= MIN_BPM
        and _alternation(x, lag) * _prior(bpm / 2) / _prior(bpm) > ALTERNATION_RATIO
    ):
        bpm /= 2
    if not MIN_BPM * 0.9 <= bpm <= MAX_BPM * 1.1:
        return None
    return TempoEstimate(bpm, confidence)


def _prior(bpm: np.ndarray | float) -> np.ndarray | float:
    """The tempo prior: log-normal around PRIOR_BPM."""
    return np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


def _alternation(env: np.ndarray, period: float) -> float:
    """How much more onset strength every other beat (``period`` frames apart) collects
    than the beats between them: a comb two periods wide, at its best offset against the
    offset one period on (1 until the envelope holds two such pairs)."""
    if (len(env) - 1) / (2.0 * period) < 2:
        return 1.0
    scores = _comb_scores(
        env - env.min(), 2.0 * period, np.arange(0.0, 2.0 * period, 0.5), decay=1.0
    )
    best = int(np.argmax(scores))
    other = (best + int(round(period / 0.5))) % len(scores)
    return float(scores[best] / max(scores[other], 1e-9))


def _refine_period(acf: np.ndarray, lag: float) -> float:
    """Sub-frame period: the autocorrelation peak is narrow and sampled at whole frames, so
    refine it at the highest harmonic (k x lag) that fits, where a parabola's error is
    divided by k."""
    n = len(acf)
    for k in (4, 3, 2, 1):
        centre = int(round(k * lag))
        if centre + k + 1 >= int(0.75 * n):
            continue
        lo = max(1, centre - k)
        j = lo + int(np.argmax(acf[lo : centre + k + 1]))
        a, b, c = acf[j - 1], acf[j], acf[j + 1]
        denom = a - 2 * b + c
        peak = (j + (0.5 * (a - c) / denom if denom < 0 else 0.0)) / k
        # a flat or noisy autocorrelation can put the harmonic's peak elsewhere: keep the
        # refinement only when it stays within a frame of the coarse period
        return peak if abs(peak - lag) <= 1.0 else lag
    return lag


def _comb_scores(env: np.ndarray, period: float, offsets: np.ndarray, decay: float) -> np.ndarray:
    """For each offset (frames back from the newest), the onset strength a comb with one
    tooth per ``period`` collects, each older tooth weighted ``decay`` times the next."""
    n = len(env)
    teeth = np.arange(int((n - 1) / period))
    positions = (n - 1) - offsets[:, None] - teeth[None, :] * period  # [offsets, teeth]
    lo = np.floor(positions).astype(int)
    frac = positions - lo
    lo = np.clip(lo, 0, n - 2)
    values = env[lo] * (1 - frac) + env[lo + 1] * frac
    return values @ decay**teeth


def last_beat_offset(env: np.ndarray, period: float) -> float:
    """Frames since the last beat: the offset whose comb (one tooth per period, older teeth
    weighted less) collects the most onset strength in the recent envelope."""
    if int((len(env) - 1) / period) == 0:
        return 0.0
    offsets = np.arange(0.0, period, 0.25)
    return float(offsets[int(np.argmax(_comb_scores(env, period, offsets, 0.85)))])
