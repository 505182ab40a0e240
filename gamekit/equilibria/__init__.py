r"""Every rest point of the replicator dynamics in the state space.

A state ``sigma`` is a rest point iff, for every population ``p``, every
strategy in the support ``S_p = {i : sigma_p[i] > 0}`` earns the same payoff::

    u_p(i) = u_p(j)   for all i, j in S_p.

(Rest points need not be Nash equilibria: strategies outside the support may
earn more.)  So the rest points are found face by face: for every choice of
supports ``S = (S_0, ..., S_{k-1})`` (each non-empty) the unknowns are the
shares on the supports, ``sum_p (|S_p| - 1)`` of them after each population's
shares sum to one, and the equations are ``u_p(i) - u_p(l_p) = 0``, ``l_p`` the
last of ``S_p`` -- as many as unknowns.  A solution counts when every share on
its support is strictly positive; one on the boundary of the face belongs to a
smaller face and is found there, so each rest point lies in exactly one face
and is listed once.

The package splits the work by the kind of face -- for multilinear games
(:attr:`gamekit.Game.multilinear`):

* :mod:`.faces` -- the faces, and those where at most two populations mix:
  ``u_p`` does not depend on ``sigma_p``, so these equations are *linear* and
  are solved exactly (Fractions), however many faces there are, after a
  vectorised floating-point screen;
* :mod:`.exact` -- small polynomial faces (three or more populations mix),
  solved by sympy in a separate process within a time budget;
* :mod:`.numeric` -- the other polynomial faces: Newton from many starts, every
  candidate polished in extended precision and verified to lie inside its face;
* :mod:`.result` -- :class:`Equilibria`, :class:`Continuum`, :class:`Uncertain`;
* :mod:`.search` -- :func:`equilibria`, which sends each face where it fits;
* :mod:`.general` -- every face of a game that is not multilinear (shares in
  payoffs, one-population and group games: ``u_p`` may depend on ``sigma_p``
  and on the state polynomially or otherwise): linear faces exactly, one
  unknown by exact real-root isolation, several by a Groebner basis in the
  worker within the budget, else verified and deduplicated Newton.

A solution set of positive dimension is a :class:`Continuum`, never sampled as
points.  Each isolated rest point is linearised by :mod:`gamekit.stability`
(:func:`linearize` lives there and is re-exported here).
"""

from ..stability import Equilibrium, linearize
from .numeric import Uncertain
from .result import Continuum, Equilibria
from .search import equilibria

__all__ = ["Equilibrium", "Continuum", "Equilibria", "Uncertain", "equilibria", "linearize"]
