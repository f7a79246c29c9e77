"""Beat-tracking evaluation: each tracker on real annotated tracks and on synthetic drum tracks.

Per file: mir_eval beat F-measure (±70 ms, beats before 5 s dropped by `trim_beats`), CMLt, AMLt,
mean signed offset of matched beats (negative = early), share of annotated beats within ±33 ms
(one frame at 30 fps), downbeat F-measure, tempo, and wall time of `analyze_music`.
Writes beats.json and beats.png into out_dir.

    python -c "from evals.beats import run; from pathlib import Path; run(Path('out/eval-beats'))"
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from agent.media.music import TRACKERS, analyze_music
from agent.media.synth import drop_time, synth_drum_track

TESTMEDIA = Path(__file__).resolve().parents[1] / ".." / "shared" / "testmedia"
REAL_FILES = ("Media-105901.wav", "country.00000.wav", "hains001.flac")
FRAME_WINDOW_S = 0.033  # one frame at 30 fps

# (name, synth_drum_track kwargs). Tempi and lengths chosen to cover the failure modes the issue
# names: drift, swing, half-time feel, fast drum and bass, quiet intro into a loud drop.
SYNTH_CASES: tuple[tuple[str, dict], ...] = (
    ("steady-120", dict(bpm=120, seconds=30)),
    ("drift-110-126", dict(bpm=110, seconds=40, drift=16 / 110)),
    ("swing-100", dict(bpm=100, seconds=30, swing=0.6)),
    ("halftime-140", dict(bpm=140, seconds=30, half_time=True)),
    ("dnb-172", dict(bpm=172, seconds=30)),
    ("drop-128", dict(bpm=128, seconds=45, drop_at=20.0)),
)


def read_annotations(path: Path) -> np.ndarray:
    """`.beats` file → array of (time, bar position); `#` lines are comments."""
    rows = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            parts = line.split()
            rows.append((float(parts[0]), int(float(parts[1])) if len(parts) > 1 else 0))
    return np.array(rows, dtype=float).reshape(-1, 2)


def read_bpm(path: Path) -> float:
    return float(path.read_text().split()[0])


def score(ref: np.ndarray, est_beats: list[float], est_downbeats: list[float],
          true_tempo: float, est_tempo: float) -> dict:
    import mir_eval

    ref_beats = mir_eval.beat.trim_beats(ref[:, 0])
    ref_down = mir_eval.beat.trim_beats(ref[ref[:, 1] == 1, 0])
    est = mir_eval.beat.trim_beats(np.asarray(est_beats, dtype=float))
    est_down = mir_eval.beat.trim_beats(np.asarray(est_downbeats, dtype=float))
    f = mir_eval.beat.f_measure(ref_beats, est)
    _cmlc, cmlt, _amlc, amlt = mir_eval.beat.continuity(ref_beats, est)
    matched = mir_eval.util.match_events(ref_beats, est, 0.07)
    offsets = [est[j] - ref_beats[i] for i, j in matched]
    within = len(mir_eval.util.match_events(ref_beats, est, FRAME_WINDOW_S)) / max(1, len(ref_beats))
    down_f = mir_eval.beat.f_measure(ref_down, est_down) if len(ref_down) else float("nan")
    ratio = est_tempo / true_tempo if true_tempo and est_tempo else 0.0
    octave_error = any(abs(ratio - r) / r < 0.08 for r in (0.5, 2.0, 1 / 3, 3.0, 2 / 3, 1.5))
    phase_error = cmlt < 0.5 and amlt > 0.8
    return {
        "f": round(float(f), 4),
        "cmlt": round(float(cmlt), 4),
        "amlt": round(float(amlt), 4),
        "offset_ms": round(1000 * float(np.mean(offsets)), 1) if offsets else None,
        "within_33ms": round(float(within), 4),
        "downbeat_f": round(float(down_f), 4),
        "tempo_true": round(float(true_tempo), 2),
        "tempo_est": round(float(est_tempo), 2),
        "tempo_level_error": bool(octave_error or phase_error),
    }


def _evaluate(path: Path, ref: np.ndarray, true_tempo: float, tracker: str) -> dict:
    start = time.perf_counter()
    music = analyze_music(path, tracker=tracker)
    seconds = time.perf_counter() - start
    row = score(ref, music.beats, music.downbeats, true_tempo, music.tempo)
    row["seconds"] = round(seconds, 2)
    row["warnings"] = music.warnings
    row["drops"] = music.drops
    return row


def _synth_tracks(folder: Path) -> list[tuple[str, Path, np.ndarray, float, float | None]]:
    tracks = []
    for name, kwargs in SYNTH_CASES:
        path = folder / f"{name}.wav"
        truth = synth_drum_track(path, **kwargs)
        ref = np.array(truth, dtype=float)
        tempo = 60.0 / float(np.median(np.diff(ref[:, 0])))
        tracks.append((name, path, ref, tempo, drop_time(truth, kwargs.get("drop_at"))))
    return tracks


def _mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None and not np.isnan(r[key])]
    return round(float(np.mean(values)), 4) if values else None


def _summary(rows: list[dict]) -> dict:
    real = [r for r in rows if r["kind"] == "real"]
    synth = [r for r in rows if r["kind"] == "synthetic"]
    return {
        "mean_f_real": _mean(real, "f"),
        "mean_f_synthetic": _mean(synth, "f"),
        "within_33ms_real": _mean(real, "within_33ms"),
        "within_33ms_all": _mean(rows, "within_33ms"),
        "downbeat_f_real": _mean(real, "downbeat_f"),
        "downbeat_f_all": _mean(rows, "downbeat_f"),
        "mean_offset_ms": _mean(rows, "offset_ms"),
        "tempo_level_errors": [r["file"] for r in rows if r["tempo_level_error"]],
        "seconds_total": round(sum(r["seconds"] for r in rows), 2),
    }


def _plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trackers = list(results["trackers"])
    files = [r["file"] for r in results["trackers"][trackers[0]]["rows"]]
    x = np.arange(len(files))
    width = 0.8 / max(1, len(trackers))
    fig, axes = plt.subplots(3, 1, figsize=(11, 9), sharex=True)
    for k, tracker in enumerate(trackers):
        rows = results["trackers"][tracker]["rows"]
        shift = (k - (len(trackers) - 1) / 2) * width
        axes[0].bar(x + shift, [r["f"] for r in rows], width, label=tracker)
        axes[1].bar(x + shift, [r["within_33ms"] for r in rows], width, label=tracker)
        axes[2].bar(x + shift, [r["offset_ms"] or 0.0 for r in rows], width, label=tracker)
    axes[0].set_ylabel("beat F (±70 ms)")
    axes[0].axhline(0.98, color="grey", lw=0.8, ls="--")
    axes[1].set_ylabel("share within ±33 ms")
    axes[1].axhline(0.9, color="grey", lw=0.8, ls="--")
    axes[2].set_ylabel("mean offset ms (− early)")
    axes[2].axhline(0.0, color="black", lw=0.8)
    axes[0].set_ylim(0, 1.05)
    axes[1].set_ylim(0, 1.05)
    axes[0].legend(loc="lower left")
    axes[2].set_xticks(x, files, rotation=30, ha="right")
    fig.suptitle("Beat tracking: real annotated tracks and synthetic drum tracks")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _table(results: dict) -> str:
    head = (f"{'tracker':8s} {'file':20s} {'F':>6s} {'CMLt':>6s} {'AMLt':>6s} {'off ms':>7s} "
            f"{'±33ms':>6s} {'downF':>6s} {'bpm':>7s} {'true':>7s} {'s':>6s}  notes")
    lines = [head, "-" * len(head)]
    for tracker, block in results["trackers"].items():
        for r in block["rows"]:
            notes = []
            if r["tempo_level_error"]:
                notes.append("TEMPO-LEVEL ERROR")
            if r.get("drop_error_s") is not None:
                notes.append(f"drop err {r['drop_error_s']:+.2f}s")
            if r["warnings"]:
                notes.append("warning")
            off = f"{r['offset_ms']:+.1f}" if r["offset_ms"] is not None else "-"
            lines.append(f"{tracker:8s} {r['file']:20s} {r['f']:6.3f} {r['cmlt']:6.3f} {r['amlt']:6.3f} "
                         f"{off:>7s} {r['within_33ms']:6.3f} {r['downbeat_f']:6.3f} {r['tempo_est']:7.2f} "
                         f"{r['tempo_true']:7.2f} {r['seconds']:6.2f}  {' '.join(notes)}")
        s = block["summary"]
        lines.append(f"{tracker:8s} MEAN  F real {s['mean_f_real']}  F synthetic {s['mean_f_synthetic']}  "
                     f"±33ms real {s['within_33ms_real']} (all {s['within_33ms_all']})  "
                     f"downbeat F real {s['downbeat_f_real']} (all {s['downbeat_f_all']})  "
                     f"tempo-level errors {s['tempo_level_errors'] or 'none'}  {s['seconds_total']} s")
        lines.append("")
    return "\n".join(lines)


def run(out_dir: Path, trackers: tuple[str, ...] = TRACKERS) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    real = []
    beats_dir = TESTMEDIA / "beats"
    for name in REAL_FILES:
        path = beats_dir / name
        ann = path.with_suffix(".beats")
        bpm = path.with_suffix(".bpm")
        if not (path.exists() and ann.exists() and bpm.exists()):
            notes.append(f"skipped {path}: test media not found (see ../shared/testmedia/README.md)")
            continue
        real.append((name, path, read_annotations(ann), read_bpm(bpm), None))
    synth = _synth_tracks(out_dir / "synth")

    results: dict = {"trackers": {}, "notes": notes,
                     "settings": {"f_window_s": 0.07, "trim_before_s": 5.0, "frame_window_s": FRAME_WINDOW_S}}
    for tracker in trackers:
        rows = []
        for kind, tracks in (("real", real), ("synthetic", synth)):
            for name, path, ref, tempo, drop in tracks:
                row = {"file": name, "kind": kind, **_evaluate(path, ref, tempo, tracker)}
                if drop is not None:
                    found = row["drops"]
                    row["drop_true_s"] = round(drop, 4)
                    row["drop_error_s"] = round(min(found, key=lambda d: abs(d - drop)) - drop, 4) if found else None
                    if not found:
                        notes.append(f"{tracker}: no drop found in {name} (true {drop:.2f} s)")
                rows.append(row)
        results["trackers"][tracker] = {"rows": rows, "summary": _summary(rows)}
    if "librosa" in trackers:
        notes.append("librosa's first call in a process compiles numba (~25-50 s, cached in NUMBA_CACHE_DIR); "
                     "it is counted in its first file's seconds")

    (out_dir / "beats.json").write_text(json.dumps(results, indent=2))
    _plot(results, out_dir / "beats.png")
    print(_table(results))
    for note in notes:
        print("note:", note)
    return results


if __name__ == "__main__":
    run(Path("out/eval-beats"))
