"""``train --jobs FILE --ray``: each row of a job file a Ray task, asking for one GPU where
the cluster has them (else a CPU), run where Ray places it; the checkpoint and the
timelapse videos come back to the driver's output folder. The dataset paths must be
readable on the workers (a local Ray, or a folder the cluster shares)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


from .ray_render import RETRIES, connect, finished, import_ray


def _train_task(config_json: str, checkpoint_every: int, device: str) -> dict[str, bytes]:
    """One job on a worker: its output files, by name."""
    from app.engine.device import resolve_placement
    from app.train.config import TrainConfig
    from app.train.run import run_job

    config = TrainConfig.model_validate_json(config_json)
    with tempfile.TemporaryDirectory(prefix="latentvj-train-") as tmp:
        result = run_job(config, Path(tmp), resolve_placement(device),
                         checkpoint_every=checkpoint_every)  # fmt: skip
        files = [result.checkpoint, *result.videos]
        return {p.name: p.read_bytes() for p in files if p.exists()}


def train_jobs_on_ray(
    entries: list,
    jobs_file: Path,
    out_dir: Path,
    checkpoint_every: int,
    device: str,
    address: str | None,
) -> int:
    """Run every valid job row as a task; print each job's outcome as it ends and a
    summary; exit status 2 when any job failed (the others still ran)."""
    ray = import_ray()
    started_here = connect(ray, address)
    failed = sum(1 for e in entries if e.error)
    for entry in entries:
        if entry.error:
            print(f"latentvj: error: jobs '{jobs_file}' line {entry.line}: {entry.error}",
                  file=sys.stderr)  # fmt: skip
    try:
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        task = ray.remote(num_gpus=1 if gpus else 0, num_cpus=0 if gpus else 1,
                          max_retries=RETRIES)(_train_task)  # fmt: skip
        runs = {task.remote(e.config.model_dump_json(), checkpoint_every,
                            "cuda" if gpus else device): e
                for e in entries if not e.error}  # fmt: skip
        out_dir.mkdir(parents=True, exist_ok=True)
        done = 0
        for entry, files, error in finished(ray, runs):
            if error is not None:
                failed += 1
                print(f"latentvj: error: jobs '{jobs_file}' line {entry.line} "
                      f"('{entry.config.name}'): {error}", file=sys.stderr)  # fmt: skip
                continue
            for name, data in files.items():
                (out_dir / name).write_bytes(data)
            done += 1
            print(f"job '{entry.config.name}' (line {entry.line}): done, "
                  f"{', '.join(sorted(files))} in {out_dir}")  # fmt: skip
    finally:
        if started_here:
            ray.shutdown()
    print(f"{done} of {len(entries)} jobs done on Ray, {failed} failed")
    return 2 if failed else 0
