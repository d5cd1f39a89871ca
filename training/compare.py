#!/usr/bin/env python3
"""Compares trained model folders on the dev splits, each against the first, with paired bootstrap intervals.

The dev sets are small (954 Twitter sentiment texts, 483 PhraseBank sentences, 1,699 topic texts), so a
difference of a few thousandths in weighted F1 is within sampling noise. This resamples the dev texts
(the same resample for both models, so what is measured is the difference on the same texts) and prints
the 95% interval of each model's difference from the first.

Usage:  python3 training/compare.py models/finsent-minilm /tmp/candidate [more folders…]
        [--markdown]  prints one table row per model, as in training/README.md
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import BertConfig, BertModel, BertTokenizerFast

from metrics import classification_report, expected_calibration_error
from targets import TARGETS
from train import ROOT, TwoHeadModel, encode_dev_sets, predict_logits, read_jsonl, stratified_split

METRICS = {name: metric for name, (metric, _) in TARGETS.items()}


def load_model(folder: Path) -> tuple[TwoHeadModel, dict]:
    """A model folder as train.py writes it (F16 safetensors with `heads.*`), in F32."""
    config = json.loads((folder / "config.json").read_text())
    encoder = BertModel(BertConfig(**{k: v for k, v in config.items() if k != "finsent_heads"}), add_pooling_layer=False)
    model = TwoHeadModel(encoder)
    weights = {k: v.float() for k, v in load_file(str(folder / "model.safetensors")).items()}
    encoder.load_state_dict({k: v for k, v in weights.items() if not k.startswith("heads.")}, strict=False)
    for name, head in model.heads.items():
        head.weight.data = weights[f"heads.{name}.weight"]
        head.bias.data = weights[f"heads.{name}.bias"]
    temperatures = {h["name"]: h["temperature"] for h in config["finsent_heads"]}
    return model.eval(), temperatures


def dev_sets(data: Path, tokenizer, seed: int, fraction: float, max_length: int) -> dict:
    """The dev splits train.py selects and reports on (same seeds, same stratified split); labels as arrays."""
    _, sentiment = stratified_split(read_jsonl(data / "twitter_fin_sentiment_train.jsonl"), "label", fraction, seed)
    _, topic = stratified_split(read_jsonl(data / "twitter_fin_topic_train.jsonl"), "topic", fraction, seed + 1)
    sets = encode_dev_sets(tokenizer, sentiment, read_jsonl(data / "phrasebank_valid.jsonl"), topic, max_length)
    return {name: (head, ids, np.array(labels), names) for name, (head, ids, labels, names) in sets.items()}


def score(metric: str, labels: np.ndarray, predictions: np.ndarray, names: list[str]) -> float:
    return classification_report(labels, predictions, names)[metric]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", type=Path, nargs="+", help="model folders; the first is the baseline")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--seed", type=int, default=20261125, help="train.py's --seed (it fixes the dev splits)")
    p.add_argument("--dev-fraction", type=float, default=0.1)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--resamples", type=int, default=2000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = BertTokenizerFast.from_pretrained(str(args.models[0]))
    sets = dev_sets(args.data, tokenizer, args.seed, args.dev_fraction, args.max_length)
    predictions: dict[Path, dict] = {}
    calibration: dict[Path, dict] = {}
    for folder in args.models:
        model, temperatures = load_model(folder)
        predictions[folder], calibration[folder] = {}, {}
        for name, (head, ids, labels, _) in sets.items():
            logits = predict_logits(model, ids, head)
            predictions[folder][name] = logits.argmax(1)
            calibration[folder][name] = expected_calibration_error(logits, labels, temperatures[head])

    rng = np.random.default_rng(args.seed)
    draws = {name: [rng.integers(0, len(labels), len(labels)) for _ in range(args.resamples)] for name, (_, _, labels, _) in sets.items()}
    baseline = args.models[0]
    for folder in args.models:
        cells = []
        for name, (_, _, labels, names) in sets.items():
            metric = METRICS[name]
            value = score(metric, labels, predictions[folder][name], names)
            if folder == baseline:
                cells.append(f"{value:.4f}")
                continue
            differences = np.array([score(metric, labels[d], predictions[folder][name][d], names)
                                    - score(metric, labels[d], predictions[baseline][name][d], names) for d in draws[name]])
            low, high = np.percentile(differences, [2.5, 97.5])
            delta = value - score(metric, labels, predictions[baseline][name], names)
            cells.append(f"{value:.4f} ({delta:+.4f}, 95% {low:+.3f}…{high:+.3f})")
        ece = " / ".join(f"{calibration[folder][n]:.3f}" for n in sets)
        if args.markdown:
            print(f"| {folder} | " + " | ".join(cells) + f" | {ece} |")
        else:
            print(f"{folder}")
            for name, cell in zip(sets, cells):
                print(f"  {name} {METRICS[name]}: {cell}")
            print(f"  ECE after temperature (Twitter sentiment / PhraseBank / topic): {ece}")


if __name__ == "__main__":
    main()
