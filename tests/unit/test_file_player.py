import numpy as np

from app.audio.file_player import FilePlayer
from app.audio.loading import clip_from_array


def test_stop_sends_silence_and_play_starts_the_file_again():
    samples = np.arange(1, 2001, dtype=np.float32)[None, :] / 2000  # mono ramp, never 0
    player = FilePlayer(clip_from_array(samples, 1000, "ramp"), use_output=False)
    block = np.empty((500, 1), np.float32)
    player._next_block(block)
    assert block[0, 0] > 0 and player.position == 500
    player.set_playing(False)
    player._next_block(block)
    assert not block.any() and player.position == 500  # silence; the clip waits
    player.set_playing(True)
    player._next_block(block)
    assert block[0, 0] == samples[0, 0] and player.position == 500  # from the start
    assert player.ring.written == 1500  # the input clock never stopped
