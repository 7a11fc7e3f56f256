#!/usr/bin/env python3
"""Independent reference for `twin-sim physiology`: the reduced Smith 2004 closed-loop model.

Written from docs/science.md section 4 alone (it shares no code with the Swift
implementation): its own right-hand side and analytic Jacobian, scipy's implicit Radau IIA
(order 5) at rtol 1e-10, a periodic steady state found by Newton-type shooting on the beat map
(scipy.optimize.root, MINPACK hybrd) instead of beat-to-beat iteration, and beat metrics located
on the dense output with a bounded scalar minimiser.

    Smith BW, Chase JG, Nokes RI, Shaw GM, Wake G. Minimal haemodynamic system model including
    ventricular interaction and valve dynamics. Med Eng Phys 2004;26:131-139 (reduced form: no
    septal interaction, no valve inertance, zero dead-space volumes).

Usage, like `twin-sim physiology`:

    python3 scripts/reference/physiology_reference.py [--preset smith2004|healthy-adult]
        [--set NAME=VALUE ...] [--method Radau|LSODA] [--json]

or as a module: `solve(parameters) -> dict` with `PRESETS` and `parameters_from(preset, sets)`.
Needs numpy and scipy.
"""

import argparse
import json
import math
import sys

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar, root

# docs/science.md section 4: Smith 2004 values (HR bpm; elastances mmHg/ml; P0 mmHg; lam 1/ml;
# resistances mmHg s/ml; stressed volume ml; activation A, B 1/s^2, C s).
SMITH_2004 = {
    "HR": 80.0, "A": 1.0, "B": 80.0, "C": 0.375,
    "E_lv": 2.8798, "P0_lv": 0.1203, "lam_lv": 0.033,
    "E_rv": 0.585, "P0_rv": 0.2157, "lam_rv": 0.023,
    "E_pa": 0.369, "E_pu": 0.0073, "E_sa": 0.6913, "E_sv": 0.0059,
    "R_pul": 0.1552, "R_sys": 1.0889, "R_mt": 0.0158, "R_av": 0.018,
    "R_tc": 0.0237, "R_pv": 0.0055, "V_stressed": 1500.0,
}
# "Healthy adult baseline (scaling of the Beard/Carlson reduced-Smith normal set)".
HEALTHY_ADULT_SCALING = {
    "E_lv": 1.5, "lam_lv": 0.7, "E_rv": 1.2, "lam_rv": 0.7, "E_pa": 0.7, "R_pul": 0.85,
    "E_sa": 1.3, "R_sys": 1.18,
}
PRESETS = {
    "smith2004": dict(SMITH_2004),
    "healthy-adult": {k: v * HEALTHY_ADULT_SCALING.get(k, 1.0) for k, v in SMITH_2004.items()},
}
# Initial volumes (Smith 2004): lv, rv, pa, pu, sa, sv.
SMITH_INITIAL_VOLUMES = np.array([94.6812, 90.7302, 43.0123, 808.458, 133.338, 329.780])

LV, RV, PA, PU, SA, SV, MAP_INTEGRAL = range(7)


def parameters_from(preset="healthy-adult", sets=None):
    """The preset with absolute overrides {name: value}."""
    parameters = dict(PRESETS[preset])
    for name, value in (sets or {}).items():
        if name not in parameters:
            raise KeyError(name)
        parameters[name] = float(value)
    return parameters


def activation(tau, p):
    """e(tau) = A exp(-B (tau - C)^2) and its derivative."""
    e = p["A"] * math.exp(-p["B"] * (tau - p["C"]) ** 2)
    return e, -2.0 * p["B"] * (tau - p["C"]) * e


def pressures(v, e, p):
    """Compartment pressures (mmHg) from volumes v[0:6] at activation e."""
    p_lv = e * p["E_lv"] * v[LV] + (1 - e) * p["P0_lv"] * math.expm1(p["lam_lv"] * v[LV])
    p_rv = e * p["E_rv"] * v[RV] + (1 - e) * p["P0_rv"] * math.expm1(p["lam_rv"] * v[RV])
    return (p_lv, p_rv, p["E_pa"] * v[PA], p["E_pu"] * v[PU], p["E_sa"] * v[SA],
            p["E_sv"] * v[SV])


