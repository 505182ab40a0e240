"""gamekit: evolutionary game theory for economists.

import gamekit as gk
game = gk.models.platform_insurance()
trap = game.scenario("trap")
gk.equilibria(trap)          # every rest point, with eigenvalues and stability
gk.stability_table(game)     # symbolic conditions for every pure profile
"""

from . import models
from .basins import Basins, basins
from .check import CheckResult, check
from .continuation import Bifurcation, Branch, BranchPoint, Continuation, continuation
from .dynamics import Replicator, replicator
from .equilibria import Continuum, Equilibria, Equilibrium, Uncertain, equilibria, linearize
from .errors import (
    AnalysisError,
    ArgumentError,
    ExpressionError,
    GamekitError,
    ModelError,
    ParameterError,
    StateError,
)
from .explore import explore
from .finite import (
    SimulatedFixation,
    StationaryDistribution,
    fixation_probability,
    fixation_time,
    log_fixation_probability,
    simulate_fixation,
    stationary_distribution,
)
from .game import Game, Population
from .modelfile import load
from .policy import Path, Policy, RegimeMap, Thresholds, cheapest_policy, follow, regime_map, thresholds
from .protocols import Dynamics, parse_dynamics
from .report import Report, report
from .schedule import Phase, Schedule
from .sensitivity import Sensitivity, SensitivityMap, sensitivity, sensitivity_map
from .simulate import Trajectory, simulate
from .stability import Stability, StabilityTable, stability_table
from .stochastic import HittingProbability, Noise, NoisyPaths, hitting_probability
from .sweep import SweepResult, sweep

__version__ = "0.1.0"

__all__ = [
    "Game",
    "Population",
    "load",
    "Schedule",
    "Phase",
    "models",
    "replicator",
    "Replicator",
    "equilibria",
    "Equilibria",
    "Equilibrium",
    "Continuum",
    "Uncertain",
    "linearize",
    "stability_table",
    "StabilityTable",
    "Stability",
    "Dynamics",
    "parse_dynamics",
    "simulate",
    "Trajectory",
    "Noise",
    "NoisyPaths",
    "hitting_probability",
    "HittingProbability",
    "basins",
    "Basins",
    "sweep",
    "SweepResult",
    "sensitivity",
    "Sensitivity",
    "sensitivity_map",
    "SensitivityMap",
    "thresholds",
    "Thresholds",
    "regime_map",
    "RegimeMap",
    "cheapest_policy",
    "Policy",
    "follow",
    "Path",
    "report",
    "Report",
    "check",
    "CheckResult",
    "GamekitError",
    "ModelError",
    "ExpressionError",
    "ParameterError",
    "StateError",
    "continuation",
    "Continuation",
    "Branch",
    "BranchPoint",
    "Bifurcation",
    "ArgumentError",
    "AnalysisError",
    "fixation_probability",
    "fixation_time",
    "log_fixation_probability",
    "simulate_fixation",
    "SimulatedFixation",
    "stationary_distribution",
    "StationaryDistribution",
    "explore",
]


def __getattr__(name: str):
    """``gk.plot``: the figures module, imported on first use (it imports matplotlib only when a figure is drawn)."""
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'gamekit' has no attribute {name!r}")
