"""One stage of the share-coordinate driver (``flow_numba``): shares -> payoffs -> a protocol's velocity.

For the shares ``Y`` of a stage (``(D, L)``, one column per lane) the stage writes
``K = F(Y)`` (module ``flow``), per population ``p`` with strategies ``a..z-1``:

    s_i = max(Y_i, 0)                          (a stage may step a share slightly below zero)
    g_i = u_p(i)(s) - u_p(a)(s)                the payoff differences (every protocol reads only these)
    n_i = Y_i / sum_{j in p} Y_j               (the shares normalised: 1 on the simplex)
    logit:ETA     K_i = exp(g_i / ETA) / sum_j exp(g_j / ETA) - n_i      (shifted by the largest g; for two
                                                                          strategies one exponential)
    smith         K_i = sum_j Y_j [g_i - g_j]_+ - Y_i sum_j [g_j - g_i]_+
    bnn           K_i = [g_i - gbar]_+ - n_i sum_j [g_j - gbar]_+,       gbar = sum_j Y_j g_j
    mutator:MU    K_i = (1 - MU) Y_i (g_i - gbar) + MU (1 / n_p - n_i)   (gbar = sum_j n_j g_j; the replicator is
                                                                          MU = 0)

(the formulas of ``gamekit.protocols``, which is their numpy copy).  ``params`` is ``(ETA, MU)``.  On the
simplex ``n = Y``; off it (a stage's shares sum to one only up to rounding) every ``K`` still sums to zero in each
population, so the sum of each population's shares is conserved exactly by every Runge-Kutta stage.  With ``Y_i``
in place of ``n_i``, logit's sum would decay at rate 1, a direction whose eigenvalue -1 capped explicit steps at
the stability limit (about 3.3) wherever orbits move slowly (``flow_numba`` reuses a step's last stage, taken off
the simplex, as the next step's first).

Every stage is a C callback of one signature, ``STAGE_SIGNATURE``: ``stage(Y, K, pay, params, tables, work)``,
arrays by address, ``pay`` ``(k, P, L)`` the payoff tables (or, for a model, its parameters) per lane, ``tables``
and ``work`` as ``layout.pack_tables`` says (read only by a stage whose payoffs are loops over the tables).  One
per game shape or model, as for the replicator's kernel:

* ``for_shape(shape, kind)``: straight-line code per game shape and protocol (the payoffs as ``rhs_codegen``
  writes them), one loop over lanes that compiles to SIMD instructions; beyond ``rhs_codegen.MAX_TERMS`` payoff
  terms the payoffs are loops over the index tables (``rhs_generic.payoffs``) and only the protocol is written out;
* ``for_field(field, kind)``: the same per model (payoffs that use shares: ``rhs_field.Field``).

The protocols' formulas are written here once for the compiled kernel (``velocity_lines``) and once for numpy
(``gamekit.protocols.velocity``, against which the tests check every stage).

The payoffs take the shares themselves: the replicator's right-hand sides take log-shares and turn them back
into shares with an exponential, which cost a logarithm and an exponential per share and stage here.  Generated
sources are cached as ``rhs_codegen``'s (the ``kernels`` folder of gamekit's checked cache folder, under a name
that hashes the text and its dependencies; numba's cache beside it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import types

from .layout import tables, terms
from .primitives import LANES
from .rhs_codegen import MAX_TERMS, import_generated, payoff_lines

__all__ = ["STAGE_SIGNATURE", "KINDS", "source", "for_shape", "for_field", "generic_work"]

KINDS = ("replicator", "logit", "smith", "bnn", "replicator-mutator")  # the code of each protocol
STAGE_SIGNATURE = types.void(*([types.voidptr] * 6))
_loaded: dict[str, object] = {}
_by_shape: dict[tuple, object] = {}  # (shape, kind, lanes, loops) -> its loaded stage
_by_field: dict[tuple, tuple] = {}  # (id(field), kind, lanes) -> (the field, its loaded stage)


def velocity_lines(off, kind: int, b: str) -> list[str]:
    """Lines (indented ``b``) that write ``K[i, ln]`` from the payoffs ``u<i>`` and the stage's shares ``y<i>``
    under protocol ``kind`` (module docstring; ``inv = 1 / ETA``, ``mu``, ``keep = 1 - mu`` set before the loop).
    Temporaries are named ``g<i>``, ``y<i>`` and ``v_*``, never ``s<i>``, ``u<i>``, ``w<j>``, ``q<j>``, ``c<n>``."""
    o = []
    for p in range(len(off) - 1):
        a, z = int(off[p]), int(off[p + 1])
        idx = range(a, z)
        o.append(f"{b}# {KINDS[kind]}: population {p}")
        o += [f"{b}g{i} = u{i} - u{a}" for i in idx]
        if kind != 2:  # (Smith's K sums to zero as it is)
            o.append(f"{b}v_rs = 1.0 / ({' + '.join(f'y{i}' for i in idx)})")
            o += [f"{b}v_n{i} = y{i} * v_rs" for i in idx]
        if kind == 1 and z - a == 2:  # logit, two strategies: one exponential
            o += [
                f"{b}v_z = g{a + 1} * inv",
                f"{b}v_e = exp_neg(-abs(v_z))",
                f"{b}v_big = 1.0 / (1.0 + v_e)",
                f"{b}v_small = v_e * v_big",
                f"{b}K[{a}, ln] = (v_big if v_z <= 0.0 else v_small) - v_n{a}",
                f"{b}K[{a + 1}, ln] = (v_small if v_z <= 0.0 else v_big) - v_n{a + 1}",
            ]
        elif kind == 1:
            o.append(f"{b}v_m = max({', '.join(f'g{i}' for i in idx)})" if z - a > 1 else f"{b}v_m = g{a}")
            o += [f"{b}v_e{i} = exp_neg((g{i} - v_m) * inv)" for i in idx]
            o.append(f"{b}v_tot = 1.0 / ({' + '.join(f'v_e{i}' for i in idx)})")
            o += [f"{b}K[{i}, ln] = v_e{i} * v_tot - v_n{i}" for i in idx]
        elif kind == 2:  # Smith: the positive parts of every pair's difference, once
            for i in idx:
                for j in idx:
                    if j > i:
                        o += [f"{b}v_p{i}_{j} = max(g{i} - g{j}, 0.0)", f"{b}v_p{j}_{i} = max(g{j} - g{i}, 0.0)"]
            for i in idx:
                terms_ = [f"y{j} * v_p{i}_{j} - y{i} * v_p{j}_{i}" for j in idx if j != i]
                o.append(f"{b}K[{i}, ln] = {' + '.join(terms_) or '0.0'}")
        elif kind == 3:  # BNN: its outflow read at the normalised shares makes K sum to zero; gbar stays at Y (read
            # at them too, it stalled the compiled driver at a kink on payoffs scaled by 1e6 or more; not understood)
            o.append(f"{b}v_bar = {' + '.join(f'y{i} * g{i}' for i in idx)}")
            o += [f"{b}v_e{i} = max(g{i} - v_bar, 0.0)" for i in idx]
            o.append(f"{b}v_tot = {' + '.join(f'v_e{i}' for i in idx)}")
            o += [f"{b}K[{i}, ln] = v_e{i} - v_n{i} * v_tot" for i in idx]
        else:  # the replicator-mutator (the replicator at mu = 0)
            o.append(f"{b}v_bar = {' + '.join(f'v_n{i} * g{i}' for i in idx)}")
            o += [f"{b}K[{i}, ln] = keep * y{i} * (g{i} - v_bar) + (mu / {z - a}.0 - mu * v_n{i})" for i in idx]
    return o


def source(origin: str, off, width: int, lanes: int, kind: int, payoffs: list[str] | None, imports=()) -> str:
    """The Python source of a module defining ``stage`` (``STAGE_SIGNATURE``) from the lines ``payoffs`` that
    compute ``u<i>`` from ``s<i>`` and ``pay[p, j, ln]`` (``width`` columns per population); with ``payoffs`` None,
    the payoffs of every lane first, by loops over the index tables (``rhs_generic.payoffs``, for games too large to
    write out; ``work`` then holds ``generic_work(D, Q)`` floats)."""
    d, k = int(off[-1]), len(off) - 1
    b = "        "
    o = [
        f'"""Generated by {origin} under protocol {KINDS[kind]}; do not edit."""',
        *imports,
        "import numpy as np",
        "from numba import carray",
        "from gamekit._kernels.cache import cfunc",
        "from gamekit._kernels.flow_stage import STAGE_SIGNATURE",
        "from gamekit._kernels.primitives import exp_neg",
        *(("from gamekit._kernels.rhs_generic import payoffs, tables_of",) if payoffs is None else ()),
        "",
        "",
        '@cfunc(STAGE_SIGNATURE, error_model="numpy", fastmath={"contract"})',
        "def stage(yp, kp, pp, qp, ip, wp):",
        f"    Y = carray(yp, ({d}, {lanes}), dtype=np.float64)",
        f"    K = carray(kp, ({d}, {lanes}), dtype=np.float64)",
        f"    pay = carray(pp, ({k}, {width}, {lanes}), dtype=np.float64)",
        "    par = carray(qp, (2,), dtype=np.float64)",
        "    inv = 1.0 / par[0] if par[0] > 0.0 else 0.0",
        "    mu = par[1]",
        "    keep = 1.0 - mu",
    ]
    shares = [f"{b}s{i} = max(y{i}, 0.0)" for i in range(d)]  # (what written-out payoffs read)
    if payoffs is None:  # every lane's payoffs U from the shares S by loops over the index tables
        o += [
            "    _, _, _, q, off, nq, others, flat = tables_of(ip)",
            f"    work = carray(wp, ({2 * d * lanes} + q * {lanes},), dtype=np.float64)",
            f"    S = work[:{d * lanes}].reshape(({d}, {lanes}))",
            f"    U = work[{d * lanes}:{2 * d * lanes}].reshape(({d}, {lanes}))",
            f"    W = work[{2 * d * lanes}:].reshape((q, {lanes}))",
            f"    for i in range({d}):",
            f"        for ln in range({lanes}):",
            "            S[i, ln] = max(Y[i, ln], 0.0)",
            "    payoffs(S, pay, off, others, flat, nq, U, W)",
        ]
        shares, payoffs = [], [f"{b}u{i} = U[{i}, ln]" for i in range(d)]
    o.append(f"    for ln in range({lanes}):")
    o += [f"{b}y{i} = Y[{i}, ln]" for i in range(d)]
    o += shares
    o += payoffs
    o += velocity_lines(off, kind, b)
    return "\n".join(o) + "\n"


def _named(text: str, prefix: str) -> tuple[str, str]:
    here = Path(__file__).parent
    deps = b"".join(
        (here / f).read_bytes()
        for f in ("flow_stage.py", "rhs_codegen.py", "rhs_field.py", "primitives.py", "tableau.py", "cache.py")
    )
    return text, f"{prefix}_{hashlib.sha1(text.encode() + deps).hexdigest()[:16]}"


def _shape_source(shape, kind: int, lanes: int, loops: bool) -> tuple[str, str]:
    off = tables(shape)[0]
    width = int(np.prod(shape))
    lines = None if loops else [line for pop in payoff_lines(shape, "        ") for line in pop]
    text = source(f"gamekit._kernels.flow_stage for shape {tuple(shape)}", off, width, lanes, kind, lines)
    return _named(text, f"gamekit_stage_{'x'.join(map(str, shape))}_{kind}")


def _field_source(field, kind: int, lanes: int) -> tuple[str, str]:
    off = np.concatenate([[0], np.cumsum(field.shape)]).astype(int)
    width = max(field.n_parameters, 1)
    origin = f"gamekit._kernels.flow_stage for a model of shape {field.shape}"
    text = source(origin, off, width, lanes, kind, field.payoff_lines("        "), ("import math", ""))
    return _named(text, f"gamekit_stage_field_{'x'.join(map(str, field.shape))}_{kind}")


def _load(text: str, name: str, what: str):
    if name not in _loaded:
        _loaded[name] = import_generated(text, name, what, "stage")
    return _loaded[name]


def for_shape(shape, kind: int, lanes: int = LANES, loops: bool | None = None):
    """The compiled stage of a game of fixed payoff tables of this shape under protocol ``kind`` (generated, written
    and imported once per process, compiled once per machine).  Its payoffs are loops over the index tables
    (``work`` must then hold ``generic_work(D, Q)`` floats) if ``loops``, by default beyond
    ``rhs_codegen.MAX_TERMS`` payoff terms; else written out."""
    shape = tuple(int(n) for n in shape)
    loops = terms(shape) > MAX_TERMS if loops is None else bool(loops)
    key = (shape, kind, lanes, loops)
    if key not in _by_shape:  # (writing the source and hashing it took 0.65 ms a call)
        _by_shape[key] = _load(*_shape_source(shape, kind, lanes, loops), f"game shape {shape}")
    return _by_shape[key]


def for_field(field, kind: int, lanes: int = LANES):
    """The compiled stage of a model (``rhs_field.Field``) under protocol ``kind``, or None if too large."""
    if not field.compilable():
        return None
    key = (id(field), kind, lanes)
    if key not in _by_field or _by_field[key][0] is not field:  # (the field is kept with its entry: no id reuse)
        if len(_by_field) >= 64:
            _by_field.pop(next(iter(_by_field)))
        _by_field[key] = (field, _load(*_field_source(field, kind, lanes), f"this model (shape {field.shape})"))
    return _by_field[key][1]


def generic_work(d: int, q: int, lanes: int = LANES) -> int:
    """The size of the work array of a stage whose payoffs are loops over the index tables: shares and payoffs
    (D, L), the opponents' weights (Q, L)."""
    return 2 * d * lanes + q * lanes
