"""Auto-resolution: the render worker draws smaller when frames run over their period,
and back up when there is headroom again (pure logic, fed the render times)."""

from __future__ import annotations

# Internal render sizes, as fractions of the output size, that auto-resolution steps through.
SCALES = (1.0, 0.75, 0.5, 0.35, 0.25)
BUDGET = 0.8  # a frame may use this much of its period before the size drops
DOWN_AFTER = 8  # frames over budget (smoothed) before stepping down
UP_AFTER_S = 3.0  # seconds with lots of headroom before stepping back up
HEADROOM = 0.45  # "lots": the next size up would still fit (area ratio ~1.8)


class AutoResolution:
    """Chooses the internal render scale from recent render times (pure logic)."""

    def __init__(self, fps: float, enabled: bool = True) -> None:
        self.period_ms = 1e3 / fps
        self.enabled = enabled
        self.level = 0
        self._smoothed: float | None = None
        self._over = 0
        self._under_since: float | None = None

    @property
    def scale(self) -> float:
        return SCALES[self.level]

    def update(self, render_ms: float, now_s: float) -> bool:
        """Feed one frame's render time; returns True when the scale changed."""
        if not self.enabled:
            return False
        self._smoothed = (
            render_ms if self._smoothed is None else 0.8 * self._smoothed + 0.2 * render_ms
        )
        if self._smoothed > BUDGET * self.period_ms:
            self._over += 1
            self._under_since = None
            if self._over >= DOWN_AFTER and self.level < len(SCALES) - 1:
                self.level += 1
                self._over, self._smoothed = 0, None
                return True
            return False
        self._over = 0
        if self.level > 0 and self._smoothed < HEADROOM * BUDGET * self.period_ms:
            self._under_since = now_s if self._under_since is None else self._under_since
            if now_s - self._under_since >= UP_AFTER_S:
                self.level -= 1
                self._under_since, self._smoothed = None, None
                return True
        else:
            self._under_since = None
        return False
