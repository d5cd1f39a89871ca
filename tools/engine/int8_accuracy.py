#!/usr/bin/env python3
"""int8 against F32 with the shipped model: weighted F1 / accuracy on the dev splits training/train.py
reports (tools/engine/dev_splits.py's line numbers) and label agreement over every text of ../shared/data,
through `monitorctl score` (release build) with --precision f32 and --precision int8.

Usage: swift build -c release --product monitorctl && python3 tools/engine/int8_accuracy.py [--model DIR]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/data"
MONITORCTL = ROOT / ".build/release/monitorctl"
SPLITS = ROOT / "Tests/TransformerTests/Fixtures/dev-splits.json"
sys.path[:0] = [str(ROOT / "training"), str(ROOT / "tools/engine")]
from dev_splits import rows  # noqa: E402  (the same reading of the shared files as the splits)
from metrics import classification_report  # noqa: E402  (training's weighted F1)

FILES = ["twitter_fin_sentiment_train.jsonl", "twitter_fin_topic_train.jsonl", "phrasebank_train.jsonl",
         "phrasebank_valid.jsonl"]


def score(model, texts, precision):
    with tempfile.TemporaryFile() as stdin:
        # One text a line, as monitorctl score reads them (line breaks inside a tweet become spaces).
        stdin.write(("\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts) + "\n").encode())
        stdin.seek(0)
        out = subprocess.run([str(MONITORCTL), "score", "--model", str(model), "--precision", precision],
                             stdin=stdin, capture_output=True, check=True)
    return [{head: value["label"] for head, value in json.loads(line)["heads"].items()}
            for line in out.stdout.decode().split("\n") if line]


def score_of(predicted, truth, key):
    """Weighted F1 or accuracy as training/metrics.py computes them for train.py."""
    names = sorted(set(truth) | set(predicted))
    index = {name: i for i, name in enumerate(names)}
    return classification_report([index[t] for t in truth], [index[p] for p in predicted], names)[key]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models/finsent-minilm"))
    parser.add_argument("--dev-only", action="store_true", help="score only the dev splits (no agreement over all texts)")
    args = parser.parse_args()
    splits = json.loads(SPLITS.read_text())["sets"]
    texts, index = [], {}
    for name in FILES:
        wanted = None if not args.dev_only else {l for s in splits if s["file"] == name for l in s["lines"]}
        for line, row in enumerate(rows(name)):
            if wanted is None or line in wanted:
                index[(name, line)] = len(texts)
                texts.append(row["text"])
    f32, int8 = score(args.model, texts, "f32"), score(args.model, texts, "int8")
    print(f"model {args.model}")
    print("| dev set | metric | F32 | int8 | change (points) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for split in splits:
        data = rows(split["file"])
        truth = [data[line][split["key"]] for line in split["lines"]]
        picked = [index[(split["file"], line)] for line in split["lines"]]
        key, name = ("weighted_f1", "weighted F1") if split["head"] == "sentiment" else ("accuracy", "accuracy")
        a, b = (score_of([run[i][split["head"]] for i in picked], truth, key) for run in (f32, int8))
        print(f"| {split['name']} ({len(truth)}) | {name} | {a:.4f} | {b:.4f} | {100 * (b - a):+.2f} |")
    for head in f32[0]:
        same = sum(a[head] == b[head] for a, b in zip(f32, int8))
        print(f"{head}: int8 and F32 labels agree on {same} of {len(texts)} {'dev' if args.dev_only else 'shared'} texts ({100 * same / len(texts):.2f}%)")


if __name__ == "__main__":
    main()
