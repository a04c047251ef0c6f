"""Agreement metrics between two sets of model outputs (per sample, per output)."""

from __future__ import annotations

import math

import numpy as np


def compare(ref: list[list[np.ndarray]], got: list[list[np.ndarray]]) -> dict:
    """max_abs, rmse, l2r (L2 relative error), cosine over every output value of every
    sample; top1_agreement: share of samples whose first output has the same argmax
    (None when that output has a single value)."""
    r = np.concatenate([np.asarray(a, np.float64).reshape(-1) for s in ref for a in s]) if ref else np.zeros(0)
    g = np.concatenate([np.asarray(a, np.float64).reshape(-1) for s in got for a in s]) if got else np.zeros(0)
    if r.shape != g.shape:
        raise ValueError(f"output sizes differ: {r.shape} vs {g.shape}")
    d = g - r
    finite = bool(np.isfinite(g).all())
    nr, ng = float(np.linalg.norm(r)), float(np.linalg.norm(g))
    cos = float(np.dot(r, g) / (nr * ng)) if nr > 0 and ng > 0 else (1.0 if nr == ng else 0.0)
    top1 = None
    if ref and np.asarray(ref[0][0]).size > 1:
        agree = [int(np.argmax(a[0]) == np.argmax(b[0])) for a, b in zip(ref, got)]
        top1 = sum(agree) / len(agree)
    return {
        "max_abs": float(np.abs(d).max()) if d.size and finite else (0.0 if not d.size else math.inf),
        "rmse": float(np.sqrt(np.mean(d * d))) if d.size and finite else (0.0 if not d.size else math.inf),
        "l2r": float(np.linalg.norm(d) / nr) if nr > 0 and finite else (0.0 if not d.any() else math.inf),
        "cosine": cos if finite else 0.0,
        "top1_agreement": top1,
    }


def layer_diverges(ref: np.ndarray, got: np.ndarray, *, abs_tol: float, rel_tol: float) -> tuple[bool, float, float]:
    """(diverges, max_abs, relative) for one layer's output."""
    ref = np.asarray(ref, np.float64)
    got = np.asarray(got, np.float64)
    if ref.size == 0:
        return False, 0.0, 0.0
    if not np.isfinite(got).all():
        return True, math.inf, math.inf
    err = float(np.abs(got - ref).max())
    scale = float(np.abs(ref).max())
    rel = err / scale if scale > 0 else (0.0 if err == 0 else math.inf)
    return err > max(abs_tol, rel_tol * scale), err, rel
