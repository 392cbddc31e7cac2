"""``compare-video`` (seed 002's comparison videos): a trained video generator beside the
footage, frame for frame: the original, the predicted frame and their difference, side by
side at the model's size (scaled up for viewing), at the source's rate and frame count,
with the source's sound.

What "predicted" means (``mode``):
- ``next``: each frame predicted from the real frames before it (teacher forcing: how well
  the model sees one step ahead);
- ``rollout``: the model fed its own predictions, from real frames every ``reseed_every``
  source frames (how it plays live: where it drifts off the footage).

The first frames, before there is a window's worth of past, show black beside the
original. The difference panel is |original - predicted| times ``DIFFERENCE_GAIN``."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from app.core.errors import UserError
from app.engine.device import Placement
from app.engine.video_nets import load_video_checkpoint

DIFFERENCE_GAIN = 2.0


def _source_facts(video: Path) -> tuple[float, int, bool]:
    """(frames a second, frame count, has sound) of ``video``; UserError naming it."""
    from app.engine.video_sources import audio_streams, video_facts

    fps, frames = video_facts(video, f"--video '{video}'")
    return fps, frames, audio_streams(video) > 0


def _as_input(frames: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """HxWx3 uint8 frames -> [1, 3, T, H, W] in [-1, 1]."""
    stacked = torch.from_numpy(np.stack(frames)).to(device).permute(3, 0, 1, 2)[None]
    return stacked.float() / 127.5 - 1.0


def _to_picture(frame: torch.Tensor) -> np.ndarray:
    return (
        ((frame + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    )


def predicted_frames(net, frames: Iterator[np.ndarray], frames_in: int, gap: int, mode: str,
                     reseed_every: int, device: torch.device) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:  # fmt: skip
    """(original, predicted or None) for each source frame; ``gap``: source frames per
    model step."""
    past: deque[np.ndarray] = deque(maxlen=gap * frames_in)
    fed: deque[np.ndarray] = deque(maxlen=frames_in)
    seeded_at, held = None, None
    for i, frame in enumerate(frames):
        predicted = None
        if len(past) == past.maxlen:
            given = list(past)[::gap]  # the frames gap, 2 gap ... T gap before this one
            if mode == "next":
                with torch.inference_mode():
                    predicted = _to_picture(net(_as_input(given, device))[0, :, 0])
            elif i % gap == 0 or held is None:
                if seeded_at is None or (reseed_every and i - seeded_at >= reseed_every):
                    fed.clear()
                    fed.extend(given)
                    seeded_at = i
                with torch.inference_mode():
                    held = _to_picture(net(_as_input(list(fed), device))[0, :, 0])
                fed.append(held)
                predicted = held
            else:
                predicted = held
        past.append(frame)
        yield frame, predicted


class Comparison:
    """A checked comparison: constructing it reads the model and the source and checks
    the output path, so ``run`` only fails for reasons found while encoding."""

    def __init__(self, model: Path, video: Path, output: Path, placement: Placement,
                 mode: str = "next", reseed_every: int = 0, height: int = 256) -> None:  # fmt: skip
        from app.engine.offline import check_output_path

        net, self.config, _, _ = load_video_checkpoint(model, f"--model '{model}'")
        self.fps, self.frames, self.sound = _source_facts(video)
        check_output_path(output, "-o")
        self.video, self.output, self.mode, self.reseed_every = video, output, mode, reseed_every
        self.device = placement.device
        self.net = net.to(self.device)
        self.scale = max(1, round(height / self.config.height))

    def run(self, on_frame: Callable[[int, int], None] | None = None) -> int:
        """Write the comparison video; the frames written (the source's count)."""
        from app.core.atomic import atomic_path
        from app.engine.video_writer import VideoWriter

        from .dataset import _video_frames

        config = self.config
        gap = max(1, round(self.fps / config.frame_rate))
        w, h = config.size
        out_w, out_h = 3 * w * self.scale, h * self.scale
        black = np.zeros((h, w, 3), np.uint8)
        source = _video_frames(self.video, config.size, 1, f"--video '{self.video}'")
        written = 0
        with atomic_path(self.output) as tmp:
            writer = VideoWriter(tmp, (3 * w, h), self.fps, audio=self.video if self.sound
                                 else None, out_size=(out_w + out_w % 2, out_h + out_h % 2)).start()  # fmt: skip
            try:
                for frame, predicted in predicted_frames(self.net, source, config.frames_in, gap,
                                                         self.mode, self.reseed_every, self.device):  # fmt: skip
                    shown = black if predicted is None else predicted
                    delta = np.abs(frame.astype(np.int16) - shown.astype(np.int16))
                    difference = (black if predicted is None else
                                  np.clip(delta * DIFFERENCE_GAIN, 0, 255).astype(np.uint8))  # fmt: skip
                    if not writer.write(np.concatenate([frame, shown, difference], axis=1)):
                        raise UserError(f"-o '{self.output}': the encoder stopped "
                                        f"({writer.failure() or 'no reason given'})")  # fmt: skip
                    written += 1
                    if on_frame:
                        on_frame(written, self.frames)
            finally:
                writer.close()
        return written
