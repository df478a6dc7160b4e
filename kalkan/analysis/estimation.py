"""Multiple systems estimation: how many people a set of overlapping lists missed.

Pure computation (NumPy, SciPy, statsmodels; no Django), so that the standalone tools and the
`kalkan estimate` command use the same code as the page in Analysis.

    tables = read_counts(text)                  # {"": CaptureTable} or one per stratum
    result = estimate(tables[""])               # every method, and whether they agree
    result.chosen                               # the default method's MethodResult, or None

A counts file has one 0/1 column per list and a column `n`: how many people are on exactly
that combination of lists. The all-zero row (the people on no list) is what we estimate, so
it is absent. Methods:

* ``lcmcr`` (the default): the Bayesian non-parametric latent class model of
  Manrique-Vallier (2016, Biometrics 72(4)): people fall into latent classes (a truncated
  stick-breaking Dirichlet process), within a class the lists catch independently. The
  classes absorb heterogeneous capture probabilities and the list dependence they cause.
  Gibbs sampler with data augmentation of the unobserved cell, as in the R package LCMCR;
  the chains are vectorised together (one NumPy array per parameter, a leading chain axis),
  which on a table of a few dozen patterns beats processes.
* ``loglinear-aic`` / ``loglinear-bic``: Poisson log-linear models (Fienberg 1972): every
  hierarchical model with the lists' main effects and a set of two-way interactions (as
  many as are identifiable; on five lists and more, at most three interactions), plus the
  heterogeneity models of Rcapture (Mth Poisson2, Darroch, Gamma3.5), averaged with Akaike
  or Schwarz weights (Buckland et al. 1997). Each model's interval is a profile-likelihood
  interval (as Rcapture's closedpCI) where its weight matters, a log-normal one
  (Chao 1987) elsewhere; the average's interval is the weighted mixture of the models'.
* ``independence``: the model with main effects only (Rcapture's Mt): the classic
  estimate, biased low when the lists depend on each other or catch people unequally; it
  is shown because it is the baseline every reader knows.

Every estimate rests on an assumption the data cannot test. Where the methods disagree
wildly (sparse tables do that), `Estimate.agreement` says so and no single number is given.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

DEFAULT_METHOD = "lcmcr"
METHODS = ("lcmcr", "dga", "loglinear-aic", "loglinear-bic", "independence")
LEVEL = 0.95
# More than this many rows, or a larger count, is not a capture-history table of people.
MOST_ROWS = 10_000
MOST_COUNT = 100_000_000
# The spread at which methods "disagree wildly": the largest estimate is more than twice
# the smallest, or two methods' 95 % intervals do not even overlap.
WILD_RATIO = 2.0
# Split R-hat above this: the chains have not converged (Gelman et al., BDA3 11.4).
MOST_RHAT = 1.1
LEAST_ESS = 100  # effective draws of N over the chains below which an interval is noise


class CountsError(ValueError):
    """A counts file Kalkan cannot read, or a table MSE cannot be run on. `code` names the
    reason (the page translates it), `params` fill its message, `row` is the file's line."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class CaptureTable:
    """Counts of people per capture pattern (1 = on that list); the all-zero pattern absent."""

    lists: tuple[str, ...]
    patterns: tuple[tuple[int, ...], ...]
    counts: tuple[int, ...]

    @property
    def documented(self) -> int:
        return sum(self.counts)

    def list_totals(self) -> dict[str, int]:
        return {name: sum(c for p, c in zip(self.patterns, self.counts, strict=True) if p[j])
                for j, name in enumerate(self.lists)}

    def full(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every non-empty pattern of the lists (2^J - 1 rows, zeros where nobody is) and its
        count, in a fixed order."""
        j = len(self.lists)
        patterns = np.array([p for p in itertools.product((0, 1), repeat=j) if any(p)],
                            dtype=np.int64)
        known = dict(zip(self.patterns, self.counts, strict=True))
        counts = np.array([known.get(tuple(int(v) for v in p), 0) for p in patterns],
                          dtype=np.int64)
        return patterns, counts

    def overlap(self, a: int, b: int) -> int:
        return sum(c for p, c in zip(self.patterns, self.counts, strict=True) if p[a] and p[b])


# --- reading a counts file -----------------------------------------------------------------


def read_counts(text: str, strata: str | None = None) -> dict[str, CaptureTable]:
    """The table(s) in a counts CSV: {"": table}, or {stratum: table} when `strata` names a
    column. Raises CountsError naming the row for anything that is not a clean table."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CountsError("empty", "the file is empty") from None
    except csv.Error as e:
        raise CountsError("not_csv", "row 1: not CSV (%(error)s)", error=str(e)) from None
    if "n" not in header:
        raise CountsError("no_n", "row 1: the header has no column n (the number of people "
                                  "on each combination of lists)")
    if strata is not None and strata not in header:
        raise CountsError("no_strata", "row 1: the header has no column %(column)s",
                          column=strata)
    if len(set(header)) != len(header) or "" in header:
        raise CountsError("bad_header", "row 1: every column needs a name of its own")
    lists = tuple(h for h in header if h not in ("n", strata))
    if len(lists) < 3:
        raise CountsError("few_lists", "at least 3 lists are needed (the file has %(count)d): "
                                       "with two, the estimate rests on assuming the lists "
                                       "independent, which nothing can check", count=len(lists))
    n_at, list_at = header.index("n"), [header.index(name) for name in lists]
    strata_at = header.index(strata) if strata is not None else None
    found: dict[str, dict[tuple[int, ...], tuple[int, int]]] = {}
    line = 1
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if line > MOST_ROWS:
                raise CountsError("too_many_rows", "more than %(most)d rows", most=MOST_ROWS)
            if len(row) != len(header):
                raise CountsError("row_width", "row %(row)d: %(found)d cells, the header has "
                                  "%(expected)d", row=line, found=len(row),
                                  expected=len(header))
            pattern = []
            for name, at in zip(lists, list_at, strict=True):
                cell = row[at].strip()
                if cell not in ("0", "1"):
                    raise CountsError("not_binary", "row %(row)d: list %(list)s must be 0 or 1, "
                                      "not %(value)r", row=line, list=name, value=cell[:20])
                pattern.append(int(cell))
            n = _count(row[n_at].strip(), line)
            if not any(pattern):
                raise CountsError("all_zero", "row %(row)d: the pattern with no list is what is "
                                  "estimated; leave it out of the file", row=line)
            stratum = row[strata_at].strip() if strata_at is not None else ""
            if strata_at is not None and not stratum:
                raise CountsError("no_stratum", "row %(row)d: column %(column)s is empty",
                                  row=line, column=strata)
            rows = found.setdefault(stratum, {})
            if tuple(pattern) in rows:
                raise CountsError("repeated", "row %(row)d repeats the combination of lists of "
                                  "row %(first)d", row=line, first=rows[tuple(pattern)][1])
            rows[tuple(pattern)] = (n, line)
    except csv.Error as e:
        raise CountsError("not_csv", "row %(row)d: not CSV (%(error)s)", row=line + 1,
                          error=str(e)) from None
    if not found:
        raise CountsError("no_rows", "the file has a header but no counts")
    return {stratum: CaptureTable(lists, tuple(rows), tuple(n for n, _line in rows.values()))
            for stratum, rows in sorted(found.items())}


def _count(cell: str, line: int) -> int:
    try:
        n = int(cell)
    except ValueError:
        raise CountsError("bad_count", "row %(row)d: n must be a whole number, not %(value)r",
                          row=line, value=cell[:20]) from None
    if n < 0:
        raise CountsError("negative", "row %(row)d: n is negative (%(value)d)", row=line,
                          value=n)
    if n > MOST_COUNT:
        raise CountsError("too_large", "row %(row)d: n is larger than %(most)d", row=line,
                          most=MOST_COUNT)
    return n


def check_estimable(table: CaptureTable) -> None:
    """Refuses tables no method can say anything sound about."""
    totals = table.list_totals()
    empty = [name for name, total in totals.items() if total == 0]
    if empty:
        raise CountsError("empty_list", "list %(list)s has nobody on it: leave it out",
                          list=empty[0])
    j = len(table.lists)
    if all(table.overlap(a, b) == 0 for a, b in itertools.combinations(range(j), 2)):
        raise CountsError("no_overlap", "no person is on more than one list: without "
                          "overlaps there is nothing to estimate from")
    lonely = [table.lists[a] for a in range(j)
              if all(table.overlap(a, b) == 0 for b in range(j) if b != a)]
    if lonely:
        raise CountsError("list_without_overlap", "list %(list)s shares nobody with any other "
                          "list: its overlap with the others cannot be estimated",
                          list=lonely[0])


# --- results -------------------------------------------------------------------------------


@dataclass
class ModelFit:
    """One log-linear model: its terms, estimate, interval and weight."""

    name: str
    estimate: float
    lower: float
    upper: float
    aic: float
    bic: float
    interval: str  # "profile" or "log-normal"
    weight: float = 0.0


@dataclass
class MethodResult:
    method: str
    estimate: float
    lower: float
    upper: float
    documented: int
    draws: NDArray[np.float64] = field(repr=False)  # for totals over strata
    diagnostics: dict[str, Any] = field(default_factory=dict)
    models: list[ModelFit] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method, "estimate": round(self.estimate),
            "lower": round(self.lower), "upper": round(self.upper),
            "documented": self.documented,
            "undocumented": round(self.estimate) - self.documented,
        }
        if self.diagnostics:
            out["diagnostics"] = self.diagnostics
        if self.models:
            out["models"] = [{"model": m.name, "estimate": round(m.estimate),
                              "lower": round(m.lower), "upper": round(m.upper),
                              "aic": round(m.aic, 2), "bic": round(m.bic, 2),
                              "weight": round(m.weight, 4), "interval": m.interval}
                             for m in self.models]
        return out


