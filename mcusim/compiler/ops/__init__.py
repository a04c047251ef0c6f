"""The op registry (`registry`), op definitions (shape functions, numpy twins, MAC counts) and
ONNX converters. Import `registry` to look ops up; the other modules register on first use."""

from mcusim.compiler.ops import registry

__all__ = ["registry"]
