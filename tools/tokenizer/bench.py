#!/usr/bin/env python3
"""Tokenizer benchmark: FinSent's WordPiece (monitorctl bench tokenize, release
build) against Hugging Face `tokenizers` on one thread, same corpus, one run.

The corpus is every text of ../shared/data/*.jsonl, one per line (line breaks
inside a text become spaces, for both). Before timing, the ids of both are
compared on the whole corpus.

Usage: swift build -c release --product monitorctl
       python3 tools/tokenizer/bench.py [--runs 7]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

os.environ["RAYON_NUM_THREADS"] = "1"  # must be set before tokenizers starts its pool
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import tokenizers  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "Tests/WordPieceTests/Fixtures/minilm"
SHARED = ROOT.parent / "shared/data"
MONITORCTL = ROOT / ".build/release/monitorctl"


def corpus():
    texts = []
    for file in sorted(SHARED.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                texts.append(json.loads(line)["text"].replace("\r", " ").replace("\n", " "))
    return texts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not MONITORCTL.exists():
        sys.exit(f"{MONITORCTL} missing: run `swift build -c release --product monitorctl` first")
    texts = corpus()
    payload = "\n".join(texts) + "\n"
    nbytes = sum(len(t.encode()) for t in texts)

    hf = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    hf.no_truncation()
    hf.no_padding()

    # Same ids on the whole corpus first.
    ours = subprocess.run([str(MONITORCTL), "tokenize", "--model", str(MODEL)], input=payload.encode(),
                          capture_output=True, check=True).stdout.decode().splitlines()
    theirs = [e.ids for e in hf.encode_batch(texts)]
    differ = sum(1 for a, b in zip(ours, theirs) if json.loads(a) != b)
    if len(ours) != len(theirs) or differ:
        sys.exit(f"ids differ on {differ} of {len(texts)} texts: not benchmarking")

    def timed(fn):
        fn()  # warm-up
        runs = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    hf_batch = timed(lambda: hf.encode_batch(texts))
    hf_loop = timed(lambda: [hf.encode(t) for t in texts])
    with tempfile.TemporaryFile() as stdin:
        stdin.write(payload.encode())
        stdin.seek(0)
        result = json.loads(subprocess.run([str(MONITORCTL), "bench", "tokenize", "--model", str(MODEL),
                                            "--runs", str(args.runs)], stdin=stdin, capture_output=True,
                                           check=True).stdout)
    ours_rate = result["texts_per_second"]
    rows = [
        ("FinSent WordPiece (Swift, 1 thread)", ours_rate, result["mb_per_second"]),
        (f"HF tokenizers {tokenizers.__version__} encode_batch (RAYON_NUM_THREADS=1)", len(texts) / hf_batch,
         nbytes / hf_batch / 1e6),
        (f"HF tokenizers {tokenizers.__version__} encode loop", len(texts) / hf_loop, nbytes / hf_loop / 1e6),
    ]
    print(f"corpus: {len(texts)} texts, {nbytes / 1e6:.2f} MB, ids identical; median of {args.runs} runs")
    for name, rate, mbs in rows:
        print(f"  {name:<58} {rate:>10.0f} texts/s {mbs:>7.2f} MB/s")
    best_hf = max(rows[1][1], rows[2][1])
    print(f"ratio vs the faster HF path: {ours_rate / best_hf:.2f}x")


if __name__ == "__main__":
    main()