@dataclass
class Agreement:
    agree: bool
    low: float  # the smallest and largest estimate of the methods
    high: float
    reason: str = ""
    code: str = ""


@dataclass
class Estimate:
    lists: tuple[str, ...]
    documented: int
    methods: dict[str, MethodResult]
    agreement: Agreement
    default: str = DEFAULT_METHOD
    warnings: list[str] = field(default_factory=list)

    @property
    def chosen(self) -> MethodResult | None:
        """The default method's result, unless the methods disagree too much for one number."""
        return self.methods.get(self.default) if self.agreement.agree else None

    def as_json(self) -> dict[str, Any]:
        chosen = self.methods.get(self.default)
        head: dict[str, Any] = {"method": self.default, "estimate": None, "lower": None,
                                "upper": None}
        if chosen is not None and self.agreement.agree:
            head = {k: v for k, v in chosen.as_json().items()
                    if k in ("method", "estimate", "lower", "upper", "undocumented")}
        return {
            **head,
            "level": LEVEL,
            "documented": self.documented,
            "lists": list(self.lists),
            "agree": self.agreement.agree,
            "spread": [round(self.agreement.low), round(self.agreement.high)],
            **({"refused": self.agreement.reason, "refused_code": self.agreement.code}
               if not self.agreement.agree else {}),
            "warnings": self.warnings,
            "methods": {name: result.as_json() for name, result in self.methods.items()},
        }


# --- LCMCR ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LcmcrSettings:
    chains: int = 4
    classes: int = 10  # the truncation K* of the stick-breaking prior (LCMCR's default)
    burn_in: int = 10_000
    samples: int = 1_000  # kept per chain
    thin: int = 10
    alpha_prior: tuple[float, float] = (0.25, 0.25)  # Gamma(shape, rate), as LCMCR
    seed: int | None = None


