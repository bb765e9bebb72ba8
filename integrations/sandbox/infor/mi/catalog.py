"""The MI programs the simulator offers: program → transaction → signature and behaviour."""
from __future__ import annotations

from .ars import ARS040MI, ARS200MI
from .crs import CRS175MI, CRS610MI, CRS630MI
from .gls import GLS840MI
from .mns import MMS200MI, MNS150MI
from .ois import OIS100MI, OIS350MI
from .runtime import Transaction

PROGRAMS: dict[str, dict[str, Transaction]] = {
    "CRS610MI": CRS610MI,
    "CRS630MI": CRS630MI,
    "CRS175MI": CRS175MI,
    "OIS100MI": OIS100MI,
    "OIS350MI": OIS350MI,
    "ARS200MI": ARS200MI,
    "ARS040MI": ARS040MI,
    "GLS840MI": GLS840MI,
    "MNS150MI": MNS150MI,
    "MMS200MI": MMS200MI,
}
