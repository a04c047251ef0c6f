"""The model zoo: registry coverage, MLPerf Tiny MAC counts, tiny training, export, ONNX MACs.

Every model trains on the "tiny" budget into a throw-away cache, exports through the CLI, and
onnxruntime must match PyTorch (max abs error <= 1e-5); MACs counted on the ONNX graph must
equal the registry's.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from cli_runner import run_cli as _cli

import model_zoo
from mcusim.errors import ModelError
from mcusim.models import count_onnx_macs, load_onnx, resolve_model
from mcusim.onnx_export import ATOL, run_onnxruntime

NAMES = model_zoo.model_names()

# MACs of the MLPerf Tiny reference models, from anchors.md 1.1 (counted on the official
# int8 .tflite files: conv = out*k*k*cin, depthwise = out*k*k, fc = out*in).
MLPERF_MACS = {"kws_dscnn": 2_656_768, "ic_resnet8": 12_501_632, "vww_mobilenet": 7_489_664,
               "ad_autoencoder": 264_192}


@pytest.fixture(scope="module")
def zoo_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("zoo_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MCUSIM_CACHE_DIR", str(cache))
        yield cache


def test_registry_covers_every_family():
    assert len(NAMES) >= 12
    families = [model_zoo.get_spec(n).family for n in NAMES]
    assert set(families) == set(model_zoo.FAMILIES)
    assert families.count("hybrid") >= 2
    for name in NAMES:
        spec = model_zoo.get_spec(name)
        assert spec.input_shape[0] == 1 and spec.task and spec.output
        assert model_zoo.build(name).__doc__


@pytest.mark.parametrize("name", sorted(MLPERF_MACS))
def test_mlperf_tiny_macs_match_reference(name):
    assert model_zoo.model_info(name).macs == MLPERF_MACS[name]


def test_int8_weight_bytes_match_xcube_ai_for_kws_and_ic():
    # anchors.md 1.1, X-CUBE-AI 9.0 weight bytes (int8 weights + int32 biases after BN folding)
    assert model_zoo.model_info("kws_dscnn").int8_weight_bytes == 24_368
    assert model_zoo.model_info("ic_resnet8").int8_weight_bytes == 78_744


def test_unknown_name_suggests_close_names():
    with pytest.raises(ModelError, match="did you mean kws_dscnn"):
        model_zoo.get_spec("kws_dscn")


def test_datasets_are_seeded_and_shaped():
    for name in NAMES:
        spec = model_zoo.get_spec(name)
        ds = model_zoo.get_dataset(name, "tiny")
        assert ds.test_x.shape[1:] == spec.input_shape[1:]
        assert ds.calibration.shape[1:] == spec.input_shape[1:]
        assert ds.test_x.dtype == np.float32 and ds.test_y.dtype == np.int64
        again = spec.train_gen(np.random.default_rng([7, 7]), 3)
        assert np.array_equal(again[0], spec.train_gen(np.random.default_rng([7, 7]), 3)[0])


@pytest.mark.parametrize("name", NAMES)
def test_tiny_train_export_matches_pytorch(name, zoo_cache, tmp_path, capsys):
    path = tmp_path / f"{name}.onnx"
    code, out, err = _cli(["zoo", "export", name, "-o", str(path), "--budget", "tiny", "--json"],
                          capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["opset"] >= 17 and result["max_abs_error"] <= ATOL
    proto = load_onnx(path)
    onnx.checker.check_model(proto, full_check=True)
    spec = model_zoo.get_spec(name)
    (inp,) = [i for i in proto.graph.input]
    assert tuple(d.dim_value for d in inp.type.tensor_type.shape.dim) == spec.input_shape
    # MACs on the exported graph == the registry's (counted on the module)
    assert sum(r.macs for r in count_onnx_macs(proto)) == model_zoo.model_info(name).macs
    # onnxruntime vs the cached trained module on held-out samples
    model = model_zoo.get_trained(name, "tiny", show_progress=False)
    ds = model_zoo.get_dataset(name, "tiny")
    import torch

    for i in range(3):
        x = ds.test_x[i:i + 1]
        (y_ort,) = run_onnxruntime(path, [x])
        with torch.no_grad():
            y_pt = model(torch.from_numpy(x)).numpy()
        assert np.max(np.abs(y_ort - y_pt)) <= ATOL
    # refuses to overwrite without --force
    code, out, err = _cli(["zoo", "export", name, "-o", str(path), "--budget", "tiny"], capsys)
    assert code != 0 and "already exists" in err and "--force" in err


def test_zoo_list_json_consistent(zoo_cache, capsys):
    code, out, err = _cli(["zoo", "list", "--json", "--budget", "tiny"], capsys)
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)["models"]}
    assert list(rows) == NAMES
    for name, r in rows.items():
        info = model_zoo.model_info(name)
        assert (r["family"], r["input_shape"], r["params"], r["macs"]) == (
            info.family, list(info.input_shape), info.params, info.macs)
        assert isinstance(r["fits"], list)
    # models exported by the test above are trained at the tiny budget and show a metric
    trained = [r for r in rows.values() if r["trained"]]
    for r in trained:
        assert 0.0 <= r["test_metric"] <= 1.0


def test_resolve_zoo_model_uses_cache_export(zoo_cache):
    m = resolve_model("mlp_features", budget="tiny")
    assert m.zoo and m.family == "mlp" and m.onnx_path.exists()
    assert m.inputs[0].shape == (1, 32)
    assert m.dataset.calibration.shape[1:] == (32,)
    assert len(m.dataset.test_inputs) == len(m.dataset.test_labels)
    assert m.model_hash == model_zoo.model_hash("mlp_features", "tiny")
    again = resolve_model("mlp_features", budget="tiny")
    assert again.onnx_path == m.onnx_path


def test_unknown_zoo_name_cli_one_line(capsys, zoo_cache, tmp_path):
    code, out, err = _cli(["zoo", "export", "resnet8", "-o", str(tmp_path / "m.onnx")], capsys)
    assert code != 0 and out == ""
    assert "unknown zoo model 'resnet8'" in err and "ic_resnet8" in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = _cli(["prebench", "kws_dscn"], capsys)
    assert code != 0 and "did you mean kws_dscnn" in err


def test_zoo_list_table_fits_80_columns(zoo_cache, capsys):
    """The names are what users type next: never cut, and the table fits a default terminal."""
    from mcusim.cli.common import console

    assert console.width == 80  # captured output is not a terminal: rich's default width
    code, out, err = _cli(["zoo", "list", "--budget", "tiny"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    for name in NAMES:
        assert any(line.startswith(name + " ") for line in lines), name
