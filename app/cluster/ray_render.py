"""``render --ray``: a render split into chunks (``app.cluster.chunks``) run as Ray tasks
on a local Ray (the machine's cores) or a running cluster. The driver analyses the audio
once and puts it (and the bytes of every file the patch reads) in Ray's object store;
each task draws and encodes one chunk; a worker that dies has its chunk run again (Ray's retries); the driver
joins the segments without re-encoding and muxes the audio once. One progress bar."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.core.errors import UserError
from app.engine.offline import RenderJob, RenderRequest, RenderResult

from .assets import gather, patch_files
from .chunks import Chunk, SegmentJob, join_segments, plan_chunks, render_segment

RETRIES = 3  # a chunk whose worker died runs again this many times


def import_ray():
    """Ray, or one line saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError("--ray: Ray is not installed: pip install 'latentvj[ray]'") from None
    return ray


def connect(ray, address: str | None) -> bool:
    """Start a local Ray (``address`` None: this machine's cores, on 127.0.0.1 only) or
    reach a cluster, unless Ray is already up (a test's); True when it started here (the
    caller shuts it down). UserError naming the address when it cannot."""
    if ray.is_initialized():
        return False
    local = {"_node_ip_address": "127.0.0.1"} if address is None else {}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, **local)  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UserError(f"--ray {address or ''}: cannot start or reach Ray ({exc})") from None
    return True


def finished(ray, refs: dict) -> Iterator[tuple[Any, Any, str | None]]:
    """As each task ends: (what it was for, its result, None), or (what, None, the last
    line of its error) when it failed after its retries."""
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        try:
            outcome = (refs[ready[0]], ray.get(ready[0]), None)
        except ray.exceptions.RayError as exc:
            outcome = (refs[ready[0]], None, str(exc).strip().splitlines()[-1])
        yield outcome


def _segment_task(
    job: SegmentJob, track, chunk: Chunk, assets: dict | None, fault_marker: str | None
) -> bytes:
    """One chunk on a worker. ``fault_marker`` (tests only): the worker of chunk 1 dies
    the first time (the marker file records it), as a machine lost mid-chunk."""
    if fault_marker and chunk.index == 1 and not os.path.exists(fault_marker):
        Path(fault_marker).write_text("died once")
        os._exit(1)
    return render_segment(job, track, chunk, assets)


def gather_and_join(
    ray,
    refs: dict,
    chunks: list[Chunk],
    n_frames: int,
    clip,
    start_s: float,
    duration_s: float,
    output: Path,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    """Each chunk's segment as its task ends (progress by frames done), then the join."""
    with tempfile.TemporaryDirectory(prefix="latentvj-ray-") as tmp:
        paths, done = {}, 0
        for chunk, data, error in finished(ray, refs):
            if error is not None:
                raise UserError(f"--ray: chunk {chunk.index + 1} failed ({error})")
            paths[chunk.index] = Path(tmp) / f"segment-{chunk.index:05d}.mkv"
            paths[chunk.index].write_bytes(data)
            done += chunk.count
            if on_progress:
                on_progress(done, n_frames)
        join_segments([paths[c.index] for c in chunks], clip, start_s, duration_s, output)


def replay_on_ray(
    req,
    chunk_seconds: float,
    address: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """``render --replay LOG --ray``: the replay in chunks, each drawn as the whole replay
    draws it (``ReplayJob.chunk``); the log's text, the sound and its analysis travel."""
    import time

    import numpy as np

    from app.engine.replay import ReplayJob

    from .chunks import ReplaySegmentJob, render_replay_segment

    ray = import_ray()
    job = ReplayJob(req)  # the log, patch and audio checked, the analysis done once
    chunks = plan_chunks(job.n_frames, req.fps, chunk_seconds)
    segment_job = ReplaySegmentJob(req.log.name, req.log.read_text(encoding="utf-8"), req.size,
                                   req.fps, req.encoder, str(job.req.placement.device))  # fmt: skip
    started_here = connect(ray, address)
    t_start = time.perf_counter()
    try:
        task = ray.remote(max_retries=RETRIES)(render_replay_segment)
        clip_ref, track_ref = ray.put(req.clip), ray.put(job.track)
        refs = {task.remote(segment_job, clip_ref, track_ref, chunk): chunk for chunk in chunks}
        gather_and_join(ray, refs, chunks, job.n_frames, req.clip, 0.0,
                        job.n_frames / req.fps, req.output, on_progress)  # fmt: skip
    finally:
        if started_here:
            ray.shutdown()
    wall = time.perf_counter() - t_start
    bpm = float(np.median(job.perf.clock["bpm"]))
    return RenderResult(req.output, job.n_frames, job.n_frames / req.fps, wall, 0.0, bpm)


def render_on_ray(
    req: RenderRequest,
    chunk_seconds: float,
    address: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    fault_marker: Path | None = None,
) -> RenderResult:
    """Render ``req`` in chunks of ``chunk_seconds`` on Ray (``address``: None for a local
    Ray with this machine's cores, ``auto`` or ``ray://host:port`` for a cluster). An
    already initialised Ray (a test's) is used as it is."""
    import time

    ray = import_ray()
    job = RenderJob(req)  # every input checked, the analysis done once, here
    chunks = plan_chunks(job.n_frames, req.fps, chunk_seconds)
    files = patch_files(req.patch, req.preset_dir)
    segment_job = SegmentJob(
        patch_json=req.patch.model_dump_json(), preset_dir=str(req.preset_dir or "") or None,
        start_s=job.start_s,
        n_frames=job.n_frames, size=req.size, fps=req.fps, encoder=req.encoder,
        seed=req.seed, device=str(req.placement.device) if req.placement else "cpu",
    )  # fmt: skip
    started_here = connect(ray, address)
    t_start = time.perf_counter()
    try:
        task = ray.remote(max_retries=RETRIES)(_segment_task)
        track_ref = ray.put(job.track)
        assets_ref = ray.put(gather(files)) if files else None
        marker = str(fault_marker) if fault_marker else None
        refs = {task.remote(segment_job, track_ref, chunk, assets_ref, marker): chunk
                for chunk in chunks}  # fmt: skip
        gather_and_join(ray, refs, chunks, job.n_frames, req.clip, job.start_s,
                        job.duration_s, req.output, on_progress)  # fmt: skip
    finally:
        if started_here:
            ray.shutdown()
    wall = time.perf_counter() - t_start
    return RenderResult(req.output, job.n_frames, job.duration_s, wall, 0.0, job.track.bpm)
