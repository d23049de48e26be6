"""Engine speed and memory at 1k, 10k and 100k offerings, next to plain BM25 (bm25s), same run.

For each size a fresh process generates the seeded synthetic catalogue (bench/synthetic.py),
builds the engine's index (timed), then answers the same needs with ``Engine.recommend`` and
with two bare bm25s retrievals (top 10) over the same offering texts (name, summary,
capability labels) — ``retrieve`` as shipped, and bm25s's scores with the top 10 taken among
the documents that share a word — in alternating blocks. Reported: p50/p99 latency of each,
the ratios (``strict``: against the faster baseline), index build time, peak RSS.

It also measures the engine on the real 1,348-offering self-hosted catalogue of ../shared/eval
(median ``recommend`` over the 806 dev needs, ``referral batch`` wall time including start-up,
and ``referral eval`` quality next to the BM25 baseline).

    python -m bench engine                 # all of it
    python -m bench engine --sizes 1000    # one size
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
EVAL = ROOT.parent / "shared" / "eval" / "selfhosted"
ROUNDS = 4  # alternating blocks of the engine and bm25s over all needs (see measure_size)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def measure_size(size: int, needs: int) -> dict[str, Any]:
    """One size, measured in this process (run it in a fresh one for a clean peak RSS)."""
    import bm25s
    import numpy as np

    from bench.synthetic import generate
    from referral_api.curation import load_rules
    from referral_api.curation.snapshot import catalog_from_snapshot
    from referral_api.domain import Need
    from referral_api.matching import Engine
    from referral_api.matching.language import detect_language, zipf
    from referral_api.matching.places import gazetteer
    from referral_api.matching.text import folded_words

    synthetic = generate(size, n_needs=needs)
    rules = load_rules(ROOT / "rules").require()
    catalog = catalog_from_snapshot(synthetic.documents)
    del synthetic.documents["offerings/synthetic.yaml"]  # the catalogue holds it now
    # the gazetteer and the word lists are built once per process, shared by every index
    started = time.perf_counter()
    places = gazetteer()
    zipf("payroll", "en")
    detect_language("warm up the language model", rules.supported_languages)
    shared_build = time.perf_counter() - started
    started = time.perf_counter()
    engine = Engine(catalog, rules)
    build = time.perf_counter() - started
    asked = [Need(n["need"]) for n in synthetic.needs]

    def language_once(need: Need) -> float:
        t = time.perf_counter()
        detect_language(need.text, rules.supported_languages)
        return (time.perf_counter() - t) * 1000

    def places_once(need: Need) -> float:
        t = time.perf_counter()
        words = folded_words(need.text)
        for i in range(len(words)):
            places.at(words, i)
        return (time.perf_counter() - t) * 1000

    texts = [
        " ".join(
            [o.name, o.summary or "", *(catalog.capabilities[c].label for c in o.capabilities)]
        )
        for o in catalog.offerings
    ]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    bm25_build = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as a serving worker does once its index is built

    def engine_once(need: Need) -> float:
        t = time.perf_counter()
        engine.recommend(need, limit=5)
        return (time.perf_counter() - t) * 1000

    def bm25_once(need: Need) -> float:
        t = time.perf_counter()
        tokens = bm25s.tokenize([need.text], stopwords="en", show_progress=False)
        retriever.retrieve(tokens, k=10, show_progress=False)
        return (time.perf_counter() - t) * 1000

    def bm25_scored_once(need: Need) -> float:
        """bm25s's own scores, then the top 10 among the documents that share a word.

        ``retrieve`` takes its top k with np.argpartition over every document's score. Where
        most documents score 0 (all but a few thousand of 100k), that call took 8-14 ms on
        the 2-core development VM, with numpy 2.2, 2.3 and 2.4 alike, against 0.5-1.2 ms for
        the same call on the negated scores. This baseline is the same lookup without that
        call, so that the ratio never rests on a slow path of numpy's.
        """
        t = time.perf_counter()
        words = bm25s.tokenize(need.text, stopwords="en", return_ids=False, show_progress=False)
        if words[0]:
            scores = retriever.get_scores(words[0])
            hits = np.flatnonzero(scores)
            best = hits[np.argpartition(-scores[hits], min(10, len(hits)) - 1)[:10]]
            best[np.argsort(-scores[best], kind="stable")].tolist()
        return (time.perf_counter() - t) * 1000

    for need in asked[:20]:
        engine_once(need)
        bm25_once(need)
        bm25_scored_once(need)
    # In the same run, each warm over a whole pass of the needs (as a dedicated service would
    # be), in alternating blocks, so that both see the same machine: one pass of each a minute
    # apart moved the ratio with whatever else ran there (4.7 to 7.6 for the same code), and
    # need-by-need interleaving would make each evict the other's data from the CPU caches.
    engine_ms: list[float] = []
    bm25_ms: list[float] = []
    scored_ms: list[float] = []
    blocks = ((engine_once, engine_ms), (bm25_once, bm25_ms), (bm25_scored_once, scored_ms))
    for round_ in range(ROUNDS):
        for once, samples in blocks if round_ % 2 == 0 else blocks[::-1]:
            samples.extend(once(need) for need in asked)
    language_ms = [language_once(need) for need in asked]
    places_ms = [places_once(need) for need in asked]
    engine_stats, bm25_stats = _percentiles(engine_ms), _percentiles(bm25_ms)
    scored_stats = _percentiles(scored_ms)
    return {
        "offerings": size,
        "needs": len(asked),
        "index_build_s": round(build, 2),
        "gazetteer_and_word_lists_s": round(shared_build, 2),
        "language_detection": _percentiles(language_ms),
        "place_lookup": _percentiles(places_ms),
        "engine": engine_stats,
        "bm25s": {**bm25_stats, "index_build_s": round(bm25_build, 2)},
        "bm25s_scored": scored_stats,
        "ratio_p50": round(engine_stats["p50_ms"] / bm25_stats["p50_ms"], 2),
        # against the faster of the two baselines: the figure the target is judged by
        "strict_ratio_p50": round(
            engine_stats["p50_ms"] / min(bm25_stats["p50_ms"], scored_stats["p50_ms"]), 2
        ),
        "p99_over_p50": round(engine_stats["p99_ms"] / engine_stats["p50_ms"], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure_selfhosted() -> dict[str, Any]:
    """The real catalogue: in-process latency, batch wall time, and quality."""
    from referral_api.curation import load_catalog, load_rules
    from referral_api.domain import Need
    from referral_api.matching import Engine
    from referral_api.matching.evaluation import constraints_from, read_cases

    rules = load_rules(ROOT / "rules").require()
    catalog = load_catalog(EVAL / "catalog", rules).require()
    engine = Engine(catalog, rules)
    cases = list(read_cases((EVAL / "dev.jsonl").read_text().splitlines()))
    needs = [Need(c.need, constraints_from(c.constraints)) for c in cases]
    for need in needs[:50]:
        engine.recommend(need)
    samples = []
    for need in needs:
        t = time.perf_counter()
        engine.recommend(need, limit=10)
        samples.append((time.perf_counter() - t) * 1000)
    referral = str(Path(sys.executable).parent / "referral")
    catalog_args = ["--catalog", str(EVAL / "catalog"), "--rules", str(ROOT / "rules")]
    started = time.perf_counter()
    with (EVAL / "dev.jsonl").open() as stdin:
        subprocess.run(
            [referral, "batch", *catalog_args], stdin=stdin, stdout=subprocess.DEVNULL, check=True
        )
    batch_wall = time.perf_counter() - started
    case_args = ["--cases", str(EVAL / "dev.jsonl")]
    quality = subprocess.run(
        [referral, "eval", *case_args, *catalog_args, "--baseline", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = json.loads(quality.stdout)
    return {
        "offerings": len(catalog.offerings),
        "needs": len(needs),
        "recommend": _percentiles(samples),
        "batch_wall_s": round(batch_wall, 2),
        "quality": {name: rows[name]["overall"] for name in rows},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench engine")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--needs", type=int, default=300)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    parser.add_argument("--skip-selfhosted", action="store_true")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure_size(args.one, args.needs)))
        return 0
    sizes = []
    for size in (int(s) for s in args.sizes.split(",")):
        child = ["-m", "bench", "engine", "--one", str(size), "--needs", str(args.needs)]
        done = subprocess.run(
            [sys.executable, *child], cwd=ROOT, capture_output=True, text=True, check=True
        )
        sizes.append(json.loads(done.stdout.strip().splitlines()[-1]))
    report: dict[str, Any] = {"synthetic": sizes}
    if not args.skip_selfhosted and EVAL.is_dir():
        report["selfhosted"] = measure_selfhosted()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "engine.json").write_text(json.dumps(report, indent=2))
    print(f"{'offerings':>9} {'build s':>7} {'p50 ms':>7} {'p99 ms':>7} {'p99/p50':>7} "
          f"{'bm25 p50':>8} {'scored':>7} {'ratio':>6} {'strict':>6} {'RSS MB':>7}")  # fmt: skip
    for row in sizes:
        print(
            f"{row['offerings']:>9} {row['index_build_s']:>7} {row['engine']['p50_ms']:>7} "
            f"{row['engine']['p99_ms']:>7} {row['p99_over_p50']:>7} {row['bm25s']['p50_ms']:>8} "
            f"{row['bm25s_scored']['p50_ms']:>7} {row['ratio_p50']:>6} "
            f"{row['strict_ratio_p50']:>6} {row['peak_rss_mb']:>7}"
        )
    print("bm25 p50: bm25s retrieve(k=10); scored: bm25s get_scores + top 10 of the documents "
          "sharing a word; strict: recommend p50 / the faster of the two")  # fmt: skip
    for row in sizes:
        if "language_detection" in row:
            print(
                f"{row['offerings']:>9}: language detection p50 "
                f"{row['language_detection']['p50_ms']} ms, place look-up p50 "
                f"{row['place_lookup']['p50_ms']} ms (both inside recommend); gazetteer and "
                f"word lists built once per process in {row['gazetteer_and_word_lists_s']} s"
            )
    if "selfhosted" in report:
        shown = report["selfhosted"]
        print(
            f"self-hosted ({shown['offerings']} offerings, {shown['needs']} needs): recommend "
            f"p50 {shown['recommend']['p50_ms']} ms, p99 {shown['recommend']['p99_ms']} ms; "
            f"batch {shown['batch_wall_s']} s wall"
        )
        for name, row in shown["quality"].items():
            print(f"  {name:<7} p@1 {row['p@1']:.3f}  nDCG@10 {row['ndcg@10']:.3f}  "
                  f"MRR@10 {row['mrr@10']:.3f}  violations {row['violations']:.3f}")  # fmt: skip
    print(f"results: {RESULTS / 'engine.json'}")
    return 0
