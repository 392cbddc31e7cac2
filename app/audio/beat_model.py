"""The learned beat activation: a small causal recurrent network, run in numpy per hop.

Hand-made onset envelopes (spectral flux) fire on every drum hit, strum and note; what makes
the best beat trackers better is a network that has learned which onsets are *beats*
(../shared/notes/beat-tracking.md). This one reads the analyzer's log-mel spectrum and its
rise per hop and outputs, for every hop, the probability that a beat and that a downbeat
fell within it. It is causal (a 2-layer GRU), so it runs on live input with no look-ahead.

The weights ship with latentvj (``models/beat_activation.npz``, ~60 k parameters, our own,
MIT like the code): they were trained by ``tools/beat_model/train.py`` on music synthesised
by ``tools/beat_model/synth.py`` (FluidSynth + the MIT-licensed FluidR3 SoundFont), never on
the evaluation data. Inference is plain numpy (a few matrix-vector products per hop) so the
analysis thread never contends with the generator's torch threads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import UserError

HOP = 512
N_FFT = 2048
N_MELS = 64
MODEL_PATH = Path(__file__).with_name("models") / "beat_activation.npz"


class LogMelFrontEnd:
    """The log-mel spectrum of the newest ``N_FFT`` samples, one frame per hop: the same
    numbers live (``frame``, one window at a time) and in training (``frames``, a whole
    signal), so the network sees at run time exactly what it was trained on."""

    def __init__(self, sr: int) -> None:
        import librosa  # filterbank only, at set-up

        self.sr = sr
        self.window = np.hanning(N_FFT).astype(np.float32)
        fmax = min(11_000.0, sr / 2)
        self.mel = librosa.filters.mel(
            sr=sr, n_fft=N_FFT, n_mels=N_MELS, fmin=30.0, fmax=fmax
        ).astype(np.float32)
        # centre frequency of each mel band (the filterbank's edges are the first and last)
        self.centre_hz = librosa.mel_frequencies(n_mels=N_MELS + 2, fmin=30.0, fmax=fmax)[1:-1]

    def magnitude(self, frame: np.ndarray) -> np.ndarray:
        """|FFT| of one windowed frame of N_FFT samples."""
        return np.abs(np.fft.rfft(frame * self.window))

    def frames(self, y: np.ndarray) -> np.ndarray:
        """Mel magnitudes (before the log) of every hop of ``y``, [n_hops, N_MELS]: frame k
        ends at sample (k + 1) * HOP, zero-padded before the start like the live stream."""
        padded = np.concatenate([np.zeros(N_FFT - HOP, np.float32), y.astype(np.float32)])
        n = (len(padded) - N_FFT) // HOP + 1
        view = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:n]
        spec = np.abs(np.fft.rfft(view * self.window, axis=1)).astype(np.float32)
        return spec @ self.mel.T


def log_mel(mel_magnitude: np.ndarray) -> np.ndarray:
    """The compression every consumer of the mel spectrum uses."""
    return np.log1p(100.0 * mel_magnitude)


def network_input(logmel: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Per hop: the log-mel spectrum and its rise since the previous hop (the onset cue)."""
    return np.concatenate([logmel, np.maximum(logmel - previous, 0.0)], axis=-1)


@dataclass
class BeatProbabilities:
    beat: float
    downbeat: float


class BeatActivation:
    """Streaming inference of the shipped network: ``step(logmel)`` once per hop."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        try:
            with np.load(path) as weights:
                self._w = {k: weights[k].astype(np.float32) for k in weights.files if k != "meta"}
                self.meta = json.loads(str(weights["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            raise UserError(f"beat model {path}: cannot be read ({exc})") from exc
        self.layers = int(self.meta["layers"])
        self.hidden = int(self.meta["hidden"])
        self.reset()

    def reset(self) -> None:
        self._h = [np.zeros(self.hidden, np.float32) for _ in range(self.layers)]
        self._previous: np.ndarray | None = None

    def step(self, logmel: np.ndarray) -> BeatProbabilities:
        previous = logmel if self._previous is None else self._previous
        self._previous = logmel
        x = network_input(logmel, previous).astype(np.float32)
        w = self._w
        x = x @ w["in.weight"].T + w["in.bias"]
        x = np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))  # ELU
        for k in range(self.layers):
            self._h[k] = x = _gru_cell(
                x,
                self._h[k],
                w[f"gru.weight_ih_l{k}"],
                w[f"gru.weight_hh_l{k}"],
                w[f"gru.bias_ih_l{k}"],
                w[f"gru.bias_hh_l{k}"],
            )
        logits = x @ w["out.weight"].T + w["out.bias"]
        p = _sigmoid(logits)
        return BeatProbabilities(float(p[0]), float(p[1]))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def _gru_cell(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray,
    b_hh: np.ndarray,
) -> np.ndarray:
    """One step of torch.nn.GRU's cell (same gate order r, z, n and the same equations)."""
    gi = w_ih @ x + b_ih
    gh = w_hh @ h + b_hh
    n_h = len(h)
    r = _sigmoid(gi[:n_h] + gh[:n_h])
    z = _sigmoid(gi[n_h : 2 * n_h] + gh[n_h : 2 * n_h])
    n = np.tanh(gi[2 * n_h :] + r * gh[2 * n_h :])
    return (1.0 - z) * n + z * h
