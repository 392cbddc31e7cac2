"""Where a video layer's pictures come from: a video file or a folder of images (frames at
any position, decoded by the bundled ffmpeg at the layer's size) and a camera (ffmpeg's
v4l2 / avfoundation / dshow input). Nothing here knows about beats: ``app/engine/layers.py``
says which position plays.

Two ways to ask. ``frame_at(position_s)`` decodes the exact frame on the calling thread
(an offline render: frames are a pure function of the patch and the time). ``LiveFeed``
decodes on a thread of its own: the render thread posts the position it wants and takes
the newest decoded frame, never waiting (a slow decode shows the previous frame)."""

from __future__ import annotations

import logging
import platform
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.core.errors import UserError
from app.core.patch import LayerSpec

logging.getLogger("imageio_ffmpeg").setLevel(logging.ERROR)  # scaling is what we ask for
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
CACHE_BYTES = 256 * 2**20  # decoded frames kept per source (scratching back is free)
SEEK_AHEAD_S = 1.0  # a wanted frame further ahead than this is reached by seeking


def _lru_put(cache: OrderedDict, key, value, max_items: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > max_items:
        cache.popitem(last=False)


class VideoClip:
    """A video file at ``size`` (w, h), read forward by one ffmpeg process and reopened at
    the position asked for when that lies behind or far ahead. Raises UserError naming the
    file when it is not a video (or has no video stream)."""

    def __init__(self, path: Path, size: tuple[int, int]) -> None:
        import imageio_ffmpeg

        self.path, self.size = Path(path), size
        if not self.path.is_file():
            raise UserError(f"layer '{path}': no such file")
        _check_has_video(self.path)
        try:
            reader = imageio_ffmpeg.read_frames(str(self.path))
            meta = next(reader)
            reader.close()
        except (OSError, RuntimeError, StopIteration) as exc:
            raise UserError(f"layer '{path}': not a video ({_first_line(exc)})") from None
        self.fps = float(meta["fps"])
        self.duration_s = float(meta.get("duration") or 0.0)
        self.frames = max(1, int(round(self.duration_s * self.fps)))
        self._reader: Iterator[bytes] | None = None
        self._next = 0  # the index the reader yields next
        w, h = size
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_items = max(8, CACHE_BYTES // (w * h * 3))

    def index_at(self, position_s: float) -> int:
        return min(self.frames - 1, max(0, int(position_s * self.fps)))

    def frame_at(self, position_s: float) -> np.ndarray:
        """The frame shown at ``position_s`` (within the clip), HxWx3 uint8."""
        index = self.index_at(position_s)
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        if self._reader is None or not (self._next <= index < self._next + SEEK_AHEAD_S * self.fps):
            self._open_at(index)
        frame = None
        while self._next <= index:
            frame = self._read()
            if frame is None:  # the stream ended early (a short last GOP): hold the last
                self.frames = max(1, self._next)
                return self._cache.get(self._next - 1) or np.zeros((*self.size[::-1], 3), np.uint8)
            _lru_put(self._cache, self._next, frame, self._cache_items)
            self._next += 1
        return frame

    def _open_at(self, index: int) -> None:
        import imageio_ffmpeg

        self.close()
        w, h = self.size
        self._reader = imageio_ffmpeg.read_frames(
            str(self.path),
            input_params=["-ss", f"{index / self.fps:.6f}"] if index else None,
            output_params=["-vf", f"scale={w}:{h}", "-an"],
        )
        next(self._reader)  # the metadata
        self._next = index

    def _read(self) -> np.ndarray | None:
        try:
            data = next(self._reader)
        except StopIteration:
            self.close()
            return None
        w, h = self.size
        return np.frombuffer(data, np.uint8).reshape(h, w, 3)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class ImageFolder:
    """The images of a folder, by name, as the frames of a clip at ``fps``."""

    def __init__(self, folder: Path, size: tuple[int, int], fps: float) -> None:
        self.folder, self.size, self.fps = Path(folder), size, fps
        if not self.folder.is_dir():
            raise UserError(f"layer '{folder}': not a folder of images")
        self.paths = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.paths:
            raise UserError(f"layer '{folder}': no images ({', '.join(IMAGE_SUFFIXES)})")
        self.frames = len(self.paths)
        self.duration_s = self.frames / fps
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def index_at(self, position_s: float) -> int:
        return min(self.frames - 1, max(0, int(position_s * self.fps)))

    def frame_at(self, position_s: float) -> np.ndarray:
        from PIL import Image

        index = self.index_at(position_s)
        if index not in self._cache:
            try:
                with Image.open(self.paths[index]) as image:
                    picture = np.asarray(image.convert("RGB").resize(self.size))
            except OSError as exc:
                raise UserError(f"layer '{self.paths[index]}': {_first_line(exc)}") from None
            _lru_put(self._cache, index, picture, 64)
        return self._cache[index]

    def close(self) -> None:
        pass


def camera_input(device: str) -> list[str]:
    """ffmpeg's input arguments for a camera on this system (``device``: a path, a name
    or an index; empty: the first)."""
    system = platform.system()
    if system == "Darwin":
        return ["-f", "avfoundation", "-i", device or "0"]
    if system == "Windows":
        return ["-f", "dshow", "-i", f"video={device}" if device else "video=0"]
    return ["-f", "v4l2", "-i", device or "/dev/video0"]


class Camera:
    """A camera through ffmpeg, read on its own thread (``latest`` is the newest picture).
    Raises UserError naming the device when there is no such camera."""

    def __init__(self, device: str, size: tuple[int, int]) -> None:
        import imageio_ffmpeg

        self.device, self.size = device, size
        w, h = size
        try:
            self._reader = self._open(imageio_ffmpeg, w, h)
            next(self._reader)
        except (OSError, RuntimeError, StopIteration) as exc:
            where = device or "the default camera"
            raise UserError(f"layer camera '{where}': no camera ({_first_line(exc)})") from None
        self.latest: np.ndarray | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self._thread.start()

    def _open(self, imageio_ffmpeg, w: int, h: int):
        args = camera_input(self.device)
        return imageio_ffmpeg.read_frames(
            args[-1], input_params=args[:-2], output_params=["-vf", f"scale={w}:{h}"]
        )

    def _run(self) -> None:
        w, h = self.size
        for data in self._reader:
            if self._stop.is_set():
                break
            self.latest = np.frombuffer(data, np.uint8).reshape(h, w, 3)

    def frame_at(self, position_s: float) -> np.ndarray | None:
        return self.latest

    def close(self) -> None:
        self._stop.set()
        self._reader.close()


def open_source(spec: LayerSpec, size: tuple[int, int], preset_dir: Path | None,
                device: str = "cpu"):  # fmt: skip
    """The source ``spec`` names, at ``size`` (a continuation draws at its model's size,
    on ``device``); UserError naming it when it cannot open."""
    path = Path(spec.path)
    if spec.path and not path.is_absolute() and preset_dir is not None:
        path = preset_dir / path
    if spec.source == "continuation":
        from app.engine.continuation import Continuation

        return Continuation(path, device)
    if spec.source == "video":
        return VideoClip(path, size)
    if spec.source == "images":
        return ImageFolder(path, size, spec.image_fps)
    return Camera(spec.path, size)


class LiveFeed:
    """A clip decoded on its own thread for the live render thread: ``want(position)``
    posts where the layer is, ``latest()`` hands the newest decoded frame (None until the
    first), neither ever waits for a decode."""

    def __init__(self, source) -> None:
        self.source = source
        self._wanted: float | None = None
        self._latest: np.ndarray | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="video-layer", daemon=True)
        self._thread.start()

    def want(self, position_s: float) -> None:
        self._wanted = position_s
        self._wake.set()

    def latest(self) -> np.ndarray | None:
        return self._latest if not isinstance(self.source, Camera) else self.source.latest

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            wanted = self._wanted
            if wanted is None or isinstance(self.source, Camera):
                continue
            try:
                self._latest = self.source.frame_at(wanted)
            except UserError as exc:  # reported once on the status line; the layer holds
                self.error = str(exc)

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(2.0)
        self.source.close()


class LiveFeeds:
    """The live session's layer feeds, one per source (every renderer of a patch, at any
    internal size, and every preset naming the same file share it), decoded at the output
    ``size`` (renderers scale down on the GPU / CPU); all closed when the session stops."""

    def __init__(self, size: tuple[int, int], device: str = "cpu") -> None:
        self.size, self.device = size, device
        self._feeds: dict[tuple, LiveFeed] = {}
        self._lock = threading.Lock()

    def feed(self, spec: LayerSpec, preset_dir: Path | None) -> LiveFeed:
        path = Path(spec.path)
        if spec.path and not path.is_absolute() and preset_dir is not None:
            path = preset_dir / path
        key = (spec.source, str(path.resolve()) if spec.path else "", spec.image_fps)
        with self._lock:
            if key not in self._feeds:  # opening raises UserError naming the source
                source = open_source(spec, self.size, preset_dir, self.device)
                self._feeds[key] = LiveFeed(source)
            return self._feeds[key]

    def errors(self) -> list[str]:
        return [feed.error for feed in self._feeds.values() if feed.error]

    def close(self) -> None:
        with self._lock:
            for feed in self._feeds.values():
                feed.close()
            self._feeds.clear()


def _streams(path: Path) -> tuple[list[str], str]:
    """ffmpeg's stream lines for ``path`` and its last line of output."""
    import subprocess

    import imageio_ffmpeg

    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True, text=True, errors="replace", stdin=subprocess.DEVNULL,
    )  # fmt: skip
    last = (probe.stderr.strip().splitlines()[-1:] or ["no streams"])[0]
    return [line for line in probe.stderr.splitlines() if "Stream #" in line], last


def video_facts(path: Path, where: str) -> tuple[float, int]:
    """(frames a second, frame count) of the video at ``path``; UserError starting with
    ``where`` when it is missing, and naming it when it is not a video."""
    import imageio_ffmpeg

    if not path.is_file():
        raise UserError(f"{where}: no such file")
    _check_has_video(path)
    frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    return float(meta["fps"]), int(frames)


def audio_streams(path: Path) -> int:
    """How many sound streams the file at ``path`` has."""
    return sum(": Audio:" in line for line in _streams(path)[0])


def _check_has_video(path: Path) -> None:
    """UserError naming ``path`` when ffmpeg finds no streams in it, or no video stream."""
    streams, last = _streams(path)
    if not streams:
        raise UserError(f"layer '{path}': not a video ({last.split(': ')[-1]})")
    if not any(": Video:" in line for line in streams):
        raise UserError(f"layer '{path}': no video stream")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
