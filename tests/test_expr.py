import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from gamekit.errors import ExpressionError
from gamekit.expr import make_symbol, parse_expression

NAMES = ["S", "E", "I", "N", "Q", "beta", "gamma", "zeta", "lambda", "pi", "a", "b"]
SYMS = {n: make_symbol(n) for n in NAMES}


def parse(text):
    return parse_expression(text, SYMS)


@pytest.mark.parametrize("name", NAMES)
def test_economist_names_are_plain_symbols(name):
    expr = parse(name)
    assert expr == SYMS[name]
    assert isinstance(expr, sympy.Symbol)
    # S is not sympy's singleton registry, E not Euler's number, I not the imaginary unit, pi not 3.14...
    assert expr.is_real and not expr.is_number


def test_precedence_and_exact_numbers():
    a, b = SYMS["a"], SYMS["b"]
    assert parse("a + b^2") == a + b**2
    assert parse("a + b**2") == a + b**2
    assert parse("-a^2") == -(a**2)
    assert parse("2^-1") == sympy.Rational(1, 2)
    assert parse("2^3^2") == 2**9  # right-associative
    assert parse("a - b - 1") == a - b - 1
    assert parse("a / b / 2") == a / b / 2
    assert parse("0.3*a") == sympy.Rational(3, 10) * a
    assert parse("1e-3") == sympy.Rational(1, 1000)
    assert parse("max(a, 0.5) + min(a, b, 1) + exp(a) + log(b) + sqrt(a) + abs(b)") == (
        sympy.Max(a, sympy.Rational(1, 2))
        + sympy.Min(a, b, 1)
        + sympy.exp(a)
        + sympy.log(b)
        + sympy.sqrt(a)
        + sympy.Abs(b)
    )


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hacked')",
        "a.__class__",
        "eval(a)",
        "lambda: 1",
        "a; b",
        "[a]",
        "a +",
        "(a",
        "a b",
        "",
        "x",  # undeclared
        "exp(a, b)",
    ],
)
def test_rejects_without_executing(text, capfd):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert "hacked" not in capfd.readouterr().out
    assert str(err.value)


def test_error_quotes_the_payoff_and_names_the_symbol():
    with pytest.raises(ExpressionError, match=r"'R - Cg'.*'R'.*not a declared parameter"):
        parse_expression("R - Cg", {"Cg": make_symbol("Cg")})


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 9))
def test_arithmetic_matches_python(i, j, k):
    assert parse(f"{i} + {j} * {k} - ({i}) / {k}") == sympy.Integer(i) + j * k - sympy.Rational(i, k)
    assert parse(f"({i})^2 - {j}") == i**2 - j
