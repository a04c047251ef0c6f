"""Calibration and test data: the zoo's seeded datasets, or the user's own `.npz` file.

A user `.npz` holds:

- `inputs` (or `x`): float32 array `(n, *sample_shape)`; sample i is fed as `inputs[i:i+1]`,
  so `(1, *sample_shape)` must equal the model's input shape. An array already of shape
  `(n, *input_shape)` with a leading batch axis of 1 per sample (`(n, 1, ...)` for a model whose
  input starts with 1) is accepted as is.
- `labels` (or `y`), optional: int array `(n,)` of class indices (1 = anomaly for
  autoencoders).
- `calibration`, optional: float32 array `(m, *sample_shape)` used for quantization;
  when absent the inputs serve for both.

    >>> from mcusim.datasets import load_dataset
    >>> ds = load_dataset("kws_dscnn")                       # zoo dataset
    >>> ds = load_dataset("my_data.npz", input_shape=(1, 3, 32, 32))
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from mcusim.errors import ModelError
from mcusim.models import DatasetArrays

INPUT_KEYS = ("inputs", "x")
LABEL_KEYS = ("labels", "y")
NPZ_HINT = "save it with numpy.savez(path, inputs=..., labels=...)"


def _pick(npz, keys):
    for k in keys:
        if k in npz.files:
            return npz[k]
    return None


def _check_samples(arr: np.ndarray, input_shape: tuple[int, ...], what: str, path: Path
                   ) -> np.ndarray:
    sample = tuple(input_shape[1:]) if input_shape and input_shape[0] == 1 else tuple(input_shape)
    if arr.ndim >= 1 and tuple(arr.shape[1:]) == sample:
        return np.ascontiguousarray(arr, dtype=np.float32)
    if arr.ndim >= 1 and tuple(arr.shape[1:]) == tuple(input_shape):  # (n, 1, ...) accepted
        return np.ascontiguousarray(arr.reshape((arr.shape[0], *sample)), dtype=np.float32)
    raise ModelError(f"'{what}' in {path} has shape {list(arr.shape)}; the model input is "
                     f"{list(input_shape)}",
                     hint=f"store {what} as (n, {', '.join(map(str, sample))})")


def open_npz(path: str | Path, *, what: str = "dataset file", hint: str = NPZ_HINT
             ) -> np.lib.npyio.NpzFile:
    """Open a `.npz` archive; a one-line ModelError when it is missing, unreadable, or a
    single-array `.npy` (which `np.load` also accepts)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{what} {path} does not exist", hint="check the path")
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ModelError(f"{path} is not a readable .npz file ({type(err).__name__})",
                         hint=hint) from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ModelError(f"{path} holds one bare array (.npy format), not a .npz archive",
                         hint=hint)
    return npz


def load_npz(path: str | Path, input_shape: tuple[int, ...]) -> DatasetArrays:
    """Load a user `.npz` dataset (keys above) checked against the model's input shape."""
    path = Path(path)
    with open_npz(path) as npz:
        x = _pick(npz, INPUT_KEYS)
        if x is None:
            raise ModelError(f"{path} has no 'inputs' array (keys: {', '.join(npz.files)})",
                             hint=NPZ_HINT)
        y = _pick(npz, LABEL_KEYS)
        cal = npz["calibration"] if "calibration" in npz.files else None
        x = _check_samples(x, input_shape, "inputs", path)
        if y is not None:
            y = np.asarray(y).reshape(-1)
            if len(y) != len(x):
                raise ModelError(f"{path} holds {len(x)} inputs but {len(y)} labels")
            if not np.issubdtype(y.dtype, np.integer):
                raise ModelError(f"labels in {path} are {y.dtype}, not integers",
                                 hint="store class indices")
            y = y.astype(np.int64)
        cal = x if cal is None else _check_samples(cal, input_shape, "calibration", path)
    return DatasetArrays(cal, x, y, "accuracy", str(path))


def load_dataset(spec: str, input_shape: tuple[int, ...] | None = None, *,
                 budget: str = "full") -> DatasetArrays:
    """A zoo name (its seeded dataset) or a `.npz` path (needs `input_shape`)."""
    if str(spec).lower().endswith(".npz"):
        if input_shape is None:
            raise ModelError(f"loading {spec} needs the model's input shape")
        return load_npz(spec, tuple(input_shape))
    import model_zoo

    zspec = model_zoo.get_spec(spec)
    if input_shape is not None and tuple(input_shape) != zspec.input_shape:
        raise ModelError(f"zoo dataset {spec} has samples of shape {list(zspec.input_shape)}, "
                         f"not {list(input_shape)}")
    ds = model_zoo.get_dataset(spec, budget)
    return DatasetArrays(ds.calibration, ds.test_x, ds.test_y, zspec.metric, f"zoo:{spec}")
