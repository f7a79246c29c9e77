"""Brain evaluation: how often does a brain answer a schema-valid plan without falling back, how
much must the request's constraints repair, and what does a plan cost?

50 varied requests (styles, durations and aspects written many ways, cut rhythms, transitions,
effects, prohibitions; English, German, Spanish and French; two that contradict themselves and
must be refused), generated from a fixed seed. Each
brain plans every request through `plan_with_brain` (the same path an edit takes). Reported per
brain: the share of plans with a valid draft and no fallback, repairs per field (what the brain
proposed against what the request states; the rules brain is the reference), latency per plan
and tokens per second, and the rules brain's figures side by side. Writes brain.json and
brain.png.

    reelwright eval brain -o out/eval-brain          # llama (the packaged Gemma 3 270M) vs rules
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

TARGET_VALID = 0.95
TARGET_LATENCY_S = 6.0

_STYLES = ("phonk edit", "AMV", "hype reel", "travel video", "calm video", "cinematic edit", "vlog", "sport edit",
           "montage", "lofi edit", "wedding film", "edit")
_DURATIONS = ("15 s", "30 seconds", "half a minute", "10s", "20 second", "45 s", "1:00", "12 sec", "")
_ASPECTS = ("9:16", "vertical", "16:9", "square", "1:1", "4:5", "landscape", "")
_RHYTHMS = ("cuts on every beat", "cut every 2 beats", "cuts on downbeats", "once per bar", "every 2 bars", "")
_EXTRAS = ("crossfades", "glitch transitions", "wipes", "hard cuts only", "no transitions", "flash on the drops",
           "shake on drops", "zoom punch on every beat", "no effects", "warm look", "teal and orange look",
           "black and white", "")
_FOREIGN = ("15 Sekunden Phonk-Edit, hochkant, Schnitte auf jeden Beat", "ruhiges Reisevideo, 30 Sekunden, 16:9",
            "vídeo de viaje de 20 segundos, vertical, cortes en cada compás", "edit AMV de 10 segundos, cuadrado",
            "montage phonk de 15 secondes, vertical, coupes sur chaque temps",
            "vidéo calme de 30 secondes, fondus enchaînés", "Hype-Video, 12 Sekunden, keine Übergänge",
            "edición épica de 45 segundos, 16:9, sin efectos")


_CONTRADICTORY = ("a 10 s reel that is 45 s long", "vertical 16:9 phonk edit")  # must be refused


def requests(n: int = 50, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    out = [*_FOREIGN, *_CONTRADICTORY]
    while len(out) < n:
        parts = [str(rng.choice(_DURATIONS)), str(rng.choice(_STYLES)), str(rng.choice(_ASPECTS)),
                 str(rng.choice(_RHYTHMS)), str(rng.choice(_EXTRAS))]
        text = ", ".join(p for p in parts if p)
        if text not in out:
            out.append(text)
    return out[:n]


def _run_brain(brain, prompts: list[str], log) -> dict:
    from agent.brain.planner import plan_with_brain
    from agent.errors import PlanError

    rows = []
    for prompt in prompts:
        started = time.monotonic()
        try:
            result = plan_with_brain(prompt, brain=brain)
        except PlanError as exc:
            rows.append({"request": prompt, "refused": str(exc)})
            continue
        info = result.info
        rows.append({"request": prompt, "seconds": round(time.monotonic() - started, 3),
                     "brain_seconds": info.get("seconds"), "fell_back": info["fell_back"],
                     "attempts": info.get("attempts", 0), "repairs": info["repairs"], "draft": info["draft"],
                     "reason": info["fallback_reason"], "last_call": info.get("last_call")})
        log(f"{brain.name:6} {rows[-1]['seconds']:6.2f} s  {'FELL BACK' if info['fell_back'] else 'ok':9} "
            f"repairs {[r['field'] for r in info['repairs']]}  {prompt}")
    planned = [r for r in rows if "refused" not in r]
    valid = [r for r in planned if not r["fell_back"]]
    fields = Counter(rep["field"] for r in planned for rep in r["repairs"])
    latency = [r["brain_seconds"] for r in valid if r.get("brain_seconds")]
    tokens = [r["last_call"]["completion_tokens"] for r in valid if r.get("last_call")]
    tps = [r["last_call"]["tokens_per_s"] for r in valid if r.get("last_call") and r["last_call"]["tokens_per_s"]]
    return {"brain": brain.name, "requests": len(prompts), "refused": len(rows) - len(planned),
            "valid_no_fallback": round(len(valid) / len(planned), 4) if planned else None,
            "fell_back": len(planned) - len(valid), "second_attempts": sum(r["attempts"] == 2 for r in planned),
            "repairs_total": sum(fields.values()), "repairs_per_field": dict(fields.most_common()),
            "plans_with_repairs": sum(bool(r["repairs"]) for r in planned),
            "latency_s": {"median": round(float(np.median(latency)), 3), "max": round(float(max(latency)), 3)}
            if latency else None,
            "completion_tokens_median": int(np.median(tokens)) if tokens else None,
            "tokens_per_s_median": round(float(np.median(tps)), 1) if tps else None, "rows": rows}


def run(out_dir: Path, *, brains: tuple[str, ...] = ("llama", "rules"), n: int = 50, seed: int = 0,
        log=print) -> dict | None:
    from agent.atomic import write_json
    from agent.brain.factory import make_brain
    from agent.config import Settings

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(workspace=out_dir / "workspace")
    prompts = requests(n, seed)
    results = {}
    for name in brains:
        brain = make_brain(settings, name)
        started = time.monotonic()
        results[name] = _run_brain(brain, prompts, log)
        results[name]["seconds"] = round(time.monotonic() - started, 1)
    report = {"targets": {"valid_no_fallback": TARGET_VALID, "latency_s": TARGET_LATENCY_S}, "seed": seed,
              "brains": results}
    write_json(out_dir / "brain.json", report)
    _plot(results, out_dir / "brain.png")
    for name, r in results.items():
        lat = r["latency_s"] or {}
        log(f"{name}: valid without fallback {r['valid_no_fallback']:.0%} of {r['requests'] - r['refused']} "
            f"({r['refused']} refused as contradictory), second attempts {r['second_attempts']}, "
            f"repairs {r['repairs_total']} in {r['plans_with_repairs']} plans {r['repairs_per_field']}, "
            f"latency median {lat.get('median')} s max {lat.get('max')} s, "
            f"{r['completion_tokens_median']} tokens at {r['tokens_per_s_median']} tok/s")
    model = results.get("llama") or next(iter(results.values()))
    passed = (model["valid_no_fallback"] or 0) >= TARGET_VALID
    return report if passed else None


def _plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    fields = sorted({f for r in results.values() for f in r["repairs_per_field"]})
    for n, (name, r) in enumerate(results.items()):
        axes[0].bar(np.arange(len(fields)) + 0.4 * n, [r["repairs_per_field"].get(f, 0) for f in fields], 0.4,
                    label=name)
        lat = [row["brain_seconds"] for row in r["rows"] if row.get("brain_seconds")]
        if lat:
            axes[1].hist(lat, bins=20, alpha=0.6, label=name)
    axes[0].set_xticks(np.arange(len(fields)) + 0.2, fields, rotation=30, ha="right")
    axes[0].set_title("repairs per field (request decided against the brain)")
    axes[0].legend()
    axes[1].axvline(TARGET_LATENCY_S, color="k", ls="--", lw=0.8)
    axes[1].set_title("seconds per plan")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
