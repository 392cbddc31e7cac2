import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from app.audio.ring import SHM_DIR, SHM_PREFIX, AudioRing
from app.core.mailbox import Mailbox


def test_ring_returns_what_was_written_across_the_wrap():
    ring = AudioRing(capacity=10, channels=2)
    cursor = 0
    got = []
    for k in range(7):
        block = np.full((4, 2), k, dtype=np.float32)
        ring.write(block)
        data, cursor, lost = ring.read(cursor)
        assert lost == 0
        got.append(data)
    np.testing.assert_array_equal(np.concatenate(got)[:, 0], np.repeat(np.arange(7), 4))


def test_a_slow_reader_skips_ahead_and_counts_what_it_lost():
    ring = AudioRing(capacity=8)
    ring.write(np.arange(20, dtype=np.float32)[:, None])
    data, cursor, lost = ring.read(0)
    assert lost == 12 and cursor == 20
    np.testing.assert_array_equal(data[:, 0], np.arange(12, 20))


def test_read_can_take_part_of_what_is_available():
    ring = AudioRing(capacity=16)
    ring.write(np.arange(10, dtype=np.float32)[:, None])
    data, cursor, _ = ring.read(0, max_frames=4)
    assert cursor == 4 and data[:, 0].tolist() == [0, 1, 2, 3]


def test_mailbox_latest_value_wins_and_counts_puts():
    box: Mailbox[int] = Mailbox()
    assert box.get() == (0, None)
    for i in range(5):
        box.put(i)
    assert box.get() == (5, 4)


def test_mailbox_under_concurrent_writers_keeps_a_consistent_pair():
    box: Mailbox[tuple[int, int]] = Mailbox()

    def writer(tag):
        for i in range(2000):
            box.put((tag, i))

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seq, value = box.get()
    assert seq == 8000 and value[1] == 1999


def test_shared_ring_is_visible_from_an_attached_view():
    owner = AudioRing.shared(capacity=64, channels=2)
    try:
        writer = AudioRing.attach(owner.name, 64, 2)
        writer.write(np.full((10, 2), 0.5, dtype=np.float32))
        writer.count_overflow()
        data, cursor, lost = owner.read(0)
        assert cursor == 10 and lost == 0 and np.all(data == 0.5)
        assert owner.overflows == 1 and owner.callbacks == 1
        writer.close()
    finally:
        owner.close(unlink=True)


@pytest.mark.skipif(not SHM_DIR.is_dir(), reason="Linux lists POSIX shared memory there")
def test_a_new_shared_ring_removes_blocks_left_by_ended_processes():
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # its pid now names no running process
    stale = SHM_DIR / f"{SHM_PREFIX}{ended.pid}-0badc0de"
    alive = SHM_DIR / f"{SHM_PREFIX}{os.getpid()}-0badc0de"
    for block in (stale, alive):
        block.write_bytes(bytes(64))  # what a killed engine leaves: its ring, never unlinked
    ring = AudioRing.shared(capacity=64, channels=1)
    try:
        assert not stale.exists()
        assert alive.exists()  # this process is running: its blocks stay
        assert ring.name.startswith(f"{SHM_PREFIX}{os.getpid()}-")
    finally:
        ring.close(unlink=True)
        alive.unlink()
        stale.unlink(missing_ok=True)