def rhs(tau, y, p):
    """d/dt of the six volumes (ml/s) and of the running integral of P_sa (mmHg)."""
    e, _ = activation(tau, p)
    p_lv, p_rv, p_pa, p_pu, p_sa, p_sv = pressures(y, e, p)
    q_mt = max(p_pu - p_lv, 0.0) / p["R_mt"]
    q_av = max(p_lv - p_sa, 0.0) / p["R_av"]
    q_tc = max(p_sv - p_rv, 0.0) / p["R_tc"]
    q_pv = max(p_rv - p_pa, 0.0) / p["R_pv"]
    q_sys = (p_sa - p_sv) / p["R_sys"]
    q_pul = (p_pa - p_pu) / p["R_pul"]
    return np.array([
        q_mt - q_av, q_tc - q_pv, q_pv - q_pul, q_pul - q_mt, q_av - q_sys, q_sys - q_tc, p_sa,
    ])


def jacobian(tau, y, p):
    """Analytic Jacobian of `rhs` (one-sided where a valve sits exactly at zero flow)."""
    e, _ = activation(tau, p)
    p_lv, p_rv, p_pa, p_pu, p_sa, p_sv = pressures(y, e, p)
    # dP/dV of each compartment.
    d_lv = e * p["E_lv"] + (1 - e) * p["P0_lv"] * p["lam_lv"] * math.exp(p["lam_lv"] * y[LV])
    d_rv = e * p["E_rv"] + (1 - e) * p["P0_rv"] * p["lam_rv"] * math.exp(p["lam_rv"] * y[RV])
    slope = {LV: d_lv, RV: d_rv, PA: p["E_pa"], PU: p["E_pu"], SA: p["E_sa"], SV: p["E_sv"]}
    jac = np.zeros((7, 7))

    def flow(source, target, upstream, downstream, resistance, diode):
        # Q = (P_upstream - P_downstream) / R from `source` to `target`.
        if diode and not (pressure[upstream] - pressure[downstream] > 0):
            return
        for compartment, sign in ((upstream, 1.0), (downstream, -1.0)):
            dq = sign * slope[compartment] / resistance
            jac[source, compartment] -= dq
            jac[target, compartment] += dq

    pressure = {LV: p_lv, RV: p_rv, PA: p_pa, PU: p_pu, SA: p_sa, SV: p_sv}
    flow(PU, LV, PU, LV, p["R_mt"], True)
    flow(LV, SA, LV, SA, p["R_av"], True)
    flow(SV, RV, SV, RV, p["R_tc"], True)
    flow(RV, PA, RV, PA, p["R_pv"], True)
    flow(SA, SV, SA, SV, p["R_sys"], False)
    flow(PA, PU, PA, PU, p["R_pul"], False)
    jac[MAP_INTEGRAL, SA] = p["E_sa"]
    return jac


def beat(volumes, p, method="Radau", rtol=1e-10, atol=1e-10):
    """Integrates one beat tau in [0, 60/HR] from `volumes`; returns scipy's solution."""
    period = 60.0 / p["HR"]
    y0 = np.concatenate([volumes, [0.0]])
    solution = solve_ivp(
        lambda t, y: rhs(t, y, p), (0.0, period), y0, method=method, rtol=rtol,
        atol=atol, dense_output=True, jac=lambda t, y: jacobian(t, y, p))
    if not solution.success:
        raise RuntimeError(f"{method} failed: {solution.message}")
    return solution


def steady_state(p, method="Radau", rtol=1e-10, atol=1e-10, tolerance=1e-7):
    """Periodic steady state by shooting: solve F(x) - x = 0 for five volumes (the sixth
    follows from the conserved total), F the beat map. A few plain beats at loose tolerance
    first bring the guess near the orbit. Returns (volumes, shooting iterations)."""
    total = p["V_stressed"]
    x = SMITH_INITIAL_VOLUMES * total / SMITH_INITIAL_VOLUMES.sum()
    for _ in range(15):
        x = beat(x, p, method, rtol=1e-7, atol=1e-7).y[:6, -1]
    x *= total / x.sum()

    def residual(free):
        start = np.append(free, total - free.sum())
        return beat(start, p, method, rtol, atol).y[:5, -1] - free

    result = root(residual, x[:5], method="hybr", options={"xtol": 1e-13})
    free = result.x
    start = np.append(free, total - free.sum())
    end = beat(start, p, method, rtol, atol).y[:6, -1]
    if np.abs(end - start).max() > tolerance:
        raise RuntimeError(
            f"shooting did not converge: residual {np.abs(end - start).max():.3g} ml")
    return start, result.nfev


