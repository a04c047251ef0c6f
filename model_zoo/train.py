"""Training of the zoo models on their synthetic tasks, with a local weight cache.

Training is deterministic: fixed seeds, `torch.use_deterministic_algorithms(True)`, a fixed
number of threads. Trained weights and metrics are cached under the user cache dir
(`platformdirs.user_cache_dir("mcusim")/zoo`, or `$MCUSIM_CACHE_DIR/zoo`), keyed by the model
name, the budget and a hash of the zoo's source code and `DATA_VERSION`, so any change to a
model, a generator or a recipe retrains. Nothing is written into the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from model_zoo import data as zoo_data
from model_zoo.layers import ZooModel
from model_zoo.registry import Recipe, ZooSpec, build, get_spec

BUDGETS = ("full", "tiny")
TRAIN_THREADS = 1
_SOURCES = ("layers.py", "mlperf.py", "small.py", "data.py", "registry.py", "train.py")


def cache_dir() -> Path:
    """Root of mcusim's cache (`$MCUSIM_CACHE_DIR` wins over the platform cache dir)."""
    env = os.environ.get("MCUSIM_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("mcusim"))


@cache
def code_hash() -> str:
    """Hash of the zoo's source files and data version: part of every cache key."""
    h = hashlib.sha256(f"data-v{zoo_data.DATA_VERSION}".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def model_hash(name: str, budget: str = "full") -> str:
    """Cache key of the trained weights of `name` at `budget`."""
    return hashlib.sha256(f"{name}:{budget}:{code_hash()}".encode()).hexdigest()[:16]


def _recipe(spec: ZooSpec, budget: str) -> Recipe:
    if budget not in BUDGETS:
        from mcusim.errors import McusimError

        raise McusimError(f"unknown training budget '{budget}'", hint=f"use one of {BUDGETS}")
    r = spec.recipe
    if budget == "tiny":  # for tests: seconds, far from converged
        return Recipe(n_train=64, epochs=1, batch=32, lr=r.lr, n_cal=16, n_test=32)
    return r


@cache
def _dataset_cached(name: str, budget: str) -> zoo_data.ZooData:
    spec = get_spec(name)
    r = _recipe(spec, budget)
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    train_x, train_y = spec.train_gen(np.random.default_rng([seed, 0]), r.n_train)
    cal_x, _ = spec.train_gen(np.random.default_rng([seed, 1]), r.n_cal)
    test_x, test_y = (spec.test_gen or spec.train_gen)(np.random.default_rng([seed, 2]), r.n_test)
    return zoo_data.ZooData(train_x, train_y, cal_x, test_x, test_y)


def get_dataset(name: str, budget: str = "full") -> zoo_data.ZooData:
    """Train, calibration and test arrays of zoo model `name` (seeded: same arrays every time)."""
    return _dataset_cached(name, budget)


@contextlib.contextmanager
def _deterministic(threads: int = TRAIN_THREADS):
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old_det)
        torch.set_num_threads(old_threads)


def _scores(model: ZooModel, x: np.ndarray, metric: str, batch: int = 256) -> np.ndarray:
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch])
            y = model(xb)
            outs.append(((y - xb) ** 2).mean(dim=1) if metric == "auc" else y)
    return torch.cat(outs).numpy()


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (probability a positive scores above a negative; ties 1/2)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def evaluate(model: ZooModel, name: str, x: np.ndarray, y: np.ndarray) -> float:
    """Test metric of `model` on arrays `x`, `y`: accuracy, or AUC for the autoencoder."""
    spec = get_spec(name)
    model.eval()
    s = _scores(model, x, spec.metric)
    if spec.metric == "auc":
        return roc_auc(s, y)
    return float((s.argmax(axis=-1) == y).mean())


@dataclass(frozen=True)
class TrainResult:
    """Metrics recorded with the cached weights."""

    name: str
    budget: str
    model_hash: str
    metric: str
    test_metric: float
    train_seconds: float
    train_cpu_seconds: float
    epochs: int
    n_train: int
    torch_version: str


def train(name: str, budget: str = "full", progress=None) -> tuple[ZooModel, TrainResult]:
    """Train zoo model `name` from its seeded initial weights; returns (model, result).

    Args:
        progress: optional callable `progress(done_steps, total_steps)`.
    """
    spec = get_spec(name)
    r = _recipe(spec, budget)
    ds = get_dataset(name, budget)
    t0, c0 = time.perf_counter(), time.process_time()
    with _deterministic():
        model = build(name, seed=0)
        gen = torch.Generator().manual_seed(1)
        opt = torch.optim.Adam(model.parameters(), lr=r.lr)
        x_all, y_all = torch.from_numpy(ds.train_x), torch.from_numpy(ds.train_y)
        steps_per_epoch = -(-len(x_all) // r.batch)
        total = steps_per_epoch * r.epochs
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=r.lr, total_steps=total)
        done = 0
        for _ in range(r.epochs):
            model.train()
            order = torch.randperm(len(x_all), generator=gen)
            for i in range(0, len(order), r.batch):
                idx = order[i:i + r.batch]
                if len(idx) < 2:  # BatchNorm needs two samples
                    continue
                xb = x_all[idx]
                out = model.logits(xb)
                loss = (F.mse_loss(out, xb) if spec.metric == "auc"
                        else F.cross_entropy(out, y_all[idx]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                done += 1
                if progress:
                    progress(done, total)
        model.eval()
        metric = evaluate(model, name, ds.test_x, ds.test_y)
    result = TrainResult(name, budget, model_hash(name, budget), spec.metric, metric,
                         round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2),
                         r.epochs, r.n_train,
                         torch.__version__)
    return model, result


def _paths(name: str, budget: str) -> tuple[Path, Path]:
    stem = cache_dir() / "zoo" / f"{name}-{budget}-{model_hash(name, budget)}"
    return stem.with_suffix(".pt"), stem.with_suffix(".json")


def cached_result(name: str, budget: str = "full") -> TrainResult | None:
    """The metrics of the cached trained weights, or None when not trained yet."""
    _, meta = _paths(name, budget)
    try:
        return TrainResult(**json.loads(meta.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def get_trained(name: str, budget: str = "full", *, show_progress: bool = True) -> ZooModel:
    """The trained model `name` in eval mode: from the cache, or trained now on a cache miss.

    Args:
        budget: "full" (the recipe of the registry) or "tiny" (seconds; for tests).
        show_progress: show a rich progress bar on stderr while training.
    """
    spec = get_spec(name)
    weights, meta = _paths(name, budget)
    if weights.exists() and cached_result(name, budget) is not None:
        model = build(name)
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return model.eval()
    if show_progress:
        from rich.progress import Progress

        from mcusim.cli.common import err_console

        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task(f"training {spec.name} ({budget})", total=None)
            model, result = train(name, budget,
                                  lambda d, t: bar.update(task, completed=d, total=t))
    else:
        model, result = train(name, budget)
    _atomic_write(weights, lambda p: torch.save(model.state_dict(), p))
    _atomic_write(meta, lambda p: p.write_text(json.dumps(asdict(result), indent=2)))
    return model.eval()
