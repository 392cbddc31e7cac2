"""Inspecting rendered files with the bundled ffmpeg (imageio-ffmpeg), as a user's player would."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    video_codec: str
    pix_fmt: str
    size: tuple[int, int]
    fps: float
    frames: int
    video_s: float
    audio_codec: str | None
    audio_s: float | None
    frame_hashes: tuple[str, ...]


def _decoded_audio_seconds(path: Path, sr: int = 48_000) -> float | None:
    out = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-ac",
            "1",
            "-ar",
            str(sr),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout:
        return None
    return len(out.stdout) / 2 / sr


def probe(path: str | Path) -> MediaInfo:
    """Decode every frame and the audio track; report codecs, counts and durations."""
    path = Path(path)
    header = subprocess.run(
        [FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    video = re.search(r"Stream #\S+: Video: (\w+)[^,]*, (\w+)", header)
    audio = re.search(r"Stream #\S+: Audio: (\w+)", header)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    hashes = tuple(hashlib.sha256(bytes(frame)).hexdigest() for frame in reader)
    fps = float(meta["fps"])
    return MediaInfo(
        video_codec=video.group(1) if video else "",
        pix_fmt=video.group(2) if video else "",
        size=(w, h),
        fps=fps,
        frames=len(hashes),
        video_s=len(hashes) / fps,
        audio_codec=audio.group(1) if audio else None,
        audio_s=_decoded_audio_seconds(path) if audio else None,
        frame_hashes=hashes,
    )
