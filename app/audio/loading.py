"""Loading music files (wav, flac, ogg, mp3; the sound track of mkv, mp4, mov) into
memory, with user errors that name the file."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import UserError, describe
from app.core.native import native_stderr_silenced

VIDEO_SUFFIXES = (".mkv", ".mp4", ".mov")  # their sound is read through ffmpeg


@dataclass(frozen=True)
class AudioClip:
    """Float32 samples shaped [channels, n] at ``sr``; ``digest`` identifies the content."""

    samples: np.ndarray
    sr: int
    digest: str
    name: str

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.sr

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (the analysis cache key)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_audio_file(path: str | Path) -> AudioClip:
    """Decode a music file at its own sample rate, keeping its channels.

    Raises UserError naming the file when it is missing, unreadable, not audio or empty.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"audio file '{path}': not found")
    if not path.is_file():
        raise UserError(f"audio file '{path}': not a file")
    try:
        digest = file_digest(path)
    except OSError as exc:
        raise UserError(f"audio file '{path}': cannot be read ({exc.strerror})") from None
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return _load_video_sound(path, digest)
    import librosa  # slow import (numba): only when a file is really loaded

    try:
        with warnings.catch_warnings(), native_stderr_silenced():
            warnings.simplefilter("ignore")  # audioread fallback warnings, not user-relevant
            samples, sr = librosa.load(path, sr=None, mono=False)
    except Exception as exc:  # soundfile, audioread and ffmpeg all raise their own types
        reason = (
            "unrecognised format or corrupt data"
            if type(exc).__name__ == "NoBackendError"
            else describe(exc)
        )
        raise UserError(f"audio file '{path}': not a readable audio file ({reason})") from None
    return _checked_clip(path, samples, int(sr), digest)


def _checked_clip(path: Path, samples: np.ndarray, sr: int, digest: str) -> AudioClip:
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    if samples.shape[1] == 0:
        raise UserError(f"audio file '{path}': contains no audio samples")
    if not np.all(np.isfinite(samples)):
        raise UserError(f"audio file '{path}': contains invalid (NaN or infinite) samples")
    return AudioClip(samples=samples, sr=sr, digest=digest, name=path.name)


def _load_video_sound(path: Path, digest: str) -> AudioClip:
    """The sound track of a video file (a latentvj recording), decoded by the bundled
    ffmpeg at its own rate and channel count."""
    import subprocess

    import imageio_ffmpeg
    import soundfile as sf

    out = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-nostdin",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-c:a",
            "pcm_f32le",
            "-f",
            "wav",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout:
        said = out.stderr.decode(errors="replace").strip().splitlines()
        reason = (
            "it has no sound track"
            if "matches no streams" in "".join(said)
            else (said[-1] if said else "ffmpeg could not read it")
        )
        raise UserError(f"audio file '{path}': no readable sound ({reason})")
    import io

    samples, sr = sf.read(io.BytesIO(out.stdout), dtype="float32", always_2d=True)
    return _checked_clip(path, samples.T, int(sr), digest)


def clip_from_array(samples: np.ndarray, sr: int, name: str) -> AudioClip:
    """Wrap synthesised samples (the demo track) as a clip with a content digest."""
    samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    digest = hashlib.sha256(samples.tobytes() + str(sr).encode()).hexdigest()
    return AudioClip(samples=samples, sr=sr, digest=digest, name=name)
