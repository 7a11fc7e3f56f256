#!/usr/bin/env python3
"""Independent reference for SCORE2-OP (Sources/TwinModels/SCORE2OP.swift).

    SCORE2-OP working group and ESC Cardiovascular risk collaboration. SCORE2-OP risk
    prediction algorithms: estimating incident cardiovascular event risk in older persons in
    four geographical risk regions. Eur Heart J 2021;42:2455-2467, Supplementary Methods.

The coefficients below are typed here from the published tables (model terms, baseline
survival and mean linear predictor as in the Supplementary Methods' formulas and worked
example, Table 3, with the men's age x total cholesterol term 0.0073 of the article; region
scales from Supplementary Methods Table 1), cross-checked against the R package
RiskScorescvd; nothing is taken from the Swift code. The evaluation is vectorised numpy with
the textbook formulas (power and 1 - x, not expm1/log1p as in Swift):

    lp = sum(beta * x) on age - 73, SBP - 150, TC - 6, HDL - 1.4 and their products with
         age - 73 (smoking and diabetes are 0/1)
    uncalibrated = 1 - S0 ** exp(lp - mean)
    calibrated   = 1 - exp(-exp(s1 + s2 * log(-log(1 - uncalibrated))))

Prints one row per person of a grid: both sexes, ages 70..89, non-smoker/smoker,
no diabetes/diabetes, four (SBP, TC, HDL) profiles; columns sex, age, smoker, diabetes, sbp,
tc, hdl, lp, uncalibrated, then the calibrated risk in the low, moderate, high and very-high
regions (17 significant digits).

    python3 scripts/reference/score2op_reference.py > table.csv

Tests/TwinModelsTests/SCORE2OPTests.swift embeds this output verbatim (the test target
declares no resources) and compares every number to 1e-12 relative.

Needs numpy.
"""

import argparse
import sys

import numpy as np

TERMS = (
    "age", "smoking", "sbp", "diabetes", "tc", "hdl",
    "age_smoking", "age_sbp", "age_tc", "age_hdl", "age_diabetes",
)

# Per year of age, per mmHg, per mmol/L.
COEFFICIENTS = {
    "male": {
        "age": 0.0634, "smoking": 0.3524, "sbp": 0.0094, "diabetes": 0.4245, "tc": 0.0850,
        "hdl": -0.3564, "age_smoking": -0.0247, "age_sbp": -0.0005, "age_tc": 0.0073,
        "age_hdl": 0.0091, "age_diabetes": -0.0174,
    },
    "female": {
        "age": 0.0789, "smoking": 0.4921, "sbp": 0.0102, "diabetes": 0.6010, "tc": 0.0605,
        "hdl": -0.3040, "age_smoking": -0.0255, "age_sbp": -0.0004, "age_tc": -0.0009,
        "age_hdl": 0.0154, "age_diabetes": -0.0107,
    },
}
BASELINE_SURVIVAL = {"male": 0.7576, "female": 0.8082}
MEAN_LINEAR_PREDICTOR = {"male": 0.0929, "female": 0.2290}

REGIONS = ("low", "moderate", "high", "very-high")
# Supplementary Methods Table 1: (scale 1, scale 2).
SCALES = {
    "male": {"low": (-0.34, 1.19), "moderate": (0.01, 1.25), "high": (0.08, 1.15),
             "very-high": (0.05, 0.7)},
    "female": {"low": (-0.52, 1.01), "moderate": (-0.1, 1.1), "high": (0.38, 1.09),
               "very-high": (0.38, 0.69)},
}

# (SBP mmHg, total cholesterol mmol/L, HDL mmol/L): low, the centring point, high, and one
# with values that are not exact in binary.
PROFILES = ((120.0, 4.5, 1.8), (150.0, 6.0, 1.4), (175.0, 7.5, 0.9), (137.5, 5.3, 1.15))
AGES = range(70, 90)


def grid():
    """Columns of the grid as float arrays (sex as 0 female / 1 male)."""
    rows = [
        (male, age, smoker, diabetes, sbp, tc, hdl)
        for male in (0, 1)
        for age in AGES
        for smoker in (0, 1)
        for diabetes in (0, 1)
        for sbp, tc, hdl in PROFILES
    ]
    return np.array(rows, dtype=np.float64).T


def linear_predictor(sex, age, smoker, diabetes, sbp, tc, hdl):
    b = COEFFICIENTS[sex]
    a = age - 73.0
    x = {
        "age": a, "smoking": smoker, "sbp": sbp - 150.0, "diabetes": diabetes,
        "tc": tc - 6.0, "hdl": hdl - 1.4,
        "age_smoking": a * smoker, "age_sbp": a * (sbp - 150.0), "age_tc": a * (tc - 6.0),
        "age_hdl": a * (hdl - 1.4), "age_diabetes": a * diabetes,
    }
    return sum(b[term] * x[term] for term in TERMS)


def risks(sex, lp):
    uncalibrated = 1.0 - np.power(BASELINE_SURVIVAL[sex], np.exp(lp - MEAN_LINEAR_PREDICTOR[sex]))
    calibrated = {}
    for region in REGIONS:
        s1, s2 = SCALES[sex][region]
        calibrated[region] = 1.0 - np.exp(-np.exp(s1 + s2 * np.log(-np.log(1.0 - uncalibrated))))
    return uncalibrated, calibrated


def table():
    male, age, smoker, diabetes, sbp, tc, hdl = grid()
    lp = np.empty_like(age)
    uncalibrated = np.empty_like(age)
    calibrated = {region: np.empty_like(age) for region in REGIONS}
    for flag, sex in ((0.0, "female"), (1.0, "male")):
        rows = male == flag
        lp[rows] = linear_predictor(
            sex, age[rows], smoker[rows], diabetes[rows], sbp[rows], tc[rows], hdl[rows])
        uncalibrated[rows], by_region = risks(sex, lp[rows])
        for region in REGIONS:
            calibrated[region][rows] = by_region[region]
    return male, age, smoker, diabetes, sbp, tc, hdl, lp, uncalibrated, calibrated


def main():
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    male, age, smoker, diabetes, sbp, tc, hdl, lp, uncalibrated, calibrated = table()
    out = sys.stdout
    out.write("sex,age,smoker,diabetes,sbp,tc,hdl,lp,uncalibrated," + ",".join(REGIONS) + "\n")
    for i in range(len(age)):
        numbers = [lp[i], uncalibrated[i]] + [calibrated[r][i] for r in REGIONS]
        out.write(
            f"{'male' if male[i] else 'female'},{age[i]:g},{int(smoker[i])},{int(diabetes[i])},"
            f"{sbp[i]:g},{tc[i]:g},{hdl[i]:g}," + ",".join(f"{v:.17g}" for v in numbers) + "\n")


if __name__ == "__main__":
    main()
