"""optviz: torch-exact NumPy optimizers stepped over 2-D loss surfaces."""

from . import schedules
from .catalog import OPTIMIZERS
from .conventions import CONVENTIONS
from .descent import Outcome, Trajectory, run, run_final
from .optimizers import Optimizer

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
