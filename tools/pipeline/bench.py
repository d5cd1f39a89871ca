#!/usr/bin/env python3
"""Scoring-pipeline throughput: ~10k realistic items through monitord, from stored item to stored score.

Serves N items (tweets and news sentences from ../shared/data, with tickers mixed in) as 20 RSS
feeds from a local HTTP server, runs the release monitord on them with the default model, and
measures items per second from the first item stored to the last score stored. The baseline in
the same run is the engine alone on the same texts (`monitorctl bench encode`, same batch size
and threads), so the ratio shows what the pipeline (SQLite, tagging, rules) costs on top.

Usage: swift build -c release && python3 tools/pipeline/bench.py [--items 10000] [--threads 2]
Story clustering's cost at 10,000 items in the window:
       python3 tools/pipeline/bench.py --stories both --items 20000 --warm 10000
"""
from __future__ import annotations

import argparse
import email.utils
import html
import http.server
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TICKERS = [("CTSO", "Contoso"), ("FBKM", "Fabrikam"), ("NWND", "Northwind"), ("TSPN", "Tailspin"), ("AAPL", "Apple")]


def load_texts(n: int, seed: int) -> list[str]:
    data = ROOT.parent / "shared" / "data"
    texts = []
    for name in ["twitter_fin_sentiment_train.jsonl", "twitter_fin_topic_train.jsonl", "phrasebank_train.jsonl"]:
        path = data / name
        if path.exists():
            texts += [json.loads(line)["text"] for line in path.open(encoding="utf-8")]
    if not texts:
        sys.exit(f"error: no texts in {data} (the benchmark reads the shared training data)")
    rng = random.Random(seed)
    rng.shuffle(texts)
    out = []
    for i in range(n):
        text = texts[i % len(texts)]
        if rng.random() < 0.3:
            symbol, name = rng.choice(TICKERS)
            text = f"{name} (${symbol}): {text}" if rng.random() < 0.5 else f"{text} ${symbol}"
        out.append(f"{text} #{i}")
    return out


def make_feeds(texts: list[str], feeds: int) -> dict[str, bytes]:
    now = email.utils.formatdate(usegmt=True)
    docs = {}
    per = (len(texts) + feeds - 1) // feeds
    for f in range(feeds):
        items = "".join(
            f"<item><guid isPermaLink=\"false\">bench-{f}-{i}</guid><title>{html.escape(t)}</title><pubDate>{now}</pubDate></item>"
            for i, t in enumerate(texts[f * per:(f + 1) * per]))
        docs[f"/feed{f}.xml"] = f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>bench {f}</title>{items}</channel></rss>".encode()
    return docs


