#!/usr/bin/env python3
"""How faithful each explanation method is, measured on the Swift engine as shipped.

For every dev text the model labels negative or positive (explaining "neutral" says little), each
method ranks the words it would show, in its own order (`monitorctl score --explain-method M`: stop words,
punctuation and bare symbols are never shown). Then, ERASER-style (DeYoung et al., 2020), for the
top k shown words:

  comprehensiveness = p(label | text) − p(label | text without the k words)   higher is better
  sufficiency       = p(label | text) − p(label | only the k words)           lower is better

against k random words (mean of 5 seeded draws, any word) and an occlusion search that looks for
the k words whose removal lowers p(label) most (any word, filler included): every subset of k words
when there are at most 5,000 subsets (k ≤ 3 on every tweet), else a beam search (width 5). Words are the runs of
characters between white space, as the engine shows them; a removed word takes its punctuation
with it. Texts are what monitord reads (URLs removed, ScoringService.text).

The cost column is the extra time per item over scoring without an explanation
(`monitorctl score --batch 32` on all of the split's texts, best of --runs, release build).

Usage: swift build -c release --product monitorctl
       python3 tools/explain/faithfulness.py [--split twitter|phrasebank] [--limit N] [--json FILE]
"""
import argparse
import itertools
import json
import pathlib
import random
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data"
SPLITS = {"twitter": "twitter_sentiment_dev", "phrasebank": "phrasebank_valid"}
METHODS = ["attention", "occlusion"]
KS = [1, 3, 5]


def without_urls(text):
    """ScoringService.withoutURLs: words starting with a URL scheme or www. are dropped."""
    words = text.replace("\n", " ").split(" ")
    kept = [w for w in words if not (w.startswith(("http://", "https://", "www.", "(http")))]
    return " ".join(kept).strip()


def dev_texts(split):
    splits = json.loads((ROOT / "Tests/TransformerTests/Fixtures/dev-splits.json").read_text())
    entry = next(s for s in splits["sets"] if s["name"] == SPLITS[split])
    lines = [l for l in (DATA / entry["file"]).read_text(encoding="utf-8").split("\n") if l.strip()]
    return [without_urls(json.loads(lines[i])["text"]) for i in entry["lines"]]


class Engine:
    def __init__(self, monitorctl, model):
        self.monitorctl, self.model = monitorctl, model

    def score(self, texts, method=None, label=None):
        """One JSON object per text (monitorctl score; texts go one per line on stdin)."""
        args = [self.monitorctl, "score", "--model", self.model, "--batch", "32"]
        if method:
            args += ["--explain-method", method]
        if label:
            args += ["--explain-label", label]
        stdin = "".join(t + "\n" for t in texts)
        out = subprocess.run(args, input=stdin, capture_output=True, text=True, check=True).stdout
        rows = [json.loads(l) for l in out.split("\n") if l.strip()]
        assert len(rows) == len(texts), (len(rows), len(texts))
        return rows

    def probability(self, texts, labels):
        rows = self.score(texts)
        return [r["heads"]["sentiment"]["scores"][l] for r, l in zip(rows, labels)]

    def seconds(self, texts, method, runs):
        best = float("inf")
        for _ in range(runs):
            started = time.perf_counter()
            self.score(texts, method)
            best = min(best, time.perf_counter() - started)
        return best


def words_of(text):
    """(start, end) of each run of non-space characters, in code points (= Unicode scalars)."""
    spans, start = [], None
    for i, ch in enumerate(text):
        if ch.isspace():
            if start is not None:
                spans.append((start, i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(text)))
    return spans


def drop(text, spans, chosen):
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i not in chosen)


def keep(text, spans, chosen):
    return " ".join(text[a:b] for i, (a, b) in enumerate(spans) if i in chosen)


def search(engine, cases, k):
    """For each case, the subset of k words whose removal lowers p(label) most."""
    best = {}
    exhaustive = [c for c in cases if len(list(itertools.combinations(range(len(c["spans"])), min(k, len(c["spans"]))))) <= 5000]
    texts, owners = [], []
    for c in exhaustive:
        for subset in itertools.combinations(range(len(c["spans"])), min(k, len(c["spans"]))):
            texts.append(drop(c["text"], c["spans"], set(subset)))
            owners.append((c["id"], c["label"]))
    if texts:
        for (cid, _), p in zip(owners, engine.probability(texts, [l for _, l in owners])):
            best[cid] = min(best.get(cid, 1.0), p)
    beam_cases = [c for c in cases if c["id"] not in best]
    beams = {c["id"]: [frozenset()] for c in beam_cases}
    for _ in range(k):
        texts, owners = [], []
        for c in beam_cases:
            n = len(c["spans"])
            candidates = {b | {j} for b in beams[c["id"]] for j in range(n) if j not in b}
            for subset in candidates:
                texts.append(drop(c["text"], c["spans"], subset))
                owners.append((c, subset))
        if not texts:
            break
        probabilities = engine.probability(texts, [c["label"] for c, _ in owners])
        scored = {}
        for (c, subset), p in zip(owners, probabilities):
            scored.setdefault(c["id"], []).append((p, subset))
        for cid, options in scored.items():
            options.sort(key=lambda o: o[0])
            beams[cid] = [s for _, s in options[:5]]
            best[cid] = options[0][0]
    return [c["p"] - best[c["id"]] for c in cases]


