"""Region-sector aggregates given prices: cutoffs, shares, sales, costs, profits (docs eqs. Q3–Q25).

Every function is pure in (spec arrays, fundamentals arrays, λ_{t−1}, prices). ``evaluate`` is the
whole static map from (w, P, E) to what the model implies for them, used by the solver and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pareto import tail_moment, tail_share
from .spec import Fundamentals, QuantSpec


def unit_costs(spec: QuantSpec, w: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(c_nj, P^C_n): the production bundle's unit cost (Q3) and the consumption bundle's price."""
    a = spec.arrays()
    gl, gk, alpha = a["gamma_labour"], a["gamma_inputs"], a["alpha"]
    log_p = np.log(P)
    with np.errstate(divide="ignore"):
        log_gk = np.where(gk > 0, np.log(np.where(gk > 0, gk, 1.0)), 0.0)
    log_c = gl[None, :] * (np.log(w)[:, None] - np.log(gl)[None, :]) + log_p @ gk.T - (gk * log_gk).sum(axis=1)[None, :]
    log_pc = log_p @ alpha - (alpha * np.log(alpha)).sum()
    return np.exp(log_c), np.exp(log_pc)


def cutoffs_v(g, MA, XA, CT, CX) -> tuple[np.ndarray, np.ndarray]:
    """(v_T, v_X): the adoption and export cutoffs in v = K x^ε (eq. Q10a–c), ∞ when nobody crosses.

    π(T, X) = v g^T (MA + X·XA) − T·C^T − X·C^X has increasing differences, so T and X are monotone in v."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        has_x = XA > 0
        vxa = np.where(has_x, CX / np.where(has_x, XA, 1.0), np.inf)
        vta = CT / ((g - 1) * (MA + XA))
        case_a = vxa <= vta
        vtb = CT / ((g - 1) * MA)
        vxb = np.where(has_x, CX / (g * np.where(has_x, XA, 1.0)), np.inf)
        case_b = ~case_a & (vtb <= vxb)
        vc = (CT + CX) / (g * (MA + XA) - MA)
    v_t = np.where(case_a, vta, np.where(case_b, vtb, vc))
    v_x = np.where(case_a, vxa, np.where(case_b, vxb, vc))
    return v_t, v_x


@dataclass(frozen=True)
class Aggregates:
    """Everything the model implies at given (w, P, E) and λ_{t−1}; arrays (N,) or (N, J)."""

    c: np.ndarray              # unit cost of the production bundle (Q3)
    adoption_cost: np.ndarray  # c^A (Q4)
    market_access: np.ndarray  # MA (Q7)
    export_access: np.ndarray  # XA (Q7)
    x_adopt: np.ndarray        # x_T, clipped to [1, κ] (Q11)
    x_export: np.ndarray       # x_X
    adopter_share: np.ndarray  # λ (Q12)
    exporter_share: np.ndarray  # χ
    A: np.ndarray              # price aggregate (Q13)
    A_export: np.ndarray       # exporters' price aggregate (Q14)
    retained: np.ndarray       # Ω^0 + Ω^1 (Q15–16)
    retained_adopters: np.ndarray
    sales: np.ndarray          # R (Q17)
    exports: np.ndarray        # A^X XA
    inputs: np.ndarray         # V (Q18, G4): input spending at market prices
    subsidies: np.ndarray      # S (Q18; with a general subsidy G5): adoption and general subsidies together
    adoption_spend: np.ndarray  # C^T M λ
    export_spend: np.ndarray    # C^X M χ
    profits: np.ndarray        # Π (Q19)
    wedge: np.ndarray          # W (Q19)
    imports: np.ndarray        # imports at tariff-inclusive prices, by (m, j)
    tariff_revenue: np.ndarray  # TR (Q22), by (m, j)
    home_flows: np.ndarray     # X_nmj = d^{1−σ} A_nj P_mj^{σ−1} E_mj, (N, N, J)
    price_model: np.ndarray    # P implied by (Q6)
    labour_demand: np.ndarray  # left side of (Q24)
    labour_tax: float          # τ^w (Q20)
    payout: float              # π̄ (Q21)
    income: np.ndarray         # I_n (Q23)
    spending_model: np.ndarray  # E implied by (Q25)


def evaluate(spec: QuantSpec, fund: Fundamentals, lam_prev: np.ndarray, w: np.ndarray, P: np.ndarray,
             E: np.ndarray) -> Aggregates:
    """The static map: given wages, price indices and spending, every aggregate of §§3–6.

    With a general subsidy s^G (docs §14) every firm's unit cost is (1 − s^G)(1 − sT)c/z: q = 1 − s^G enters
    the mill-price scale h (G2, hence K, A, A^X, Ω), input spending at market prices V (G4) and the subsidy
    bill S (G5); s^G = 0 gives q = 1 and exactly the expressions without it."""
    a, fa = spec.arrays(), fund.arrays(spec)
    sigma, theta, kappa, mu = spec.sigma, spec.theta, spec.kappa, spec.mu
    xi, tau_bar, mass, adopting = a["xi"], a["tau_bar"], a["mass"], a["adopting"]
    s, s_g = fa["subsidy"], fa["general_subsidy"]
    q = 1 - s_g                                                          # (G1)
    e_r, eps = (1 + xi) * (sigma - 1), sigma * (1 + xi) - 1

    c, pc = unit_costs(spec, w, P)
    c_adopt = c if spec.adoption_bundle == "production" else np.broadcast_to(pc[:, None], c.shape)
    f = np.exp(spec.delta * np.asarray(lam_prev, dtype=float))
    base = f * fa["phi_min"]
    h = mu * c * q / ((1 - tau_bar) * base ** (1 + xi))                   # §3 with (G2)
    K = (1 - tau_bar) * base ** xi * h ** (1 - sigma) / sigma           # (Q8)

    dd = a["d"] ** (1 - sigma)                                           # d_nmj^{1−σ}
    demand = P ** (sigma - 1) * E
    MA = np.einsum("nmj,mj->nj", dd, demand)                            # (Q7)
    XA = a["d_port"] ** (1 - sigma) * fa["foreign_demand"][None, :]

    g = spec.eta ** eps * (1 - s) ** (1 - sigma)
    g_r = spec.eta ** e_r * (1 - s) ** (1 - sigma)
    CT = np.where(adopting[None, :], spec.fixed_adoption * c_adopt, np.inf)
    CX = a["fixed_export"][None, :] * w[:, None]
    v_t, v_x = cutoffs_v(g, MA, XA, CT, CX)
    with np.errstate(over="ignore", divide="ignore"):
        x_t = np.clip((v_t / K) ** (1 / eps), 1.0, kappa)                 # (Q11)
        x_x = np.clip((v_x / K) ** (1 / eps), 1.0, kappa)
    x_b = np.maximum(x_t, x_x)
    lam = np.where(adopting[None, :], tail_share(x_t, theta, kappa), 0.0)  # (Q12)
    chi = tail_share(x_x, theta, kappa)

    def J(x, e):
        return tail_moment(x, np.broadcast_to(e, x.shape), theta, kappa)

    ones = np.ones_like(x_t)
    jr1, jrt, jrx, jrb = J(ones, e_r), J(x_t, e_r), J(x_x, e_r), J(x_b, e_r)
    je1, jet, jex, jeb = J(ones, eps), J(x_t, eps), J(x_x, eps), J(x_b, eps)
    A = mass * h ** (1 - sigma) * (jr1 + (g_r - 1) * jrt)               # (Q13)
    AX = mass * h ** (1 - sigma) * (jrx + (g_r - 1) * jrb)              # (Q14)
    omega0 = sigma * K * mass * ((je1 - jet) * MA + (jex - jeb) * XA)   # (Q15)
    omega1 = sigma * K * mass * g * (jet * MA + jeb * XA)               # (Q16)
    exports = AX * XA
    R = A * MA + exports                                                 # (Q17)
    V = (omega0 + omega1 / (1 - s)) / (mu * q)                           # (Q18), (G4)
    S = s * omega1 / (mu * (1 - s)) + s_g * V                            # (G5)
    spend_t = np.where(adopting[None, :], np.where(np.isfinite(CT), CT, 0.0) * mass * lam, 0.0)
    spend_x = CX * mass * chi
    profits = (omega0 + omega1) / sigma - spend_t - spend_x              # (Q19)
    wedge = R - omega0 - omega1

    iota = (1 + fa["tariff"])[None, :] * a["d_port"] * fa["foreign_price"][None, :]
    with np.errstate(divide="ignore"):
        iota_term = np.where(np.isinf(iota), 0.0, iota ** (1 - sigma))
    imports = iota_term * demand
    tariff_rev = fa["tariff"][None, :] / (1 + fa["tariff"][None, :]) * imports   # (Q22)
    flows = dd * A[:, None, :] * demand[None, :, :]
    price_model = (np.einsum("nmj,nj->mj", dd, A) + iota_term) ** (1 / (1 - sigma))  # (Q6)

    b = 1.0 if spec.adoption_bundle == "production" else 0.0
    gl, gk = a["gamma_labour"], a["gamma_inputs"]
    bundle_spend = V + b * spend_t
    labour_demand = (gl[None, :] * bundle_spend / w[:, None] + a["fixed_export"][None, :] * mass * chi).sum(axis=1)
    wage_bill = float((w * a["labour"]).sum())
    tax = float(S.sum()) / wage_bill                                     # (Q20)
    payout = float(profits.sum() + wedge.sum() + tariff_rev.sum()) / wage_bill   # (Q21)
    income = w * a["labour"] * (1 - tax + payout)                        # (Q23)
    alpha = a["alpha"]
    spending = (alpha[None, :] * income[:, None] + bundle_spend @ gk
                + (1 - b) * alpha[None, :] * spend_t.sum(axis=1)[:, None])  # (Q25)
    return Aggregates(c=c, adoption_cost=np.array(c_adopt), market_access=MA, export_access=XA, x_adopt=x_t,
                      x_export=x_x, adopter_share=lam, exporter_share=chi, A=A, A_export=AX, retained=omega0 + omega1,
                      retained_adopters=omega1, sales=R, exports=exports, inputs=V, subsidies=S,
                      adoption_spend=spend_t, export_spend=spend_x, profits=profits, wedge=wedge, imports=imports,
                      tariff_revenue=tariff_rev, home_flows=flows, price_model=price_model,
                      labour_demand=labour_demand, labour_tax=tax, payout=payout, income=income,
                      spending_model=spending)
