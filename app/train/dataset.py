"""Training images from folders (recursive) or video files (every ``frame_step``-th frame).

Size policy: each image is scaled so it covers the training size and then centre-cropped
to it (nothing is stretched); greyscale, palette and alpha images become RGB. Files that
cannot be decoded are skipped and listed with the reason. Everything is held in memory as
uint8 (64x64 images take 12 KB each).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import UserError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v"}


@dataclass
class Dataset:
    images: torch.Tensor  # [N, 3, H, W] uint8
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)


def fit_image(image: Image.Image, size: tuple[int, int],
              crop: tuple[int, int, int, int] | None = None) -> np.ndarray:  # fmt: skip
    """Cover ``size`` (w, h), centre-cropped, as HxWx3 uint8; ``crop`` (x, y, w, h in
    the image's pixels) first keeps only that region."""
    if crop is not None:
        x, y, w, h = crop
        if x + w > image.width or y + h > image.height:
            raise UserError(f"--crop {x},{y},{w},{h}: outside the footage's "
                            f"{image.width}x{image.height} pixels")  # fmt: skip
        image = image.crop((x, y, x + w, y + h))
    return np.asarray(
        ImageOps.fit(image.convert("RGB"), size, Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    )


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def _video_frames(path: Path, size: tuple[int, int], step: int, where: str | None = None,
                  crop: tuple[int, int, int, int] | None = None) -> Iterator[np.ndarray]:  # fmt: skip
    """Every ``step``-th frame of the video at ``path``, covering ``size`` (``crop``: a
    region first); UserError starting with ``where`` (default: ``--data 'PATH'``) when
    it cannot be read."""
    import imageio_ffmpeg

    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as exc:
        where = where or f"--data '{path}'"
        raise UserError(f"{where}: not a readable video ({exc})") from None
    w, h = meta["size"]
    for i, raw in enumerate(reader):
        if i % step == 0:
            frame = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
            yield fit_image(Image.fromarray(frame), size, crop)


def load_dataset(
    sources: list[Path],
    size: tuple[int, int],
    frame_step: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Every image of ``sources`` (folders, searched recursively, or video files) at
    ``size``; UserError when a source is missing or nothing usable is found."""
    pictures: list[np.ndarray] = []
    skipped: list[tuple[Path, str]] = []
    files: list[Path] = []
    videos: list[Path] = []
    for source in sources:
        if source.is_dir():
            files += _image_files(source)
        elif source.is_file() and source.suffix.lower() in VIDEO_SUFFIXES:
            videos.append(source)
        elif source.is_file() and source.suffix.lower() in IMAGE_SUFFIXES:
            files.append(source)
        else:
            raise UserError(f"--data '{source}': not a folder, image or video file")
    for i, path in enumerate(files):
        try:
            with Image.open(path) as image:
                pictures.append(fit_image(image, size))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            skipped.append((path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        if on_progress:
            on_progress(i + 1, len(files))
    for video in videos:
        pictures += list(_video_frames(video, size, frame_step))
    if not pictures:
        where = ", ".join(str(s) for s in sources)
        raise UserError(
            f"--data {where}: no usable images ({len(skipped)} files could not be read)"
        )
    images = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2).contiguous()
    return Dataset(images, skipped)
