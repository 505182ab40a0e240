"""A restricted parser for payoff expressions, with limits that make it safe on any input.

Model files are data, not code.  ``sympy.sympify`` evaluates Python and maps
``S``, ``E``, ``I``, ``N``, ``Q``, ``beta``, ``gamma``, ``zeta``, ``lambda``
and ``pi`` to sympy's own objects; an economist means parameters by them.  So
payoffs are read with a small recursive-descent parser over this grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?          # right-associative
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Numbers become exact rationals (``0.3`` is ``3/10``), names must be declared
(parameters, and in some games shares and a count), and the only functions are
``exp, log, sqrt, abs, min, max`` and ``step``.  Nothing in the text is ever
executed.

``step(u)`` is the unit step with ``step(0) = 1``::

    step(u) = 1 if u >= 0 else 0          (sympy: Heaviside(u, 1))

It is exact for numeric ``u`` (``step(5 - 5)`` is ``1``), stays symbolic for
symbolic ``u`` (``step(k + 1 - M)``), and prints back as ``step(...)``.  A
threshold public good pays ``F*c*(k + 1)/N*step(k + 1 - M)`` when at least
``M`` of the ``N`` members cooperate.  As a function of a share it is not
differentiable at the jump: its derivative there is sympy's ``DiracDelta``.

Limits (module constants, each named in the error it raises):

* a payoff has at most ``MAX_EXPRESSION_LENGTH`` characters, nests at most
  ``MAX_NESTING`` levels (parentheses, signs, exponents) and has at most
  ``MAX_OPERATIONS`` operators and function calls;
* a number has at most ``MAX_NUMBER_DIGITS`` characters and a magnitude of at
  most ``MAX_MAGNITUDE`` (beyond it floating-point analysis overflows);
* an exact power ``b^e`` is refused when the exponent's numerator or
  denominator exceeds ``MAX_EXPONENT``, or when ``b`` is a number and the
  result would take more than ``MAX_POWER_BITS`` bits: with ``h(b)`` the
  number of bits of the rationals in ``b``, the estimate is ``|e| * h(b)``.
  A power tower such as ``9^9^9^9`` is refused at its first oversized step;
* a root (a fractional power) of a number is taken exactly only if the number
  has at most ``MAX_ROOT_BITS`` bits (sympy factors it);
* while parsing, a power of numbers may not exceed ``MAX_MAGNITUDE``.

The same power rule guards substituting parameter values into a payoff
(:func:`substitute`), so ``2^a`` with ``a = 1e10`` raises instead of
computing a ten-billion-bit integer.

>>> symbols = {name: make_symbol(name) for name in ("S", "E", "delta")}
>>> parse_expression("S*E - 0.3*delta^2", symbols)
E*S - 3*delta**2/10
>>> parse_expression("9^9^9^9", symbols)
Traceback (most recent call last):
...
gamekit.errors.ExpressionError: cannot parse payoff '9^9^9^9': the exponent 387420489 is out of range (its numerator and denominator may be at most 10000, MAX_EXPONENT)
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping

import sympy
from sympy.printing.str import StrPrinter

from ._validate import printable
from .errors import AnalysisError, ExpressionError, ParameterError

__all__ = [
    "parse_expression",
    "parse_condition",
    "make_symbol",
    "exact",
    "number",
    "payoff_text",
    "substitute",
    "power_problem",
    "MAX_EXPRESSION_LENGTH",
    "MAX_NESTING",
    "MAX_OPERATIONS",
    "MAX_NUMBER_DIGITS",
    "MAX_MAGNITUDE",
    "MAX_EXPONENT",
    "MAX_POWER_BITS",
    "MAX_ROOT_BITS",
]

MAX_EXPRESSION_LENGTH = 10_000
"""Longest payoff text, in characters."""
MAX_NESTING = 50
"""Deepest nesting of parentheses, signs and exponents in one payoff."""
MAX_OPERATIONS = 2_000
"""Most operators and function calls in one payoff (and nodes / 2 in a sympy payoff)."""
MAX_NUMBER_DIGITS = 40
"""Longest number literal, in characters (mantissa and exponent)."""
MAX_MAGNITUDE = 1e100
"""Largest magnitude of a number in a model: literals, parameter values, evaluated payoffs."""
MAX_EXPONENT = 10_000
"""Largest numerator or denominator of a numeric exponent."""
MAX_POWER_BITS = 4_096
"""Largest estimated size, in bits, of an exact power of a number."""
MAX_ROOT_BITS = 256
"""Largest size, in bits, of a number whose root is taken exactly (sympy factors it)."""

_FUNCTIONS = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "ln": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1),
    "abs": (sympy.Abs, 1),
    "min": (sympy.Min, None),
    "max": (sympy.Max, None),
    "step": (None, 1),  # Heaviside(u, 1): see _step
}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*|[-+*/^(),]))"
)

NAME_PATTERN = re.compile(r"^[^\W\d]\w*$")

_NOT_FINITE = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
_ALLOWED = (
    sympy.Add,
    sympy.Mul,
    sympy.Pow,
    sympy.Symbol,
    sympy.Rational,
    sympy.Float,
    sympy.exp,
    sympy.log,
    sympy.Abs,
    sympy.Min,
    sympy.Max,
    sympy.Heaviside,
    type(sympy.E),
    type(sympy.nan),
    type(sympy.zoo),
    type(sympy.oo),
    type(-sympy.oo),
    type(sympy.I),
)  # the grammar's nodes (and the non-finite or complex values refused after the walk, by name)


def _step(u: sympy.Expr) -> sympy.Expr:
    """``step(u)``: ``Heaviside(u, 1)``, which is 1 for ``u >= 0`` and 0 for ``u < 0``; ``nan`` for a non-real ``u``."""
    if u.has(*_NOT_FINITE) or (u.is_number and u.is_extended_real is False):
        return sympy.nan
    try:
        return sympy.Heaviside(u, 1)
    except (TypeError, ValueError):  # sympy refuses some non-real arguments it cannot decide in advance
        return sympy.nan


def _shown(text: object) -> str:
    return printable(repr(text) if isinstance(text, str) else str(text), 80)


def make_symbol(name: str) -> sympy.Symbol:
    """The sympy symbol gamekit uses for a parameter: real-valued."""
    return sympy.Symbol(name, real=True)


def exact(value: float | sympy.Expr) -> sympy.Expr:
    """A number as an exact sympy rational, read from its shortest decimal form."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ExpressionError(f"{_shown(value)} is not a number")
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ExpressionError(f"{value!r} is not a finite number")
    return sympy.Rational(repr(value))


