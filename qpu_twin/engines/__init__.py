"""Simulation engines (registered by name)."""

from .base import Engine, EngineOutput, engine_names, get_engine, register_engine
from .density_matrix import DensityMatrixEngine
from .tensor_network import TensorNetworkEngine, TruncationWarning
from .quimb_mpdo import QuimbMPDOEngine
from .trajectories import TrajectoryEngine

__all__ = ["DensityMatrixEngine", "QuimbMPDOEngine", "TrajectoryEngine", "TensorNetworkEngine", "TruncationWarning", "Engine", "EngineOutput", "engine_names", "get_engine", "register_engine"]
