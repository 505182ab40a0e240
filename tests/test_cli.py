"""The command line: the JSON contract, the tables, and one line with exit status 2 for any bad input."""

import json
import math
import signal
import statistics
import subprocess
import sys

import pytest

from gamekit.cli import main


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval, written out here from its formula (not gamekit's code)."""
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def run(*args, timeout: float = 60.0):
    proc = subprocess.run([sys.executable, "-m", "gamekit", *args], capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def test_analyze_trap_json_contract(capsys):
    assert main(["analyze", "platform-insurance", "--scenario", "trap", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"model", "parameters", "equilibria"}
    assert out["parameters"]["delta"] == 0.3
    for e in out["equilibria"]:
        assert set(e) == {"state", "profile", "eigenvalues", "stability"}
        assert all(abs(sum(s) - 1) < 1e-12 for s in e["state"])
    trap = [e for e in out["equilibria"] if e["profile"] == ["regulate", "evade", "accept"]][0]
    assert trap["state"] == [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    assert trap["eigenvalues"] == [[-1.0, 0.0], [-3.0, 0.0], [-1.0, 0.0]]
    stable = [e["profile"] for e in out["equilibria"] if e["stability"] == "asymptotically stable"]
    assert stable == [["regulate", "evade", "accept"]]
    mixed = [e for e in out["equilibria"] if e["profile"] is None]
    assert any(e["stability"] == "non-hyperbolic" for e in mixed)


def test_analyze_table_names_states(capsys):
    assert main(["analyze", "platform-insurance", "--scenario", "meta_goal"]) == 0
    out = capsys.readouterr().out
    assert "meta-goal" in out and "regulate, insure, claim" in out
    assert "The unique asymptotically stable state: meta-goal (regulate, insure, claim)" in out


def test_set_overrides(capsys):
    # raising the reward R to 4 under trap makes the meta-goal stable too
    assert main(["analyze", "platform-insurance", "--scenario", "trap", "--set", "R=4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    stable = {tuple(e["profile"]) for e in out["equilibria"] if e["stability"] == "asymptotically stable"}
    assert stable == {("regulate", "evade", "accept"), ("regulate", "insure", "claim")}


@pytest.mark.parametrize(
    "args, message",
    [
        (["analyze", "no-such-model"], "no model file 'no-such-model'"),
        (["analyze", "platform-insurance", "--scenario", "boom"], "no scenario named 'boom'"),
        (["analyze", "platform-insurance", "--set", "Q=1"], "'Q' is not a parameter"),
        (["analyze", "platform-insurance", "--set", "F=ten"], "'ten' is not a number"),
        (["analyze", "platform-insurance", "--set", "F=nan"], "not a finite number"),
        (["analyze", "platform-insurance", "--set", "F"], "expected NAME=VALUE"),
    ],
)
def test_bad_input_one_line_exit_2(args, message):
    code, out, err = run(*args)
    assert code == 2
    assert "Traceback" not in err
    assert err.count("\n") == 1 and message in err


def test_bad_model_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n"x, u" = ["1", "2"]\n')
    code, _, err = run("analyze", str(bad))
    assert code == 2 and "no payoffs for profile (x, v)" in err and "Traceback" not in err
    bad.write_text("[populations\n")
    code, _, err = run("analyze", str(bad))
    assert code == 2 and "line 1" in err


def test_simulate_json(capsys):
    assert (
        main(
            ["simulate", "platform-insurance", "--scenario", "meta_goal", "--orbits", "300", "--t-end", "60", "--json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["orbits"] == 300
    low, high = wilson(300, 300)
    assert abs(high - 1.0) < 1e-12 and abs(low - 300 / (300 + 1.959963984540054**2)) < 1e-12
    (row,) = out["basins"]
    assert row["outcome"] == "regulate, insure, claim" and row["share"] == 1.0 and row["orbits"] == 300
    assert row["ci_high"] == 1.0 and abs(row["ci_low"] - low) < 1e-12


def test_simulate_wilson_bounds_of_a_split_basin(capsys):
    assert (
        main(["simulate", "platform-insurance", "--scenario", "trap", "--orbits", "400", "--t-end", "120", "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert sum(r["orbits"] for r in out["basins"]) == 400
    for r in out["basins"]:
        low, high = wilson(r["orbits"], 400)
        assert 0 < r["orbits"] < 400 and r["share"] == r["orbits"] / 400
        assert abs(r["ci_low"] - low) < 1e-12 and abs(r["ci_high"] - high) < 1e-12


def test_simulate_table(capsys):
    assert main(["simulate", "platform-insurance", "--scenario", "trap", "--orbits", "400", "--t-end", "120"]) == 0
    out = capsys.readouterr().out
    assert "cycling on workers=claim" in out and "regulate, evade, accept" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["simulate", "platform-insurance", "--t-end", "0"], "--t-end must be in (0, 1e+06], got 0.0"),
        (["simulate", "platform-insurance", "--orbits", "0"], "--orbits must be an integer >= 1"),
    ],
)
def test_simulate_bad_input(args, message):
    code, _, err = run(*args)
    assert code == 2 and message in err and "Traceback" not in err


MALFORMED = {
    "missing profiles": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n"x, u" = ["1", "2"]\n',
    "broken TOML": "[populations\n",
    "unknown symbol": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    '"x, u" = ["Q", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "a state that is not a profile": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[states]\nx = 3\n[payoffs]\n'
    '"x, u" = ["1", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "nested parentheses": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    f'"x, u" = ["{"(" * 5000}1{")" * 5000}", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "a payoff that is not a string": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    '"x, u" = [[1], "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "no populations": 'name = "empty"\n',
    "not UTF-8": b"\xff\xfe[populations]\n",
    "a power tower": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    '"x, u" = ["9^9^9^9", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "a huge exponent": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    '"x, u" = ["2^1e10", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "a 1e308 payoff": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    '"x, u" = ["1e308", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
    "a 1 MB expression": '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[payoffs]\n'
    f'"x, u" = ["{"+".join(["1"] * 500_000)}", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n',
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_model_file_gives_one_error_line(tmp_path, case):
    path = tmp_path / "model.toml"
    text = MALFORMED[case]
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = run("analyze", str(path))
    assert code == 2, (case, err[-500:])
    assert err.startswith("gamekit: error: ") and err.count("\n") == 1, (case, err[-500:])
    assert out == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["analyze", "platform-insurance", "--tol", "0.5"], "--tol must be in (0, 0.001]"),
        (["analyze", "platform-insurance", "--tol", "nan"], "--tol must be a finite number"),
        (["analyze", "platform-insurance", "--tol", "0"], "--tol must be in (0, 0.001]"),
        (["simulate", "platform-insurance", "--t-end", "-1"], "--t-end must be in (0, 1e+06]"),
        (["simulate", "platform-insurance", "--t-end", "nan"], "--t-end must be a finite number"),
        (["simulate", "platform-insurance", "--t-end", "inf"], "--t-end must be a finite number"),
        (["simulate", "platform-insurance", "--t-end", "1e300"], "--t-end must be in (0, 1e+06]"),
        (["simulate", "platform-insurance", "--seed", "-1"], "--seed must be an integer >= 0"),
        (["simulate", "platform-insurance", "--orbits", "-5"], "--orbits must be an integer >= 1"),
        (["simulate", "platform-insurance", "--orbits", str(10**12)], "--orbits must be an integer <="),
        (["analyze", "platform-insurance", "--set", "F=inf"], "not a finite number"),
        (["analyze", "platform-insurance", "--set", "F=1e999"], "not a finite number"),
        (["thresholds", "platform-insurance", "--target", "regulate, fly, claim"], "'fly' is not a strategy"),
        (["thresholds", "platform-insurance", "--target", "regulate"], "target"),
        (["thresholds", "platform-insurance", "--target", "trap", "--time-budget", "-1"], "--time-budget must be in"),
        (["analyze", "platform-insurance", "--time-budget", "nan"], "--time-budget must be a finite number"),
    ],
)
def test_bad_options_give_one_error_line(args, message):
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.startswith("gamekit: error: ") and err.count("\n") == 1 and message in err, err


def test_argparse_usage_errors_still_exit_2():
    code, _, err = run("simulate", "platform-insurance", "--orbits", "many")
    assert code == 2 and "Traceback" not in err and "invalid int value" in err


def test_numeric_analysis(capsys):
    assert main(["analyze", "platform-insurance", "--scenario", "trap", "--numeric", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    stable = [e["profile"] for e in out["equilibria"] if e["stability"] == "asymptotically stable"]
    assert stable == [["regulate", "evade", "accept"]]
    trap = [e for e in out["equilibria"] if e["profile"] == ["regulate", "evade", "accept"]][0]
    assert [[round(x, 9) for x in ev] for ev in trap["eigenvalues"]] == [[-1.0, 0.0], [-3.0, 0.0], [-1.0, 0.0]]


CONTROL = (
    'name = "evil\\u001b[31m"\n[populations]\n"a\\u001b[2J" = ["x\\u0007", "y"]\nb = ["u", "v"]\n'
    '[parameters]\np = 2\n[payoffs]\n"x\\u0007, u" = ["p", "1"]\n"x\\u0007, v" = ["0", "0"]\n'
    '"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n'
)


@pytest.mark.parametrize("command", [["analyze"], ["thresholds", "--target", "x\a, u"], ["simulate", "--orbits", "50"]])
def test_control_characters_in_names_never_reach_the_terminal(tmp_path, command):
    path = tmp_path / "evil.toml"
    path.write_text(CONTROL)
    code, out, err = run(command[0], str(path), *command[1:])
    text = out + err
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in text), repr(text[:300])
    if code == 0:
        assert "\\x1b" in out or "\\x07" in out
    else:  # a model loader that refuses control characters in names is fine too: one escaped line
        assert code == 2 and err.startswith("gamekit: error: ") and err.count("\n") == 1


def test_thresholds_on_payoffs_outside_their_domain(tmp_path, capsys):
    for payoff, base, expected in [
        ("1/(p - 1)", 1, "(1, 2)"),
        ("log(p)", 0, "(E, inf)"),
        ("sqrt(p)", -1, "(1, inf)"),
    ]:
        path = tmp_path / "m.toml"
        path.write_text(
            f'[populations]\nA = ["a", "b"]\nB = ["c", "d"]\n[parameters]\np = {base}\n[payoffs]\n'
            f'"a, c" = ["{payoff}", "1"]\n"a, d" = ["0", "0"]\n"b, c" = ["1", "0"]\n"b, d" = ["0", "1"]\n'
        )
        assert main(["thresholds", str(path), "--target", "a, c"]) == 0
        out = capsys.readouterr().out
        assert "undefined at the base values" in out
        assert f"p = {base:<8g} stable for {expected}" in out


def test_last_resort_handler(monkeypatch, capsys):
    import gamekit.cli as cli

    def boom(args):
        raise RuntimeError("unexpected\nsecond line")

    def interrupted(args):
        raise KeyboardInterrupt

    def deep(args):
        raise RecursionError("maximum recursion depth exceeded")

    parser = cli.build_parser

    def patched(func):
        def build():
            p = parser()
            p.set_defaults(func=func)
            for action in p._subparsers._group_actions[0].choices.values():
                action.set_defaults(func=func)
            return p

        return build

    for func, status, line in [
        (boom, 2, "gamekit: internal error: RuntimeError: unexpected second line (please report)\n"),
        (interrupted, 130, "gamekit: error: interrupted\n"),
        (deep, 2, "gamekit: error: an expression is nested too deeply to analyse (recursion limit reached)\n"),
    ]:
        monkeypatch.setattr(cli, "build_parser", patched(func))
        assert cli.main(["analyze", "platform-insurance"]) == status
        assert capsys.readouterr().err == line


@pytest.mark.parametrize(
    "payoff, command",
    [
        ("d^0.95", "analyze"),
        ("d^0.95", "thresholds"),
        ("1 - d^T", "analyze"),
        ("1 - d^T", "thresholds"),
        ("log(d - 1)", "analyze"),
        ("log(d - 1)", "thresholds"),
        ("1/(d - 0.5)", "thresholds"),
        ("exp(1e5*d)", "analyze"),
        ("1e100*d", "analyze"),
        ("T^T^T^T", "analyze"),  # a power tower of parameters: exact, it would never finish
        ("T^T^T^T", "simulate"),
        ("T^T^T^T", "thresholds"),
        ("2^(T*1e7)", "thresholds"),
        ("d^(T*1e7)", "thresholds"),
    ],
)
def test_hostile_payoffs_end_within_a_minute_with_a_result_or_one_line(tmp_path, payoff, command):
    path = tmp_path / "m.toml"
    path.write_text(
        '[populations]\na = ["x", "y"]\nb = ["u", "v"]\n[parameters]\nd = 0.5\nT = 1000\n[payoffs]\n'
        f'"x, u" = ["{payoff}", "1"]\n"x, v" = ["0", "0"]\n"y, u" = ["1", "0"]\n"y, v" = ["0", "1"]\n'
    )
    extra = {"thresholds": ["--target", "x, u"], "simulate": ["--orbits", "50"]}.get(command, [])
    code, out, err = run(command, str(path), *extra, timeout=60)
    assert "Traceback" not in err
    if code == 0:
        assert out.strip()
    else:
        assert code == 2 and err.startswith("gamekit: error: ") and err.count("\n") == 1, err


def test_ctrl_c_ends_a_long_run_with_one_line_and_status_130():
    import signal
    import time

    # as in a terminal: Ctrl-C delivered to a process that does not ignore it (a shell starts background jobs, and
    # so a test run started in the background, with SIGINT ignored, which every child would inherit)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gamekit", "simulate", "platform-insurance", "--orbits", "2000000", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        time.sleep(4)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130 and out == ""
    assert err.splitlines()[-1] == "gamekit: error: interrupted" and "Traceback" not in err


def test_a_ctrl_c_that_python_drops_in_a_weakref_callback_is_raised_again():
    # Python drops (prints as "Exception ignored") an exception raised in a weakref callback during garbage collection:
    # a Ctrl-C that lands there was lost, and a long run went on (seen in CI while numba compiled). The CLI's handler
    # raises it again in the main thread until it is caught, without the "Exception ignored" traceback.
    code = (
        "import signal, time, weakref\n"
        "from gamekit.cli import _CtrlC\n"
        "c = _CtrlC()\n"
        "c.install()\n"
        "class A: pass\n"
        "a = A()\n"
        "weakref.finalize(a, signal.raise_signal, signal.SIGINT)\n"
        "try:\n"
        "    del a\n"
        "    print('dropped', flush=True)\n"
        "    time.sleep(30)\n"
        "except KeyboardInterrupt:\n"
        "    c.caught.set()\n"
        "    print('raised again', flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=25,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout == "dropped\nraised again\n" and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["bogus", "platform-insurance"],
        ["analyze"],
        ["simulate", "platform-insurance", "--orbits", "1.5"],
        ["simulate", "platform-insurance", "--seed", "x"],
        ["analyze", "platform-insurance", "--tol", "small"],
        ["thresholds", "platform-insurance"],
        ["analyze", "platform-insurance", "--unknown"],
        ["analyze", "platform-insurance", "extra"],
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv):
    code, out, err = run(*argv, timeout=60)
    assert code == 2 and out == ""
    assert err.startswith("gamekit: error: ") and err.count("\n") == 1, err


def test_version():
    code, out, err = run("--version", timeout=60)
    assert code == 0 and out.startswith("gamekit ")


def test_step_budget_advice_names_an_option_the_command_line_has(monkeypatch, capsys):
    import sys

    from gamekit.errors import AnalysisError

    def spent(*args, **kwargs):
        raise AnalysisError(
            "3 orbits needed more than max_steps=10 steps to reach t_end=300 (an orbit that cycles takes steps in "
            "proportion to t_end times the payoff scale); shorten t_end, loosen rtol or raise max_steps"
        )

    monkeypatch.setattr(sys.modules["gamekit.basins"], "basins", spent)  # the module (gk.basins is the function)
    assert main(["simulate", "platform-insurance", "--orbits", "10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gamekit: error: 3 orbits needed") and err.rstrip().endswith("try a smaller --t-end")
    assert err.count("\n") == 1


# -- issue #9: the same commands on games that are not multilinear --------------------------------------


def test_analyze_one_population_hawk_dove_json(capsys):
    assert main(["analyze", "hawk-dove", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    by_state = {tuple(e["state"][0]): e for e in out["equilibria"]}
    assert set(by_state) == {(1.0, 0.0), (0.0, 1.0), (0.5, 0.5)}
    assert by_state[(0.5, 0.5)]["stability"] == "asymptotically stable"
    assert by_state[(0.5, 0.5)]["eigenvalues"] == [[-0.5, 0.0]]
    for pure in ((1.0, 0.0), (0.0, 1.0)):  # V = 2, C = 4: both pure states lose to an invader, gain +1
        assert by_state[pure]["stability"] == "unstable" and by_state[pure]["eigenvalues"] == [[1.0, 0.0]]


def test_analyze_group_game_stag_hunt(capsys):
    # 10-person threshold stag hunt, M = 5, c = 1: F = 8 has two interior rest points, F = 4 none
    assert main(["analyze", "stag-hunt", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    points = sorted((e["state"][0][0], e["stability"]) for e in out["equilibria"])
    assert [s for _, s in points] == ["asymptotically stable", "unstable", "asymptotically stable", "unstable"]
    assert [round(x, 4) for x, _ in points] == [0.0, 0.3468, 0.7068, 1.0]
    assert main(["analyze", "stag-hunt", "--set", "F=4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(e["state"][0][0] for e in out["equilibria"]) == [0.0, 1.0]


def test_analyze_dynamic_fine_platform_table(capsys):
    assert main(["analyze", "platform-insurance-dynamic-fine"]) == 0
    out = capsys.readouterr().out
    assert "(1, 3/5, 1)" in out and "2 asymptotically stable states" in out
    assert "trap (regulate, evade, accept)" in out


def test_simulate_json_names_interior_attractors_with_their_state(capsys):
    assert main(["simulate", "inspection-dynamic-fine", "--orbits", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    [basin] = out["basins"]  # every interior orbit converges to the stable focus (1/2, 1/2)
    assert basin["share"] == 1.0 and basin["orbits"] == 300
    state = basin["state"]
    assert set(state) == {"inspector", "firm"}
    for shares in state.values():
        assert [round(v, 9) for v in shares.values()] == [0.5, 0.5]


def test_simulate_json_state_is_null_for_cycles(capsys):
    assert main(["simulate", "platform-insurance", "--scenario", "trap", "--orbits", "300", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for basin in out["basins"]:
        assert set(basin) == {"outcome", "share", "ci_low", "ci_high", "orbits", "state"}
        assert (basin["state"] is None) == basin["outcome"].startswith(("cycling", "unresolved"))


def test_thresholds_dynamic_fine(capsys):
    # at the trap y = 0, so the dynamic fine F*(1 - y) is F there: the trap's conditions are the fixed model's
    assert main(["thresholds", "platform-insurance-dynamic-fine", "--target", "trap", "--json"]) == 0
    dynamic = json.loads(capsys.readouterr().out)
    assert main(["thresholds", "platform-insurance", "--scenario", "trap", "--target", "trap", "--json"]) == 0
    fixed = json.loads(capsys.readouterr().out)
    assert dynamic["conditions"] == fixed["conditions"]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[populations]\np = ["a", "b"]\n[shares]\ny = "p.c"\n[payoffs]\n"a, a" = ["y"]\n"a, b" = ["0"]\n'
            '"b, a" = ["0"]\n"b, b" = ["0"]\n',
            "'c' is not a strategy",
        ),
        ('[populations]\np = ["a", "b"]\n[group]\nsize = 1\n[payoffs]\na = "k"\nb = "0"\n', "size must be at least 2"),
        (
            '[populations]\np = ["a", "b"]\n[parameters]\nk = 1\n[group]\nsize = 3\ncount = "k"\n[payoffs]\n'
            'a = "k"\nb = "0"\n',
            "count",
        ),
        (
            '[populations]\np = ["a", "b"]\n[payoffs]\n"a, a, a" = ["1"]\n"a, b" = ["0"]\n"b, a" = ["0"]\n'
            '"b, b" = ["0"]\n',
            "strategies",
        ),
        (
            '[populations]\np = ["a", "b"]\n[payoffs]\n"a, a" = ["y"]\n"a, b" = ["0"]\n"b, a" = ["0"]\n'
            '"b, b" = ["0"]\n',
            "[shares]",
        ),
    ],
)
def test_bad_general_model_files_one_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = run("analyze", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("gamekit: error: ") and message in err, err


def test_analyze_summary_never_asserts_what_an_incomplete_search_cannot_know(tmp_path, capsys):
    # y^10000 defeats the exact face solver: the interior attractor near (0.25, 0.99986) may be missed, and the
    # summary must not say that there is none (or that a stable state found is the unique one)
    path = tmp_path / "steep.toml"
    path.write_text(
        '[populations]\ninspector = ["inspect", "ignore"]\nfirm = ["violate", "comply"]\n'
        '[parameters]\nc = 1\nF = 4\ng = 1\n[shares]\ny = "firm.violate"\n[payoffs]\n'
        '"inspect, violate" = ["F*y^10000 - c", "g - F*y"]\n"inspect, comply" = ["-c", "0"]\n'
        '"ignore, violate" = ["0", "g"]\n"ignore, comply" = ["0", "0"]\n'
    )
    assert main(["analyze", str(path), "--time-budget", "1"]) == 0
    out = capsys.readouterr().out
    assert "may be missing" in out
    assert "No asymptotically stable rest point:" not in out and "The unique asymptotically stable" not in out


def test_analyze_names_points_it_could_not_linearise(tmp_path, capsys):
    # F*log(y): the payoff has an infinite derivative where y = 0; those points are listed, not labelled, and the
    # summary does not call the one stable point found unique
    path = tmp_path / "log.toml"
    path.write_text(
        '[populations]\ninspector = ["inspect", "ignore"]\nfirm = ["violate", "comply"]\n'
        '[parameters]\nc = 1\nF = 4\ng = 1\n[shares]\ny = "firm.violate"\n[payoffs]\n'
        '"inspect, violate" = ["F*log(y) - c", "g - F*y"]\n"inspect, comply" = ["-c", "0"]\n'
        '"ignore, violate" = ["0", "g"]\n"ignore, comply" = ["0", "0"]\n'
    )
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("not linearised") >= 3 and "Rest points not linearised" in out
    assert "The unique asymptotically stable" not in out
    assert main(["analyze", str(path), "--json"]) == 0
    labels = {tuple(map(tuple, e["state"])): e["stability"] for e in json.loads(capsys.readouterr().out)["equilibria"]}
    assert labels[((0.0, 1.0), (1.0, 0.0))] == "asymptotically stable"  # (ignore, violate): gains -1, -1
    assert labels[((1.0, 0.0), (0.0, 1.0))] == "not linearised"


DIVISION_MODEL = """name = "Division"
[populations]
row = ["a", "b"]
col = ["c", "d"]
[parameters]
x = 1
y = 1
[payoffs]
"a, c" = ["x/y", "1"]
"a, d" = ["0", "0"]
"b, c" = ["0", "0"]
"b, d" = ["1", "log(y)"]
"""


def test_a_payoff_divided_by_zero_is_named_in_one_line(tmp_path):
    """hostile6 #17: not sympy's 'zoo' nor an internal constant's name: which payoff, why, at which values."""
    model = tmp_path / "division.toml"
    model.write_text(DIVISION_MODEL)
    code, out, err = run("analyze", str(model), "--set", "y=0")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("gamekit: error: payoff at (a, c) to row, x/y, is not a finite real number: ") and (
        "infinite (division by zero) at x = 1, y = 0" in err
    )
    assert "zoo" not in err and "MAX_MAGNITUDE" not in err