def number(what: str, value: object) -> int | float:
    """A parameter value (or a start time): a finite real number of magnitude at most ``MAX_MAGNITUDE``.

    Integers stay ``int``; other reals (numpy and sympy numbers too) become
    ``float``.  ``what`` names the value in the :class:`ParameterError`.
    """
    kind = type(value)
    if (kind is float and math.isfinite(value) or kind is int) and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE:
        return value
    if isinstance(value, sympy.Basic):
        if not (value.is_number and value.is_extended_real):
            raise ParameterError(f"{what} has value {_shown(value)}, which is not a real number")
        value = int(value) if value.is_Integer else float(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{what} has value {_shown(value)}, which is not a number")
    if isinstance(value, numbers.Integral):
        value = int(value)
        if abs(value) > MAX_MAGNITUDE:
            raise ParameterError(
                f"{what} has value {_shown(value)}, beyond the limit {MAX_MAGNITUDE:g} (MAX_MAGNITUDE)"
            )
        return value
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"{what} has value {value!r}, which is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise ParameterError(f"{what} has value {value!r}, beyond the limit {MAX_MAGNITUDE:g} (MAX_MAGNITUDE)")
    return value


def _height_bits(value: sympy.Expr) -> float:
    """Bits in the rationals of a numeric expression: ``sum log2 max(|p|, q)``."""
    bits = 0.0
    for r in value.atoms(sympy.Rational):
        top = max(abs(int(r.p)), int(r.q))
        bits += math.log2(top) if top > 1 else 0.0
    return bits


def power_problem(base: sympy.Expr, exponent: sympy.Expr) -> str | None:
    """Why ``base^exponent`` must not be computed exactly, or ``None`` if it may.

    See the module docstring: the exponent's numerator and denominator are
    capped by ``MAX_EXPONENT``; a numeric base's power by ``MAX_POWER_BITS``.
    """
    if not exponent.is_number:
        return None
    if exponent.is_Rational:
        p, q = abs(int(exponent.p)), int(exponent.q)
        if p > MAX_EXPONENT or q > MAX_EXPONENT:
            return (
                f"the exponent {_shown(exponent)} is out of range "
                f"(its numerator and denominator may be at most {MAX_EXPONENT}, MAX_EXPONENT)"
            )
        size = p / q if q > 1 else float(p)
        size = max(size, float(p)) if base.is_number else size
    else:
        try:
            size = abs(float(sympy.N(exponent, 15)))
        except (TypeError, ValueError):
            return f"the exponent {_shown(exponent)} is not a real number"
        if not math.isfinite(size) or size > MAX_EXPONENT:
            return (
                f"the exponent {_shown(exponent)} is out of range (at most {MAX_EXPONENT} in magnitude, MAX_EXPONENT)"
            )
    if base.is_number and exponent.is_Rational and exponent.q > 1 and _height_bits(base) > MAX_ROOT_BITS:
        return (
            f"the root {_shown(base)}^{_shown(exponent)} is of a number of {_height_bits(base):.0f} bits "
            f"(the limit for exact roots is {MAX_ROOT_BITS} bits, MAX_ROOT_BITS)"
        )
    if base.is_number:
        bits = size * _height_bits(base)
        if bits > MAX_POWER_BITS:
            return (
                f"the power {_shown(base)}^{_shown(exponent)} would be a number of about {bits:.3g} bits "
                f"(the limit for exact powers is {MAX_POWER_BITS} bits, MAX_POWER_BITS)"
            )
    return None


def _number(token: str) -> sympy.Rational | str:
    """A number literal as an exact rational, or the reason it is refused."""
    if len(token) > MAX_NUMBER_DIGITS:
        return f"the number {token[:20]}... has more than {MAX_NUMBER_DIGITS} characters"
    mantissa, _, power = token.lower().partition("e")
    if power and abs(int(power)) > 400:
        return f"the number {token} is out of range (its exponent must be within -400 and 400)"
    value = sympy.Rational(token)
    if abs(value) > MAX_MAGNITUDE:
        return f"the number {token} is too large (magnitude at most {MAX_MAGNITUDE:g})"
    return value


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            bad = stripped[pos:].lstrip()[:1]
            raise ExpressionError(
                f"cannot parse payoff {_shown(text)}: unexpected character {_shown(bad)} "
                f"at position {len(stripped) - len(stripped[pos:].lstrip()) + 1}"
            )
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(("end", "", len(stripped)))
    return tokens


class _Parser:
    """Recursive descent over the grammar above; depth and operations counted as it goes."""

    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol]):
        self.text = text
        self.symbols = symbols
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.operations = 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"cannot parse payoff {_shown(self.text)}: {message}")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def count(self) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise self.error(f"more than {MAX_OPERATIONS} operations (MAX_OPERATIONS); split the model")

    def expect(self, op: str) -> None:
        kind, value, pos = self.take()
        if value != op or kind != "op":
            found = "the end" if kind == "end" else _shown(value)
            raise self.error(f"expected {op!r} at position {pos + 1}, found {found}")

    def parse(self) -> sympy.Expr:
        if self.peek()[0] == "end":
            raise self.error("the expression is empty")
        result = self.expr()
        kind, value, pos = self.peek()
        if kind != "end":
            raise self.error(f"unexpected {_shown(value)} at position {pos + 1}")
        return result

    def expr(self) -> sympy.Expr:
        terms = [self.term()]
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            self.count()
            rhs = self.term()
            terms.append(rhs if op == "+" else -rhs)
        return terms[0] if len(terms) == 1 else sympy.Add(*terms)

    def term(self) -> sympy.Expr:
        factors = [self.unary()]
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            self.count()
            rhs = self.unary()
            if op == "/":
                rhs = self.checked_power(rhs, sympy.Integer(-1))
            factors.append(rhs)
        return factors[0] if len(factors) == 1 else sympy.Mul(*factors)

    def unary(self) -> sympy.Expr:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested more than {MAX_NESTING} levels deep (MAX_NESTING)")
        try:
            kind, value, _ = self.peek()
            if kind == "op" and value in ("+", "-"):
                self.take()
                self.count()
                operand = self.unary()
                return -operand if value == "-" else operand
            return self.power()
        finally:
            self.depth -= 1

    def checked_power(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        problem = power_problem(base, exponent)
        if problem:
            raise self.error(problem)
        result = base**exponent
        if result.is_number and any(abs(r) > MAX_MAGNITUDE for r in result.atoms(sympy.Rational)):
            raise self.error(f"{_shown(result)} is beyond the limit {MAX_MAGNITUDE:g} (MAX_MAGNITUDE)")
        return result

    def power(self) -> sympy.Expr:
        base = self.atom()
        kind, value, _ = self.peek()
        if kind == "op" and value in ("^", "**"):
            self.take()
            self.count()
            return self.checked_power(base, self.unary())
        return base

    def atom(self) -> sympy.Expr:
        kind, value, pos = self.take()
        if kind == "number":
            number = _number(value)
            if isinstance(number, str):
                raise self.error(number)
            return number
        if kind == "name":
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                return self.call(value, pos)
            if value not in self.symbols:
                raise ExpressionError(
                    f"payoff {_shown(self.text)} uses {_shown(value)}, which is not a declared parameter"
                )
            return self.symbols[value]
        if kind == "op" and value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        found = "the end" if kind == "end" else _shown(value)
        raise self.error(f"expected a number, a parameter or '(' at position {pos + 1}, found {found}")

    def call(self, name: str, pos: int) -> sympy.Expr:
        if name not in _FUNCTIONS:
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise self.error(f"unknown function {_shown(name)} at position {pos + 1} (allowed: {allowed})")
        func, arity = _FUNCTIONS[name]
        self.count()
        self.expect("(")
        args = [self.expr()]
        while self.peek()[1] == "," and self.peek()[0] == "op":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if arity is not None and len(args) != arity:
            raise self.error(f"{name}() takes {arity} argument, got {len(args)}")
        if func is sympy.sqrt:
            return self.checked_power(args[0], sympy.Rational(1, 2))
        if name == "step":
            if args[0].is_number and args[0].is_extended_real is False and not args[0].has(*_NOT_FINITE):
                raise self.error(f"step() of {_shown(args[0])}, which is not a real number")
            return _step(args[0])
        return func(*args)


def _check_value(expr: sympy.Expr, shown: str) -> sympy.Expr:
    """Refuse a payoff that is not finite or not real whatever the parameters are."""
    if expr.has(*_NOT_FINITE):
        raise ExpressionError(f"payoff {shown} is not finite ({expr}); a division by zero or log(0)?")
    if expr.has(sympy.I) or (expr.is_number and expr.is_extended_real is False):
        raise ExpressionError(f"payoff {shown} is not a real number ({_shown(expr)})")
    if any(abs(r) > MAX_MAGNITUDE for r in expr.atoms(sympy.Rational)):
        raise ExpressionError(f"payoff {shown} has a number beyond the limit {MAX_MAGNITUDE:g} (MAX_MAGNITUDE)")
    return expr


def _check_tree(expr: sympy.Basic, shown: str) -> None:
    """Size, depth and power limits on a sympy expression given through the Python API."""
    limit = 2 * MAX_OPERATIONS
    stack = [(expr, 1)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > limit:
            raise ExpressionError(f"payoff {shown} has more than {limit} nodes (2 * MAX_OPERATIONS)")
        if depth > MAX_NESTING:
            raise ExpressionError(f"payoff {shown} is nested more than {MAX_NESTING} levels deep (MAX_NESTING)")
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(
                f"payoff {shown} uses {type(node).__name__}, which the payoff grammar does not have "
                "(numbers, parameters, + - * / ^, exp, log, sqrt, abs, min, max, step)"
            )
        if isinstance(node, sympy.Heaviside) and (len(node.args) != 2 or node.args[1] != 1):
            raise ExpressionError(
                f"payoff {shown} uses {_shown(node)}; the grammar's step(u) is Heaviside(u, 1), which is 1 at u = 0"
            )
        if isinstance(node, sympy.Pow):
            problem = power_problem(*node.args)
            if problem:
                raise ExpressionError(f"payoff {shown}: {problem}")
        stack.extend((arg, depth + 1) for arg in node.args)


def parse_expression(text: str | float | sympy.Expr, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse a payoff: a string in the restricted grammar, a number, or a sympy expression.

    ``symbols`` maps each declared parameter name to its symbol.  A sympy
    expression's free symbols are matched to the declared ones by name.
    Raises :class:`~gamekit.errors.ExpressionError` for anything else, and for
    input beyond the limits in the module docstring.
    """
    if isinstance(text, bool):
        raise ExpressionError(f"payoff {text!r} is not a number or an expression")
    if isinstance(text, numbers.Real) and not isinstance(text, sympy.Basic):
        if isinstance(text, numbers.Integral):
            value = sympy.Integer(int(text))
        else:
            if not math.isfinite(float(text)):
                raise ExpressionError(f"payoff {text!r} is not a finite number")
            value = exact(float(text))
        return _check_value(value, _shown(text))
    if isinstance(text, sympy.Basic):
        shown = _shown(text)
        if not isinstance(text, sympy.Expr):
            raise ExpressionError(f"payoff {shown} is not an expression (a {type(text).__name__})")
        _check_tree(text, shown)
        replace = {f: exact(float(f)) for f in text.atoms(sympy.Float)}
        for sym in text.free_symbols:
            name = getattr(sym, "name", None)
            if name not in symbols:
                raise ExpressionError(f"payoff {shown} uses {_shown(name or sym)}, which is not a declared parameter")
            replace[sym] = symbols[name]
        return _check_value(text.xreplace(replace), shown)
    if not isinstance(text, str):
        raise ExpressionError(f"payoff {_shown(text)} is not a number or an expression")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"payoff {_shown(text)} has {len(text)} characters; the limit is {MAX_EXPRESSION_LENGTH} "
            "(MAX_EXPRESSION_LENGTH)"
        )
    return _check_value(_Parser(text, symbols).parse(), _shown(text))


_COMPARISON = re.compile(r"(<=|>=|=<|=>|==|!=|<|>|=)")
_RELATIONS = {"<": sympy.StrictLessThan, "<=": sympy.LessThan, ">": sympy.StrictGreaterThan, ">=": sympy.GreaterThan}


def parse_condition(text: str | sympy.Rel, symbols: Mapping[str, sympy.Symbol]) -> sympy.Rel:
    """Parse a condition ``lhs OP rhs``: one inequality (``<``, ``<=``, ``>``, ``>=``) between two expressions of
    the payoff grammar, e.g. ``"delta*F > Cg"``; or a sympy inequality.  The relation is kept as written (never
    evaluated to ``True``/``False``).

    >>> symbols = {name: make_symbol(name) for name in ("delta", "F", "Cg")}
    >>> parse_condition("delta*F > Cg", symbols)
    F*delta > Cg
    >>> parse_condition("delta*F = Cg", symbols)
    Traceback (most recent call last):
    ...
    gamekit.errors.ExpressionError: condition 'delta*F = Cg' is not one inequality: write lhs < rhs, lhs <= rhs, lhs > rhs or lhs >= rhs
    """
    if isinstance(text, sympy.Rel):
        op = {sympy.StrictLessThan: "<", sympy.LessThan: "<=", sympy.StrictGreaterThan: ">", sympy.GreaterThan: ">="}
        kind = op.get(type(text))
        if kind is None:
            raise ExpressionError(f"condition {_shown(text)} is not an inequality (<, <=, >, >=)")
        sides = [text.lhs, text.rhs]
    elif isinstance(text, str):
        if len(text) > MAX_EXPRESSION_LENGTH:
            raise ExpressionError(
                f"condition {_shown(text)} has {len(text)} characters; the limit is {MAX_EXPRESSION_LENGTH} "
                "(MAX_EXPRESSION_LENGTH)"
            )
        parts = _COMPARISON.split(text)
        if len(parts) != 3 or parts[1] not in _RELATIONS:
            raise ExpressionError(
                f"condition {_shown(text)} is not one inequality: write lhs < rhs, lhs <= rhs, lhs > rhs or lhs >= rhs"
            )
        kind, sides = parts[1], [parts[0].strip(), parts[2].strip()]
    else:
        raise ExpressionError(f"condition {_shown(text)} is not an inequality (a string such as 'delta*F > Cg')")
    parsed = []
    for side in sides:
        try:
            parsed.append(parse_expression(side, symbols))
        except ExpressionError as err:
            raise ExpressionError(f"condition {_shown(text)}: {err}") from None
    return _RELATIONS[kind](parsed[0], parsed[1], evaluate=False)


def substitute(expr: sympy.Expr, values: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    """``expr`` with symbols replaced by values, refusing exact powers beyond the limits.

    Like ``expr.xreplace(values)``, but each power is checked with
    :func:`power_problem` before sympy computes it.  Raises
    :class:`~gamekit.errors.AnalysisError` naming the power.
    """
    if not expr.args:
        return values.get(expr, expr)
    args = [substitute(arg, values) for arg in expr.args]
    if isinstance(expr, sympy.Pow):
        problem = power_problem(*args)
        if problem:
            raise AnalysisError(f"{problem}: too large to compute exactly at these parameter values")
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    if isinstance(expr, sympy.Heaviside):
        return _step(args[0])
    return expr.func(*args)


def float_value(expr: sympy.Expr, values: Mapping[sympy.Symbol, float]) -> float:
    """``expr`` evaluated in IEEE floating point, with ``values`` for its symbols.

    Never exact and never arbitrary precision, so nothing can take long or grow
    without bound (a power tower such as ``p^p^p^p`` at ``p = 9`` is ``inf``,
    at once).  Overflow gives ``inf``, an undefined value (``log(-1)``,
    ``0^-1``, a non-real power) ``nan``; the caller decides what that means.
    """
    try:
        return _float(expr, values)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


def _float(e: sympy.Expr, values: Mapping[sympy.Symbol, float]) -> float:
    if e.is_Symbol:
        v = values.get(e)
        return math.nan if v is None else float(v)
    if e.is_Number:
        return float(e)
    if e is sympy.E:
        return math.e
    args = [_float(a, values) for a in e.args]
    if isinstance(e, sympy.Add):
        return math.fsum(args)
    if isinstance(e, sympy.Mul):
        out = 1.0
        for a in args:
            out *= a
        return out
    if isinstance(e, sympy.Pow):
        base, power = args
        if base == 0 and power < 0:
            return math.nan
        value = base**power  # float ** float: OverflowError past the range, complex for a negative base
        return value if isinstance(value, float) else math.nan
    if isinstance(e, sympy.exp):
        return math.exp(args[0])
    if isinstance(e, sympy.log):
        return math.log(args[0])
    if isinstance(e, sympy.Abs):
        return abs(args[0])
    if isinstance(e, sympy.Min):
        return min(args)
    if isinstance(e, sympy.Max):
        return max(args)
    if isinstance(e, sympy.Heaviside):
        u = args[0]
        return math.nan if math.isnan(u) else 1.0 if u >= 0 else 0.0
    return float(e.xreplace({k: sympy.Float(v) for k, v in values.items()}))  # not reached from the grammar


class _PayoffPrinter(StrPrinter):
    """sympy's rendering, in the payoff grammar above."""

    def _print_Abs(self, e: sympy.Expr) -> str:
        return f"abs({self._print(e.args[0])})"

    def _print_Min(self, e: sympy.Expr) -> str:
        return f"min({', '.join(self._print(a) for a in e.args)})"

    def _print_Max(self, e: sympy.Expr) -> str:
        return f"max({', '.join(self._print(a) for a in e.args)})"

    def _print_Exp1(self, e: sympy.Expr) -> str:
        return "exp(1)"

    def _print_Heaviside(self, e: sympy.Expr) -> str:
        return f"step({self._print(e.args[0])})"


def payoff_text(expr: sympy.Expr) -> str:
    """A payoff as text in the grammar above, which :func:`parse_expression` reads back to ``expr``."""
    return _PayoffPrinter().doprint(expr)
