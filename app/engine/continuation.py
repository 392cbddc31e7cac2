"""A trained video generator as a layer source (``source: continuation``): the network
plays on from a window of its footage, each new frame drawn from the frames before it, its
own predictions fed back (seed 002's generator, dreaming the footage onwards).

When it starts again from the footage (a re-seed): on every beat, bar or phrase
(``reseed`` in the layer), and whenever the ``reseed`` trigger fires (MIDI, OSC, a key).
Which footage window an epoch starts from is drawn from the patch seed and the beat the
epoch began on; ``layerN.noise`` adds Gaussian noise to every frame fed back (more: the
network wanders further from what it saw).

Frames stay a function of (patch, params, analysis, time) as time moves forward: the
epoch and the number of steps into it come from the beat clock (``cue``), the noise from
a generator seeded by (patch seed, epoch, step), and the source rolls out from the epoch's
seed window to the step asked for. Live, ``LiveFeed`` runs the network on its own thread
and the render thread takes the newest frame it has drawn; a network slower than its
frame rate then plays at its own pace (a couple of predictions per request), so a new
epoch is heard at once."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from app.core.patch import LayerSpec
from app.core.types import AnalysisFrame

NOISE_STD = 0.5  # layerN.noise 1.0: this standard deviation (frames span [-1, 1])
LIVE_CATCH_UP = 2  # live: predictions a call at most


@dataclass(frozen=True)
class Cue:
    """What the layer shows now: ``step`` predictions into epoch ``epoch`` (an id: the
    beat it began on, in thousandths), started from seed window ``window``."""

    epoch: int
    window: int
    step: int
    noise: float
    seed: int
    catch_up: int | None = None  # live: at most this many predictions a call (a slow
    # network plays at its own pace and still hears the next epoch at once)


def epoch_start(spec: LayerSpec, analysis: AnalysisFrame, reseed_at: float | None) -> float:
    """The beat the playing epoch began on: the last beat, bar or phrase line (beat 0 with
    ``reseed: none``), or the last ``reseed`` trigger when that came later."""
    bar = analysis.beats_per_bar
    unit = {"none": 0, "beat": 1, "bar": bar, "phrase": 4 * bar}[spec.reseed]
    start = math.floor(analysis.beats / unit) * unit if unit else 0.0
    if reseed_at is not None and start < reseed_at <= analysis.beats:
        start = reseed_at
    return start


def continuation_cue(spec: LayerSpec, frame_rate: float, windows: int, analysis: AnalysisFrame,
                     seed: int, index: int, noise: float, reseed_at: float | None,
                     live: bool = False) -> Cue:  # fmt: skip
    """The cue for the layer ``index`` at ``analysis``'s instant (``frame_rate``: the
    model's predictions a second; ``windows``: seed windows it carries)."""
    start = epoch_start(spec, analysis, reseed_at)
    if spec.reseed == "none" and reseed_at is None:
        elapsed_s = max(0.0, analysis.t_s)
    else:
        elapsed_s = (analysis.beats - start) * 60.0 / max(analysis.bpm, 1.0)
    epoch = int(round(start * 1000))
    window = int(np.random.default_rng([seed, index, epoch & 0x7FFFFFFF]).integers(windows))
    step = int(elapsed_s * frame_rate * spec.rate)
    noise = float(min(max(noise, 0.0), 1.0))
    return Cue(epoch, window, step, noise, seed, LIVE_CATCH_UP if live else None)


class Continuation:
    """A video generator checkpoint played autoregressively; ``frame_at(cue)`` rolls out
    to the cue (from the seed window again when the epoch changed) and returns the newest
    frame, HxWx3 uint8 at the model's size. UserError naming the file when it is not a
    video generator (``load_video_checkpoint``)."""

    def __init__(self, path: Path, device: torch.device | str = "cpu") -> None:
        from app.engine.video_nets import load_video_checkpoint

        net, self.config, self.seeds, _ = load_video_checkpoint(path, f"layer '{path}'")
        self.device = torch.device(device)
        self.net = net.to(self.device)
        self.size = self.config.size
        self.fps = self.config.frame_rate
        self.duration_s = 0.0  # no end: it plays on
        self._at: tuple[int, int] | None = None  # (epoch, window) rolling out
        self._step = 0
        self._fed: deque[torch.Tensor] = deque(maxlen=self.config.frames_in)
        self._picture = self.seeds[0, -1]

    @property
    def windows(self) -> int:
        return len(self.seeds)

    def _reseed(self, epoch: int, window: int) -> None:
        frames = torch.from_numpy(self.seeds[window]).to(self.device).permute(0, 3, 1, 2)
        self._fed.clear()
        self._fed.extend(frames.float() / 127.5 - 1.0)
        self._at, self._step = (epoch, window), 0
        self._picture = self.seeds[window, -1]

    @torch.inference_mode()
    def _advance(self, cue: Cue) -> None:
        given = torch.stack(list(self._fed), dim=1)[None]  # [1, 3, T, H, W]
        frame = self.net(given)[0, :, 0]
        self._step += 1
        self._picture = (
            ((frame + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0)
        ).cpu().numpy()  # fmt: skip
        if cue.noise > 0.0:
            g = torch.Generator().manual_seed(hash((cue.seed, cue.epoch, self._step)) & 0xFFFFFFFF)
            frame = frame + NOISE_STD * cue.noise * torch.randn(frame.shape, generator=g).to(frame)
        self._fed.append(frame.clamp(-1.0, 1.0))

    def frame_at(self, cue: Cue) -> np.ndarray:
        if self._at != (cue.epoch, cue.window):
            self._reseed(cue.epoch, cue.window)
        target = cue.step if cue.catch_up is None else min(cue.step, self._step + cue.catch_up)
        while self._step < target:  # ahead of the clock (a jitter back) it holds
            self._advance(cue)
        return self._picture

    def close(self) -> None:
        pass
