"""The launcher: the presets of a folder (a "set") as a grid of cells in pages of 8x4, each
cued by a click, a key, a pad or a word, landing on the next bar with the set's crossfade;
and the cells' thumbnails, drawn by the engine from each preset and cached until the file
changes. No Qt: the window shows it, MIDI triggers and stdin words play it alike."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.errors import UserError

COLUMNS, ROWS = 8, 4
CELLS = COLUMNS * ROWS
# a key row per grid row, left to right (the first eight keys of 1-0, Q-P, A-;, Z-/)
KEY_ROWS = ("12345678", "qwertyui", "asdfghjk", "zxcvbnm,")
THUMB_BEATS = 2.0  # a thumbnail shows its preset two beats in (its motion under way)


def key_cell(key: str) -> int | None:
    """The cell (0-31) a key cues, or None."""
    for row, keys in enumerate(KEY_ROWS):
        if key.lower() in keys and len(key) == 1:
            return row * COLUMNS + keys.index(key.lower())
    return None


@dataclass(frozen=True)
class LaunchCell:
    """One cell of the page shown: its number on the page (0-31) and its preset file."""

    index: int
    path: Path
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.path.stem


class PresetSet:
    """The presets (``*.json``) of ``folder``, by name, in pages of CELLS; ``page`` is the
    page shown (and played from keys and pads). ``rescan`` notices files added, removed or
    changed (a preset saved from the Presets tab)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise UserError(f"set '{folder}': not a folder")
        self.page = 0
        self.files: list[tuple[Path, int]] = []
        self.rescan()

    def rescan(self) -> bool:
        """Read the folder again; True when anything changed."""
        files = []
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.name.lower()):
            try:
                files.append((path, path.stat().st_mtime_ns))
            except OSError:  # removed between listing and looking
                continue
        changed = files != self.files
        self.files = files
        self.page = min(self.page, self.pages - 1)
        return changed

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.files) // CELLS))

    def turn(self, step: int) -> int:
        """Show the next (``+1``) or previous (``-1``) page; stays within the set."""
        self.page = min(max(self.page + step, 0), self.pages - 1)
        return self.page

    def cells(self) -> list[LaunchCell]:
        """The cells of the page shown (fewer than CELLS on the last page)."""
        first = self.page * CELLS
        return [
            LaunchCell(i, path, mtime)
            for i, (path, mtime) in enumerate(self.files[first : first + CELLS])
        ]

    def cell(self, index: int) -> LaunchCell | None:
        cells = self.cells()
        return cells[index] if 0 <= index < len(cells) else None


class Thumbnails:
    """Pictures of presets, drawn by ``draw(path, size)`` (a still of the preset through
    the engine's own renderer) and kept per (file, modification time, size): a changed
    file is drawn again, an unchanged one never. Any thread; drawing happens outside the
    lock, so two threads may draw the same picture once each, never block each other."""

    def __init__(self, draw: Callable[[Path, tuple[int, int]], np.ndarray]) -> None:
        self._draw = draw
        self._pictures: dict[tuple[Path, int, tuple[int, int]], np.ndarray] = {}
        self._lock = threading.Lock()

    def cached(self, cell: LaunchCell, size: tuple[int, int]) -> np.ndarray | None:
        with self._lock:
            return self._pictures.get((cell.path.resolve(), cell.mtime_ns, size))

    def picture(self, cell: LaunchCell, size: tuple[int, int]) -> np.ndarray:
        """The cell's picture, drawn now unless cached. Raises UserError naming the preset
        when it cannot be drawn (a broken file)."""
        key = (cell.path.resolve(), cell.mtime_ns, size)
        picture = self.cached(cell, size)
        if picture is None:
            picture = self._draw(cell.path, size)
            with self._lock:
                stale = [k for k in self._pictures if k[0] == key[0] and k[2] == size]
                for old in stale:  # an older version of the same file
                    del self._pictures[old]
                self._pictures[key] = picture
        return picture


class Launcher:
    """The launcher of one live session: the set shown (``set``), the crossfade a cue
    lands with (``fade_beats``), the thumbnails, and which preset is cued.

    ``load(preset, fade_beats, quantize)`` is the session's preset switch; ``still(path,
    size)`` draws a preset's picture; ``pending()`` is the preset loaded but not yet on
    screen (None when none is)."""

    RESCAN_S = 1.0  # how often the folder is looked at again (the display timer asks more)

    def __init__(
        self,
        load: Callable[..., object],
        still: Callable[[Path, tuple[int, int]], np.ndarray],
        pending: Callable[[], Path | None],
        mine: Path,
        shipped: Path,
    ) -> None:
        self._load, self._pending = load, pending
        self.folders = {"My presets": Path(mine), "Shipped presets": Path(shipped)}
        self.set: PresetSet | None = None
        self.fade_beats = 0.0
        self.thumbnails = Thumbnails(still)
        self._marked: Path | None = None
        self._scanned = 0.0

    def has_presets(self, which: str) -> bool:
        folder = self.folders.get(which, Path(which))
        return folder.is_dir() and any(folder.glob("*.json"))

    def open(self, folder: str | Path) -> PresetSet:
        """Show the presets of ``folder`` ("My presets" and "Shipped presets" name those
        folders). Raises UserError naming a folder that is not one."""
        self.set = PresetSet(self.folders.get(str(folder), Path(folder)).resolve())
        return self.set

    def set_label(self) -> str:
        """The set's name as the window lists it."""
        for label, folder in self.folders.items():
            if self.set is not None and folder.resolve() == self.set.folder:
                return label
        return str(self.set.folder) if self.set else ""

    def rescan(self, now: float | None = None) -> bool:
        """Look at the folder again (at most every RESCAN_S); True when it changed."""
        import time

        now = time.monotonic() if now is None else now
        if self.set is None or now - self._scanned < self.RESCAN_S:
            return False
        self._scanned = now
        return self.set.rescan()

    def turn(self, step: int) -> int:
        return self._need_set().turn(step)

    def cells(self) -> list[LaunchCell]:
        return self._need_set().cells()

    def cell(self, index: int) -> LaunchCell | None:
        return self._need_set().cell(index)

    def cue(self, preset: str | Path):
        """Load ``preset`` to land on the next bar with the set's crossfade (built on the
        calling thread; a bad preset raises UserError and the current one plays on)."""
        try:
            return self._load(preset, self.fade_beats, "bar")
        finally:
            self._marked = None

    def cue_cell(self, index: int):
        """Cue the preset of cell ``index`` (0-31) of the page shown."""
        cell = self.cell(index)
        if cell is None:
            raise UserError(f"cue: cell {index + 1} of this page is empty")
        self.mark_cued(cell.path)
        return self.cue(cell.path)

    def mark_cued(self, path: Path) -> None:
        """``path`` is cued (being built, before the session loads it)."""
        self._marked = Path(path).resolve()

    def cued(self) -> Path | None:
        """The preset cued and not yet on screen, or None."""
        return self._marked or self._pending()

    def default_set(self) -> str:
        """The set shown first: the user's presets when there are any, else the shipped."""
        return "My presets" if self.has_presets("My presets") else "Shipped presets"

    def _need_set(self) -> PresetSet:
        """The set open, or the default one (``cue 3`` typed before any set was chosen)."""
        return self.set if self.set is not None else self.open(self.default_set())