def extreme(function, times, maximum):
    """Max (or min) of a smooth function of time: best grid point, then a bounded Brent
    search between its neighbours."""
    values = np.array([function(t) for t in times])
    sign = -1.0 if maximum else 1.0
    index = int(np.argmin(sign * values))
    low = times[max(index - 1, 0)]
    high = times[min(index + 1, len(times) - 1)]
    best = minimize_scalar(
        lambda t: sign * function(t), bounds=(low, high), method="bounded",
        options={"xatol": 1e-13})
    return max(values[index], -best.fun) if maximum else min(values[index], best.fun)


def metrics(p, volumes, method="Radau", rtol=1e-10, atol=1e-10):
    """Metrics of the beat starting at `volumes` (the steady state)."""
    solution = beat(volumes, p, method, rtol, atol)
    period = 60.0 / p["HR"]
    grid = np.linspace(0.0, period, 6001)

    def state(t):
        return solution.sol(t)

    def p_sa(t):
        return p["E_sa"] * state(t)[SA]

    def v_lv(t):
        return state(t)[LV]

    def p_lv(t):
        return pressures(state(t), activation(t, p)[0], p)[0]

    sbp = extreme(p_sa, grid, True)
    dbp = extreme(p_sa, grid, False)
    lvedv = extreme(v_lv, grid, True)
    lvesv = extreme(v_lv, grid, False)
    stroke_volume = lvedv - lvesv
    return {
        "sbp": sbp,
        "dbp": dbp,
        "map": solution.y[MAP_INTEGRAL, -1] / period,
        "pulse_pressure": sbp - dbp,
        "stroke_volume": stroke_volume,
        "lvedv": lvedv,
        "lvesv": lvesv,
        "cardiac_output": stroke_volume * p["HR"] / 1000.0,
        "ejection_fraction": 100.0 * stroke_volume / lvedv,
        "peak_lv_pressure": extreme(p_lv, grid, True),
        "end_volume_change": float(np.abs(solution.y[:6, -1] - volumes).max()),
    }


def solve(p, method="Radau", rtol=1e-10, atol=1e-10):
    """Steady-state metrics of parameter set `p` (dict of docs/science.md's names)."""
    volumes, evaluations = steady_state(p, method, rtol, atol)
    result = metrics(p, volumes, method, rtol, atol)
    result["shooting_evaluations"] = evaluations
    result["state"] = dict(zip(["V_lv", "V_rv", "V_pa", "V_pu", "V_sa", "V_sv"], volumes))
    result["parameters"] = dict(p)
    result["method"] = method
    result["rtol"] = rtol
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="healthy-adult")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--method", choices=["Radau", "LSODA"], default="Radau")
    parser.add_argument("--rtol", type=float, default=1e-10)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    sets = {}
    for item in arguments.set:
        name, _, value = item.partition("=")
        sets[name] = float(value)
    try:
        p = parameters_from(arguments.preset, sets)
    except KeyError as error:
        parser.error(f"unknown parameter {error}")
    result = solve(p, arguments.method, arguments.rtol, arguments.rtol)
    if arguments.json:
        print(json.dumps(result, sort_keys=True))
    else:
        print(f"{arguments.preset} ({arguments.method}, rtol {arguments.rtol:g}): "
              f"{result['sbp']:.4f}/{result['dbp']:.4f} mmHg, MAP {result['map']:.4f}, "
              f"SV {result['stroke_volume']:.4f} ml, LVEDV {result['lvedv']:.4f} ml, "
              f"EF {result['ejection_fraction']:.3f} %, CO {result['cardiac_output']:.4f} l/min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
