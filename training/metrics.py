"""Classification metrics and temperature scaling, in NumPy (no scikit-learn needed)."""
from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def classification_report(labels, predictions, names: list[str]) -> dict:
    labels = np.asarray(labels)
    predictions = np.asarray(predictions)
    k = len(names)
    confusion = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(labels, predictions):
        confusion[t, p] += 1
    per_class = {}
    f1s, supports = [], []
    for i, name in enumerate(names):
        tp = confusion[i, i]
        precision = tp / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        recall = tp / confusion[i, :].sum() if confusion[i, :].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        support = int(confusion[i, :].sum())
        per_class[name] = {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": support}
        f1s.append(f1)
        supports.append(support)
    supports = np.array(supports)
    return {
        "accuracy": float((labels == predictions).mean()),
        "weighted_f1": float(np.dot(f1s, supports) / supports.sum()),
        "macro_f1": float(np.mean(f1s)),
        "per_class": per_class,
        "labels": names,
        "confusion": confusion.tolist(),
    }


def expected_calibration_error(logits: np.ndarray, labels: np.ndarray, temperature: float, bins: int = 15) -> float:
    """ECE of the top-1 probability over equal-width confidence bins."""
    probabilities = softmax(logits, temperature)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising negative log-likelihood (golden-section search on log T)."""
    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())

    lo, hi = np.log(0.05), np.log(20.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return float(np.exp((lo + hi) / 2))
