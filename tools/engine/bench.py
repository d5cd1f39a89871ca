#!/usr/bin/env python3
"""Engine benchmark: FinSent's encoder (monitorctl bench encode, release build) against
ONNX Runtime on the same texts, the same model (all-MiniLM-L6-v2 + a 3-way head) and
the same CPU, in one run: ONNX Runtime fp32 and int8 (dynamic quantization, per-channel
weights), FinSent f32 and int8. Prints a Markdown table: items/s at batch 32, latency at
batch 1, ratios against ONNX Runtime int8, achieved GOP/s against the machine's measured
peak (OpenBLAS sgemm for F32, `monitorctl bench int8` for int8), and how often each int8
engine's label agrees with its own F32.

ONNX Runtime: 2 intra-op threads, all graph optimisations, batches of 32 ordered by
length and padded to the longest. FinSent: 2 threads, batches of 32 ordered by length
and packed without padding.

Usage: scripts/fetch-test-models.sh && swift build -c release --product monitorctl
       python3 tools/engine/bench.py [--texts 2000] [--runs 3]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic
import torch
from tokenizers import Tokenizer
from transformers import BertForSequenceClassification

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / ".cache/minilm-cls"
SHARED = ROOT.parent / "shared/data"
MONITORCTL = ROOT / ".build/release/monitorctl"
MAX_LENGTH = 128


def corpus(count):
    lines = [json.loads(l)["text"].replace("\n", " ").replace("\r", " ")
             for l in (SHARED / "twitter_fin_sentiment_train.jsonl").read_text(encoding="utf-8").split("\n") if l.strip()]
    return lines[:count]


def export_onnx(path):
    model = BertForSequenceClassification.from_pretrained(str(MODEL), attn_implementation="eager").eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq", max=MAX_LENGTH)
    torch.onnx.export(model, (ids, mask), str(path), dynamo=True, input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], dynamic_shapes=({0: batch, 1: seq}, {0: batch, 1: seq}))
    return model


def monitorctl(arguments, texts):
    """monitorctl's standard output with the texts on its standard input, one a line."""
    with tempfile.TemporaryFile() as stdin:
        stdin.write(("\n".join(texts) + "\n").encode())
        stdin.seek(0)
        return subprocess.run([str(MONITORCTL), *arguments], stdin=stdin, capture_output=True, check=True).stdout


def ours(texts, batch, runs, precision):
    return json.loads(monitorctl(["bench", "encode", "--model", str(MODEL), "--batch", str(batch), "--runs", str(runs),
                                  "--threads", "2", "--precision", precision], texts))


def our_labels(texts, precision):
    """Argmax of each text's logits from monitorctl score (for int8-vs-F32 agreement)."""
    out = monitorctl(["score", "--model", str(MODEL), "--logits", "--batch", "32", "--precision", precision], texts)
    rows = [json.loads(line) for line in out.decode().split("\n") if line]
    return np.array([int(np.argmax(next(iter(r["logits"].values())))) for r in rows])


