"""Simulation engines (registered by name)."""

from .base import Engine, EngineOutput, engine_names, get_engine, register_engine
from .density_matrix import DensityMatrixEngine
from .tensor_network import TensorNetworkEngine, TruncationWarning

__all__ = ["DensityMatrixEngine", "TensorNetworkEngine", "TruncationWarning", "Engine", "EngineOutput", "engine_names", "get_engine", "register_engine"]
