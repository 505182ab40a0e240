import json
import subprocess
import sys

import pytest

from gamekit.cli import main


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "gamekit", *args], capture_output=True, text=True)
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
    assert code == 2 and "no payoffs for profile (x, v) and 2 more" in err and "Traceback" not in err
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
    assert out["basins"] == [
        {
            "outcome": "regulate, insure, claim",
            "share": 1.0,
            "ci_low": out["basins"][0]["ci_low"],
            "ci_high": 1.0,
            "orbits": 300,
        }
    ]


def test_simulate_table(capsys):
    assert main(["simulate", "platform-insurance", "--scenario", "trap", "--orbits", "400", "--t-end", "120"]) == 0
    out = capsys.readouterr().out
    assert "cycling on workers=claim" in out and "regulate, evade, accept" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["simulate", "platform-insurance", "--t-end", "0"], "positive"),
        (["simulate", "platform-insurance", "--orbits", "0"], "--orbits must be at least 1"),
    ],
)
def test_simulate_bad_input(args, message):
    code, _, err = run(*args)
    assert code == 2 and message in err and "Traceback" not in err
