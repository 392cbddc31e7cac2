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
