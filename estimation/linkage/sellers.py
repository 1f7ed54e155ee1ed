"""Foreign sellers' sector profiles: the evidence of the second pass (docs/linkage.md §5).

Technology sellers license within industries: a machine-tool maker to machinery firms, a fibre
maker to textile and chemical firms. The contract names its seller, so the sectors of the firms a
seller's *other* contracts are confidently linked to say which firms are plausible partners.

The profile of contract i, whose seller s has n_{s,k} confident first-pass links to firms of
sector k (n_s in all), is the additively smoothed share

    q_ik = (n_{s,k} − 1[i linked to sector k] + α·p_k) / (n_s − 1[i linked] + α),

p_k the share of sector k among all confident links and α the prior strength in pseudo-links.
Leave-one-out: contract i's own first-pass link is taken out of its seller's counts, so a
contract never votes for its own link. Sellers with few other links stay close to the overall
distribution; a seller with none has no profile (its contracts get the null level).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from estimation.names import standardize_firm_name

PROFILE_COLUMNS = ["contract_id", "sector", "seller_links", "share"]
SEPARATOR = "\x1f"  # between sector codes in the level lists handed to SQL (never in a code)


def seller_keys(names: pd.Series) -> pd.Series:
    """The seller's standardized name (NFKC, lower case, legal forms, spacing and punctuation
    dropped: ``Mitsubishi Heavy Industries, Ltd.`` → ``mitsubishiheavyindustries``); None if empty."""
    keys = names.map(standardize_firm_name, na_action="ignore")
    return keys.where(keys.fillna("") != "").astype(object)


def seller_sector_profiles(contracts: pd.DataFrame, links: pd.DataFrame, firm_sectors: pd.Series,
                           prior_strength: float) -> pd.DataFrame:
    """Leave-one-out sector profile of each contract's seller, one row per (contract, sector).

    contracts: contract_id, foreign_firm (the seller as written). links: contract_id, firm_id —
    the confident links the profiles are learned from. firm_sectors: sector by firm_id.
    Returns contract_id, sector, seller_links (the seller's confident links other than the
    contract's own) and share (q above), for every contract whose seller has at least one such
    link and every sector among the links; sectors never linked get no row (share 0).
    """
    seller = pd.Series(seller_keys(contracts["foreign_firm"]).to_numpy(), index=contracts["contract_id"].astype(str))
    seller = seller[~seller.index.duplicated(keep="first")]
    linked = links[["contract_id", "firm_id"]].astype({"contract_id": str, "firm_id": str})
    linked = linked.drop_duplicates("contract_id")
    linked = linked.assign(sector=linked["firm_id"].map(firm_sectors)).dropna(subset=["sector"])
    if linked.empty or seller.notna().sum() == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(PROFILE_COLUMNS, (object, object, "int64",
                                                                                     "float64"))})
    overall = linked["sector"].value_counts(normalize=True)
    linked = linked.assign(seller=linked["contract_id"].map(seller)).dropna(subset=["seller"])
    by_sector = linked.groupby(["seller", "sector"]).size().rename("n_sk")
    by_seller = linked.groupby("seller").size().rename("n_s")
    own = linked.set_index("contract_id")["sector"]

    known = seller.dropna()
    frame = pd.DataFrame({"contract_id": known.index, "seller": known.to_numpy()})
    frame["own_sector"] = frame["contract_id"].map(own)
    frame["seller_links"] = (frame["seller"].map(by_seller).fillna(0).astype("int64")
                             - frame["own_sector"].notna().astype("int64"))
    frame = frame[frame["seller_links"] > 0]
    sectors = pd.DataFrame({"sector": overall.index.astype(object), "p": overall.to_numpy()})
    out = frame.merge(sectors, how="cross").merge(by_sector.reset_index(), on=["seller", "sector"], how="left")
    n_sk = out["n_sk"].fillna(0).astype("float64") - (out["own_sector"] == out["sector"]).astype("float64")
    out["share"] = (n_sk + prior_strength * out["p"]) / (out["seller_links"] + prior_strength)
    return out[PROFILE_COLUMNS].reset_index(drop=True)


def level_lists(profiles: pd.DataFrame, cuts: tuple[float, float]) -> pd.DataFrame:
    """Per contract with a profile: ``seller_high`` and ``seller_medium``, the sectors whose share
    is ≥ cuts[0], and in [cuts[1], cuts[0]), each as a SEPARATOR-delimited string
    (``␟S08␟S07␟``) that the model's SQL searches for ``␟<firm's sector>␟``."""
    high, medium = cuts
    ids = pd.Index(profiles["contract_id"].drop_duplicates(), name="contract_id")

    def joined(mask: pd.Series) -> pd.Series:
        chosen = profiles[mask].groupby("contract_id")["sector"].agg(lambda s: SEPARATOR.join(map(str, s)))
        return SEPARATOR + chosen.reindex(ids).fillna("") + SEPARATOR

    share = profiles["share"]
    return pd.DataFrame({"seller_high": joined(share >= high),
                         "seller_medium": joined((share >= medium) & (share < high))}).reset_index()


def pair_shares(candidates: pd.DataFrame, firm_sectors: pd.Series, profiles: pd.DataFrame) -> pd.Series:
    """The seller-sector share q of each candidate pair (contract's seller, firm's sector); NA when
    the contract's seller has no profile or the firm no sector; 0 for a sector the seller's
    profile lacks because no confident link is in it."""
    if candidates.empty:
        return pd.Series(dtype="float64", index=candidates.index)
    sector = candidates["firm_id"].map(firm_sectors)
    with_profile = candidates["contract_id"].isin(set(profiles["contract_id"]))
    lookup = profiles.set_index(["contract_id", "sector"])["share"].to_dict()
    shares = [lookup.get((c, s), 0.0) if ok and pd.notna(s) else np.nan
              for c, s, ok in zip(candidates["contract_id"], sector, with_profile)]
    return pd.Series(shares, index=candidates.index, dtype="float64")


@dataclass(frozen=True)
class SellerFit:
    """The seller comparison's parameters by splink level code (gamma): m, u (arrays indexed by
    gamma), the EM iterations run and whether the parameters converged."""

    m: np.ndarray
    u: np.ndarray
    iterations: int
    converged: bool


def seller_em(stats: pd.DataFrame, n_levels: int, n_groups: int, neutral_groups: tuple[int, ...] = (),
              pseudo_count: float = 1.0, max_iterations: int = 500, tolerance: float = 1e-9) -> SellerFit:
    """EM for the seller-sector comparison with every other parameter fixed.

    stats: gamma (the pair's seller level code), weight (its first-pass match weight in bits,
    prior included), n (pairs with that code and weight). Codes run from n_levels·n_groups − 1
    down to 0; index = n_levels·n_groups − 1 − gamma gives share level k = index mod n_levels
    (0 the seller's usual sector …) and group g = index div n_levels.

    m_k is shared by the groups — how the contract's firm's sector relates to its seller's does
    not depend on how the names are written — so it is learned from every match. u is learned
    per group, u_{k|g}, except in ``neutral_groups``, where u_{k|g} = m_k (weight 0): there every
    candidate, match or not, has the contract's seller level (e.g. names naming the same
    industry: the namesake is in the same sector), so the level cannot tell them apart.

    E step: p = 1 / (1 + 2^−(weight + log2 m_k/u_{k|g})). M step with a Dirichlet prior of
    ``pseudo_count`` pseudo-pairs spread evenly over the levels (so no level's m or u is ever 0
    and disagreement stays finite evidence): m_k = (Σ n·p·[k] + a/K) / (Σ n·p + a),
    u_{k|g} = (Σ_g n·(1 − p)·[k] + a/K) / (Σ_g n·(1 − p) + a). Starts from m = u (no evidence).
    """
    size = n_levels * n_groups
    uniform = np.full(size, 1.0 / n_levels)
    if stats.empty:
        return SellerFit(uniform.copy(), uniform.copy(), 0, True)
    index = size - 1 - stats["gamma"].to_numpy(dtype=int)
    level, group = index % n_levels, index // n_levels
    weight, n = stats["weight"].to_numpy(dtype=float), stats["n"].to_numpy(dtype=float)
    m_k, u_kg = np.full(n_levels, 1.0 / n_levels), np.full((n_groups, n_levels), 1.0 / n_levels)
    prior = pseudo_count / n_levels
    converged, iteration = False, 0
    for iteration in range(1, max_iterations + 1):
        bits = weight + np.log2(m_k[level] / u_kg[group, level])
        p = 1.0 / (1.0 + np.exp2(-np.clip(bits, -1000, 1000)))
        matches = np.bincount(level, weights=n * p, minlength=n_levels)
        new_m = (matches + prior) / (matches.sum() + pseudo_count)
        new_u = np.empty_like(u_kg)
        for g in range(n_groups):
            if g in neutral_groups:
                new_u[g] = new_m
                continue
            others = np.bincount(level[group == g], weights=(n * (1 - p))[group == g], minlength=n_levels)
            new_u[g] = (others + prior) / (others.sum() + pseudo_count)
        change = max(np.abs(new_m - m_k).max(), np.abs(new_u - u_kg).max())
        m_k, u_kg = new_m, new_u
        if change < tolerance:
            converged = True
            break
    codes = size - 1 - np.arange(size)  # gamma of each index
    m, u = np.empty(size), np.empty(size)
    m[codes] = m_k[np.arange(size) % n_levels]
    u[codes] = u_kg[np.arange(size) // n_levels, np.arange(size) % n_levels]
    return SellerFit(m, u, iteration, converged)
