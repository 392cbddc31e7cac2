"""Offline analysis of a music file with librosa, resampled to one AnalysisFrame per video frame.

Features are computed once per file at librosa's hop rate and cached by the file's content
hash; turning them into per-frame ``AnalysisFrame``s for any fps is cheap.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, fields

import numpy as np

from app.core.atomic import atomic_path
from app.core.paths import cache_dir
from app.core.transport import BeatGrid
from app.core.types import N_CHROMA, AnalysisFrame

from .loading import AudioClip

log = logging.getLogger(__name__)

ANALYSIS_SR = 22_050
HOP = 512
N_FFT = 2048
ANALYSIS_VERSION = 1
# librosa's beat_track places beats ~25 ms after the annotated beat on real music (measured on
# GTZAN, ../shared/notes/beat-tracking.md); we move them earlier by that much.
LIBROSA_BEAT_LATENCY_S = 0.025
BAND_EDGES_HZ = (0.0, 200.0, 2000.0, ANALYSIS_SR / 2)
FALLBACK_BPM = 120.0


@dataclass(frozen=True)
class AudioFeatures:
    """Hop-rate feature curves, each normalised to [0, 1], and corrected beat times."""

    times: np.ndarray  # [n] seconds, centre of each analysis frame
    onset: np.ndarray  # [n]
    rms: np.ndarray  # [n]
    bands: np.ndarray  # [3, n] low, mid, high
    chroma: np.ndarray  # [12, n], each frame's strongest bin is 1
    beat_times: np.ndarray  # [k] seconds, latency-corrected
    duration_s: float

    def save(self, path) -> None:
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **{fl.name: getattr(self, fl.name) for fl in fields(self)})

    @staticmethod
    def load(path) -> "AudioFeatures":
        with np.load(path) as data:
            values = {fl.name: data[fl.name] for fl in fields(AudioFeatures)}
        values["duration_s"] = float(values["duration_s"])
        return AudioFeatures(**values)


def _normalise(x: np.ndarray, percentile: float = 99.0) -> np.ndarray:
    """Scale so the ``percentile`` maps to 1 (robust to a single spike), clipped to [0, 1]."""
    ref = float(np.percentile(x, percentile)) if x.size else 0.0
    if ref <= 1e-9:
        return np.zeros_like(x, dtype=np.float32)
    return np.clip(x / ref, 0.0, 1.0).astype(np.float32)


def compute_features(clip: AudioClip) -> AudioFeatures:
    """Run librosa on the clip (mono, resampled to ANALYSIS_SR). Takes ~5 % of real time."""
    with warnings.catch_warnings():  # tuning estimates on silence etc.: not user-relevant
        warnings.simplefilter("ignore", UserWarning)
        return _compute_features(clip)


def _compute_features(clip: AudioClip) -> AudioFeatures:
    import librosa

    y = clip.mono()
    if clip.sr != ANALYSIS_SR:
        y = librosa.resample(y, orig_sr=clip.sr, target_sr=ANALYSIS_SR)
    spec = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    onset_env = librosa.onset.onset_strength(y=y, sr=ANALYSIS_SR, hop_length=HOP)
    n = min(spec.shape[1], onset_env.size)
    spec, onset_env = spec[:, :n], onset_env[:n]
    _, beat_frames = librosa.beat.beat_track(
        onset_envelope=onset_env, sr=ANALYSIS_SR, hop_length=HOP
    )
    beat_times = librosa.frames_to_time(beat_frames, sr=ANALYSIS_SR, hop_length=HOP)
    beat_times = np.maximum(beat_times - LIBROSA_BEAT_LATENCY_S, 0.0)
    power = spec**2
    freqs = librosa.fft_frequencies(sr=ANALYSIS_SR, n_fft=N_FFT)
    bands = np.stack(
        [
            _normalise(np.log1p(100.0 * power[(freqs >= lo) & (freqs < hi)].mean(axis=0)))
            for lo, hi in zip(BAND_EDGES_HZ[:-1], BAND_EDGES_HZ[1:])
        ]
    )
    rms = librosa.feature.rms(S=spec, frame_length=N_FFT)[0, :n]
    chroma = librosa.feature.chroma_stft(S=power, sr=ANALYSIS_SR, n_fft=N_FFT)
    chroma = np.nan_to_num(chroma).astype(np.float32)
    return AudioFeatures(
        times=librosa.times_like(onset_env, sr=ANALYSIS_SR, hop_length=HOP),
        onset=_normalise(onset_env),
        rms=_normalise(rms),
        bands=bands,
        chroma=chroma,
        beat_times=np.asarray(beat_times, dtype=np.float64),
        duration_s=clip.duration_s,
    )


def analyze(clip: AudioClip, use_cache: bool = True) -> AudioFeatures:
    """Features for ``clip``, from the content-hash cache when it was analysed before."""
    path = cache_dir("analysis") / f"{clip.digest}-v{ANALYSIS_VERSION}.npz"
    if use_cache and path.exists():
        try:
            return AudioFeatures.load(path)
        except Exception as exc:  # a damaged cache entry is recomputed, never fatal
            log.warning("analysis cache %s unreadable (%s); recomputing", path, exc)
    features = compute_features(clip)
    if use_cache:
        features.save(path)
    return features


def _estimate_downbeat(features: AudioFeatures, beats_per_bar: int) -> int:
    """Index (0..beats_per_bar-1) of the first downbeat, from harmony and bass.

    Chords and bass notes tend to change on the downbeat, so each beat gets a harmonic
    novelty score (chroma change from the previous beat's span to its own) plus its low-band
    energy; the beat phase with the highest mean score is taken as beat 1. Onset strength is
    left out on purpose: snares on 2 and 4 would win.
    """
    beats = features.beat_times
    if len(beats) < 2 * beats_per_bar + 1:
        return 0
    spans = np.searchsorted(features.times, beats)
    chroma = np.stack(
        [
            features.chroma[:, a:b].mean(axis=1)
            if b > a
            else features.chroma[:, min(a, features.chroma.shape[1] - 1)]
            for a, b in zip(spans[:-1], spans[1:])
        ]
    )
    norms = np.linalg.norm(chroma, axis=1) + 1e-9
    similarity = np.sum(chroma[1:] * chroma[:-1], axis=1) / (norms[1:] * norms[:-1])
    novelty = np.concatenate([[0.0], 1.0 - similarity])  # novelty[i]: change entering beat i
    low = np.interp(beats[:-1], features.times, features.bands[0])
    score = novelty / (novelty.max() + 1e-9) + 0.5 * low
    phases = [score[p::beats_per_bar].mean() for p in range(beats_per_bar)]
    return int(np.argmax(phases))


def _window_max(
    times: np.ndarray, values: np.ndarray, t_end: np.ndarray, width: float
) -> np.ndarray:
    """Max of ``values`` over each window (t_end - width, t_end], so no onset peak is missed
    between two video frames; the interpolated value at t_end when the window holds no hop."""
    lo = np.searchsorted(times, t_end - width, side="right")
    hi = np.searchsorted(times, t_end, side="right")
    out = np.interp(t_end, times, values, left=0.0, right=0.0)
    for i in np.nonzero(hi > lo)[0]:
        out[i] = max(out[i], values[lo[i] : hi[i]].max())
    return out


class AnalysisTrack:
    """A song's analysis as a function of time: ``frames(...)`` gives AnalysisFrames."""

    def __init__(self, features: AudioFeatures, beats_per_bar: int = 4) -> None:
        self.features = features
        self.beats_per_bar = beats_per_bar
        if len(features.beat_times) >= 2:
            self.grid = BeatGrid(
                features.beat_times, beats_per_bar, _estimate_downbeat(features, beats_per_bar)
            )
            self.has_beats = True
        else:  # silence or a clip too short to track: a steady clock keeps motion alive
            self.grid = BeatGrid.steady(
                FALLBACK_BPM, max(features.duration_s, 1.0), beats_per_bar=beats_per_bar
            )
            self.has_beats = False

    @property
    def bpm(self) -> float:
        return self.grid.median_bpm()

    def frames(self, start_s: float, count: int, fps: float) -> list[AnalysisFrame]:
        """``count`` frames at ``fps``; frame k is shown from start_s + k / fps.

        Each frame depicts the music at the middle of its display interval (``t_s`` is
        start_s + (k + 0.5) / fps), so a beat lands on the frame on screen nearest to it
        rather than on the first frame after it: beat-driven flashes sit within half a frame
        of the beat instead of up to a whole frame late.
        """
        f = self.features
        t = start_s + (np.arange(count) + 0.5) / fps
        period = 1.0 / fps
        onset = _window_max(f.times, f.onset, t, period)
        rms = np.interp(t, f.times, f.rms, left=0.0, right=0.0)
        bands = np.stack([np.interp(t, f.times, b, left=0.0, right=0.0) for b in f.bands])
        chroma = np.stack([np.interp(t, f.times, c, left=0.0, right=0.0) for c in f.chroma])
        beats = self.grid.beats_at(t)
        bpm = self.grid.bpm_at(t)
        bar_phase = self.grid.bar_phase_at(t)
        beat_times = self.grid.beat_times if self.has_beats else np.empty(0)
        beat_hits = (
            np.searchsorted(beat_times, t, side="right")
            - np.searchsorted(beat_times, t - period, side="right")
        ) > 0
        return [
            AnalysisFrame(
                t_s=float(t[k]),
                beats=float(beats[k]),
                bpm=float(bpm[k]),
                beat_phase=float(beats[k] % 1.0),
                bar_phase=float(bar_phase[k]),
                onset=float(onset[k]),
                is_beat=bool(beat_hits[k]),
                rms=float(rms[k]),
                bands=(float(bands[0, k]), float(bands[1, k]), float(bands[2, k])),
                chroma=tuple(float(chroma[c, k]) for c in range(N_CHROMA)),
                beats_per_bar=self.beats_per_bar,
            )
            for k in range(count)
        ]