def lcmcr(table: CaptureTable, settings: LcmcrSettings | None = None) -> MethodResult:
    """Posterior median and 95 % credible interval of the population size under the
    latent class model, with split R-hat and effective sample size of N over the chains."""
    settings = settings or LcmcrSettings()
    draws = _lcmcr_draws(table, settings)  # (chains, samples)
    rhat, ess = split_rhat(draws), effective_sample_size(draws)
    retried = False
    if rhat > MOST_RHAT or ess < LEAST_ESS:
        # Chains that have not met yet mostly need a longer burn-in (sparse tables mix
        # slowly): once more with five times as long before saying they did not converge.
        settings = replace(settings, burn_in=settings.burn_in * 5,
                           seed=None if settings.seed is None else settings.seed + 1)
        draws = _lcmcr_draws(table, settings)
        rhat, ess, retried = split_rhat(draws), effective_sample_size(draws), True
    flat = draws.reshape(-1)
    low, mid, high = np.quantile(flat, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2])
    return MethodResult(
        "lcmcr", float(mid), float(low), float(high), table.documented, flat,
        diagnostics={"chains": settings.chains, "iterations": settings.burn_in
                     + settings.samples * settings.thin, "burn_in": settings.burn_in,
                     "classes": settings.classes, "rhat": round(rhat, 3), "ess": round(ess),
                     "retried": retried})


def _lcmcr_draws(table: CaptureTable, s: LcmcrSettings) -> NDArray[np.float64]:
    rng = np.random.default_rng(s.seed)
    patterns, counts = table.full()
    keep = counts > 0
    x = patterns[keep].astype(np.float64)  # (P, J)
    n_pattern = counts[keep]  # (P,)
    n_obs = int(n_pattern.sum())
    c, k = s.chains, s.classes
    p_count, j = x.shape
    # Start near where the R package starts, every class catching as each list does overall
    # (random capture probabilities trap a chain in a mode with few people missed), but
    # over-dispersed, as R-hat needs: chain by chain from a third of that to all of it, so
    # the chains start from few and from many people missed, and each with its own jitter
    # and random class weights.
    share = (x * n_pattern[:, None]).sum(axis=0) / n_obs  # (J,)
    spread = np.geomspace(1 / 3, 1.0, c) if c > 1 else np.ones(1)
    lam = np.clip(share[None, :, None] * spread[:, None, None]
                  * rng.uniform(0.9, 1.1, size=(c, j, k)), 1e-3, 0.99)
    alpha = np.ones(c)
    v0 = rng.beta(1.0, 1.0, size=(c, k - 1))
    pi = np.concatenate([v0, np.ones((c, 1))], axis=1) * np.concatenate(
        [np.ones((c, 1)), np.cumprod(1 - v0, axis=1)], axis=1)
    shape, rate = s.alpha_prior
    out = np.empty((c, s.samples))
    total = s.burn_in + s.samples * s.thin
    n_broadcast = np.broadcast_to(n_pattern, (c, p_count))
    xt = x.T  # (J, P)
    for it in range(total):
        log_lam, log_not = np.log(lam), np.log1p(-lam)  # (C, J, K)
        # log P(pattern | class) for every chain, pattern and class: (C, P, K)
        loglik = np.einsum("pj,cjk->cpk", x, log_lam - log_not) + log_not.sum(axis=1)[:, None]
        weights = np.log(pi)[:, None, :] + loglik
        weights -= weights.max(axis=2, keepdims=True)
        probs = np.exp(weights)
        probs /= probs.sum(axis=2, keepdims=True)
        by_class = rng.multinomial(n_broadcast, probs)  # (C, P, K)
        # The people on no list: how many (negative binomial under the 1/N prior) and in
        # which classes they are.
        missed_in = pi * np.exp(log_not.sum(axis=1))  # (C, K): P(class and unobserved)
        p0 = np.clip(missed_in.sum(axis=1), 1e-12, 1 - 1e-12)
        # Negative binomial as a gamma mixture of Poissons: the same law, a third the cost.
        n0 = rng.poisson(rng.gamma(n_obs, p0 / (1.0 - p0)))
        missed = rng.multinomial(n0, missed_in / missed_in.sum(axis=1, keepdims=True))
        in_class = by_class.sum(axis=1) + missed  # (C, K)
        caught = np.einsum("jp,cpk->cjk", xt, by_class)  # (C, J, K)
        lam = rng.beta(1.0 + caught, 1.0 + in_class[:, None, :] - caught)
        lam = np.clip(lam, 1e-10, 1 - 1e-10)
        after = np.cumsum(in_class[:, ::-1], axis=1)[:, ::-1] - in_class  # people in later
        v = rng.beta(1.0 + in_class[:, :-1], alpha[:, None] + after[:, :-1])
        v = np.clip(v, 1e-12, 1 - 1e-12)
        rest = np.concatenate([np.ones((c, 1)), np.cumprod(1 - v, axis=1)], axis=1)
        pi = np.concatenate([v, np.ones((c, 1))], axis=1) * rest
        pi = np.maximum(pi, 1e-300)
        alpha = rng.gamma(shape + k - 1, 1.0 / (rate - np.log1p(-v).sum(axis=1)))
        if it >= s.burn_in and (it - s.burn_in) % s.thin == 0:
            out[:, (it - s.burn_in) // s.thin] = n_obs + n0
    return out


def split_rhat(draws: NDArray[np.float64]) -> float:
    """Gelman-Rubin potential scale reduction over split chains (Gelman et al., BDA3 11.4)."""
    chains, n = draws.shape
    half = n // 2
    parts = np.concatenate([draws[:, :half], draws[:, half:2 * half]], axis=0)
    m, length = parts.shape
    means = parts.mean(axis=1)
    within = parts.var(axis=1, ddof=1).mean()
    between = length * means.var(ddof=1)
    if within == 0:
        return 1.0
    var_plus = (length - 1) / length * within + between / length
    return float(math.sqrt(var_plus / within))


def effective_sample_size(draws: NDArray[np.float64]) -> float:
    """Multi-chain effective sample size with Geyer's initial positive sequence
    (BDA3 11.5, as Stan)."""
    chains, n = draws.shape
    centred = draws - draws.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, :n] / n
    within = (acov[:, 0] * n / (n - 1)).mean()
    var_plus = within * (n - 1) / n + (draws.mean(axis=1).var(ddof=1) if chains > 1 else 0)
    if var_plus <= 0:
        return float(chains * n)
    rho = 1 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    total = 0.0
    t = 0
    while t + 1 < n:
        pair = rho[t] + rho[t + 1]
        if pair < 0:
            break
        total += pair
        t += 2
    tau = -1 + 2 * total if total > 0 else 1.0
    return float(min(chains * n * math.log10(chains * n), chains * n / max(tau, 1e-9)))