def mean(values):
    return sum(values) / len(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=sorted(SPLITS), default="twitter")
    parser.add_argument("--monitorctl", default=str(ROOT / ".build/release/monitorctl"))
    parser.add_argument("--model", default=str(ROOT / "models/finsent-minilm"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N non-neutral texts")
    parser.add_argument("--runs", type=int, default=3, help="timing runs per method (best is kept)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the figures here")
    parser.add_argument("--no-search", action="store_true", help="skip the occlusion search (it depends on the model only)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods the engine knows")
    args = parser.parse_args()
    engine = Engine(args.monitorctl, args.model)
    methods = args.methods.split(",")

    texts = dev_texts(args.split)
    explained = {m: engine.score(texts, m) for m in methods}
    cases = []
    for i, text in enumerate(texts):
        row = explained[methods[0]][i]
        label = row["heads"]["sentiment"]["label"]
        if label == "neutral" or not text.strip():
            continue
        spans = words_of(text)
        case = {"id": i, "text": text, "label": label, "p": row["heads"]["sentiment"]["scores"][label], "spans": spans, "ranked": {}}
        index = {s: j for j, s in enumerate(spans)}
        for m in methods:
            words = explained[m][i]["explanation"]["words"]
            shown = [w for w in words if w["shown"] and (w["start"], w["end"]) in index]
            case["ranked"][m] = [index[(w["start"], w["end"])] for w in shown]  # in the engine's rank order
        cases.append(case)
    if args.limit:
        cases = cases[: args.limit]
    print(f"{args.split}: {len(texts)} dev texts, {len(cases)} labelled negative or positive", file=sys.stderr)

    results = {}
    for k in KS:
        perturbed, owners = [], []
        for c in cases:
            n = len(c["spans"])
            choices = {m: set(c["ranked"][m][:k]) for m in methods}
            for seed in range(5):
                choices[f"random{seed}"] = set(random.Random(seed * 1000 + c["id"]).sample(range(n), min(k, n)))
            for name, chosen in choices.items():
                perturbed += [drop(c["text"], c["spans"], chosen), keep(c["text"], c["spans"], chosen)]
                owners += [(c, name, "comprehensiveness"), (c, name, "sufficiency")]
        probabilities = engine.probability(perturbed, [c["label"] for c, _, _ in owners])
        sums = {}
        for (c, name, measure), p in zip(owners, probabilities):
            name = "random" if name.startswith("random") else name
            sums.setdefault((name, measure), []).append(c["p"] - p)
        for (name, measure), values in sums.items():
            results.setdefault(name, {})[f"{measure}@{k}"] = mean(values)
        if not args.no_search:
            results.setdefault("occlusion search", {})[f"comprehensiveness@{k}"] = mean(search(engine, cases, k))
        print(f"k={k} done", file=sys.stderr)

    plain = engine.seconds(texts, None, args.runs)
    cost = {m: (engine.seconds(texts, m, args.runs) - plain) / len(texts) * 1000 for m in methods}
    oracle = results.get("occlusion search", {}).get("comprehensiveness@3", float("nan"))
    print(f"\n{args.split} dev, {len(cases)} texts labelled negative or positive; scoring alone {plain / len(texts) * 1000:.3f} ms/item\n")
    print("| method | comp. k=1 | comp. k=3 | comp. k=5 | suff. k=1 | suff. k=3 | suff. k=5 | comp. k=3 / search | extra ms/item |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ["random"] + methods + ["occlusion search"]:
        if name not in results:
            continue
        r = results[name]
        cells = [f"{r.get(f'comprehensiveness@{k}', float('nan')):.3f}" for k in KS]
        cells += [f"{r[f'sufficiency@{k}']:.3f}" if f"sufficiency@{k}" in r else "—" for k in KS]
        cells.append(f"{r['comprehensiveness@3'] / oracle:.2f}×")
        cells.append(f"{cost[name]:.3f}" if name in cost else "—")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps({"split": args.split, "texts": len(cases), "results": results, "extra_ms": cost,
                                         "plain_ms": plain / len(texts) * 1000}, indent=1) + "\n")


if __name__ == "__main__":
    main()
