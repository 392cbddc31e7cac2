"""The patch session: the playing patch and the preset it came from, and every edit of it:
presets loaded (with a crossfade), the model, the motion and the modulation routes changed,
the preset saved. Each edit is built on the calling thread (a bad one raises UserError and
the current patch keeps playing) and handed to the render worker, one at a time (``lock``),
so two panels' edits never drop one another."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import UserError, validate_each, validation_message
from app.core.keyframes import KeyframeSizeError
from app.core.params import ParamRegistry, ParamStore
from app.core.patch import GeneratorSpec, Patch

if TYPE_CHECKING:
    from app.engine.device import Placement
    from app.engine.generators import GeneratorCache
    from app.engine.render_worker import RenderWorker
    from app.engine.renderer import FrameRenderer

EDIT_FADE_BEATS = 1.0  # an edit of the playing motion morphs into place over this many beats


class PatchEdits:
    """The playing patch (``patch``), the file it came from (``preset_path``), the patch as
    loaded or last saved, and the parameter store the knobs move; the sole writer of all
    of them. ``attach`` gives it the render worker it hands renderers to."""

    def __init__(
        self,
        registry: ParamRegistry,
        generators: GeneratorCache,
        placement: Placement,
        preset: str | Path,
        model: str | None,
        notify: Callable[[list[str]], None],
        on_preset: Callable[[Patch], None] = lambda patch: None,
    ) -> None:
        """Load ``preset`` (with ``model`` in place of its generator when given); raises
        UserError naming the preset. ``on_preset`` hears each preset that starts playing
        (its own MIDI bindings go on top of the map)."""
        from app.core.presets import load_preset
        from app.engine.generators import with_model

        self.registry, self.generators, self.placement = registry, generators, placement
        self.notify, self.on_preset = notify, on_preset
        # (the built-in look playing, the generator the preset named) while a preset's
        # model file is missing: saving the preset keeps the model it named
        self._stand_in: tuple[GeneratorSpec, GeneratorSpec] | None = None
        patch, self._preset_path = load_preset(preset, registry)
        self.patch, missing = self.stand_in_for_missing_model(
            with_model(patch, model), self._preset_path
        )
        self.notify([missing] if missing else [])
        self._saved = self.patch
        self.store = ParamStore(registry, self.patch.params)
        # patch edits (preset, model, motion, routes) come from several panels' threads;
        # each reads the current patch, builds on it and commits: one at a time, or a
        # second edit built on the same old patch would drop the first
        self.lock = threading.RLock()
        self.worker: RenderWorker | None = None
        self.layer_feed = None  # the session's video layer feeds (``LiveFeeds.feed``)
        # the preset on screen, and the loads on their way there: (load number, preset)
        self._on_screen = self.preset_path.resolve()
        self._coming: deque[tuple[int, Path]] = deque()
        self._screen_lock = threading.Lock()  # never held while building: the GUI asks

    @property
    def preset_path(self) -> Path:
        """The file the current preset came from (or was last saved to)."""
        return Path(self._preset_path)

    def renderer_factory(
        self,
        patch: Patch | None = None,
        path: Path | None = None,
        placement: Placement | None = None,
        live: bool = True,
    ) -> Callable[[tuple[int, int]], FrameRenderer]:
        """Makes renderers of ``patch`` (the current one) at a size; generators come from
        the cache, built once per latent space and size (a model file is not loaded again
        for every renderer). ``live``: video layers come from the session's decoding
        feeds (else a still decodes its exact frames)."""
        from app.engine.renderer import FrameRenderer

        patch, path = patch or self.patch, Path(path or self.preset_path)
        placement = placement or self.placement

        def make(size: tuple[int, int]) -> FrameRenderer:
            generator = self.generators.get(
                patch.generator, size, placement, patch.seed, path.parent
            )
            return FrameRenderer(
                patch,
                self.registry,
                size,
                placement,
                preset_dir=path.parent,
                generator=generator,
                layer_feed=self.layer_feed if live else None,
            )

        return make

    def still(self, preset: str | Path, size: tuple[int, int], beats: float) -> Any:
        """A picture of ``preset`` ``beats`` in, at ``size``, drawn on the calling thread
        (the launcher's thumbnails; a missing model file draws its built-in stand-in).
        Raises UserError naming a broken preset."""
        from app.core.presets import load_preset
        from app.engine.generators import with_missing_model_replaced
        from app.engine.seed_images import patch_still

        patch, path = load_preset(preset, self.registry)
        patch, _ = with_missing_model_replaced(patch, path.parent)
        return patch_still(self.renderer_factory(patch, path, live=False)(size), beats)

    def attach(self, worker: RenderWorker) -> None:
        self.worker = worker

    def _play(
        self,
        patch: Patch,
        path: Path,
        fade_beats: float = 0.0,
        quantize: str = "bar",
        placement: Placement | None = None,
    ) -> Any:
        """Build ``patch``'s renderer here (raises on bad input, nothing changes) and hand
        it to the render thread; it becomes the current patch."""
        assert self.worker is not None, "the engine is not started"
        renderer = self.worker.load(
            self.renderer_factory(patch, path, placement),
            fade_beats,
            quantize,
            note=patch_note(patch, path),
        )
        with self._screen_lock:
            self._coming.append((self.worker.loads, Path(path).resolve()))
        self.patch = patch
        return renderer

    def _follow_file(self, path: Path) -> None:
        """The current preset is now the file ``path`` (saved as, renamed)."""
        old, new = self.preset_path.resolve(), path.resolve()
        self.preset_on_screen()
        with self._screen_lock:
            if self._on_screen == old:
                self._on_screen = new
            self._coming = deque((n, new if p == old else p) for n, p in self._coming)

    def preset_on_screen(self) -> Path:
        """The preset file whose patch the screen shows now (a preset loaded to land on
        the next bar is not on screen until then)."""
        landed = self.worker.landed if self.worker is not None else 0
        with self._screen_lock:
            while self._coming and self._coming[0][0] <= landed:
                self._on_screen = self._coming.popleft()[1]
            return self._on_screen

    def pending_preset(self) -> Path | None:
        """The preset loaded but not yet on screen (the launcher's cued cell), or None."""
        on_screen = self.preset_on_screen()
        with self._screen_lock:
            coming = self._coming[-1][1] if self._coming else None
        return coming if coming != on_screen else None

    def stand_in_for_missing_model(self, patch: Patch, path: Path) -> tuple[Patch, str | None]:
        """``patch`` from the preset at ``path``, on the built-in look when the model file
        it names is missing (with the notice saying so)."""
        from app.engine.generators import with_missing_model_replaced

        playing, missing = with_missing_model_replaced(patch, path.parent)
        self._stand_in = (playing.generator, patch.generator) if missing else None
        return playing, missing

    def _as_saved(self, patch: Patch) -> Patch:
        """What a save writes: the model the preset named, while its stand-in plays."""
        if self._stand_in is not None and patch.generator == self._stand_in[0]:
            return patch.model_copy(update={"generator": self._stand_in[1]})
        return patch

    def set_generator(
        self, kind: str, look: str | None = None, path: str | None = None, device: str | None = None
    ) -> Patch:
        """Play another generator (the model picker): a built-in ``field`` look, or a
        ``dcgan`` / ``torchscript`` file, on ``device``. It is built on this thread; a bad
        file or device raises UserError and the current generator keeps playing."""
        from pydantic import ValidationError

        from app.core.patch import GeneratorSpec
        from app.engine.device import resolve_placement

        with self.lock:
            fields = {**self.patch.generator.model_dump(), "kind": kind}
            if look is not None and look != fields["look"]:
                fields["look"], fields["shape"] = look, {}  # overrides belong to the old look
            fields["path"] = str(Path(path).resolve()) if path else None
            if kind == "field":
                fields["path"] = None
            try:
                spec = GeneratorSpec.model_validate(fields)
            except ValidationError as exc:
                raise UserError(f"model: {validation_message(exc)}") from None
            placement = resolve_placement(device) if device else self.placement
            patch = self.patch.model_copy(update={"generator": spec})
            self.generators.forget()  # the file may have changed since it was last loaded
            try:
                self._play(patch, self.preset_path, quantize="now", placement=placement)
            except KeyframeSizeError:  # the editor's keyframes belong to the old model's space
                patch = patch.model_copy(
                    update={"motion": patch.motion.model_copy(update={"vectors": None})}
                )
                self._play(patch, self.preset_path, quantize="now", placement=placement)
                self.notify(
                    [
                        "motion: the keyframes did not fit the new model's latent "
                        "space; it plays keyframes drawn from the seed"
                    ]
                )
            self.placement = placement
            return patch

    def set_motion(self, motion: dict) -> Patch:
        """Replace the latent motion (the motion editor: keyframes, path, timing, layers).
        Checked here (UserError naming the field; the current motion plays on), then
        morphed into over EDIT_FADE_BEATS from now."""
        from pydantic import ValidationError

        from app.core.patch import MotionSpec

        try:
            spec = MotionSpec.model_validate(motion)
        except ValidationError as exc:
            joiner = "." if exc.errors()[0]["loc"] else ": "
            raise UserError(f"motion{joiner}{validation_message(exc)}") from None
        with self.lock:
            patch = self.patch.model_copy(update={"motion": spec})
            self._play(patch, self.preset_path, EDIT_FADE_BEATS, "now")
            return patch

    def load_preset(
        self, name_or_path: str | Path, fade_beats: float = 0.0, quantize: str = "bar"
    ) -> Patch:
        """Switch presets: built on the calling thread (a bad preset raises UserError and the
        current one keeps playing), swapped in by the render thread at its next frame, or
        crossfaded over ``fade_beats`` from the next beat or bar (``quantize``)."""
        from app.core.presets import load_preset

        with self.lock:
            patch, path = load_preset(name_or_path, self.registry)
            patch, missing = self.stand_in_for_missing_model(patch, path)
            self.notify([missing] if missing else [])
            self._play(patch, path, fade_beats, quantize)
            for pid, value in {**self.registry.defaults(), **patch.params}.items():
                self.store.set(pid, value, source="preset")
            self.on_preset(patch)
            self._preset_path, self._saved = path, patch
            return patch

    def preset_values(self) -> dict[str, float]:
        """The parameter values the current preset starts from."""
        return {**self.registry.defaults(), **self.patch.params}

    def is_dirty(self) -> bool:
        """Whether the knobs or the patch (routes, motion, model) differ from the preset as
        loaded or last saved."""
        saved = self.preset_values()
        content = {"name", "params"}
        return self.patch.model_dump(exclude=content) != self._saved.model_dump(
            exclude=content
        ) or any(abs(v - saved[k]) > 1e-9 for k, v in self.store.snapshot().values.items())

    def set_routes(self, entries: list[dict]) -> list[str]:
        """Replace the modulation routes (the modulation matrix editor): each entry is
        checked on its own, bad ones are reported and left out, the rest play from the next
        frame (the renderer is rebuilt on this thread). Returns the problems."""
        from app.core.modulation import ModRoute

        def label(i: int, entry) -> str:
            return f"route {i + 1} ({entry.get('source', '?')} -> {entry.get('target', '?')})"

        def check(route: ModRoute) -> str | None:
            known = route.target in self.registry
            return None if known else f"unknown parameter {route.target!r}"

        routes, problems = validate_each(ModRoute, entries, label, check)
        with self.lock:
            self._play(
                self.patch.model_copy(update={"routes": routes}), self.preset_path, quantize="now"
            )
        return problems

    def save_preset(self, path: Path, name: str | None = None) -> Patch:
        """The current preset with the knobs' values, written atomically to ``path``; it
        becomes the current preset (no longer dirty). An edit, like the others: a preset
        switch arriving meanwhile (a MIDI trigger) waits, instead of being undone when the
        save makes its older patch the current one."""
        from app.core import presets

        with self.lock:
            values = self.store.snapshot().values
            defaults = self.registry.defaults()
            params = {k: v for k, v in values.items() if abs(v - defaults[k]) > 1e-12}
            patch = self.patch.model_copy(
                update={"params": params, "name": name or self.patch.name}
            )
            presets.save_preset(self._as_saved(patch), path)
            self._follow_file(Path(path))
            self.patch, self._preset_path, self._saved = patch, Path(path), patch
            return patch

    def renamed(self, path: Path, name: str) -> None:
        """The current preset's file was renamed (the knobs stay as they are)."""
        with self.lock:
            self.patch = self.patch.model_copy(update={"name": name})
            self._follow_file(Path(path))
            self._preset_path = Path(path)


def patch_note(patch: Patch, path: Path) -> dict:
    """What a patch swap logs: the patch itself and where its files are."""
    return {"patch": patch.model_dump(mode="json"), "preset_dir": str(Path(path).parent.resolve())}