# --- decomposable graphical models (dga) ---------------------------------------------------

# HRDAG's dga (Madigan & York 1997; Johndrow, Lum & Madigan) averages over every decomposable
# graph of list dependence; it stops at five lists (822 graphs; six would be 18,154), and so
# does this.
MOST_DGA_LISTS = 5
DGA_DRAWS = 4000
DGA_EXACT = 2000  # n0 computed at every integer up to here, then on a geometric grid
DGA_POINTS = 4000
DGA_FAR = 100  # times the documented count: posterior mass beyond is "cut off"


def decomposable_graphs(j: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Every decomposable (chordal) graph on j lists, as its cliques and the separators of a
    junction tree, each a bitmask of lists (1, 2, 8, 61, 822 graphs on 1 to 5 lists)."""
    return list(_decomposable_graphs(j))


@functools.cache
def _decomposable_graphs(j: int) -> tuple[tuple[tuple[int, ...], tuple[int, ...]], ...]:
    pairs = list(itertools.combinations(range(j), 2))
    out = []
    for chosen in range(1 << len(pairs)):
        near = [1 << v for v in range(j)]  # each list's neighbours and itself
        for i, (a, b) in enumerate(pairs):
            if chosen >> i & 1:
                near[a] |= 1 << b
                near[b] |= 1 << a
        if not _chordal(near, j):
            continue
        complete = [s for s in range(1, 1 << j)
                    if all(near[v] & s == s for v in range(j) if s >> v & 1)]
        cliques = [s for s in complete if not any(o != s and o & s == s for o in complete)]
        out.append((tuple(cliques), _separators(cliques)))
    return tuple(out)


def _chordal(near: list[int], j: int) -> bool:
    """True when lists can be taken away one by one, each with neighbours all joined."""
    left = (1 << j) - 1
    while left:
        simplicial = next((v for v in range(j) if left >> v & 1 and all(
            near[u] & near[v] & left == near[v] & left
            for u in range(j) if (near[v] & left) >> u & 1)), None)
        if simplicial is None:
            return False
        left &= ~(1 << simplicial)
    return True


def _separators(cliques: list[int]) -> tuple[int, ...]:
    """The separators of a junction tree: a spanning tree of the cliques with the largest
    intersections (Kruskal), disconnected parts joined by empty separators."""
    edges = sorted(((bin(a & b).count("1"), i, k) for i, a in enumerate(cliques)
                    for k, b in enumerate(cliques) if i < k), reverse=True)
    part = list(range(len(cliques)))

    def root(i: int) -> int:
        while part[i] != i:
            i = part[i]
        return i

    out = []
    for _weight, i, k in edges:
        if root(i) != root(k):
            part[root(i)] = root(k)
            out.append(cliques[i] & cliques[k])
    return tuple(out)


def dga(table: CaptureTable) -> MethodResult:
    """The posterior of the population size averaged over every decomposable graph, each
    with a hyper-Dirichlet prior of total weight 1 spread evenly over the 2^J cells (dga's
    default delta = 2^-J) and the prior 1/N on the size, as LCMCR's."""
    j = len(table.lists)
    _dga_takes(j)
    patterns, counts = table.full()
    n_obs = int(counts.sum())
    n0, width = _n0_grid(n_obs)
    total = n_obs + n0
    delta = 2.0 ** -j
    bits = np.array([sum(int(b) << v for v, b in enumerate(p)) for p in patterns])

    @functools.cache
    def log_d(subset: int) -> NDArray[np.float64]:
        # log of the Dirichlet-multinomial of the table's margin on `subset`, for every n0
        size = bin(subset).count("1")
        prior = delta * 2.0 ** (j - size)
        cells: dict[int, int] = {}
        for b, c in zip(bits & subset, counts, strict=True):
            cells[int(b)] = cells.get(int(b), 0) + int(c)
        seen = sum(math.lgamma(prior + c) - math.lgamma(prior) for b, c in cells.items() if b)
        zero = special.gammaln(prior + cells.get(0, 0) + n0) - math.lgamma(prior)
        alpha = delta * 2.0 ** j
        return seen + zero + math.lgamma(alpha) - special.gammaln(alpha + total)

    common = -np.log(np.maximum(total, 1)) + special.gammaln(total + 1) - special.gammaln(n0 + 1)
    graphs = decomposable_graphs(j)
    # Every graph equally likely beforehand: the posterior of n0 is the sum of the graphs'
    # (log-sum-exp, one graph at a time: 822 graphs x the grid would not fit in memory).
    summed = np.full(n0.size, -np.inf)
    weights = np.empty(len(graphs))
    for g, (cliques, seps) in enumerate(graphs):
        log_post = common + sum(log_d(c) for c in cliques) - sum(log_d(s) for s in seps)
        weights[g] = special.logsumexp(log_post)
        summed = np.logaddexp(summed, log_post)
    pmf = np.exp(summed - summed.max()) * width  # each point stands for `width` values
    pmf /= pmf.sum()
    cumulative = np.cumsum(pmf)
    at = np.minimum(np.searchsorted(cumulative, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2]),
                    n0.size - 1)
    low, mid, high = (n_obs + float(value) for value in n0[at])
    share = np.exp(weights - special.logsumexp(weights))
    best = int(np.argmax(share))
    draws = n_obs + np.random.default_rng(0).choice(n0, size=DGA_DRAWS, p=pmf)
    return MethodResult("dga", mid, low, high, n_obs, draws, diagnostics={
        "graphs": len(graphs), "best_graph": _graph_name(graphs[best][0], table.lists),
        "best_weight": round(float(share[best]), 3),
        # More than a thousandth of the posterior beyond a hundred times the documented:
        # the lists say too little, the upper end is where the grid stops.
        "cut_off": bool(pmf[n0 > DGA_FAR * max(n_obs, 1)].sum() > 1e-3)})


