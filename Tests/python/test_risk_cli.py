"""`twin-sim risk` against the worked examples published with each equation.

Reference values come from the publications (cited per test) or, where marked, from an
independent evaluation of the published coefficient tables written here in Python.
"""

import json
import math

import pytest

from conftest import run

MG_PER_DL_PER_MMOL_PER_L = 38.67  # docs/science.md section 1


def risk_json(twin_sim, *args):
    result = run([twin_sim, "risk", *args, "--json"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Goff DC Jr et al., Circulation 2014;129(25 Suppl 2):S49-S73, Table A: 55 years,
# TC 213 mg/dL, HDL 50 mg/dL, untreated SBP 120 mmHg, non-smoker, no diabetes.
# (race, sex, printed Individual Sum, printed ten-year risk)
GOFF_TABLE_A = [
    ("white", "female", -29.67, 0.021),
    ("black", "female", 86.16, 0.030),
    ("white", "male", 60.69, 0.053),
    ("black", "male", 18.97, 0.061),
]
# Table A sums rounded terms (each to 0.01, up to 7 terms) and prints risks to 0.1 %.
SUM_ROUNDING = 7 * 0.005
RISK_ROUNDING = 0.0005


@pytest.mark.parametrize("race,sex,published_sum,published_risk", GOFF_TABLE_A)
def test_pce_matches_goff_table_a(twin_sim, race, sex, published_sum, published_risk):
    out = risk_json(
        twin_sim, "--equation", "pce", "--sex", sex, "--race", race, "--age", "55",
        "--total-cholesterol", "213", "--hdl", "50", "--sbp", "120",
    )
    assert out["equation"] == "pce"
    assert out["race"] == race and out["sex"] == sex
    assert abs(out["linear_predictor"] - published_sum) <= SUM_ROUNDING
    # The printed sum's rounding carried through d risk / d sum <= risk.
    assert abs(out["risk10"] - published_risk) <= RISK_ROUNDING + SUM_ROUNDING * published_risk
    assert out["annual_hazard"] == pytest.approx(-math.log1p(-out["risk10"]) / 10, rel=1e-12)
    assert {r["variable"]: (r["min"], r["max"], r["unit"]) for r in out["valid_ranges"]} == {
        "age": (40, 79, "years"),
        "total_cholesterol": (130, 320, "mg/dL"),
        "hdl_cholesterol": (20, 100, "mg/dL"),
        "sbp": (90, 200, "mmHg"),
    }


# D'Agostino RB Sr et al., Circulation 2008;117:743-753, Tables 11 and 12 (score-sheet
# examples): case 2, a man of 53, TC 161, HDL 55 mg/dL, treated SBP 125, non-smoker, with
# diabetes: 15.6 %.
def test_framingham_matches_dagostino_case_two(twin_sim):
    out = risk_json(
        twin_sim, "--equation", "framingham", "--sex", "male", "--age", "53",
        "--total-cholesterol", "161", "--hdl", "55", "--sbp", "125", "--bp-treated",
        "--diabetes",
    )
    assert abs(out["risk10"] - 0.156) <= RISK_ROUNDING


def framingham_reference(sex, age, tc_mg_dl, hdl_mg_dl, sbp, treated, smoker, diabetes):
    """INDEPENDENT COMPUTATION of D'Agostino 2008 Table 2 (not code under test)."""
    if sex == "female":
        b = (2.32888, 1.20904, -0.70833, 2.76157, 2.82263, 0.52873, 0.69154)
        mean, s0 = 26.1931, 0.95012
    else:
        b = (3.06117, 1.12370, -0.93263, 1.93303, 1.99881, 0.65451, 0.57367)
        mean, s0 = 23.9802, 0.88936
    lp = (b[0] * math.log(age) + b[1] * math.log(tc_mg_dl) + b[2] * math.log(hdl_mg_dl)
          + (b[4] if treated else b[3]) * math.log(sbp) + b[5] * smoker + b[6] * diabetes)
    return lp, 1 - s0 ** math.exp(lp - mean)


def test_framingham_case_one_woman_matches_independent_evaluation(twin_sim):
    # The paper's case 1 (woman, 61, TC 180, HDL 47, untreated SBP 124, smoker) prints
    # 10.0 % from the points table; the equation itself gives 10.48 %.
    out = risk_json(
        twin_sim, "--equation", "framingham", "--sex", "female", "--age", "61",
        "--total-cholesterol", "180", "--hdl", "47", "--sbp", "124", "--smoker",
    )
    lp, risk = framingham_reference("female", 61, 180, 47, 124, False, 1, 0)
    assert out["linear_predictor"] == pytest.approx(lp, rel=1e-12)
    assert out["risk10"] == pytest.approx(risk, rel=1e-10)
    assert abs(out["risk10"] - 0.100) <= 0.005


# SCORE2, Eur Heart J 2021;42:2439-2454, Supplementary Methods (docs/science.md section 1):
# 50 years, smoker, SBP 140 mmHg, TC 6.3 mmol/L, HDL 1.4 mmol/L, no diabetes.
SCORE2_EXAMPLE = {
    "male": (0.3221, 0.0541, {"low": 0.0631, "moderate": 0.0811, "high": 0.0881,
                              "very-high": 0.1506}),
    "female": (0.3979, 0.0332, {"low": 0.0433, "moderate": 0.0523, "high": 0.0713,
                                "very-high": 0.1413}),
}


@pytest.mark.parametrize("sex", ["male", "female"])
@pytest.mark.parametrize("region", ["low", "moderate", "high", "very-high"])
def test_score2_matches_published_worked_example(twin_sim, sex, region):
    out = risk_json(
        twin_sim, "--equation", "score2", "--sex", sex, "--age", "50", "--smoker",
        "--sbp", "140", "--total-cholesterol", "6.3", "--hdl", "1.4", "--region", region,
    )
    lp, uncalibrated, by_region = SCORE2_EXAMPLE[sex]
    assert out["region"] == region
    assert abs(out["linear_predictor"] - lp) <= 0.00005
    assert abs(out["risk10_uncalibrated"] - uncalibrated) <= 0.00005
    assert abs(out["risk10"] - by_region[region]) <= 0.00005


def test_score2_region_defaults_to_moderate(twin_sim):
    out = risk_json(
        twin_sim, "--equation", "score2", "--sex", "male", "--age", "50", "--smoker",
        "--sbp", "140", "--total-cholesterol", "6.3", "--hdl", "1.4",
    )
    assert out["region"] == "moderate"
    assert abs(out["risk10"] - 0.0811) <= 0.00005


@pytest.mark.parametrize(
    "equation,tc_mg_dl,hdl_mg_dl",
    [("pce", 213, 50), ("framingham", 213, 50), ("score2", 6.3 * MG_PER_DL_PER_MMOL_PER_L,
                                                 1.4 * MG_PER_DL_PER_MMOL_PER_L)],
)
def test_mg_per_dl_and_mmol_per_l_give_the_same_risk(twin_sim, equation, tc_mg_dl, hdl_mg_dl):
    common = ["--equation", equation, "--sex", "male", "--age", "55", "--sbp", "130",
              "--smoker"]
    in_mg = risk_json(twin_sim, *common, "--units", "mg/dL",
                      "--total-cholesterol", repr(tc_mg_dl), "--hdl", repr(hdl_mg_dl))
    in_mmol = risk_json(twin_sim, *common, "--units", "mmol/L",
                        "--total-cholesterol", repr(tc_mg_dl / MG_PER_DL_PER_MMOL_PER_L),
                        "--hdl", repr(hdl_mg_dl / MG_PER_DL_PER_MMOL_PER_L))
    assert in_mg["risk10"] == pytest.approx(in_mmol["risk10"], rel=1e-12)
    assert in_mg["inputs"]["total_cholesterol_mmol_l"] == pytest.approx(
        tc_mg_dl / MG_PER_DL_PER_MMOL_PER_L, rel=1e-15)


def test_default_units_are_mg_per_dl_for_pce_and_mmol_per_l_for_score2(twin_sim):
    pce = risk_json(twin_sim, "--equation", "pce", "--sex", "female", "--age", "55",
                    "--total-cholesterol", "213", "--hdl", "50", "--sbp", "120")
    assert pce["inputs"]["total_cholesterol_mmol_l"] == pytest.approx(213 / 38.67, rel=1e-15)
    score2 = risk_json(twin_sim, "--equation", "score2", "--sex", "female", "--age", "55",
                       "--total-cholesterol", "5.5", "--hdl", "1.3", "--sbp", "120")
    assert score2["inputs"]["total_cholesterol_mmol_l"] == 5.5


def test_pce_at_age_35_exits_2_naming_the_valid_range(twin_sim):
    result = run([twin_sim, "risk", "--equation", "pce", "--sex", "female", "--age", "35",
                  "--total-cholesterol", "213", "--hdl", "50", "--sbp", "120"])
    assert result.returncode == 2
    assert "40-79" in result.stderr
    assert result.stderr.startswith("twin-sim: error:")
    assert result.stdout == ""


def test_out_of_range_cholesterol_message_names_range_in_both_units(twin_sim):
    result = run([twin_sim, "risk", "--equation", "pce", "--sex", "male", "--age", "60",
                  "--total-cholesterol", "9", "--units", "mmol/L", "--hdl", "1.3",
                  "--sbp", "120"])
    assert result.returncode == 2
    assert "130-320 mg/dL" in result.stderr and "mmol/L" in result.stderr


@pytest.mark.parametrize("args", [
    ["--equation", "framingham", "--race", "black"],
    ["--equation", "pce", "--region", "high"],
    ["--equation", "score2", "--race", "white"],
])
def test_race_and_region_are_refused_for_other_equations(twin_sim, args):
    result = run([twin_sim, "risk", *args, "--sex", "male", "--age", "50",
                  "--total-cholesterol", "200", "--hdl", "50", "--sbp", "120"])
    assert result.returncode != 0
    assert ("--race" in result.stderr) or ("--region" in result.stderr)


def test_without_json_prints_one_readable_line(twin_sim):
    result = run([twin_sim, "risk", "--equation", "score2", "--sex", "male", "--age", "50",
                  "--smoker", "--sbp", "140", "--total-cholesterol", "6.3", "--hdl", "1.4",
                  "--region", "high"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "10-year risk 8.81 %" in lines[0] and "high" in lines[0]


# SCORE2-OP supplement worked example (woman, 75 years, smoker, SBP 140 mmHg, TC 5.5,
# HDL 1.3 mmol/L, no diabetes): uncalibrated ten-year risk 24.42 % (printed); the
# region recalibration of Supplementary Methods Table 1 is checked in SCORE2OPTests.
def test_score2_op_and_score2_plus_op_reproduce_the_published_uncalibrated_risk(twin_sim):
    inputs = ["--sex", "female", "--age", "75", "--smoker", "--total-cholesterol", "5.5",
              "--hdl", "1.3", "--sbp", "140"]
    alone = risk_json(twin_sim, "--equation", "score2-op", *inputs)
    both = risk_json(twin_sim, "--equation", "score2+op", *inputs)
    assert alone["risk10_uncalibrated"] == pytest.approx(0.2442, abs=5e-5)
    assert both["risk10"] == alone["risk10"]
    assert both["equation"] == "score2+op" and alone["equation"] == "score2-op"


def test_score2_plus_op_is_score2_below_70(twin_sim):
    inputs = ["--sex", "male", "--age", "50", "--smoker", "--total-cholesterol", "6.3",
              "--hdl", "1.4", "--sbp", "140", "--region", "high"]
    assert (risk_json(twin_sim, "--equation", "score2+op", *inputs)["risk10"]
            == risk_json(twin_sim, "--equation", "score2", *inputs)["risk10"])


@pytest.mark.parametrize("equation,age,valid", [
    ("score2-op", "65", "70-89 years"), ("score2-op", "92", "70-89 years"),
    ("score2+op", "35", "40-89 years"), ("score2+op", "95", "40-89 years")])
def test_score2_op_ages_outside_the_range_are_refused(twin_sim, equation, age, valid):
    result = run([twin_sim, "risk", "--equation", equation, "--sex", "male", "--age", age,
                  "--total-cholesterol", "5", "--hdl", "1.3", "--sbp", "140"])
    assert result.returncode == 2
    assert valid in result.stderr


@pytest.mark.parametrize("equation,flag,value", [
    ("score2", "--total-cholesterol", "1e308"), ("framingham", "--total-cholesterol", "1e308"),
    ("score2", "--sbp", "1e300"), ("score2+op", "--hdl", "50"), ("pce", "--age", "1e9")])
def test_implausible_inputs_are_refused_with_exit_2_not_a_json_error(
        twin_sim, equation, flag, value):
    args = {"--sex": "female", "--age": "55", "--total-cholesterol": "5.5", "--hdl": "1.3",
            "--sbp": "120"}
    if equation in ("pce", "framingham"):
        args.update({"--total-cholesterol": "213", "--hdl": "50"})
    args[flag] = value
    result = run([twin_sim, "risk", "--equation", equation, "--json",
                  *[item for pair in args.items() for item in pair]])
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "outside the valid range" in result.stderr


def test_json_never_holds_a_non_finite_number(twin_sim):
    # The highest risk within the plausible ranges still gives finite numbers.
    out = risk_json(twin_sim, "--equation", "score2", "--sex", "male", "--age", "69",
                    "--smoker", "--diabetes", "--total-cholesterol", "15", "--hdl", "0.3",
                    "--sbp", "250", "--region", "very-high")
    assert all(math.isfinite(v) for v in (out["risk10"], out["annual_hazard"],
                                          out["linear_predictor"]))
