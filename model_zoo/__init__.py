"""The mcusim model zoo: small PyTorch models of every family with seeded synthetic tasks.

    >>> import model_zoo
    >>> model_zoo.model_names()[:3]
    ['mlp_features', 'cnn1d_waveform', 'cnn2d_small']
    >>> model = model_zoo.get_trained("kws_dscnn")        # trains once, then cached
    >>> ds = model_zoo.get_dataset("kws_dscnn")          # ds.calibration, ds.test_x, ds.test_y

See `model_zoo/README.md` for the list, the tasks and the ONNX operators each model yields.
"""

from model_zoo.registry import (
                                FAMILIES,
                                REGISTRY,
                                ModelInfo,
                                ZooSpec,
                                build,
                                get_spec,
                                model_info,
                                model_names,
)
from model_zoo.train import cache_dir, cached_result, evaluate, get_dataset, get_trained, model_hash

__all__ = ["FAMILIES", "REGISTRY", "ModelInfo", "ZooSpec", "build", "cache_dir", "cached_result",
           "evaluate", "get_dataset", "get_spec", "get_trained", "model_hash", "model_info",
           "model_names"]
