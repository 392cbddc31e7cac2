"""Patch edits from several panels' threads at once on a running live engine."""

from __future__ import annotations

import threading

from app.live.engine import LiveEngine, LiveOptions


class WatchedLock:
    """The engine's edit lock, reporting each thread that comes to it."""

    def __init__(self, lock) -> None:
        self.lock = lock
        self.arrived = threading.Semaphore(0)

    def __enter__(self):
        self.arrived.release()
        return self.lock.__enter__()

    def __exit__(self, *exc):
        return self.lock.__exit__(*exc)


def test_a_motion_edit_and_a_routes_edit_at_once_both_land():
    engine = LiveEngine(LiveOptions(play="demo", size=(48, 27))).start()
    try:
        motion = {**engine.patch.motion.model_dump(), "transition_beats": 3.0}
        routes = [{"source": "audio.rms", "target": "fx.brightness", "amount": 0.5}]
        building, release = threading.Event(), threading.Event()
        real_load = engine.worker.load

        def slow_first_load(*args, **kwargs):  # the motion edit's renderer takes a while
            if not building.is_set():
                building.set()
                assert release.wait(10)
            return real_load(*args, **kwargs)

        engine.worker.load = slow_first_load
        engine.edits.lock = watched = WatchedLock(engine.edits.lock)
        errors: list[BaseException] = []

        def run(edit):
            try:
                edit()
            except BaseException as exc:  # reported to the test below
                errors.append(exc)

        first = threading.Thread(target=run, args=(lambda: engine.set_motion(motion),))
        first.start()
        assert building.wait(10) and watched.arrived.acquire(timeout=10)
        second = threading.Thread(target=run, args=(lambda: engine.set_routes(routes),))
        second.start()
        assert watched.arrived.acquire(timeout=10)  # the routes edit is at the lock
        release.set()
        first.join(10)
        second.join(10)
        assert not errors
        assert engine.patch.motion.transition_beats == 3.0  # neither edit was dropped
        assert [(r.source, r.target) for r in engine.patch.routes] == [
            ("audio.rms", "fx.brightness")
        ]
    finally:
        engine.stop()


def test_a_preset_switch_during_a_save_is_not_undone_by_it(tmp_path, monkeypatch):
    """Saving writes the file, then makes the saved preset the current one: a preset
    loaded meanwhile (a MIDI trigger) waits for the save, and then plays and is current,
    rather than being overwritten by the save's older patch."""
    import app.core.presets as presets

    engine = LiveEngine(LiveOptions(play="demo", size=(48, 27))).start()
    try:
        writing, release = threading.Event(), threading.Event()
        real_save = presets.save_preset

        def slow_save(patch, path):
            writing.set()
            assert release.wait(10)
            real_save(patch, path)

        monkeypatch.setattr(presets, "save_preset", slow_save)
        saving = threading.Thread(target=engine.save_preset, args=(tmp_path / "mine.json", "mine"))
        saving.start()
        assert writing.wait(10)
        assert not engine.edits.lock.acquire(blocking=False)  # the save holds the edits
        engine.edits.lock = watched = WatchedLock(engine.edits.lock)
        loading = threading.Thread(target=engine.load_preset, args=("plasma-tunnel",))
        loading.start()
        assert watched.arrived.acquire(timeout=10)  # the switch waits at the lock
        release.set()
        saving.join(10)
        loading.join(10)
        assert (tmp_path / "mine.json").exists()
        assert engine.patch.name == "plasma-tunnel"
        assert engine.preset_path.stem == "plasma-tunnel"
    finally:
        engine.stop()


def test_thumbnail_renderers_reuse_one_generator_per_size():
    engine = LiveEngine(LiveOptions(play="demo", size=(48, 27))).start()
    try:
        first, again = engine.still_renderer((32, 18)), engine.still_renderer((32, 18))
        assert first.generator is again.generator  # built (a model file: loaded) once
        assert first.generator is not engine.worker.latest_renderer.generator  # its own size
        assert first.size == (32, 18)
    finally:
        engine.stop()
