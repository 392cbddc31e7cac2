"""Train the beat activation network shipped in app/audio/models/beat_activation.npz.

    python tools/beat_model/train.py [--songs 1600] [--epochs 10] [--work DIR] [--out PATH]

Needs the Debian packages ``fluidsynth`` and ``fluid-soundfont-gm`` and the ``beat-model``
extra (``pip install -e .[beat-model]``). Step 1 synthesises ``--songs`` 30 s songs
(tools/beat_model/synth.py; seeded, cached in ``--work``, both CPU cores) and stores their
mel spectra (app.audio.beat_model.LogMelFrontEnd, so training sees what the analyzer sees)
with beat and downbeat targets. Step 2 trains the causal network on random 9 s crops with
random input gain (-40 to +20 dB) and writes the weights with their training settings.
Nothing here reads ../shared/data: that is evaluation data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from app.audio.beat_model import (
    HOP,
    MODEL_PATH,
    N_MELS,
    LogMelFrontEnd,  # noqa: E402
    network_input,
)

CROP = 800  # frames per training sequence (~9 s)
VALIDATION = 0.05  # share of songs held out


def targets(times: np.ndarray, sr: int, n: int) -> np.ndarray:
    """1 at the hop where an event's onset has entered the analysis window by at least one
    hop (frame floor(sample / HOP) + 1), 0.5 on either side, 0 elsewhere."""
    y = np.zeros(n, np.float32)
    frames = np.floor(times * sr / HOP).astype(int) + 1
    for offset, value in ((-1, 0.5), (1, 0.5), (0, 1.0)):
        k = frames + offset
        k = k[(k >= 0) & (k < n)]
        y[k] = np.maximum(y[k], value)
    return y


def song_sr(seed: int) -> int:
    """Half the songs at each common live rate: the network meets both hop lengths."""
    return 44_100 if seed % 2 else 48_000


def make_example(args: tuple[int, Path]) -> str:
    from synth import make_song

    seed, work = args
    path = work / f"song{seed:05d}.npz"
    if not path.exists():
        sr = song_sr(seed)
        song = make_song(seed, sr)
        mel = LogMelFrontEnd(sr).frames(song.audio)
        np.savez(
            path.with_suffix(".tmp.npz"),
            mel=mel.astype(np.float32),
            beat=targets(song.beats, sr, len(mel)),
            downbeat=targets(song.downbeats, sr, len(mel)),
            genre=song.genre,
            bpm=song.bpm,
        )
        path.with_suffix(".tmp.npz").rename(path)
    return str(path)


def build_dataset(n_songs: int, work: Path) -> list[dict[str, np.ndarray]]:
    from tqdm import tqdm

    work.mkdir(parents=True, exist_ok=True)
    with Pool(2) as pool:
        paths = list(
            tqdm(
                pool.imap(make_example, [(s, work) for s in range(n_songs)]),
                total=n_songs,
                desc="synthesising songs",
                unit="song",
            )
        )
    data = []
    for p in paths:
        with np.load(p) as f:
            data.append({k: f[k] for k in ("mel", "beat", "downbeat")})
    return data


def make_model(hidden: int, layers: int):
    import torch
    from torch import nn

    class BeatNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(2 * N_MELS, hidden)
            self.gru = nn.GRU(hidden, hidden, num_layers=layers, batch_first=True)
            self.out = nn.Linear(hidden, 2)

        def forward(self, x):  # [batch, time, 2 * N_MELS]
            h, _ = self.gru(torch.nn.functional.elu(self.inp(x)))
            return self.out(h)

    return BeatNet()


def batch(data, rng, size: int):
    import torch

    xs, ys = [], []
    for _ in range(size):
        song = data[rng.integers(len(data))]
        start = rng.integers(0, len(song["mel"]) - CROP)
        mel = song["mel"][start : start + CROP] * 10 ** rng.uniform(-2.0, 1.0)
        logmel = np.log1p(100.0 * mel)
        previous = np.concatenate([logmel[:1], logmel[:-1]])
        xs.append(network_input(logmel, previous))
        ys.append(np.stack([song["beat"], song["downbeat"]], axis=1)[start : start + CROP])
    return torch.from_numpy(np.stack(xs)).float(), torch.from_numpy(np.stack(ys)).float()


def train(data, epochs: int, hidden: int, layers: int, seed: int):
    import torch
    from tqdm import tqdm

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    n_val = max(1, int(len(data) * VALIDATION))
    train_set, val_set = data[n_val:], data[:n_val]
    model = make_model(hidden, layers)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps_per_epoch = max(1, sum(len(s["mel"]) for s in train_set) // (CROP * 16))
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3e-3, total_steps=epochs * steps_per_epoch
    )
    # beats are a few per cent of hops: weight them up so the network does not learn silence
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([4.0, 8.0]))
    val_rng = np.random.default_rng(0)
    val_x, val_y = batch(val_set, val_rng, 64)
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for _ in tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs}", leave=False):
            x, y = batch(train_set, rng, 16)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(model(val_x), val_y))
        print(
            f"epoch {epoch + 1}: train {total / steps_per_epoch:.4f}  validation {val:.4f}",
            flush=True,
        )
    return model


def export(model, path: Path, meta: dict) -> None:
    weights = {k.replace("inp.", "in."): v.detach().numpy() for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, meta=json.dumps(meta), **weights)
    tmp.rename(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=1600)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "beat_model")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    started = time.time()
    data = build_dataset(args.songs, args.work)
    model = train(data, args.epochs, args.hidden, args.layers, args.seed)
    export(
        model,
        args.out,
        {
            "hidden": args.hidden,
            "layers": args.layers,
            "songs": args.songs,
            "epochs": args.epochs,
            "seed": args.seed,
            "hop": HOP,
            "n_mels": N_MELS,
            "trained_s": round(time.time() - started),
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
