"""numba building blocks shared by the compiled driver and the generated right-hand sides.

Imported only when the compiled kernel is used (``import gamekit`` does not import
numba).  Compiled functions are cached in gamekit's checked cache folder (see
``cache``), never next to this module.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .cache import njit

__all__ = ["LANES", "RHS_SIGNATURE", "exp_neg", "as_pointer", "take_next", "low", "high"]

LANES = 64  # orbits advanced together by one call of the driver's inner loops

# The signature every compiled RHS shares (rhs_codegen writes one per game shape; rhs_generic serves any):
# rhs(v, alive, ref, pay, sig, out, tables, work) -- arrays by address, laid out (strategy, lane) with LANES
# lanes: v, alive (1.0 or 0.0), sig, out (D, L); ref (k, L) int64; pay (k, P, L); tables and work as
# rhs_generic.pack_tables says (the generated code ignores them).
RHS_SIGNATURE = types.void(*([types.voidptr] * 8))


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bit pattern of a float64, as an int64 (a free register move)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _float(typingctx, x):
    """The float64 whose bit pattern is this int64."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def as_pointer(typingctx, addr):
    """An integer address as a void pointer (to hand arrays to a compiled RHS through its C signature)."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], ir.IntType(8).as_pointer())

    return types.voidptr(addr), codegen


@intrinsic
def take_next(typingctx, counter):
    """``counter[0]``, incremented by one in the same atomic step (an int64 array shared by threads: each value is
    taken by exactly one caller)."""

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        return builder.atomic_rmw("add", data, ir.Constant(ir.IntType(64), 1), "monotonic")

    return types.int64(counter), codegen


@njit(inline="always")
def low(a, b):
    """``np.minimum(a, b)``: NaN if either is (the drivers' window minimum over its two halves)."""
    return a if a != a or a < b else b


@njit(inline="always")
def high(a, b):
    """``np.maximum(a, b)``: NaN if either is."""
    return a if a != a or a > b else b


LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 with trailing zero bits: n * LN2_HI is exact for |n| < 2**11
LN2_LO = 1.90821492927058770002e-10
SHIFTER = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer held in the low bits


@njit(inline="always", error_model="numpy")
def exp_neg(x):
    """exp(x) for -708 <= x <= 0 to about 1 ulp, branch- and call-free so that loops around it vectorise.

    Reduction x = n ln 2 + r with |r| <= ln(2) / 2 (n by the shifter trick, ln 2 in two parts),
    exp(r) by its Taylor polynomial of degree 13 (remainder below 1e-17) in Estrin's scheme, 2**n built in the
    exponent bits.  Arguments are clamped to [-708, 0] (NaN to -708); callers treat anything below
    the kernel's UNDERFLOW cutoff (>= -700) as exactly zero.
    """
    x = x if x > -708.0 else -708.0
    x = x if x < 0.0 else 0.0
    kd = x * LOG2E + SHIFTER
    n = kd - SHIFTER
    r = (x - n * LN2_HI) - n * LN2_LO
    r2 = r * r
    r4 = r2 * r2
    q0 = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0))
    q1 = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5040.0))
    q2 = (1.0 / 40320.0 + r * (1.0 / 362880.0)) + r2 * (1.0 / 3628800.0 + r * (1.0 / 39916800.0))
    q3 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    p = (q0 + r4 * q1) + (r4 * r4) * (q2 + r4 * q3)  # Estrin's scheme: a short dependency chain
    return p * _float((_bits(kd) + 1023) << 52)