def _dga_takes(lists: int) -> None:
    if not 3 <= lists <= MOST_DGA_LISTS:
        raise CountsError("dga_lists", "dga takes 3 to %(most)d lists (this table has "
                          "%(count)d)", most=MOST_DGA_LISTS, count=lists)


def _n0_grid(n_obs: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The values of n0 the posterior is computed at, and how many integers each stands for:
    every integer up to DGA_EXACT, then points a third of a percent apart, far beyond any
    plausible size. dga's cost so does not grow with the documented count."""
    most = max(10 * DGA_FAR * n_obs, 10 * DGA_EXACT)
    far = np.unique(np.round(np.geomspace(DGA_EXACT, most, DGA_POINTS)))
    grid = np.unique(np.concatenate([np.arange(DGA_EXACT, dtype=np.float64), far]))
    return grid, np.diff(np.append(grid, most + 1))


def _graph_name(cliques: tuple[int, ...], lists: Sequence[str]) -> str:
    """'A×B, C' for the graph joining A and B, with C alone ("×" as in the log-linear
    models' names: list names may hold hyphens)."""
    return ", ".join("×".join(name for v, name in enumerate(lists) if c >> v & 1)
                     for c in cliques)


# --- log-linear models ---------------------------------------------------------------------

# Rcapture's heterogeneity terms: a function of how many lists a person is on.
HETEROGENEITY = {
    "Mth Poisson2": lambda k: 2.0 ** k - 1,
    "Mth Darroch": lambda k: k ** 2 / 2.0,
    "Mth Gamma3.5": lambda k: -np.log(k + 3.5) + np.log(3.5),
}
# On five lists and more, every subset of the 10+ interactions is too many models: at most
# this many interactions each.
MOST_INTERACTIONS = 3


@dataclass
class _Fit:
    name: str
    design: NDArray[np.float64]
    n0: float
    aic: float
    bic: float
    se_log_n0: float


def loglinear(table: CaptureTable, criterion: str = "aic",
              fits: list[_Fit] | None = None) -> MethodResult:
    """The model average of the identifiable hierarchical log-linear models (two-way
    interactions) and Rcapture's heterogeneity models, weighted by `criterion`."""
    patterns, counts = table.full()
    fits = fits if fits is not None else loglinear_fits(table)
    if not fits:
        raise CountsError("no_model", "no log-linear model can be fitted to this table")
    scores = np.array([getattr(f, criterion) for f in fits])
    weights = np.exp(-(scores - scores.min()) / 2)
    weights /= weights.sum()
    n = table.documented
    models: list[ModelFit] = []
    order = np.argsort(-weights)
    cumulative = 0.0
    for index in order:
        f = fits[index]
        # Profile-likelihood intervals cost a few dozen fits: for the models that carry the
        # weight (99 %, at most 10 of them); a log-normal interval for the rest.
        if cumulative < 0.99 and len([m for m in models if m.interval == "profile"]) < 10:
            low, high = _profile_interval(patterns, counts, f)
            kind = "profile"
        else:
            low, high = _lognormal_interval(n, f.n0, f.se_log_n0)
            kind = "log-normal"
        cumulative += weights[index]
        models.append(ModelFit(f.name, n + f.n0, low, high, f.aic, f.bic, kind,
                               float(weights[index])))
    draws = _mixture_draws(n, models, seed=len(table.patterns))
    low, high = _mixture_quantiles(n, models)
    average = float(sum(m.weight * m.estimate for m in models))
    return MethodResult(f"loglinear-{criterion}", average, low, high, n, draws,
                        diagnostics={"models": len(models),
                                     "best": models[0].name,
                                     "best_weight": round(models[0].weight, 3)},
                        models=models)


def independence(table: CaptureTable, fits: list[_Fit] | None = None) -> MethodResult:
    fits = fits if fits is not None else loglinear_fits(table)
    chosen = [f for f in fits if f.name == "Mt (independent lists)"]
    if not chosen:
        raise CountsError("no_model", "no log-linear model can be fitted to this table")
    patterns, counts = table.full()
    f = chosen[0]
    low, high = _profile_interval(patterns, counts, f)
    n = table.documented
    model = ModelFit(f.name, n + f.n0, low, high, f.aic, f.bic, "profile", 1.0)
    return MethodResult("independence", n + f.n0, low, high, n,
                        _mixture_draws(n, [model], seed=1), models=[model])


def loglinear_fits(table: CaptureTable) -> list[_Fit]:
    """Every model the method averages, fitted (the unidentifiable and diverging left out)."""
    patterns, counts = table.full()
    j = len(table.lists)
    pairs = [(a, b) for a, b in itertools.combinations(range(j), 2)]
    # An interaction of two lists that share nobody has its MLE at minus infinity.
    usable = [(a, b) for a, b in pairs if table.overlap(a, b) > 0]
    most = len(usable) if j <= 4 else min(MOST_INTERACTIONS, len(usable))
    base = np.column_stack([np.ones(len(patterns)), patterns.astype(np.float64)])
    names = table.lists
    candidates: list[tuple[str, NDArray[np.float64]]] = []
    for size in range(0, most + 1):
        for chosen in itertools.combinations(usable, size):
            columns = [patterns[:, a] * patterns[:, b] for a, b in chosen]
            design = np.column_stack([base, *columns]) if columns else base
            name = ("Mt (independent lists)" if not chosen else
                    " + ".join(f"{names[a]}×{names[b]}" for a, b in chosen))
            candidates.append((name, design))
    caught = patterns.sum(axis=1)
    for name, term in HETEROGENEITY.items():
        candidates.append((name, np.column_stack([base, term(caught)])))
    fits = []
    for name, design in candidates:
        fitted = _fit(name, design, counts, table.documented)
        if fitted is not None:
            fits.append(fitted)
    return fits


def _fit(name: str, design: NDArray[np.float64], counts: NDArray[np.int64],
         documented: int) -> _Fit | None:
    import statsmodels.api as sm

    cells, parameters = design.shape
    if parameters >= cells or np.linalg.matrix_rank(design) < parameters:
        return None  # not identifiable: as many parameters as cells, or collinear
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(counts, design, family=sm.families.Poisson()).fit(maxiter=200)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return None
    intercept, se = float(result.params[0]), float(result.bse[0])
    if not (math.isfinite(intercept) and math.isfinite(se)) or se <= 0:
        return None
    n0 = math.exp(min(intercept, 50.0))
    # A model whose unobserved cell runs off to hundreds of times the documented count has
    # not converged to anything meaningful (near-empty margins do that).
    if n0 > 1000 * max(documented, 1):
        return None
    aic = float(result.aic)
    bic = float(-2 * result.llf + parameters * math.log(max(documented, 2)))
    return _Fit(name, design, n0, aic, bic, se)


def _lognormal_interval(n: int, n0: float, se_log_n0: float) -> tuple[float, float]:
    """Chao (1987): the unobserved count is log-normal; the interval never drops below n."""
    spread = math.exp(stats.norm.ppf((1 + LEVEL) / 2) * se_log_n0)
    return n + n0 / spread, n + n0 * spread


def _profile_loglik(patterns: NDArray[np.int64], counts: NDArray[np.int64],
                    design: NDArray[np.float64], n0: float) -> float:
    """The multinomial log-likelihood of N = n + n0, maximised over the model's parameters:
    the Poisson fit of the table completed with n0 in the empty cell, less the Poisson
    likelihood of N itself (Cormack 1992; Rcapture's closedpCI)."""
    from scipy.special import gammaln

    full = np.vstack([np.zeros((1, design.shape[1])), design])
    full[0, 0] = 1.0  # the unobserved cell: the intercept only
    # Every other column is 0 there: no list, no interaction, and Rcapture's heterogeneity
    # terms are 0 for a person on no list.
    y = np.concatenate([[n0], counts.astype(np.float64)])
    mu = _poisson_fit(y, full)
    llf = float(np.sum(np.where(y > 0, y * np.log(np.maximum(mu, 1e-300)), 0.0) - mu
                       - gammaln(y + 1)))
    total = float(y.sum())
    return llf - (total * math.log(total) - total - float(gammaln(total + 1)))


def _poisson_fit(y: NDArray[np.float64], design: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fitted means of a Poisson log-linear model by Newton's method with step halving: the
    same maximum statsmodels finds, without its overhead, for the few dozen fits a profile
    interval takes."""
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(max(float(y.mean()), 1e-3))

    def deviance(b: NDArray[np.float64]) -> float:
        mu = np.exp(np.clip(design @ b, -700, 700))
        return float(np.sum(mu - y * np.log(mu)))

    current = deviance(beta)
    for _step in range(100):
        mu = np.exp(np.clip(design @ beta, -700, 700))
        hessian = design.T @ (design * mu[:, None])
        try:
            step = np.linalg.solve(hessian + 1e-10 * np.eye(len(beta)), design.T @ (y - mu))
        except np.linalg.LinAlgError:
            break
        size = 1.0
        while size > 1e-6:
            trial = beta + size * step
            value = deviance(trial)
            if value <= current + 1e-12:
                break
            size /= 2
        else:
            break
        beta, improvement, current = trial, current - value, value
        if improvement < 1e-10:
            break
    return np.exp(np.clip(design @ beta, -700, 700))


def _profile_interval(patterns: NDArray[np.int64], counts: NDArray[np.int64],
                      f: _Fit) -> tuple[float, float]:
    n = int(counts.sum())
    cut = stats.chi2.ppf(LEVEL, 1) / 2

    def drop(n0: float) -> float:
        return _profile_loglik(patterns, counts, f.design, n0)

    # The profile's maximum lies near the Poisson MLE of the empty cell.
    best = optimize.minimize_scalar(lambda t: -drop(math.exp(t)),
                                    bracket=(math.log(max(f.n0, 1e-3)) - 0.5,
                                             math.log(max(f.n0, 1e-3)) + 0.5),
                                    tol=1e-6)
    peak_n0 = math.exp(float(best.x))
    peak = drop(peak_n0)
    lognormal = _lognormal_interval(n, f.n0, f.se_log_n0)

    def gap(t: float) -> float:
        return peak - drop(math.exp(t)) - cut

    try:
        low_t = math.log(peak_n0)
        floor = math.log(max(lognormal[0] - n, 1e-6)) - 2
        if gap(floor) > 0:
            lower = n + math.exp(optimize.brentq(gap, floor, low_t, xtol=1e-4))
        else:
            lower = float(n)
        ceiling = math.log(max(lognormal[1] - n, 1.0)) + 2
        while gap(ceiling) < 0 and ceiling < math.log(1000 * max(n, 1)):
            ceiling += 1.5
        upper = n + math.exp(optimize.brentq(gap, low_t, ceiling, xtol=1e-4))
    except (ValueError, RuntimeError):
        return lognormal
    return lower, upper


def _lognormal_params(n: int, m: ModelFit) -> tuple[float, float]:
    """The log-normal on the unobserved count that matches a model's interval."""
    z = stats.norm.ppf((1 + LEVEL) / 2)
    low, high = max(m.lower - n, 1e-6), max(m.upper - n, 1e-6)
    centre = math.log(max(m.estimate - n, 1e-6))
    sigma = max((math.log(high) - math.log(low)) / (2 * z), 1e-6)
    return centre, sigma


def _mixture_quantiles(n: int, models: Sequence[ModelFit]) -> tuple[float, float]:
    """The model-averaged interval: quantiles of the weighted mixture of the models'
    log-normal approximations (a model-averaged tail area, Turek & Fletcher 2012)."""
    params = [(m.weight, *_lognormal_params(n, m)) for m in models if m.weight > 1e-6]

    def cdf(log_n0: float) -> float:
        return sum(w * stats.norm.cdf((log_n0 - mu) / sd) for w, mu, sd in params)

    lows = [mu - 10 * sd for _w, mu, sd in params]
    highs = [mu + 10 * sd for _w, mu, sd in params]
    out = []
    for q in ((1 - LEVEL) / 2, (1 + LEVEL) / 2):
        out.append(n + math.exp(optimize.brentq(lambda t, q=q: cdf(t) - q, min(lows),
                                                max(highs))))
    return out[0], out[1]


def _mixture_draws(n: int, models: Sequence[ModelFit], seed: int,
                   size: int = 4000) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    weights = np.array([m.weight for m in models])
    picked = rng.choice(len(models), size=size, p=weights / weights.sum())
    params = np.array([_lognormal_params(n, m) for m in models])
    return n + np.exp(rng.normal(params[picked, 0], params[picked, 1]))


# --- every method, and whether they agree --------------------------------------------------


def estimate(table: CaptureTable, methods: Sequence[str] = METHODS,
             default: str = DEFAULT_METHOD, lcmcr_settings: LcmcrSettings | None = None
             ) -> Estimate:
    check_estimable(table)
    if default == "dga":  # before any sampler runs
        _dga_takes(len(table.lists))
    if default not in methods:
        methods = (default, *methods)
    results: dict[str, MethodResult] = {}
    fits = (loglinear_fits(table) if any(m.startswith("loglinear") or m == "independence"
                                         for m in methods) else [])
    for method in methods:
        if method == "lcmcr":
            results[method] = lcmcr(table, lcmcr_settings)
        elif method == "dga":
            # Left out beyond five lists (the UK's six), unless it was asked for by name.
            if len(table.lists) <= MOST_DGA_LISTS or default == "dga":
                results[method] = dga(table)
        elif method in ("loglinear-aic", "loglinear-bic"):
            results[method] = loglinear(table, method.split("-")[1], fits)
        elif method == "independence":
            results[method] = independence(table, fits)
        else:
            raise CountsError("unknown_method", "no method %(method)s (there are: %(known)s)",
                              method=method, known=", ".join(METHODS))
    found = Estimate(table.lists, table.documented, results, _agreement(table, results),
                     default)
    if default == "dga" and results["dga"].diagnostics["cut_off"] and found.agreement.agree:
        found.agreement = Agreement(
            False, found.agreement.low, found.agreement.high,
            "dga's posterior puts weight beyond a hundred times the documented count: the "
            "lists say too little about the people on none of them", "cut_off")
    rhat = results["lcmcr"].diagnostics.get("rhat", 1.0) if "lcmcr" in results else 1.0
    if rhat > MOST_RHAT:
        found.warnings.append(f"the LCMCR chains have not converged (R-hat {rhat:.2f})")
        if default == "lcmcr" and found.agreement.agree:
            # Chains that have not met say the posterior was not found: its median is not
            # an estimate.
            found.agreement = Agreement(
                False, found.agreement.low, found.agreement.high,
                f"the LCMCR chains have not converged (R-hat {rhat:.2f}): estimates from "
                f"{round(found.agreement.low)} to {round(found.agreement.high)}",
                "not_converged")
    return found


def sparse(table: CaptureTable) -> bool:
    """More than half the possible combinations of lists hold nobody."""
    _patterns, counts = table.full()
    return bool((counts == 0).mean() > 0.5)


def _agreement(table: CaptureTable, results: dict[str, MethodResult]) -> Agreement:
    # The independence model is the baseline shown for reference, not a contender: that it
    # is far off under heterogeneity is expected, not a reason to give no number. Nor is a
    # dga whose posterior runs to the end of its grid: its upper end says nothing.
    contenders = {k: r for k, r in results.items() if k != "independence"
                  and not r.diagnostics.get("cut_off")} or results
    values = [r.estimate for r in contenders.values()]
    low, high = min(values), max(values)
    ratio = high / max(low, 1)
    apart = [(a, b) for (a, ra), (b, rb) in itertools.combinations(contenders.items(), 2)
             if ra.upper < rb.lower or rb.upper < ra.lower]
    if ratio > WILD_RATIO or apart:
        where = ("the table is sparse: more than half the combinations of lists hold nobody, "
                 "and " if sparse(table) else "")
        if apart:
            a, b = apart[0]
            reason = (f"{where}the methods disagree: the 95 % intervals of {a} and {b} do not "
                      f"overlap (estimates from {round(low)} to {round(high)})")
        else:
            reason = (f"{where}the methods disagree: their estimates run from {round(low)} to "
                      f"{round(high)}")
        return Agreement(False, low, high, reason, "disagree_sparse" if where else "disagree")
    return Agreement(True, low, high)


@dataclass
class Stratified:
    strata: dict[str, Estimate]
    total: dict[str, MethodResult]

    def as_json(self) -> dict[str, Any]:
        agree = all(e.agreement.agree for e in self.strata.values())
        default = next(iter(self.strata.values())).default
        head = self.total[default].as_json()
        return {
            "method": default,
            "estimate": head["estimate"] if agree else None,
            "lower": head["lower"] if agree else None,
            "upper": head["upper"] if agree else None,
            "level": LEVEL,
            "documented": sum(e.documented for e in self.strata.values()),
            "agree": agree,
            "methods": {name: r.as_json() for name, r in self.total.items()},
            "strata": {name: e.as_json() for name, e in self.strata.items()},
        }


def check_strata(tables: dict[str, CaptureTable]) -> None:
    """Refuses, naming the stratum, the first table no method can say anything sound about
    (at once: before any sampler runs)."""
    for name, table in tables.items():
        try:
            check_estimable(table)
        except CountsError as e:
            raise _in_stratum(name, e) from None


def _in_stratum(name: str, error: CountsError) -> CountsError:
    return CountsError(error.code, "stratum %(stratum)s: %(reason)s", stratum=name,
                       reason=str(error))


def estimate_strata(tables: dict[str, CaptureTable], methods: Sequence[str] = METHODS,
                    lcmcr_settings: LcmcrSettings | None = None,
                    default: str = DEFAULT_METHOD) -> Stratified:
    """Each stratum on its own (the lists may catch people differently in each region or
    period), and the totals: the strata's estimates added up, their intervals from the sum
    of independent draws."""
    check_strata(tables)
    strata: dict[str, Estimate] = {}
    for name, table in tables.items():
        try:
            strata[name] = estimate(table, methods, default, lcmcr_settings)
        except CountsError as e:
            raise _in_stratum(name, e) from None
    total: dict[str, MethodResult] = {}
    rng = np.random.default_rng(0)
    first = next(iter(strata.values()))
    for method in first.methods:
        parts = [e.methods[method] for e in strata.values()]
        size = min(len(p.draws) for p in parts)
        summed = np.sum([rng.permutation(p.draws)[:size] for p in parts], axis=0)
        low, high = np.quantile(summed, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        total[method] = MethodResult(method, sum(p.estimate for p in parts), float(low),
                                     float(high), sum(p.documented for p in parts), summed)
    return Stratified(strata, total)


# --- a readable table ----------------------------------------------------------------------


def as_text(found: Estimate | Stratified) -> str:
    if isinstance(found, Stratified):
        lines = []
        for name, part in found.strata.items():
            lines += [f"== {name} ==", as_text(part), ""]
        lines.append("== total of the strata ==")
        for method, r in found.total.items():
            lines.append(f"{method:<16}{round(r.estimate):>10}   "
                         f"{round(r.lower)}–{round(r.upper)}")
        return "\n".join(lines)
    lines = [f"lists: {', '.join(found.lists)}; documented: {found.documented}",
             f"{'method':<16}{'estimate':>10}   95 % interval"]
    for method, r in found.methods.items():
        mark = " (default)" if method == found.default else ""
        extra = ""
        if method == "lcmcr":
            extra = f"   R-hat {r.diagnostics['rhat']}, ESS {r.diagnostics['ess']}"
            if r.diagnostics.get("retried"):
                extra += f" (run again with a burn-in of {r.diagnostics['burn_in']:,})"
        elif method == "dga":
            extra = (f"   graph {r.diagnostics['best_graph']} "
                     f"(weight {r.diagnostics['best_weight']})")
            if r.diagnostics["cut_off"]:
                extra += "; the upper end is unreliable: the lists say too little"
        lines.append(f"{method:<16}{round(r.estimate):>10}   "
                     f"{round(r.lower)}–{round(r.upper)}{mark}{extra}")
    if found.agreement.agree and found.chosen is not None:
        c = found.chosen
        lines.append(f"estimate: {round(c.estimate)} ({round(c.lower)}–{round(c.upper)}), "
                     f"{found.default}")
    else:
        lines.append(f"no single estimate: {found.agreement.reason}")
        lines.append(f"spread: {round(found.agreement.low)}–{round(found.agreement.high)}")
    lines += [f"warning: {w}" for w in found.warnings]
    return "\n".join(lines)


# --- simulated populations (tests, benchmarks/estimation.py) -------------------------------


# The simulated populations the default method is validated on (benchmarks/estimation.py;
# test_estimation.py), both with one list referring people to the next:
# - "lists": two groups, each list reaching each group with its own probability (a legal
#   clinic reaches detainees, a community group people the police never record). People hard
#   for one list to reach are found by another; the goal of >= 90 % coverage is measured here.
# - "hidden": a group every list reaches less. No method sees much of it; LCMCR's intervals
#   are too narrow here (the uniform prior on a barely seen group's capture probabilities
#   pulls its size down, with or without the referral), and the assumptions say so.
DESIGNS: dict[str, dict[str, Any]] = {
    "lists": {"size": 2000, "lists": 5, "low": (0.05, 0.55), "high": (0.05, 0.55),
              "hidden_share": (0.2, 0.4), "referral": 1.3},
    "hidden": {"size": 2000, "lists": 5, "low": (0.1, 0.3), "high": (0.25, 0.55),
               "hidden_share": (0.2, 0.4), "referral": 1.3},
}


def simulate(rng: np.random.Generator, size: int = 2000, lists: int = 4,
             low: tuple[float, float] = (0.05, 0.25), high: tuple[float, float] = (0.2, 0.5),
             hidden_share: tuple[float, float] = (0.2, 0.4),
             referral: float = 1.3) -> CaptureTable:
    """A population of `size` people in two groups that the lists reach unequally (a
    hard-to-reach group, caught by each list with a probability drawn from `low`; the rest
    from `high`), and one list that refers people to the next: being on list 1 multiplies
    the chance of being on list 2 by `referral`. Both break the independence model; the
    heterogeneity is what LCMCR models, the referral is not."""
    hidden = rng.random(size) < rng.uniform(*hidden_share)
    p = np.where(hidden[:, None], rng.uniform(*low, size=lists)[None, :],
                 rng.uniform(*high, size=lists)[None, :])
    caught = rng.random((size, lists)) < p
    again = rng.random(size) < np.minimum(1.0, p[:, 1] * referral)
    caught[:, 1] = np.where(caught[:, 0], again, caught[:, 1])
    seen = caught[caught.any(axis=1)].astype(int)
    found: dict[tuple[int, ...], int] = {}
    for row in map(tuple, seen):
        found[row] = found.get(row, 0) + 1
    names = tuple(f"L{i + 1}" for i in range(lists))
    return CaptureTable(names, tuple(found), tuple(found.values()))
