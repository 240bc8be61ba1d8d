"""Device profiles: validated, dated descriptions of real quantum processors."""

from .gates import GATE_SPECS, GateSpec, max_average_infidelity
from .store import list_profiles, load_profile, profile_json_schema, read_profile_file, save_profile
from .model import (
    SCHEMA_VERSION,
    Adjustment,
    Crosstalk,
    DeviceProfile,
    Gate,
    CorrelatedReadout,
    MeasurementCrosstalk,
    ReadoutSpectator,
    Provenance,
    Qubit,
    Technology,
    ZZCoupling,
)

__all__ = [
    "SCHEMA_VERSION",
    "GATE_SPECS",
    "GateSpec",
    "max_average_infidelity",
    "Adjustment",
    "Crosstalk",
    "DeviceProfile",
    "Gate",
    "CorrelatedReadout",
    "MeasurementCrosstalk",
    "ReadoutSpectator",
    "Provenance",
    "Qubit",
    "Technology",
    "ZZCoupling",
    "list_profiles",
    "load_profile",
    "profile_json_schema",
    "read_profile_file",
    "save_profile",
]
