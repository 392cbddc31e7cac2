import threading

import numpy as np
import pytest

from app.engine.video_writer import VideoWriter, WriterError
from tests.media import probe


def frames(n, size=(64, 36)):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8) for _ in range(n)]


def test_writes_every_frame_at_the_exact_size(tmp_path):
    path = tmp_path / "v.mp4"
    writer = VideoWriter(path, (64, 36), 25.0).start()
    for f in frames(30):
        assert writer.write(f)
    writer.close()
    info = probe(path)
    assert info.frames == 30 and info.size == (64, 36) and info.audio_codec is None
    assert writer.frames_written == 30 and writer.frames_dropped == 0


def test_wrong_frame_shape_is_refused(tmp_path):
    writer = VideoWriter(tmp_path / "v.mp4", (64, 36), 25.0).start()
    with pytest.raises(ValueError, match="does not match 64x36"):
        writer.write(np.zeros((36, 63, 3), np.uint8))
    writer.close()


def test_encoder_failure_reaches_the_producer(tmp_path):
    writer = VideoWriter(tmp_path / "no-such-dir" / "v.mp4", (64, 36), 25.0).start()
    with pytest.raises(WriterError, match="video encoder failed"):
        for f in frames(200):
            writer.write(f)
        writer.close()


def test_non_blocking_writes_drop_and_count_when_the_queue_is_full(tmp_path):
    writer = VideoWriter(tmp_path / "v.mp4", (64, 36), 25.0, queue_frames=1)
    # not started: nothing drains the queue, so the second frame has no room
    assert writer.write(frames(1)[0], block=False)
    assert not writer.write(frames(1)[0], block=False)
    assert writer.frames_dropped == 1
    writer.start()
    writer.close()
    assert writer.frames_written == 1


@pytest.mark.parametrize("transport", ["pipe", "socket"])
def test_streamed_sound_is_muxed_beside_the_frames(tmp_path, transport):
    """The live recorder's path: frames on stdin, sound streamed beside them, through an
    inherited pipe (POSIX) or the loopback connection used where there is none (Windows;
    exercised here on Linux)."""
    from app.engine.video_writer import AudioStream

    path = tmp_path / f"{transport}.mkv"
    writer = VideoWriter(
        path, (64, 36), 25.0, audio=AudioStream(48_000, 2), audio_transport=transport
    ).start()
    t = np.arange(96_000) / 48_000
    tone = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)], 1)

    def pump():  # its own thread, as the recorder's: ffmpeg reads the sound only once it
        for k in range(50):  # has probed the first frames
            writer.write_audio(tone[k * 1920 : (k + 1) * 1920].astype(np.float32))
        writer.close_audio()

    sound = threading.Thread(target=pump)
    sound.start()
    for f in frames(50):  # 2 s of picture, the sound in 40 ms blocks
        assert writer.write(f)
    sound.join()
    writer.close()
    info = probe(path)
    assert info.frames == 50 and info.audio_codec == "aac"
    assert info.audio_s == pytest.approx(2.0, abs=0.05)
    assert writer.audio_frames == 96_000


@pytest.mark.parametrize("transport", ["pipe", "socket"])
def test_a_failing_encoder_stops_the_sound_stream_with_its_reason(tmp_path, transport):
    from app.engine.video_writer import AudioStream

    writer = VideoWriter(
        tmp_path / "no-such-dir" / "v.mkv",
        (64, 36),
        25.0,
        audio=AudioStream(48_000, 1),
        audio_transport=transport,
    ).start()
    errors = []

    def pump():
        try:
            while True:
                writer.write_audio(np.zeros((960, 1), np.float32))
        except WriterError as exc:
            errors.append(exc)
        writer.close_audio()

    sound = threading.Thread(target=pump)
    sound.start()
    with pytest.raises(WriterError):
        for f in frames(500):
            writer.write(f)
    sound.join()
    assert errors and "No such file or directory" in writer.failure()
    with pytest.raises(WriterError):
        writer.close()
