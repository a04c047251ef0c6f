"""mcusim: PyTorch models to STM32 firmware, validated on a cycle-estimating emulator."""

__version__ = "0.1.0"
