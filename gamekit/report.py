"""The tables a paper prints: payoff matrix, replicator equations, Jacobian, stability of every pure profile.

``report(game)`` returns a :class:`Report` whose tables are pandas DataFrames of
strings; ``to_markdown()`` and ``to_latex()`` render them with the populations'
and strategies' own names and the parameters in the user's symbols.  The LaTeX
is booktabs-style ``tabular`` environments (``\\usepackage{booktabs}``), with
every expression typeset by sympy (``step`` as in the payoff grammar).

Every kind of game (:mod:`gamekit.game`): the payoff table takes the kind's form -- one row per
pure profile with a payoff to each population; for a symmetric game one row per ``(mine, the
opponent's)`` pair with my payoff; for a group game one row per strategy with its payoff in the
count ``k`` -- and the stability table holds the switch gains at each pure state
(:mod:`gamekit.stability`).

``report(game).propositions([(state, when), ...])`` checks a paper's claims with
:func:`gamekit.check` and tabulates them (:class:`Propositions`): the conditions as
stated, the verdict (proved, refuted, or holds in a search), the conditions still
missing and a counterexample where the claim fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from . import _validate as check
from ._validate import printable
from .dynamics import latex, replicator
from .expr import payoff_text
from .game import Game
from .stability import stability_table

__all__ = ["Report", "report", "Propositions"]


TITLES = {
    "payoffs": "Payoff matrix",
    "equations": "Replicator dynamics",
    "jacobian": "Jacobian",
    "stability": "Stability of the pure profiles",
}


def _tex_text(s: str) -> str:
    for a, b in (
        ("\\", r"\textbackslash{}"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("$", r"\$"),
        ("#", r"\#"),
        ("_", r"\_"),
        ("{", r"\{"),
        ("}", r"\}"),
    ):
        s = s.replace(a, b)
    return s


def _cell(c, fmt: str) -> str:
    """Render one table cell: text, a sympy expression, or a tuple of them."""
    if isinstance(c, str):
        return _tex_text(c) if fmt == "latex" else c
    if isinstance(c, tuple):
        return ", ".join(_cell(x, fmt) for x in c) if c else ""
    if fmt == "latex":
        return f"${latex(c)}$"
    if fmt == "markdown":
        return f"`{payoff_text(c)}`"
    return payoff_text(c)


@dataclass(frozen=True, eq=False)
class Report:
    """Tables of a game for a paper; each is a DataFrame (``payoffs``, ``equations``, ``jacobian``, ``stability``)."""

    game: Game = field(repr=False)
    _rows: dict = field(repr=False)

    def _frame(self, key):
        import pandas as pd

        header, rows = self._rows[key]
        return pd.DataFrame([[_cell(c, "text") for c in r] for r in rows], columns=header)

    @property
    def payoffs(self):
        return self._frame("payoffs")

    @property
    def equations(self):
        return self._frame("equations")

    @property
    def jacobian(self):
        return self._frame("jacobian")

    @property
    def stability(self):
        return self._frame("stability")

    def to_markdown(self) -> str:
        out = [f"## {self.game.name or 'Game'}"]
        for key, title in TITLES.items():
            header, rows = self._rows[key]
            out.append(f"\n### {title}\n")
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            for r in rows:
                out.append("| " + " | ".join(_cell(c, "markdown") for c in r) + " |")
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        """Four booktabs tables (a document needs ``\\usepackage{booktabs}``)."""
        out = []
        for key, title in TITLES.items():
            header, rows = self._rows[key]
            out.append(r"\begin{table}[htbp]\centering")
            out.append(rf"\caption{{{_tex_text(title)}: {_tex_text(self.game.name or 'game')}}}")
            out.append(r"\begin{tabular}{" + "l" * len(header) + "}")
            out.append(r"\toprule")
            out.append(" & ".join(_tex_text(h) for h in header) + r" \\")
            out.append(r"\midrule")
            for r in rows:
                out.append(" & ".join(_cell(c, "latex") for c in r) + r" \\")
            out.append(r"\bottomrule")
            out.append(r"\end{tabular}")
            out.append(r"\end{table}")
            out.append("")
        return "\n".join(out)

    def to_frame(self, table: str = "stability"):
        """One of the tables as a DataFrame: ``"payoffs"``, ``"equations"``, ``"jacobian"`` or ``"stability"``."""
        return self._frame(check.choice("table", table, tuple(TITLES)))

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"Report({printable(repr(self.game.name or 'game'))}: {', '.join(TITLES)})"

    def __str__(self) -> str:
        """The Markdown, with control characters in names escaped (safe to print on a terminal)."""
        return "\n".join(printable(line, limit=len(line) * 6 + 1) for line in self.to_markdown().split("\n"))

    def propositions(
        self,
        claims: Sequence[tuple | Mapping],
        *,
        bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
        rng: int | None = 0,
    ) -> Propositions:
        """A paper's propositions, each checked by :func:`gamekit.check`, as a table.

        Parameters
        ----------
        claims
            ``(state, when)`` or ``(state, when, unique)`` tuples, or mappings with the keys ``state``, ``when``
            and optionally ``unique`` (the arguments of :func:`gamekit.check`).
        bounds
            Parameter ranges replacing the model's ``[bounds]`` (as in :func:`gamekit.check`), for every claim.
        rng
            Seed of each check's counterexample search.
        """
        from .check import check as check_claim

        if isinstance(claims, (str, bytes)) or not isinstance(claims, (list, tuple)):
            raise check_error(f"claims must be a list of (state, when[, unique]), got {type(claims).__name__}")
        results = []
        for claim in claims:
            if isinstance(claim, dict):
                unknown = sorted(set(claim) - {"state", "when", "unique"})
                if unknown or "state" not in claim:
                    raise check_error(f"a claim has the keys state, when, unique; got {printable(repr(sorted(claim)))}")
                args = (claim["state"], claim.get("when", ()), claim.get("unique", False))
            elif isinstance(claim, tuple) and len(claim) in (2, 3):
                args = claim if len(claim) == 3 else (*claim, False)
            else:
                raise check_error(f"a claim is (state, when[, unique]), got {printable(repr(claim), 80)}")
            results.append(check_claim(self.game, args[0], args[1], args[2], bounds=bounds, rng=rng))
        return Propositions(self.game, tuple(results))


def check_error(message: str):
    from .errors import ArgumentError

    return ArgumentError(message)


@dataclass(frozen=True, eq=False)
class Propositions:
    """Checked claims about a game (:meth:`Report.propositions`): one row per claim with its exact conditions,
    the verdict and how it was reached, the conditions it still needs and a counterexample where it fails."""

    game: Game = field(repr=False)
    results: tuple

    HEADER = ("", "state", "when", "verdict", "method", "also needs", "counterexample", "fails there")

    def _rows(self, fmt: str) -> list[list[str]]:
        from .check import _number_text
        from .expr import parse_condition

        def cond(text: str) -> str:
            if fmt != "latex":
                return f"`{text}`" if fmt == "markdown" else text
            return f"${sympy.latex(parse_condition(text, self.game.symbols))}$"

        rows = []
        for n, r in enumerate(self.results, 1):
            state = ", ".join(r.state) or "no stable state"
            if r.unique:
                state += " (unique)"
            cx = ""
            if r.counterexample is not None:
                cx = ", ".join(f"{k} = {_number_text(v)}" for k, v in r.counterexample.items())
            rows.append(
                [
                    str(n),
                    state,
                    "; ".join(cond(c) for c in r.conditions) or "always",
                    r.verdict(),
                    r.method,
                    "; ".join(cond(m) for m in r.missing),
                    cx,
                    r.failing or "",
                ]
            )
        return rows

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self._rows("text"), columns=list(self.HEADER))

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(h or "#" for h in self.HEADER) + " |", "|" + "---|" * len(self.HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows("markdown")]
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """One booktabs table (``\\usepackage{booktabs}``)."""
        out = [
            r"\begin{table}[htbp]\centering",
            rf"\caption{{Propositions: {_tex_text(self.game.name or 'game')}}}",
            r"\begin{tabular}{" + "l" * len(self.HEADER) + "}",
            r"\toprule",
            " & ".join(_tex_text(h) for h in self.HEADER) + r" \\",
            r"\midrule",
        ]
        for row in self._rows("latex"):
            cells = [c if c.startswith("$") or "$" in c else _tex_text(c) for c in row]
            out.append(" & ".join(cells) + r" \\")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __str__(self) -> str:
        return "\n".join(printable(line, limit=len(line) * 6 + 1) for line in self.to_markdown().split("\n"))

    def __repr__(self) -> str:
        verdicts = ", ".join(r.verdict() for r in self.results)
        return f"Propositions({len(self.results)} claims: {verdicts})"


def _payoff_table(game: Game) -> tuple[list[str], list[list]]:
    """(header, rows) of the payoff table in the form of the game's kind (module docstring)."""
    pops = game.populations
    table = game.payoff_tensors[0]
    if game.kind == "symmetric":
        strategies = pops[0].strategies
        return ["mine", "opponent's", "my payoff"], [
            [strategies[i], strategies[j], table[i, j]] for i, j in game.payoff_profiles()
        ]
    if game.kind == "group":
        count, others = game.group.count, game.group.size - 1
        first = pops[0].strategies[0]
        header = ["strategy", f"payoff in {count} ({count} of the other {others} in the group play {first})"]
        return header, [[s, table[i]] for i, s in enumerate(pops[0].strategies)]
    names = [p.name for p in pops]
    rows = [list(game.profile_names(idx)) + [t[idx] for t in game.payoff_tensors] for idx in game.profiles()]
    return names + [f"payoff to {n}" for n in names], rows