def serve(docs: dict[str, bytes]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = docs.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def serve_validated(on_request) -> http.server.ThreadingHTTPServer:
    """Feeds at any path /NAME: a one-item RSS document with ETag "v1", and 304 to a matching
    If-None-Match (a real desk's steady state). `on_request(path)` is called for each request."""
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # head and body are two writes: without this, each answer waits ~40 ms for a delayed ACK

        def do_GET(self):
            on_request(self.path)
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            name = self.path.strip("/")
            body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title><item><guid>g-{name}</guid>'
                    f"<title>Routine notice {name}</title></item></channel></rss>").encode()
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--release", type=Path, default=ROOT / ".build" / "release",
                   help="folder with monitord and monitorctl (another build, to compare two versions on one machine)")
    p.add_argument("--feeds", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--model", default=str(ROOT / "models" / "finsent-minilm"))
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--precision", default="auto", choices=["auto", "int8", "f32"], help="engine.precision of both runs")
    p.add_argument("--stories", default="on", choices=["on", "off", "both"],
                   help="story clustering (stories.enabled); both: alternate runs without and with it (--pairs of them) and report the cost")
    p.add_argument("--pairs", type=int, default=3, help="with --stories both: how many off/on pairs")
    p.add_argument("--warm", type=int, default=0,
                   help="measure from the Nth score on (the window then already holds N items: --items 20000 --warm 10000)")
    args = p.parse_args()
    release = args.release
    for binary in ["monitord", "monitorctl"]:
        if not (release / binary).exists():
            sys.exit(f"error: {release / binary} missing; run swift build -c release first")

    texts = load_texts(args.items, args.seed)
    docs = make_feeds(texts, args.feeds)

    # Baseline: the engine alone on the texts the pipeline scores (URLs dropped, as monitord does), same batch and threads.
    model_texts = [" ".join(w for w in t.split(" ") if not w.startswith(("http://", "https://", "www."))).strip() for t in texts[:3000]]
    engine = subprocess.run([str(release / "monitorctl"), "bench", "encode", "--model", args.model, "--batch", str(args.batch),
                             "--threads", str(args.threads), "--precision", args.precision], input="\n".join(t.replace("\n", " ") for t in model_texts) + "\n",
                            capture_output=True, text=True)
    if engine.returncode != 0:
        sys.exit(f"monitorctl bench encode failed: {engine.stderr}")
    engine_rate = json.loads(engine.stdout.strip().splitlines()[-1])["items_per_second"]
    precision = json.loads(engine.stdout.strip().splitlines()[-1])["precision"]
    if args.stories != "both":
        result = run_pipeline(args, docs, stories=args.stories == "on", release=release)
        result.update({"engine_items_per_second": round(engine_rate, 1),
                       "ratio_pipeline_to_engine": round(result["pipeline_items_per_second"] / engine_rate, 3) if engine_rate else None,
                       "threads": args.threads, "batch": args.batch, "precision": precision, "cpus": os.cpu_count()})
        print(json.dumps(result))
        return
    # Story clustering's cost: runs without and with it, alternating (so drift on the machine falls on both alike).
    runs = {"off": [], "on": []}
    for _ in range(args.pairs):
        for mode in ["off", "on"]:
            result = run_pipeline(args, docs, stories=mode == "on", release=release)
            runs[mode].append(result["pipeline_items_per_second"])
            print(json.dumps({"stories": mode, **result}), flush=True)
    off, on = sorted(runs["off"]), sorted(runs["on"])
    median = lambda xs: xs[len(xs) // 2]
    print(json.dumps({"items_per_second_without_stories": off, "items_per_second_with_stories": on,
                      "median_cost": round(1 - median(on) / median(off), 4), "precision": precision, "threads": args.threads,
                      "warm": args.warm, "items": args.items}))


def run_pipeline(args, docs: dict[str, bytes], stories: bool, release: Path) -> dict:
    """One monitord run over the served feeds; items per second from the `warm`-th score (or the first stored item) to the last."""
    server = serve(docs)
    port = server.server_address[1]
    folder = Path(tempfile.mkdtemp(prefix="finsent-bench-"))
    config = {
        "database": str(folder / "bench.sqlite"), "model": args.model,
        "engine": {"threads": args.threads, "batchSize": args.batch, "maxLength": 128, "precision": args.precision},
        "feeds": [{"id": f"bench{f}", "url": f"http://127.0.0.1:{port}/feed{f}.xml", "interval": "1h"} for f in range(args.feeds)],
        "watchlist": [{"symbol": s, "names": [n]} for s, n in TICKERS],
        "rules": [{"id": "neg-share", "metric": "negativeShare", "window": "1h", "above": 0.6, "minItems": 10, "cooldown": "1h"},
                  {"id": "burst", "metric": "burst", "window": "15m", "above": 3, "minItems": 5}],
        "stories": {"enabled": stories},
        "logLevel": "warning",
    }
    (folder / "config.json").write_text(json.dumps(config))
    daemon = subprocess.Popen([str(release / "monitord"), "--config", str(folder / "config.json")], stderr=subprocess.PIPE, text=True)
    db_path = folder / "bench.sqlite"
    deadline = time.time() + 600
    scored = 0
    try:
        while time.time() < deadline:
            time.sleep(0.5)
            if not db_path.exists():
                continue
            try:
                with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
                    scored = db.execute("SELECT count(*) FROM scores").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if scored >= args.items:
                break
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        server.shutdown()
        server.server_close()
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        items, first_stored = db.execute("SELECT count(*), min(fetched_at) FROM items").fetchone()
        scores, last_scored = db.execute("SELECT count(*), max(scored_at) FROM scores").fetchone()
        mentions = db.execute("SELECT count(*) FROM mentions").fetchone()[0]
        story_count = db.execute("SELECT count(*) FROM stories").fetchone()[0]
        start = first_stored
        if args.warm:
            start = db.execute("SELECT scored_at FROM scores ORDER BY scored_at LIMIT 1 OFFSET ?", (args.warm,)).fetchone()[0]
    if scores < args.items:
        sys.exit(f"error: only {scores} of {args.items} items scored in time")
    seconds = (last_scored - start) / 1000
    measured = scores - args.warm
    rate = measured / seconds if seconds > 0 else 0
    return {"items": items, "scored": scores, "mentions": mentions, "stories": story_count, "measured": measured,
            "seconds": round(seconds, 2), "pipeline_items_per_second": round(rate, 1)}


if __name__ == "__main__":
    main()
