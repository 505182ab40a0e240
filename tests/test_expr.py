import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from gamekit.errors import AnalysisError, ExpressionError
from gamekit.expr import float_value, make_symbol, parse_expression, payoff_text, power_problem, substitute

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


# -- limits: every input ends quickly, in an ExpressionError that names the limit ------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("(" * 50 + "a" + ")" * 50, "nested more than 50 levels"),
        ("-" * 60 + "a", "nested more than 50 levels"),
        ("exp(" * 60 + "a" + ")" * 60, "nested more than 50 levels"),
        ("(" * 10_000 + "a" + ")" * 10_000, "20001 characters; the limit is 10000"),
        ("a + " * 250_000 + "a", "1000001 characters"),
        ("+".join(["a"] * 2002), "more than 2000 operations"),
        ("9^9^9^9", "exponent 387420489 is out of range"),
        ("2^1e10", "exponent 10000000000 is out of range"),
        ("a^1e10", "exponent 10000000000 is out of range"),
        ("2^(1/20000)", "exponent 1/20000 is out of range"),
        ("2^4097", "about 4.1e\\+03 bits"),
        ("10^10^10", "out of range"),
        ("1e101", "too large"),
        ("1e400", "too large"),
        ("1e-500", "out of range"),
        ("1" * 41, "more than 40 characters"),
        ("10^101", "beyond the limit 1e\\+100"),
        ("sqrt(2^4000 + 1)", "MAX_MAGNITUDE"),
        ("(0.3^999 + 1/7)^(1/2)", "MAX_ROOT_BITS"),
        ("sqrt(1e99 * 1e99)", "MAX_ROOT_BITS"),
        ("1/0", "not finite"),
        ("0^-1", "not finite"),
        ("log(0)", "not finite"),
        ("sqrt(-1)", "not a real number"),
        ("log(-2)", "not a real number"),
        ("(-8)^(1/3)", "not a real number"),
    ],
)
def test_limits(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_within_the_limits():
    a = SYMS["a"]
    assert parse("(" * 49 + "a" + ")" * 49) == a
    assert parse("+".join(["a"] * 2001)) == 2001 * a
    assert parse("0.5^4096") == sympy.Rational(1, 2**4096)
    assert parse("2^332") == 2**332
    assert parse("0.3^1000") == sympy.Rational(3, 10) ** 1000
    assert parse("1e100") == 10**100 and parse("1e-300") == sympy.Rational(1, 10**300)
    assert parse("a^(19/20)") == a ** sympy.Rational(19, 20)
    assert parse("a^10000") == a**10000


def test_power_problem_estimates_bits_from_the_rationals():
    two, half = sympy.Integer(2), sympy.Rational(1, 2)
    assert power_problem(two, sympy.Integer(4096)) is None
    assert "bits" in power_problem(two, sympy.Integer(4097))
    assert power_problem(sympy.Rational(3, 10), sympy.Integer(1000)) is None  # log2(10) * 1000 = 3322 bits
    assert power_problem(sympy.Integer(1), sympy.Integer(10_000)) is None
    assert power_problem(SYMS["a"], sympy.Integer(10_000)) is None  # nothing is computed
    assert "out of range" in power_problem(SYMS["a"], sympy.Integer(10_001))
    assert power_problem(two, half) is None


@pytest.mark.parametrize(
    "payoff, message",
    [
        (sympy.nan, "not finite"),
        (sympy.zoo, "not finite"),
        (sympy.oo, "not finite"),
        (-sympy.oo + SYMS["a"], "not finite"),
        (sympy.I, "not a real number"),
        (SYMS["a"] + sympy.I, "not a real number"),
        (sympy.sin(SYMS["a"]), "sin, which the payoff grammar does not have"),
        (sympy.pi * SYMS["a"], "Pi, which the payoff grammar does not have"),
        (sympy.Pow(SYMS["a"], 10**10, evaluate=False), "out of range"),
        (sympy.Symbol("zz"), "'zz', which is not a declared parameter"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (1e300, "beyond the limit"),
        (10**200, "beyond the limit"),
        ([1], "not a number or an expression"),
        (True, "not a number or an expression"),
        (sympy.Eq(SYMS["a"], 1), "not an expression"),
    ],
)
def test_python_payoffs_are_checked_like_text(payoff, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(payoff, SYMS)


def test_python_payoffs_become_exact():
    a = SYMS["a"]
    assert parse_expression(sympy.Float(0.25) * sympy.Symbol("a"), SYMS) == a / 4
    assert parse_expression(0.3, SYMS) == sympy.Rational(3, 10)
    assert parse_expression(sympy.Symbol("a", positive=True), SYMS) == a  # matched by name


def test_substitute_refuses_exploding_powers():
    a = SYMS["a"]
    assert substitute(2**a + a, {a: sympy.Integer(3)}) == 11
    with pytest.raises(AnalysisError, match="out of range.*too large to compute exactly"):
        substitute(2**a, {a: sympy.Integer(10**10)})
    with pytest.raises(AnalysisError, match="bits"):
        substitute(a**5000, {a: sympy.Integer(7)})


@given(st.integers(0, 48), st.integers(-30, 30))
def test_parentheses_change_nothing(depth, value):
    text = f"{value} + a"
    assert parse("(" * depth + text + ")" * depth) == parse(text)


@given(st.integers(-12, 12).filter(bool), st.integers(-400, 400))
def test_integer_powers_are_exact_or_refused(base, power):
    bits = abs(power) * math.log2(abs(base)) if abs(base) > 1 else 0
    text = f"({base})^({power})"
    if bits > 4096:
        with pytest.raises(ExpressionError, match="MAX_POWER_BITS"):
            parse(text)
    elif abs(Fraction(base) ** power) > 1e100:
        with pytest.raises(ExpressionError, match="MAX_MAGNITUDE"):
            parse(text)
    else:
        assert parse(text) == sympy.Rational(base) ** power == Fraction(base) ** power


@pytest.mark.parametrize("expr", ["abs(a) - min(a, b, 1)", "max(a, 2) * exp(b)", "exp(1) * a", "sqrt(a) / 3", "a^-2"])
def test_payoff_text_is_the_inverse_of_parsing(expr):
    value = parse(expr)
    assert parse(payoff_text(value)) == value


def test_float_value_is_ieee_and_never_slow():
    p, q = SYMS["a"], SYMS["b"]
    assert float_value(p**2 + sympy.log(q), {p: 3.0, q: 1.0}) == 9.0
    assert float_value(p ** (p ** (p**p)), {p: 9.0}) == float("inf")  # a power tower overflows at once
    assert math.isnan(float_value(sympy.log(p), {p: -1.0}))
    assert math.isnan(float_value(p ** sympy.Rational(1, 2), {p: -4.0}))
    assert math.isnan(float_value(1 / p, {p: 0.0}))


# -- step(u): 1 when u >= 0, else 0 ------------------------------------------------------------


@given(st.fractions(min_value=-100, max_value=100, max_denominator=50))
def test_step_is_exact_on_numbers_and_agrees_everywhere(u):
    expected = 1 if u >= 0 else 0
    text = f"step({u.numerator}/{u.denominator})"
    assert parse(text) == expected and parse(text).is_Integer
    a = SYMS["a"]
    symbolic = parse("step(a) * 3 - 1")
    value = sympy.Rational(u.numerator, u.denominator)
    assert substitute(symbolic, {a: value}) == 3 * expected - 1
    assert float_value(symbolic, {a: float(u)}) == 3 * expected - 1
    numeric = sympy.lambdify([a], symbolic, "numpy")
    assert float(numeric(float(u))) == 3 * expected - 1


def test_step_is_one_at_zero_and_stays_symbolic_in_symbols():
    a, b = SYMS["a"], SYMS["b"]
    assert parse("step(0)") == 1 and parse("step(a - a)") == 1 and parse("step(-1e-30)") == 0
    expr = parse("(a + 1)*b*step(a + 1 - b)")
    assert expr.has(sympy.Heaviside) and expr.free_symbols == {a, b}
    # threshold public good at k = 4 others of 9, M = 5: the focal member's contribution is pivotal
    assert substitute(expr, {a: sympy.Integer(4), b: sympy.Integer(5)}) == 25
    assert substitute(expr, {a: sympy.Integer(3), b: sympy.Integer(5)}) == 0
    assert parse("step(a^2 + 1)") == 1  # sympy knows the sign of a^2 + 1 for a real a


@pytest.mark.parametrize("text", ["step(a)", "step(a - 1/3)*b - step(b)", "max(step(a), b) + step(exp(a) - 2)"])
def test_step_prints_back_as_step(text):
    value = parse(text)
    assert "step(" in payoff_text(value) and "Heaviside" not in payoff_text(value)
    assert parse(payoff_text(value)) == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("step(a, b)", r"step\(\) takes 1 argument, got 2"),
        ("step()", "expected a number"),
        ("step(sqrt(-1))", "step\\(\\) of I, which is not a real number"),
        ("step(log(-2))", "not a real number"),
        ("step(" * 60 + "a" + ")" * 60, "nested more than 50 levels"),
        ("+".join(["step(a)"] * 1001), "more than 2000 operations"),
        ("step(2^1e10)", "out of range"),
        ("step(1/0)", "not finite"),
        ("Step(a)", "unknown function 'Step'"),
    ],
)
def test_step_within_the_parse_limits(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_step_from_python_is_heaviside_with_value_one_at_zero():
    a = SYMS["a"]
    assert parse_expression(sympy.Heaviside(sympy.Symbol("a"), 1), SYMS) == parse("step(a)")
    with pytest.raises(ExpressionError, match=r"step\(u\) is Heaviside\(u, 1\)"):
        parse_expression(sympy.Heaviside(a), SYMS)  # sympy's default is 1/2 at 0
    assert math.isnan(float_value(parse("step(a)"), {a: math.nan}))
    assert substitute(parse("step(log(a))"), {a: sympy.Integer(-1)}) is sympy.nan  # not real: undefined
