"""optviz: torch-exact NumPy optimizers stepped over 2-D loss surfaces."""

from . import schedules
from .descent import Outcome, Trajectory, run, run_final
from .optimizers import OPTIMIZERS, Optimizer

__all__ = ["OPTIMIZERS", "Optimizer", "Outcome", "Trajectory", "run", "run_final", "schedules"]
