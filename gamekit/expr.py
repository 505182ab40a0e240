"""A restricted parser for payoff expressions.

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
parameters, and the only functions are ``exp, log, sqrt, abs, min, max``.
Nothing in the text is ever executed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy

from .errors import ExpressionError

__all__ = ["parse_expression", "make_symbol", "exact"]

_FUNCTIONS = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "ln": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1),
    "abs": (sympy.Abs, 1),
    "min": (sympy.Min, None),
    "max": (sympy.Max, None),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<op>\*\*|[-+*/^(),]))"
)

NAME_PATTERN = re.compile(r"^[^\W\d]\w*$")


def make_symbol(name: str) -> sympy.Symbol:
    """The sympy symbol gamekit uses for a parameter or coordinate: real-valued."""
    return sympy.Symbol(name, real=True)


def exact(value) -> sympy.Expr:
    """A number as an exact sympy rational, read from its shortest decimal form."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise ExpressionError(f"{value!r} is not a number")
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Rational(repr(float(value)))


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            bad = stripped[pos:].lstrip()[:1]
            raise ExpressionError(
                f"cannot parse payoff {text!r}: unexpected character {bad!r} "
                f"at position {len(stripped) - len(stripped[pos:].lstrip()) + 1}"
            )
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(("end", "", len(stripped)))
    return tokens


class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol]):
        self.text = text
        self.symbols = symbols
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"cannot parse payoff {self.text!r}: {message}")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, op: str) -> None:
        kind, value, pos = self.take()
        if value != op or kind != "op":
            found = "the end" if kind == "end" else repr(value)
            raise self.error(f"expected {op!r} at position {pos + 1}, found {found}")

    def parse(self) -> sympy.Expr:
        if self.peek()[0] == "end":
            raise self.error("the expression is empty")
        result = self.expr()
        kind, value, pos = self.peek()
        if kind != "end":
            raise self.error(f"unexpected {value!r} at position {pos + 1}")
        return result

    def expr(self) -> sympy.Expr:
        result = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            rhs = self.term()
            result = result + rhs if op == "+" else result - rhs
        return result

    def term(self) -> sympy.Expr:
        result = self.unary()
        while self.peek()[1] in ("*", "/") and self.peek()[0] == "op":
            op = self.take()[1]
            rhs = self.unary()
            result = result * rhs if op == "*" else result / rhs
        return result

    def unary(self) -> sympy.Expr:
        kind, value, _ = self.peek()
        if kind == "op" and value in ("+", "-"):
            self.take()
            operand = self.unary()
            return -operand if value == "-" else operand
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        kind, value, _ = self.peek()
        if kind == "op" and value in ("^", "**"):
            self.take()
            return base ** self.unary()
        return base

    def atom(self) -> sympy.Expr:
        kind, value, pos = self.take()
        if kind == "number":
            return sympy.Rational(value)
        if kind == "name":
            if self.peek()[1] == "(" and self.peek()[0] == "op":
                return self.call(value, pos)
            if value not in self.symbols:
                raise ExpressionError(f"payoff {self.text!r} uses {value!r}, which is not a declared parameter")
            return self.symbols[value]
        if kind == "op" and value == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        found = "the end" if kind == "end" else repr(value)
        raise self.error(f"expected a number, a parameter or '(' at position {pos + 1}, found {found}")

    def call(self, name: str, pos: int) -> sympy.Expr:
        if name not in _FUNCTIONS:
            allowed = ", ".join(sorted(_FUNCTIONS))
            raise self.error(f"unknown function {name!r} at position {pos + 1} (allowed: {allowed})")
        func, arity = _FUNCTIONS[name]
        self.expect("(")
        args = [self.expr()]
        while self.peek()[1] == "," and self.peek()[0] == "op":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if arity is not None and len(args) != arity:
            raise self.error(f"{name}() takes {arity} argument, got {len(args)}")
        return func(*args)


def parse_expression(text, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse a payoff: a string in the restricted grammar, a number, or a sympy expression.

    ``symbols`` maps each declared parameter name to its symbol.  A sympy
    expression's free symbols are matched to the declared ones by name.
    """
    if isinstance(text, bool):
        raise ExpressionError(f"payoff {text!r} is not a number or an expression")
    if isinstance(text, (int, float)):
        value = exact(text)
        if not value.is_finite:
            raise ExpressionError(f"payoff {text!r} is not a finite number")
        return value
    if isinstance(text, sympy.Basic):
        replace = {}
        for sym in text.free_symbols:
            if sym.name not in symbols:
                raise ExpressionError(f"payoff {text} uses {sym.name!r}, which is not a declared parameter")
            replace[sym] = symbols[sym.name]
        return sympy.sympify(text).xreplace(replace)
    if not isinstance(text, str):
        raise ExpressionError(f"payoff {text!r} is not a number or an expression")
    return _Parser(text, symbols).parse()
