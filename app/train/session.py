"""A training run on a background thread, watched by polling (the app's Train panel): the
step count, the loss history, the newest timelapse sample as a grid picture, and the
outcome. No Qt here; the panel reads these on its display timer, and the run never waits
for it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from app.core.errors import UserError
from app.core.mailbox import Mailbox
from app.engine.device import Placement

from .config import TrainConfig
from .run import TrainResult, run_job
from .timelapse import tile


class TrainingSession:
    def __init__(self, config: TrainConfig, out_dir: Path, placement: Placement) -> None:
        self.config, self.out_dir, self.placement = config, out_dir, placement
        self.step = 0
        self.total = 0
        self._first: tuple[int, float] | None = None  # (step, monotonic s) of the first step
        self.losses: list[tuple[int, float, float]] = []  # (step, d, g), appended only
        self.samples: Mailbox[np.ndarray] = Mailbox()  # the newest grid picture
        self.result: TrainResult | None = None
        self.error: str | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="train", daemon=True)

    def start(self) -> "TrainingSession":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to end after its current step (it saves and closes its videos)."""
        self._stop.set()

    def wait(self, timeout_s: float | None = None) -> bool:
        return self.finished.wait(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def eta_s(self) -> float | None:
        """Seconds left at the pace of the steps so far (None before the second step; data
        loading does not count)."""
        if self._first is None or self.step <= self._first[0]:
            return None
        step, at = self._first
        return (time.monotonic() - at) / (self.step - step) * (self.total - self.step)

    def _on_step(self, step: int, total: int, losses) -> None:
        if self._first is None:
            self._first = (step, time.monotonic())
        self.step, self.total = step, total
        self.losses.append((step, losses.d, losses.g))

    def _on_sample(self, _step: int, samples: np.ndarray) -> None:
        self.samples.put(tile(samples, self.config.grid_width, self.config.grid_height))

    def _run(self) -> None:
        try:
            self.result = run_job(
                self.config,
                self.out_dir,
                self.placement,
                on_step=self._on_step,
                on_sample=self._on_sample,
                stop=self._stop,
            )
        except UserError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported in the panel; the app goes on
            self.error = f"training stopped: {type(exc).__name__}: {exc}"
        finally:
            self.finished.set()
