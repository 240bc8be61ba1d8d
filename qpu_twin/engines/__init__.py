"""Simulation engines (registered by name)."""

from .base import Engine, EngineOutput, engine_names, get_engine, register_engine
from .density_matrix import DensityMatrixEngine

__all__ = ["DensityMatrixEngine", "Engine", "EngineOutput", "engine_names", "get_engine", "register_engine"]