def peak(command):
    out = subprocess.run([str(MONITORCTL), "bench", command, "--threads", "2"], capture_output=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not MONITORCTL.exists() or not (MODEL / "base.safetensors").exists():
        sys.exit("run scripts/fetch-test-models.sh and swift build -c release --product monitorctl first")
    texts = corpus(args.texts)
    tok = Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    encodings = [e.ids for e in tok.encode_batch(texts)]

    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = pathlib.Path(tmp) / "model.onnx"
        torch_model = export_onnx(onnx_path)
        # int8 as ONNX Runtime's docs recommend for transformers on a CPU: dynamic quantization
        # (u8 activations per tensor, computed at run time), s8 weights per channel.
        int8_path = pathlib.Path(tmp) / "model.int8.onnx"
        # The exporter keeps the weights in a side file, which the quantizer does not follow: inline them first.
        inline_path = pathlib.Path(tmp) / "model.inline.onnx"
        onnx.save(onnx.load(str(onnx_path)), str(inline_path))
        quantize_dynamic(str(inline_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sessions = {name: ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    for name, path in (("fp32", onnx_path), ("int8", int8_path))}

        def run_batch(session, ids_list):
            width = max(len(i) for i in ids_list)
            ids = np.zeros((len(ids_list), width), dtype=np.int64)
            mask = np.zeros((len(ids_list), width), dtype=np.int64)
            for row, i in enumerate(ids_list):
                ids[row, :len(i)] = i
                mask[row, :len(i)] = 1
            return session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]

        # The export is checked against PyTorch before it is timed.
        with torch.no_grad():
            expected = torch_model(torch.tensor([encodings[0]])).logits.numpy()
        got = run_batch(sessions["fp32"], [encodings[0]])
        if np.abs(expected - got).max() > 1e-4:
            sys.exit(f"ONNX export disagrees with PyTorch by {np.abs(expected - got).max()}")

        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]))
        batches = [[encodings[i] for i in order[s:s + 32]] for s in range(0, len(order), 32)]
        results = {}
        for name, session in sessions.items():
            labels = np.zeros(len(encodings), dtype=np.int64)
            for start in range(0, len(order), 32):
                logits = run_batch(session, [encodings[i] for i in order[start:start + 32]])
                labels[order[start:start + 32]] = logits.argmax(axis=1)

            def timed_batches():
                start = time.perf_counter()
                for b in batches:
                    run_batch(session, b)
                return time.perf_counter() - start

            timed_batches()
            batch32 = len(texts) / statistics.median(timed_batches() for _ in range(args.runs))
            latencies = []
            for e in encodings[:50]:
                run_batch(session, [e])
            for _ in range(2):
                for e in encodings:
                    start = time.perf_counter()
                    run_batch(session, [e])
                    latencies.append((time.perf_counter() - start) * 1000)
            latencies.sort()
            results[name] = {"batch32": batch32, "batch1": 1000 / statistics.mean(latencies),
                             "p50": latencies[len(latencies) // 2], "p99": latencies[int(len(latencies) * 0.99)],
                             "labels": labels}

    sgemm, int8_peak = peak("sgemm"), peak("int8")
    ours_results = {}
    for precision in ("f32", "int8"):
        b32 = ours(texts, 32, args.runs, precision)
        b1 = ours(texts, 1, max(1, args.runs - 1), precision)
        ours_results[precision] = {"batch32": b32["items_per_second"], "batch1": b1["items_per_second"],
                                   "p50": b1["p50_ms"], "p99": b1["p99_ms"], "gops": b32["gflops_per_second"],
                                   "rss": b32["peak_rss_mb"], "labels": our_labels(texts, precision)}

    def agreement(a, b):
        return f"{100 * float(np.mean(a == b)):.2f}%"

    print(f"{len(texts)} texts from twitter_fin_sentiment_train.jsonl, all-MiniLM-L6-v2 + head, 2 threads, "
          f"onnxruntime {ort.__version__}; sgemm {sgemm['gflops_per_second']} GFLOP/s, "
          f"int8 peak {int8_peak['gops_per_second']} GOPS (monitorctl bench sgemm / int8, 2 threads)")
    base = results["int8"]
    print("| engine | batch 32 items/s | batch 1 items/s | batch 1 p50 / p99 ms | GOP/s (% of peak) | labels = its F32 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = [("ONNX Runtime fp32", results["fp32"], None, "—"),
            ("ONNX Runtime int8 (dynamic, per-channel)", results["int8"], None,
             agreement(results["int8"]["labels"], results["fp32"]["labels"])),
            ("FinSent f32", ours_results["f32"], sgemm["gflops_per_second"], "—"),
            ("FinSent int8", ours_results["int8"], int8_peak["gops_per_second"],
             agreement(ours_results["int8"]["labels"], ours_results["f32"]["labels"]))]
    for name, r, ceiling, agree in rows:
        rate = f"{r['gops']:.0f} ({100 * r['gops'] / ceiling:.0f}%)" if ceiling else ""
        print(f"| {name} | {r['batch32']:.1f} ({r['batch32'] / base['batch32']:.2f}×) | "
              f"{r['batch1']:.1f} ({r['batch1'] / base['batch1']:.2f}×) | {r['p50']:.2f} / {r['p99']:.2f} | {rate} | {agree} |")
    print("(ratios against ONNX Runtime int8, measured in this run)")
    print(f"FinSent peak RSS at batch 32: f32 {ours_results['f32']['rss']} MB, int8 {ours_results['int8']['rss']} MB")


if __name__ == "__main__":
    main()
