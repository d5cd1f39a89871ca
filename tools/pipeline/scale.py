#!/usr/bin/env python3
"""Scale on one machine: what a 3,000-ticker universe with many rules costs next to 10 tickers.

For each watchlist × rules configuration, in one invocation and on the same texts (tools/pipeline's
corpus, with names and cashtags of a synthetic 3,000-company universe mixed in, served as 20 RSS
feeds from a local HTTP server), the release monitord scores N items and this prints:

- pipeline items/s, first item stored to last score stored, and the ratio to the 10 × 5 run;
- idle CPU after the burst: monitord's utime + stime from /proc over 30 s, as a share of one core;
- time to alert: a negative burst about one quiet entity is served (trials in turn, each a
  different entity); from its items stored (latest fetched_at) to the alert's first event row
  seen in the database (polled every 50 ms; p50, max).

Then entity tagging alone with the 3,000-entity watchlist (`monitorctl bench tag`) against the
engine's time per item on the same texts (`monitorctl bench encode`), and the feed poller: F feeds on one local host at maxPerHost 4, the seconds until
the server has seen every feed once (the first round), peak RSS and threads of monitord.

Usage: swift build -c release && python3 tools/pipeline/scale.py [--items 10000] [--configs 10x5,3000x5]
       [--build .build/release] [--feeds 10000] [--skip-pipeline] [--skip-tagging] [--skip-feeds]
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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (load_texts, ROOT)

ROOT = bench.ROOT
SYLLABLES = ["vor", "tel", "ka", "mi", "dra", "lux", "quen", "bri", "sol", "nex", "tor", "val", "zen", "or", "am", "is", "cor", "pha"]
RULES = [
    {"id": "risk-1h", "metric": "risk", "window": "1h", "above": 0.5, "minItems": 3, "cooldown": "1h"},
    {"id": "negshare-6h", "metric": "negativeShare", "window": "6h", "above": 0.7, "minItems": 8, "cooldown": "6h"},
    {"id": "burst-1h", "metric": "burst", "window": "1h", "above": 3, "minItems": 3, "cooldown": "1h"},
    {"id": "burst-6h", "metric": "burst", "window": "6h", "above": 3, "minItems": 5, "cooldown": "6h"},
    {"id": "volume-24h", "metric": "volume", "window": "24h", "above": 200, "cooldown": "24h"},
]


def universe(n: int, seed: int = 3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    seen, out = set(), []
    while len(out) < n:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        symbol = "".join(c for c in name.upper() if c.isalpha())[:4] + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")
        if name in seen or symbol in seen:
            continue
        seen.update([name, symbol])
        out.append((symbol, name))
    return out


def texts_with_universe(n: int, entities: list[tuple[str, str]], seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i, text in enumerate(bench.load_texts(n, seed)):
        if rng.random() < 0.5:
            symbol, name = rng.choice(entities)
            text = f"{name} (${symbol}): {text}" if rng.random() < 0.5 else f"{text} — {name} Holdings"
        out.append(text)
    return out


class Feeds:
    """20 bench feeds plus one 'trial' feed whose items change per time-to-alert trial."""

    def __init__(self, texts: list[str], feeds: int):
        self.docs = bench.make_feeds(texts, feeds)
        self.trial = self.rss("trial", [])
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    body = outer.trial if self.path == "/trial.xml" else outer.docs.get(self.path)
                tag = f'"{hash(body)}"'
                if self.headers.get("If-None-Match") == tag:  # the trial feed, polled every second, costs a 304
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                self.send_response(200 if body else 404)
                self.send_header("ETag", tag)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def rss(name: str, items: list[tuple[str, str]]) -> bytes:
        now = email.utils.formatdate(usegmt=True)
        body = "".join(f"<item><guid isPermaLink=\"false\">{g}</guid><title>{html.escape(t)}</title><pubDate>{now}</pubDate></item>"
                       for g, t in items)
        return f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>{body}</channel></rss>".encode()

    def set_trial(self, items: list[tuple[str, str]]) -> None:
        with self.lock:
            self.trial = self.rss("trial", items)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def query(db_path: Path, sql: str, args=()):
    for _ in range(50):
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
                return db.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            time.sleep(0.1)
    raise RuntimeError(f"could not read {db_path}")


def run_config(build: Path, entities: list[tuple[str, str]], watch: int, rules: int, texts: list[str], args) -> dict:
    feeds = Feeds(texts, 20)
    port = feeds.server.server_address[1]
    folder = Path(tempfile.mkdtemp(prefix=f"finsent-scale-{watch}x{rules}-"))
    db_path = folder / "scale.sqlite"
    watched = entities[:watch]
    config = {
        "database": str(db_path), "model": args.model,
        "engine": {"threads": args.threads, "batchSize": 32, "maxLength": 128},
        "feeds": [{"id": f"bench{f}", "url": f"http://127.0.0.1:{port}/feed{f}.xml", "interval": "1h"} for f in range(20)]
        + [{"id": "trial", "url": f"http://127.0.0.1:{port}/trial.xml", "interval": "1s"}],
        "watchlist": [{"symbol": s, "names": [n, f"{n} Holdings"]} for s, n in watched],
        "rules": RULES[:rules] if rules > 1 else [RULES[2]],
        "logLevel": "warning",
    }
    (folder / "config.json").write_text(json.dumps(config))
    daemon = subprocess.Popen([str(build / "monitord"), "--config", str(folder / "config.json")], stderr=subprocess.DEVNULL)
    result: dict = {"config": f"{watch} x {len(config['rules'])}"}
    try:
        deadline = time.time() + 1200
        while time.time() < deadline:
            time.sleep(0.5)
            if db_path.exists() and query(db_path, "SELECT count(*) FROM scores")[0][0] >= len(texts):
                break
        (items, first_stored), = query(db_path, "SELECT count(*), min(fetched_at) FROM items")
        (scores, last_scored), = query(db_path, "SELECT count(*), max(scored_at) FROM scores")
        seconds = (last_scored - first_stored) / 1000
        result.update(items=items, scored=scores, seconds=round(seconds, 1), items_per_second=round(scores / seconds, 1))
        time.sleep(5)  # the last passes of the burst
        before, started = cpu_seconds(daemon.pid), time.time()
        time.sleep(args.idle_seconds)
        result["idle_cpu_share_of_one_core"] = round((cpu_seconds(daemon.pid) - before) / (time.time() - started), 4)
        # Time to alert: a negative burst about a quiet watched entity (burst-1h: >3 negatives over a quiet day).
        delays = []
        for trial in range(args.trials):
            symbol, name = watched[-1 - trial]
            headlines = [f"{name} (${symbol}) shares plunge after SEC fraud probe", f"{name} ${symbol} crashes as auditor quits over fraud",
                         f"{name} (${symbol}) defaults on its bonds, files for bankruptcy", f"${symbol} {name} plunges on fraud charges",
                         f"{name} (${symbol}) slumps after massive accounting fraud is revealed", f"${symbol}: {name} halts trading amid fraud probe"]
            feeds.set_trial([(f"trial-{trial}-{i}", h) for i, h in enumerate(headlines)])
            # When the alert row is seen (polled every 50 ms), not the event's own time: a pass stamps its
            # events with the time it started, which may be before it read the entity's items.
            deadline = time.time() + 60
            seen = None
            while time.time() < deadline and seen is None:
                time.sleep(0.05)
                rows = query(db_path, "SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.entity = ? AND a.kind = 'threshold'",
                             (symbol,))
                if rows[0][0]:
                    seen = time.time()
            stored = query(db_path, "SELECT max(fetched_at) FROM items WHERE feed_id = 'trial' AND canonical_id LIKE ?",
                           (f"%trial-{trial}-%",))[0][0]
            delays.append(round(seen - stored / 1000, 3) if seen is not None and stored is not None else None)
        got = [d for d in delays if d is not None]
        result["time_to_alert_seconds"] = {"trials": delays, "p50": statistics.median(got) if got else None, "max": max(got) if got else None}
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        feeds.server.shutdown()
    return result


def feed_round(build: Path, args) -> dict:
    seen: set[str] = set()
    lock = threading.Lock()

    def record(path: str) -> None:
        with lock:
            seen.add(path)

    server = bench.serve_validated(record)
    port = server.server_address[1]
    folder = Path(tempfile.mkdtemp(prefix="finsent-feeds-"))
    config = {
        "database": str(folder / "feeds.sqlite"), "model": args.model, "logLevel": "warning",
        "polling": {"maxPerHost": 4},
        "feeds": [{"id": f"f{n}", "url": f"http://127.0.0.1:{port}/f{n}", "interval": "5m"} for n in range(args.feeds)],
    }
    (folder / "config.json").write_text(json.dumps(config))
    start = time.time()
    daemon = subprocess.Popen([str(build / "monitord"), "--config", str(folder / "config.json")], stderr=subprocess.DEVNULL)
    rss, threads, first_request = 0, 0, None
    try:
        deadline = start + args.feed_timeout
        while time.time() < deadline:
            time.sleep(0.2)
            with lock:
                count = len(seen)
            if count and first_request is None:
                first_request = time.time()
            status = Path(f"/proc/{daemon.pid}/status").read_text()
            rss = max(rss, int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]))
            threads = max(threads, len(os.listdir(f"/proc/{daemon.pid}/task")))
            if count >= args.feeds:
                break
        done = time.time()
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        server.shutdown()
    return {"feeds": args.feeds, "max_per_host": 4, "feeds_polled": len(seen),
            "first_round_seconds": round(done - (first_request or start), 1) if len(seen) >= args.feeds else None,
            "seconds_from_start": round(done - start, 1), "peak_rss_mb": round(rss / 1024), "peak_threads": threads}


def tagging(build: Path, entities: list[tuple[str, str]], texts: list[str], args) -> dict:
    """Entity tagging with the whole universe (two names each) against the engine's time per item, same texts."""
    folder = Path(tempfile.mkdtemp(prefix="finsent-tag-"))
    (folder / "config.json").write_text(json.dumps({
        "database": str(folder / "x.sqlite"), "model": args.model,
        "watchlist": [{"symbol": s, "names": [n, f"{n} Holdings"]} for s, n in entities]}))
    lines = "\n".join(t.replace("\n", " ") for t in texts[:3000]) + "\n"
    tag = subprocess.run([str(build / "monitorctl"), "bench", "tag", "--config", str(folder / "config.json")], input=lines,
                         capture_output=True, text=True, check=True)
    encode = subprocess.run([str(build / "monitorctl"), "bench", "encode", "--model", args.model, "--batch", "32",
                             "--threads", str(args.threads), "--runs", "2"], input=lines, capture_output=True, text=True, check=True)
    tagged = json.loads(tag.stdout.strip().splitlines()[-1])
    engine = json.loads(encode.stdout.strip().splitlines()[-1])
    engine_us = 1e6 / engine["items_per_second"]
    return {"entities": tagged["entities"], "names": tagged["names"], "build_seconds": tagged["build_seconds"],
            "tag_microseconds_per_text": tagged["microseconds_per_text"], "engine_microseconds_per_text": round(engine_us, 1),
            "tagging_share_of_engine": round(tagged["microseconds_per_text"] / engine_us, 4)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--configs", default="10x1,10x5,300x5,3000x1,3000x5")
    p.add_argument("--build", default=str(ROOT / ".build" / "release"))
    p.add_argument("--model", default=str(ROOT / "models" / "finsent-minilm"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--idle-seconds", type=float, default=30)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--feeds", type=int, default=10_000)
    p.add_argument("--feed-timeout", type=float, default=400)
    p.add_argument("--skip-feeds", action="store_true")
    p.add_argument("--skip-pipeline", action="store_true")
    p.add_argument("--skip-tagging", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    build = Path(args.build)
    for binary in ["monitord", "monitorctl"]:
        if not (build / binary).exists():
            sys.exit(f"error: {build / binary} missing; run swift build -c release first")
    entities = universe(3000)
    out: dict = {"build": str(build), "cpus": os.cpu_count(), "items": args.items}
    if not args.skip_pipeline:
        texts = texts_with_universe(args.items, entities, args.seed)
        runs = []
        for spec in args.configs.split(","):
            watch, rules = (int(x) for x in spec.split("x"))
            runs.append(run_config(build, entities, watch, rules, texts, args))
            print(json.dumps(runs[-1]), flush=True)
        base = next((r for r in runs if r["config"] == "10 x 5"), None)
        if base:
            for r in runs:
                r["ratio_to_10x5"] = round(r["items_per_second"] / base["items_per_second"], 3)
        out["pipeline"] = runs
    if not args.skip_tagging:
        out["tagging"] = tagging(build, entities, texts_with_universe(3000, entities, args.seed), args)
        print(json.dumps(out["tagging"]), flush=True)
    if not args.skip_feeds:
        out["feeds"] = feed_round(build, args)
        print(json.dumps(out["feeds"]), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
