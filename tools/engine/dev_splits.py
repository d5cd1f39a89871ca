#!/usr/bin/env python3
"""Writes the line numbers of the dev splits training/train.py evaluates on (seeded, stratified
splits of the Twitter train files; all of PhraseBank valid), so the Swift tests can score the
same texts from ../shared/data without committing copies of them.

Usage: python3 tools/engine/dev_splits.py  (writes Tests/TransformerTests/Fixtures/dev-splits.json)
"""
import ast
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data"
OUT = ROOT / "Tests/TransformerTests/Fixtures/dev-splits.json"


def train_function(name):
    """One function of training/train.py, without importing torch (which the module does)."""
    source = (ROOT / "training/train.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    scope = {"random": __import__("random")}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "train.py", "exec"), scope)
    return scope[name]


def defaults():
    source = (ROOT / "training/train.py").read_text(encoding="utf-8")
    seed = int(source.split('"--seed", type=int, default=')[1].split(")")[0])
    fraction = float(source.split('"--dev-fraction", type=float, default=')[1].split(")")[0])
    return seed, fraction


def rows(name):
    lines = [l for l in (DATA / name).read_text(encoding="utf-8").split("\n") if l.strip()]
    return [dict(json.loads(l), line=i) for i, l in enumerate(lines)]


def main():
    split = train_function("stratified_split")
    seed, fraction = defaults()
    _, sentiment = split(rows("twitter_fin_sentiment_train.jsonl"), "label", fraction, seed)
    _, topic = split(rows("twitter_fin_topic_train.jsonl"), "topic", fraction, seed + 1)
    phrasebank = rows("phrasebank_valid.jsonl")
    document = {
        "seed": seed,
        "fraction": fraction,
        "sets": [
            {"name": "twitter_sentiment_dev", "file": "twitter_fin_sentiment_train.jsonl", "head": "sentiment",
             "key": "label", "lines": sorted(r["line"] for r in sentiment)},
            {"name": "phrasebank_valid", "file": "phrasebank_valid.jsonl", "head": "sentiment", "key": "label",
             "lines": [r["line"] for r in phrasebank]},
            {"name": "twitter_topic_dev", "file": "twitter_fin_topic_train.jsonl", "head": "topic", "key": "topic",
             "lines": sorted(r["line"] for r in topic)},
        ],
    }
    OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: " + ", ".join(f"{s['name']} {len(s['lines'])}" for s in document["sets"]))


if __name__ == "__main__":
    main()
