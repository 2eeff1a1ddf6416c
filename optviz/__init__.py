"""optviz: torch-exact NumPy optimizers stepped over 2-D loss surfaces."""

from . import schedules
from .conventions import CONVENTIONS
from .descent import Outcome, Trajectory, run, run_final
from .optimizers import OPTIMIZERS, Optimizer

__all__ = [
    "CONVENTIONS",
    "OPTIMIZERS",
    "Optimizer",
    "Outcome",
    "Trajectory",
    "run",
    "run_final",
    "schedules",
]
