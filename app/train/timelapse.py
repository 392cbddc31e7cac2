"""The training timelapse (seed 000): each sample of the fixed latent grid becomes one
video frame, streamed to the encoder as it is taken (nothing piles up on disk).

Grid: one video, the samples tiled ``grid_width`` x ``grid_height``. Boxes (``render_res``):
one video per grid cell, scaled to that size. With ``auto_render_period`` the videos are cut
every that many minutes into numbered time-cuts (``NAME_timecut0001.mp4``...), each one
finished and playable while training goes on; ``merge_timecuts`` joins them losslessly.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from app.core.errors import UserError
from app.engine.video_writer import VideoWriter

TIMECUT = re.compile(r"^(?P<stem>.+)_timecut(?P<n>\d{4})\.mp4$")


def write_png(path: Path, picture: np.ndarray) -> None:
    """An HxWx3 uint8 picture as a PNG file, written atomically."""
    from PIL import Image

    from app.core.atomic import atomic_path

    with atomic_path(path) as tmp:
        Image.fromarray(picture).save(tmp, format="PNG")


def tile(samples: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """[B, H, W, 3] samples as one (rows*H) x (columns*W) picture, row by row."""
    b, h, w, c = samples.shape
    grid = samples[: rows * columns].reshape(rows, columns, h, w, c)
    return grid.transpose(0, 2, 1, 3, 4).reshape(rows * h, columns * w, c)


class Timelapse:
    """Writes samples for job ``name`` under ``folder``; ``first_cut`` continues numbering
    after a resume."""

    def __init__(
        self,
        folder: Path,
        name: str,
        grid: tuple[int, int],
        sample_size: tuple[int, int],
        fps: float,
        render_res: tuple[int, int] | None = None,
        cut_frames: int | None = None,
        first_cut: int = 1,
    ) -> None:
        self.folder, self.name = folder, name
        self.columns, self.rows = grid
        self.sample_size = sample_size
        self.fps = fps
        self.render_res = render_res
        self.cut_frames = cut_frames
        self.cut = first_cut
        self.frames_in_cut = 0
        self.frames = 0
        self.written: list[Path] = []
        self._writers: list[tuple[Path, VideoWriter]] = []
        self._check_free()

    def _check_free(self) -> None:
        """Refuse before any training when the next files exist (never overwrite)."""
        for path in self._paths():
            if path.exists():
                raise UserError(
                    f"timelapse '{path}' exists already; move it or choose "
                    "another name or output folder"
                )

    def _paths(self) -> list[Path]:
        cut = f"_timecut{self.cut:04d}" if self.cut_frames else ""
        if self.render_res is None:
            return [self.folder / f"{self.name}{cut}.mp4"]
        return [
            self.folder / f"{self.name}_box{i + 1:02d}{cut}.mp4"
            for i in range(self.columns * self.rows)
        ]

    def _open(self) -> None:
        w, h = self.sample_size
        size = (w * self.columns, h * self.rows) if self.render_res is None else (w, h)
        self._check_free()
        for path in self._paths():
            writer = VideoWriter(path, size, self.fps, out_size=self.render_res).start()
            self._writers.append((path, writer))

    def add(self, samples: np.ndarray) -> None:
        if not self._writers:
            self._open()
        if self.render_res is None:
            pictures = [tile(samples, self.columns, self.rows)]
        else:
            pictures = list(samples[: self.columns * self.rows])
        for (path, writer), picture in zip(self._writers, pictures):
            if not writer.write(np.ascontiguousarray(picture)):
                raise UserError(
                    f"timelapse '{path}': the encoder stopped "
                    f"({writer.failure() or 'no reason given'})"
                )
        self.frames += 1
        self.frames_in_cut += 1
        if self.cut_frames and self.frames_in_cut >= self.cut_frames:
            self._finish_cut()

    def _finish_cut(self) -> None:
        for path, writer in self._writers:
            writer.close()
            self.written.append(path)
        self._writers = []
        self.cut += 1
        self.frames_in_cut = 0

    def close(self) -> list[Path]:
        """Finish the open videos; every file written, in order."""
        if self._writers:
            self._finish_cut()
        return self.written


def next_cut(folder: Path, name: str) -> int:
    """The time-cut number after those already in ``folder`` for job ``name`` (resume)."""
    numbers = [
        int(m.group("n"))
        for p in folder.glob(f"{name}*_timecut*.mp4")
        if (m := TIMECUT.match(p.name))
    ]
    return max(numbers, default=0) + 1


def merge_timecuts(folder: Path) -> list[Path]:
    """Join each series ``STEM_timecutNNNN.mp4`` in ``folder`` into ``STEM.mp4`` in number
    order, without re-encoding (ffmpeg's concat demuxer). Refuses to overwrite."""
    import imageio_ffmpeg

    from app.core.atomic import atomic_path

    if not folder.is_dir():
        raise UserError(f"merge-timecuts '{folder}': not a folder")
    series: dict[str, list[tuple[int, Path]]] = {}
    for path in folder.iterdir():
        if m := TIMECUT.match(path.name):
            series.setdefault(m.group("stem"), []).append((int(m.group("n")), path))
    if not series:
        raise UserError(f"merge-timecuts '{folder}': no NAME_timecutNNNN.mp4 files")
    merged = []
    for stem, parts in sorted(series.items()):
        target = folder / f"{stem}.mp4"
        if target.exists():
            raise UserError(f"merge-timecuts: '{target}' exists already; move it first")
        listing = folder / f".{stem}.timecuts.txt"
        listing.write_text("".join(f"file '{p.resolve()}'\n" for _, p in sorted(parts)))
        try:
            with atomic_path(target) as tmp:
                result = subprocess.run(
                    [
                        imageio_ffmpeg.get_ffmpeg_exe(),
                        "-v",
                        "error",
                        "-f",
                        "concat",
                        "-safe",
                        "0",
                        "-i",
                        str(listing),
                        "-c",
                        "copy",
                        "-f",
                        "mp4",
                        "-y",
                        str(tmp),
                    ],
                    capture_output=True,
                    text=True,
                )
                if result.returncode:
                    raise UserError(
                        f"merge-timecuts '{stem}': ffmpeg failed "
                        f"({result.stderr.strip().splitlines()[-1]})"
                    )
        finally:
            listing.unlink(missing_ok=True)
        merged.append(target)
    return merged
