#!/usr/bin/env python3
"""Engine benchmark: FinSent's encoder (monitorctl bench encode, release build) against
ONNX Runtime on the same texts, the same model (all-MiniLM-L6-v2 + a 3-way head) and
the same CPU, in one run. Prints items/s at batch 32 and latency at batch 1, the
ratios, achieved GFLOP/s and the share of the machine's sgemm rate.

OpenBLAS is run twice: with the environment as it is, and with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed (as on a user's machine). ONNX Runtime: 2 intra-op threads,
all graph optimisations, batches of 32 ordered by length and padded to the longest.

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
import onnxruntime as ort
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


def ours(texts, batch, runs, unset):
    env = dict(os.environ)
    if unset:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    with tempfile.TemporaryFile() as stdin:
        stdin.write(("\n".join(texts) + "\n").encode())
        stdin.seek(0)
        out = subprocess.run([str(MONITORCTL), "bench", "encode", "--model", str(MODEL), "--batch", str(batch),
                              "--runs", str(runs), "--threads", "2"], stdin=stdin, capture_output=True, env=env, check=True)
    return json.loads(out.stdout)


def sgemm_peak(unset):
    env = dict(os.environ)
    if unset:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    out = subprocess.run([str(MONITORCTL), "bench", "sgemm", "--threads", "2"], capture_output=True, env=env, check=True)
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
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

        def run_batch(ids_list):
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
        got = run_batch([encodings[0]])
        if np.abs(expected - got).max() > 1e-4:
            sys.exit(f"ONNX export disagrees with PyTorch by {np.abs(expected - got).max()}")

        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]))
        batches = [[encodings[i] for i in order[s:s + 32]] for s in range(0, len(order), 32)]

        def timed_batches():
            start = time.perf_counter()
            for b in batches:
                run_batch(b)
            return time.perf_counter() - start

        timed_batches()
        ort_batch32 = len(texts) / statistics.median(timed_batches() for _ in range(args.runs))
        latencies = []
        for e in encodings[:50]:
            run_batch([e])
        for _ in range(2):
            for e in encodings:
                start = time.perf_counter()
                run_batch([e])
                latencies.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        ort_p50 = latencies[len(latencies) // 2]
        ort_p99 = latencies[int(len(latencies) * 0.99)]
        ort_batch1 = 1000 / statistics.mean(latencies)

    print(f"{len(texts)} texts from twitter_fin_sentiment_train.jsonl, all-MiniLM-L6-v2 + head, 2 threads, "
          f"onnxruntime {ort.__version__}")
    print(f"  ONNX Runtime  batch 32: {ort_batch32:7.1f} items/s   batch 1: {ort_batch1:6.1f} items/s, "
          f"p50 {ort_p50:.2f} ms, p99 {ort_p99:.2f} ms")
    for unset in (False, True):
        label = "OPENBLAS_CORETYPE/L2 unset" if unset else "environment as is"
        peak = sgemm_peak(unset)
        b32 = ours(texts, 32, args.runs, unset)
        b1 = ours(texts, 1, max(1, args.runs - 1), unset)
        print(f"  FinSent ({label}; OpenBLAS core {peak['openblas_core']}, sgemm {peak['gflops_per_second']} GFLOP/s)")
        print(f"    batch 32: {b32['items_per_second']:7.1f} items/s = {b32['items_per_second'] / ort_batch32:.2f}x ONNX, "
              f"{b32['gflops_per_second']} GFLOP/s = {100 * b32['gflops_per_second'] / peak['gflops_per_second']:.0f}% of sgemm")
        print(f"    batch 1:  {b1['items_per_second']:7.1f} items/s = {b1['items_per_second'] / ort_batch1:.2f}x ONNX, "
              f"p50 {b1['p50_ms']:.2f} ms, p99 {b1['p99_ms']:.2f} ms (ONNX p99 {ort_p99:.2f} ms); peak RSS {b32['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
