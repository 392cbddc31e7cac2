"""The recorder's pure logic: frames onto constant-rate slots, codec choices, and the
performance log read back for a replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.core.errors import UserError
from app.engine.capture import PerformanceLog
from app.engine.recorder import FrameSlots, RecordingSettings, performance_path, sidecar_path
from app.engine.replay import load_performance, musical_time
from app.engine.video_writer import VideoWriter, codec_problem, offered_codecs


def expand(pairs):
    return [item for item, n in pairs for _ in range(n)]


def test_frames_on_a_steady_grid_fill_one_slot_each():
    slots = FrameSlots(t0_s=10.0, fps=10.0)
    out = []
    for k in range(5):
        out += slots.add(10.0 + k / 10 + 0.03, k)
    out += slots.finish()
    assert expand(out) == [0, 1, 2, 3, 4] and slots.repeated == 0 and slots.next_slot == 5


def test_a_skipped_tick_repeats_the_frame_before_and_an_extra_frame_replaces():
    slots = FrameSlots(0.0, 10.0)
    out = slots.add(0.01, "a") + slots.add(0.31, "b")  # slots 1 and 2 had no frame
    out += slots.add(0.35, "c")  # an onset frame in b's slot: newer wins
    out += slots.add(0.41, "d") + slots.finish()
    assert expand(out) == ["a", "a", "a", "c", "d"]
    assert slots.repeated == 2 and slots.replaced == 1


def test_a_frame_whose_clock_went_back_is_not_recorded():
    slots = FrameSlots(0.0, 10.0)
    out = slots.add(0.05, "a") + slots.add(0.25, "b") + slots.add(0.12, "old")
    assert expand(out + slots.finish()) == ["a", "a", "b"] and slots.stale == 1


def test_the_first_frame_covers_the_slots_before_it():
    slots = FrameSlots(0.0, 10.0)
    out = slots.add(0.15, "a") + slots.add(0.25, "b") + slots.finish()
    assert expand(out) == ["a", "a", "b"]


def test_a_dropped_frame_gives_its_slots_to_the_next_one(tmp_path):
    writer = VideoWriter(tmp_path / "v.mkv", (16, 16), 10.0, queue_frames=1)
    frame = np.zeros((16, 16, 3), np.uint8)
    assert writer.write(frame, block=False, repeat=2)
    assert not writer.write(frame, block=False, repeat=3)  # full: dropped, its 3 slots owed
    writer._queue.get_nowait()
    assert writer.write(frame, block=False, repeat=1)
    assert writer._queue.get_nowait()[1] == 4 and writer.frames_dropped == 1


def test_codecs_offered_and_where_they_go():
    assert "h264" in offered_codecs()
    assert codec_problem("h264", Path("a.mkv"), (640, 360)) is None
    assert "goes in .mkv, .mov" in codec_problem("prores", Path("a.mp4"), (640, 360))
    assert "unknown codec" in codec_problem("vp9", Path("a.mkv"), (640, 360))
    if "hap" in offered_codecs():
        assert "multiples of 4" in codec_problem("hap", Path("a.mov"), (642, 360))


@pytest.mark.parametrize(
    "name, message",
    [
        ("a.avi", "use a .mkv, .mp4, .mov file name"),
        ("missing/a.mkv", "does not exist"),
        ("old.mkv", "already exists"),
    ],
)
def test_bad_recording_targets_are_named(tmp_path, name, message):
    (tmp_path / "old.mkv").write_bytes(b"last night")
    with pytest.raises(UserError, match=message):
        RecordingSettings(tmp_path / name).check((640, 360))


def test_sidecar_and_log_names():
    assert sidecar_path(Path("/r/set.mkv")) == Path("/r/set.recording.json")
    assert performance_path(Path("/r/set.mp4")) == Path("/r/set.performance.jsonl")


def write_log(tmp_path, extra_lines=()):
    path = tmp_path / "p.performance.jsonl"
    log = PerformanceLog(path, 100.0, {"recording": "p.mkv", "fps": 10.0})
    for k in range(10):
        log.frame(100.0 + k / 10, beats=2.0 * k / 10, bpm=120.0, bar_phase=(0.5 * k / 10) % 1)
    log.add({"type": "param", "id": "fx.brightness", "value": 0.5, "t_s": 100.42})
    log.close()
    with open(path, "a") as f:
        f.writelines(extra_lines)
    return path


def test_the_log_reads_back_in_recording_time(tmp_path):
    perf = load_performance(write_log(tmp_path))
    assert perf.events == [{"type": "param", "id": "fx.brightness", "value": 0.5, "t": 0.42}]
    assert perf.duration_s == pytest.approx(1.0)
    beats, bpm, bar = musical_time(perf, np.array([0.25, 0.55]), 4)
    assert beats == pytest.approx([0.5, 1.1]) and bpm == pytest.approx([120, 120])
    assert bar == pytest.approx([0.125, 0.275])
    # before the first live frame (a replay's pre-roll) the clock runs back at its tempo
    beats, _, bar = musical_time(perf, np.array([-0.5]), 4)
    assert beats == pytest.approx([-1.0]) and bar == pytest.approx([0.75])


def test_a_torn_last_line_is_left_out_but_a_bad_middle_line_is_named(tmp_path):
    path = write_log(tmp_path, ['{"type": "param", "id": "fx.br'])
    assert len(load_performance(path).events) == 1
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:3] + ["oops"] + lines[3:]) + "\n")
    with pytest.raises(UserError, match="line 4 is not JSON"):
        load_performance(path)


def test_a_file_that_is_not_a_log_is_refused(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"type": "clock", "t": 0}) + "\n")
    with pytest.raises(UserError, match="not a latentvj performance log"):
        load_performance(path)


def feedback_performance(tmp_path: Path, registry, name: str, start_s: float) -> Path:
    """A performance log of a heavy-feedback patch at 120 BPM whose recording began
    ``start_s`` into the show (the show's clock: beat 0 at 0 s) and ends at 4 s."""
    from app.core.presets import load_preset

    patch, preset = load_preset("nebula-drift", registry)
    params = {
        **registry.defaults(),
        "fx.feedback.amount": 0.9,
        "fx.feedback.zoom": 1.05,
        "fx.feedback.rotate": 3.0,
    }
    path = tmp_path / f"{name}.performance.jsonl"
    log = PerformanceLog(
        path,
        start_s,
        {
            "recording": f"{name}.mkv",
            "fps": 10.0,
            "patch": patch.model_dump(mode="json"),
            "preset_dir": str(preset.parent),
            "params": params,
        },
    )
    for t in np.arange(start_s, 4.0, 0.1):
        log.frame(float(t), beats=2.0 * t, bpm=120.0, bar_phase=(0.5 * t) % 1.0)
    log.close()
    return path


def test_a_replay_starts_warm_like_the_show_it_was_recorded_from(tmp_path, registry, monkeypatch):
    """Live, a recording begins with feedback already running; the replay's pre-roll
    rebuilds it, so a recording started 3 s into the show replays its first frame as the
    replay of the whole show draws that instant (silence throughout, so the two differ
    only in how much history came before)."""
    from app.audio.loading import clip_from_array
    from app.engine import replay
    from app.engine.replay import ReplayJob, ReplayRequest

    silence = clip_from_array(np.zeros((1, 4 * 22050), np.float32), 22050, "silence")

    def first_frames(name: str, start_s: float, count: int) -> list[np.ndarray]:
        job = ReplayJob(
            ReplayRequest(
                log=feedback_performance(tmp_path, registry, name, start_s),
                registry=registry,
                clip=silence,
                output=tmp_path / f"{name}.mp4",
                size=(64, 36),
                fps=10.0,
            )
        )
        frames = job.frames()
        return [next(frames).image.astype(float) for _ in range(count)]

    whole = first_frames("whole", 0.0, 31)[30]  # 3.05 s into the show
    late = first_frames("late", 3.0, 1)[0]  # the same instant, a recording's first frame
    assert np.abs(late - whole).mean() < 1.0
    monkeypatch.setattr(replay, "PREROLL_S", 0.0)  # the cold start it replaces
    cold = first_frames("cold", 3.0, 1)[0]
    assert np.abs(cold - whole).mean() > 5.0


def test_a_replays_progress_counts_its_pre_roll_too(tmp_path, registry):
    """The pre-roll is drawn at the output size (a minute of 4K on a CPU): the progress
    moves through it, then through the encoded frames, to one total."""
    from app.audio.loading import clip_from_array
    from app.engine.replay import ReplayJob, ReplayRequest

    job = ReplayJob(
        ReplayRequest(
            log=feedback_performance(tmp_path, registry, "p", 3.0),
            registry=registry,
            clip=clip_from_array(np.zeros((1, 22050), np.float32), 22050, "silence"),
            output=tmp_path / "p.mp4",
            size=(64, 36),
            fps=10.0,
        )
    )
    calls = []
    job.run(on_progress=lambda done, total: calls.append((done, total)))
    total = job.preroll_frames + job.n_frames
    assert job.preroll_frames == 20 and job.n_frames == 10
    assert calls == [(k, total) for k in range(1, total + 1)]