def report(game: Game) -> Report:
    """The payoff matrix, replicator equations, Jacobian and stability table of ``game``.

    Parameters
    ----------
    game
        Any game gamekit supports.

    Returns
    -------
    Report
        The tables as DataFrames (``payoffs``, ``equations``, ``jacobian``, ``stability``), with ``to_latex()``,
        ``to_markdown()`` and ``propositions(...)``.
    """
    check.game(game)
    payoffs = _payoff_table(game)
    dyn = replicator(game)
    labels = dyn.labels()
    equations = (
        ["share", "of", "d/dt"],
        [[sympy.Symbol(str(c)), lab, eq] for c, eq, lab in zip(dyn.coordinates, dyn.equations, labels)],
    )
    J = dyn.jacobian
    jacobian = (
        [""] + [f"d/d{c}" for c in dyn.coordinates],
        [[f"d{c}/dt"] + [J[i, j] for j in range(J.shape[1])] for i, c in enumerate(dyn.coordinates)],
    )
    table = stability_table(game)
    has_values = all(v is not None for v in game.parameters.values())
    st_rows = []
    for row in table:
        cells = [", ".join(row.profile), row.name or ""]
        cells.append(tuple(g.gain for g in row.eigenvalues))
        cells.append(tuple(c for c in row.conditions if c is not sympy.true) if row.possible else "never")
        if has_values:
            cells.append(str(row.stability))
        st_rows.append(cells)
    header = ["profile", "name", "eigenvalues", "asymptotically stable iff"] + (["at the values"] if has_values else [])
    return Report(
        game, {"payoffs": payoffs, "equations": equations, "jacobian": jacobian, "stability": (header, st_rows)}
    )
