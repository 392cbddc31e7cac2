"""Editing the playing patch: presets loaded (with a crossfade), the model, the motion and
the modulation routes changed, the preset saved. Each edit is built on the calling thread
(a bad one raises UserError and the current patch keeps playing) and handed to the render
worker, one at a time (the engine's edit lock), so two panels' edits never drop one
another."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import UserError, validation_message
from app.core.keyframes import KeyframeSizeError
from app.core.patch import GeneratorSpec, Patch

if TYPE_CHECKING:
    from .engine import LiveEngine

EDIT_FADE_BEATS = 1.0  # an edit of the playing motion morphs into place over this many beats


class PatchEdits:
    """The patch edits of one live engine (whose ``patch`` they replace)."""

    def __init__(self, engine: LiveEngine) -> None:
        self.engine = engine
        # (the built-in look playing, the generator the preset named) while a preset's
        # model file is missing: saving the preset keeps the model it named
        self._stand_in: tuple[GeneratorSpec, GeneratorSpec] | None = None

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

    def set_generator(self, kind: str, look: str | None = None, path: str | None = None,
                      device: str | None = None) -> Patch:
        """Play another generator (the model picker): a built-in ``field`` look, or a
        ``dcgan`` / ``torchscript`` file, on ``device``. It is built on this thread; a bad
        file or device raises UserError and the current generator keeps playing."""
        from pydantic import ValidationError

        from app.core.patch import GeneratorSpec
        from app.engine.device import resolve_placement

        with self.engine._edits:
            fields = {**self.engine.patch.generator.model_dump(), "kind": kind}
            if look is not None and look != fields["look"]:
                fields["look"], fields["shape"] = look, {}  # overrides belong to the old look
            fields["path"] = str(Path(path).resolve()) if path else None
            if kind == "field":
                fields["path"] = None
            try:
                spec = GeneratorSpec.model_validate(fields)
            except ValidationError as exc:
                raise UserError(f"model: {validation_message(exc)}") from None
            placement = resolve_placement(device) if device else self.engine.placement
            patch = self.engine.patch.model_copy(update={"generator": spec})
            self.engine.generators.forget()  # the file may have changed since it was last loaded
            try:
                self.engine._play(patch, self.engine.preset_path, placement=placement)
            except KeyframeSizeError:  # the editor's keyframes belong to the old model's space
                patch = patch.model_copy(update={
                    "motion": patch.motion.model_copy(update={"vectors": None})})
                self.engine._play(patch, self.engine.preset_path, placement=placement)
                self.engine.notify(["motion: the keyframes did not fit the new model's latent "
                                    "space; it plays keyframes drawn from the seed"])
            self.engine.placement = placement
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
        with self.engine._edits:
            patch = self.engine.patch.model_copy(update={"motion": spec})
            self.engine._play(patch, self.engine.preset_path, EDIT_FADE_BEATS, "now")
            return patch

    def load_preset(self, name_or_path: str | Path, fade_beats: float = 0.0,
                    quantize: str = "bar") -> Patch:
        """Switch presets: built on the calling thread (a bad preset raises UserError and the
        current one keeps playing), swapped in by the render thread at its next frame, or
        crossfaded over ``fade_beats`` from the next beat or bar (``quantize``)."""
        from app.core.presets import load_preset

        with self.engine._edits:
            patch, path = load_preset(name_or_path, self.engine.registry)
            patch, missing = self.stand_in_for_missing_model(patch, path)
            self.engine.notify([missing] if missing else [])
            self.engine._play(patch, path, fade_beats, quantize)
            for pid, value in {**self.engine.registry.defaults(), **patch.params}.items():
                self.engine.store.set(pid, value, source="preset")
            self.engine._apply_preset_midi(patch)
            self.engine._preset_path, self.engine._saved = path, patch
            return patch

    def preset_values(self) -> dict[str, float]:
        """The parameter values the current preset starts from."""
        return {**self.engine.registry.defaults(), **self.engine.patch.params}

    def is_dirty(self) -> bool:
        """Whether the knobs or the patch (routes, motion, model) differ from the preset as
        loaded or last saved."""
        saved = self.preset_values()
        content = {"name", "params"}
        return self.engine.patch.model_dump(exclude=content) != self.engine._saved.model_dump(
            exclude=content) or any(
            abs(v - saved[k]) > 1e-9 for k, v in self.engine.store.snapshot().values.items())

    def set_routes(self, entries: list[dict]) -> list[str]:
        """Replace the modulation routes (the modulation matrix editor): each entry is
        checked on its own, bad ones are reported and left out, the rest play from the next
        frame (the renderer is rebuilt on this thread). Returns the problems."""
        from pydantic import ValidationError

        from app.core.modulation import ModRoute

        routes, problems = [], []
        for i, entry in enumerate(entries):
            where = f"route {i + 1} ({entry.get('source', '?')} -> {entry.get('target', '?')})"
            try:
                route = ModRoute.model_validate(entry)
            except ValidationError as exc:
                problems.append(f"{where}: {validation_message(exc)}")
                continue
            if route.target not in self.engine.registry:
                problems.append(f"{where}: unknown parameter {route.target!r}")
                continue
            routes.append(route)
        with self.engine._edits:
            engine = self.engine
            engine._play(engine.patch.model_copy(update={"routes": routes}), engine.preset_path)
        return problems

    def save_preset(self, path: Path, name: str | None = None) -> Patch:
        """The current preset with the knobs' values, written atomically to ``path``; it
        becomes the current preset (no longer dirty). An edit, like the others: a preset
        switch arriving meanwhile (a MIDI trigger) waits, instead of being undone when the
        save makes its older patch the current one."""
        from app.core import presets

        with self.engine._edits:
            values = self.engine.store.snapshot().values
            defaults = self.engine.registry.defaults()
            params = {k: v for k, v in values.items() if abs(v - defaults[k]) > 1e-12}
            patch = self.engine.patch.model_copy(update={"params": params,
                                                  "name": name or self.engine.patch.name})
            presets.save_preset(self._as_saved(patch), path)
            engine = self.engine
            engine.patch, engine._preset_path, engine._saved = patch, Path(path), patch
            return patch

    def renamed(self, path: Path, name: str) -> None:
        """The current preset's file was renamed (the knobs stay as they are)."""
        with self.engine._edits:
            self.engine.patch = self.engine.patch.model_copy(update={"name": name})
            self.engine._preset_path = Path(path)
