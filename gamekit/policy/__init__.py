"""Policy analysis from the exact stability conditions of the pure profiles.

* :mod:`~gamekit.policy.thresholds` -- one parameter at a time: the exact ranges
  where a target profile is asymptotically stable (:func:`thresholds`);
* :mod:`~gamekit.policy.regimes` -- two parameters: the plane partitioned by
  the set of asymptotically stable profiles (:func:`regime_map`);
* :mod:`~gamekit.policy.optimise` -- the cheapest change of some parameters that
  makes a target the unique asymptotically stable state (:func:`cheapest_policy`);
* :mod:`~gamekit.policy.follow` -- one orbit under a schedule of parameter
  changes, described as the states it visits (:func:`follow`).

``_common`` checks the arguments they share (game, base values, target,
parameter names); a lever that is not a simple polynomial is solved by sympy in
the worker process of :mod:`gamekit._worker`, under a time budget (killed,
never interrupted).

All of them rest on one fact (:mod:`gamekit.stability`): a pure profile ``s`` is
asymptotically stable iff every unilateral switch loses at that state,
``g_{p,j}(theta) = u_p(j)(theta) - u_p(s_p)(theta) < 0`` at ``sigma = e_s``
(``A_p[j, s_{-p}] - A_p[s]`` in a multilinear game).  It holds for every kind of
game, so thresholds, regime maps and the cheapest policy take games with shares in
their payoffs, symmetric games and group games alike.  Only in multilinear games
are the pure profiles the only candidates for asymptotic stability
(Ritzberger-Weibull); elsewhere regime maps say "no stable pure profile" rather
than "none", and a cheapest policy is checked against every rest point.
"""

from .follow import Path, follow
from .optimise import Policy, cheapest_policy
from .regimes import RegimeMap, regime_map
from .thresholds import Lever, Thresholds, thresholds

__all__ = [
    "Lever",
    "Thresholds",
    "thresholds",
    "RegimeMap",
    "regime_map",
    "Policy",
    "cheapest_policy",
    "Path",
    "follow",
]
