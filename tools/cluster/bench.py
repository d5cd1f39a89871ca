#!/usr/bin/env python3
"""PostgreSQL against SQLite, and one instance against three, measured in one run.

1. Pipeline: ~N realistic items (tools/pipeline's corpus and feeds) through one release monitord,
   first on SQLite, then on PostgreSQL: items per second from the first item stored to the last
   score stored, and the ratio PostgreSQL / SQLite.
2. Polling: F feeds on a local HTTP server that answers 304 to a matching ETag (the steady state
   of a real desk), interval I: polls per second the server sees with 1 and with 3 instances on
   one PostgreSQL database, feeds polled twice within one interval (must be 0), and the lease
   overhead: database transactions per poll (pg_stat_database) and monitord CPU per 1,000 polls.

A throw-away PostgreSQL server is started here (initdb in a temporary folder; as root, through
runuser as the `postgres` user) with its default durability settings.

Usage: swift build -c release && python3 tools/cluster/bench.py [--items 4000] [--feeds 3000] [--interval 10] [--seconds 40]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "pipeline"))
import bench as pipeline  # noqa: E402  (load_texts, make_feeds, serve, serve_validated, TICKERS)

RELEASE = ROOT / ".build" / "release"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
        if not bins:
            sys.exit("error: PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = bins[0]
        self.folder = tempfile.mkdtemp(prefix="finsent-bench-pg-")
        self.port = free_port()
        self.prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.prefix:
            shutil.chown(self.folder, "postgres")
        self.run("initdb", "-D", f"{self.folder}/data", "-U", "finsent", "-A", "trust", "-E", "UTF8", "--no-locale")
        self.run("pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/log", "-w", "-o",
                 f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200", "start")

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(self.prefix + [f"{self.bin}/{tool}", *args], check=True, capture_output=True, cwd="/tmp")

    def sql(self, statement: str, database: str = "postgres") -> str:
        out = subprocess.run([f"{self.bin}/psql", "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", str(self.port), "-U", "finsent",
                              "-d", database, "-c", statement], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def database(self, name: str) -> str:
        self.sql(f"CREATE DATABASE {name}")
        return f"postgresql://finsent@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def stop(self) -> None:
        self.run("pg_ctl", "-D", f"{self.folder}/data", "-m", "fast", "-w", "stop")


def start(config: dict, folder: Path, name: str) -> subprocess.Popen:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(config))
    return subprocess.Popen([str(RELEASE / "monitord"), "--config", str(path)], stderr=open(folder / f"{name}.log", "w"))


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline_rate(database: str, count, first_last, args, folder: Path, name: str) -> dict:
    texts = pipeline.load_texts(args.items, 7)
    server = pipeline.serve(pipeline.make_feeds(texts, 20))
    port = server.server_address[1]
    config = {
        "database": database, "model": str(ROOT / "models" / "finsent-minilm"),
        "engine": {"threads": 2, "batchSize": 32, "maxLength": 128}, "api": {"listen": "127.0.0.1:0"},
        "feeds": [{"id": f"bench{f}", "url": f"http://127.0.0.1:{port}/feed{f}.xml", "interval": "1h"} for f in range(20)],
        "watchlist": [{"symbol": s, "names": [n]} for s, n in pipeline.TICKERS],
        "rules": [{"id": "neg-share", "metric": "negativeShare", "window": "1h", "above": 0.6, "minItems": 10, "cooldown": "1h"}],
        "logLevel": "warning",
    }
    daemon = start(config, folder, name)
    deadline = time.time() + 900
    try:
        while time.time() < deadline and count() < args.items:
            time.sleep(0.5)
    finally:
        stop(daemon)
        server.shutdown()
    scores, first, last = first_last()
    seconds = (last - first) / 1000
    return {"scored": scores, "seconds": round(seconds, 2), "items_per_second": round(scores / seconds, 1) if seconds > 0 else 0}


def polling(pg: Postgres, instances: int, args, folder: Path) -> dict:
    polls: list[tuple[int, float]] = []
    lock = threading.Lock()

    def record(path: str) -> None:
        with lock:
            polls.append((int(path[2:]), time.time()))

    server = pipeline.serve_validated(record)
    port = server.server_address[1]
    name = f"poll{instances}"
    uri = pg.database(name)
    config = {
        "database": uri, "model": str(ROOT / "models" / "finsent-minilm"), "engine": {"threads": 1},
        "api": {"listen": "127.0.0.1:0"}, "polling": {"maxPerHost": 8},
        "feeds": [{"id": f"f{n}", "url": f"http://127.0.0.1:{port}/f{n}", "interval": f"{args.interval}s"} for n in range(args.feeds)],
        "logLevel": "warning",
    }
    daemons = [start(config, folder, f"{name}-{i}") for i in range(instances)]
    try:
        # Warm-up: the first round (200s and items) and model loading are not measured.
        time.sleep(args.interval * 2 + 10)
        with lock:
            begin_polls = len(polls)
        begin_xact = int(pg.sql(f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'"))
        begin_cpu = sum(cpu_seconds(d.pid) for d in daemons)
        begin = time.time()
        time.sleep(args.seconds)
        elapsed = time.time() - begin
        with lock:
            window = polls[begin_polls:]
            everything = list(polls)
        xact = int(pg.sql(f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{name}'")) - begin_xact
        cpu = sum(cpu_seconds(d.pid) for d in daemons) - begin_cpu
    finally:
        for d in daemons:
            stop(d)
        server.shutdown()
    by_feed: dict[int, list[float]] = {}
    for n, at in everything:
        by_feed.setdefault(n, []).append(at)
    twice = sum(1 for times in by_feed.values() for a, b in zip(sorted(times), sorted(times)[1:]) if b - a < args.interval * 0.75)
    return {"instances": instances, "polls_per_second": round(len(window) / elapsed, 1),
            "demand_per_second": round(args.feeds / args.interval, 1), "feeds_polled": len(by_feed),
            "polled_twice_in_an_interval": twice, "transactions_per_poll": round(xact / max(1, len(window)), 2),
            "monitord_cpu_ms_per_1000_polls": round(cpu * 1000 / max(1, len(window)) * 1000, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--items", type=int, default=4000)
    p.add_argument("--feeds", type=int, default=3000)
    p.add_argument("--interval", type=int, default=10)
    p.add_argument("--seconds", type=int, default=40)
    p.add_argument("--skip-pipeline", action="store_true")
    p.add_argument("--skip-polling", action="store_true")
    args = p.parse_args()
    for binary in ["monitord", "monitorctl"]:
        if not (RELEASE / binary).exists():
            sys.exit(f"error: {RELEASE / binary} missing; run swift build -c release first")
    folder = Path(tempfile.mkdtemp(prefix="finsent-cluster-bench-"))
    pg = Postgres()
    result: dict = {"cpus": os.cpu_count()}
    try:
        if not args.skip_pipeline:
            db = folder / "bench.sqlite"

            def sqlite_count() -> int:
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
                        return c.execute("SELECT count(*) FROM scores").fetchone()[0]
                except sqlite3.OperationalError:
                    return 0

            def sqlite_span():
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
                    first = c.execute("SELECT min(fetched_at) FROM items").fetchone()[0]
                    n, last = c.execute("SELECT count(*), max(scored_at) FROM scores").fetchone()
                return n, first, last

            result["sqlite"] = pipeline_rate(str(db), sqlite_count, sqlite_span, args, folder, "pipeline-sqlite")
            uri = pg.database("pipeline")

            def pg_count() -> int:
                try:
                    return int(pg.sql("SELECT count(*) FROM scores", "pipeline") or 0)
                except subprocess.CalledProcessError:
                    return 0

            def pg_span():
                first = int(pg.sql("SELECT min(fetched_at) FROM items", "pipeline"))
                n, last = pg.sql("SELECT count(*), max(scored_at) FROM scores", "pipeline").split("|")
                return int(n), first, int(last)

            result["postgresql"] = pipeline_rate(uri, pg_count, pg_span, args, folder, "pipeline-postgres")
            result["ratio_postgresql_to_sqlite"] = round(result["postgresql"]["items_per_second"] / result["sqlite"]["items_per_second"], 3)
        if not args.skip_polling:
            result["polling"] = [polling(pg, 1, args, folder), polling(pg, 3, args, folder)]
            one, three = result["polling"]
            result["ratio_polls_3_to_1"] = round(three["polls_per_second"] / one["polls_per_second"], 3) if one["polls_per_second"] else None
    finally:
        pg.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
