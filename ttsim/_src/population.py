"""Populations of problem difficulty.

Every population becomes a :class:`ProblemSet`: a weighted set of per-problem success
probabilities. An empirical population is one node per problem; a Beta or a mixture of
Betas is a set of quadrature nodes and weights. Every population-level quantity is then
``sum_i weight_i * f(p_i)`` (see :func:`population_mean`), and closed forms such as the
Beta-population coverage serve as tests of the quadrature.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
from jax.scipy.special import betaln, gammaln, logsumexp

from ttsim._src import validation as v
from ttsim._src.numerics import enable_x64, float_dtype

_FIELDS = ("weight", "p", "a", "b", "alpha", "beta", "mix_weight")


@functools.partial(jax.tree_util.register_dataclass, data_fields=list(_FIELDS), meta_fields=[])
@dataclasses.dataclass(frozen=True)
class ProblemSet:
    r"""A population of problems: weights ``weight[..., i]`` (summing to 1 over i) and per-problem fields.

    The one population type of ttsim (empirical, Beta, Beta mixture, refinement and binned
    populations are all values of it). Per-problem fields share a trailing problem axis:

    - ``p``: per-sample success probability of problem i (for a refinement population, the
      accuracy ``p0`` of the chain's initial answer);
    - ``a``, ``b`` (optional, refinement populations): per-step fix and break rates.

    ``alpha``, ``beta``, ``mix_weight`` (optional, trailing component axis) remember the Beta
    (mixture) a quadrature population was built from, so :meth:`sample` draws from the Beta
    itself. Leading axes are batch axes (several populations of the same size); ``weight`` may
    carry batch axes that ``p`` lacks (e.g. a leading bin axis over shared problems) and the
    other way round — they broadcast.

    Every population-level quantity is one lift of a per-problem model:

    .. math:: \mathbb{E}_{\mathrm{pop}}[f] = \sum_i w_i\, f(p_i, \ldots)

    (:meth:`expect`, one ``jax.vmap`` over the problem axis). A registered dataclass: it goes
    through ``jit``, ``vmap`` and ``grad`` like any pytree.

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """

    weight: jax.Array
    p: jax.Array
    a: jax.Array | None = None
    b: jax.Array | None = None
    alpha: jax.Array | None = None
    beta: jax.Array | None = None
    mix_weight: jax.Array | None = None

    @property
    def num_problems(self) -> int:
        """Number of problems (the trailing axis)."""
        return self.p.shape[-1]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Leading batch axes: ``p``'s and ``weight``'s leading axes broadcast together."""
        return tuple(jnp.broadcast_shapes(self.p.shape[:-1], self.weight.shape[:-1]))

    @property
    def p0(self) -> jax.Array:
        """Refinement populations: the initial accuracy of each problem's chain (same as ``p``)."""
        return self.p

    @property
    def is_refinement(self) -> bool:
        """Whether the problems carry refinement rates ``a`` and ``b``."""
        return self.a is not None

    def fields(self) -> tuple[jax.Array, ...]:
        """The per-problem fields :meth:`expect` passes to its model: ``(p,)`` or ``(p, a, b)``."""
        return (self.p,) if self.a is None else (self.p, self.a, self.b)

    def expect(self, fn: Callable, *args, key=None, per_problem: tuple = ()) -> jax.Array:
        r"""Population average of a per-problem model: :math:`\sum_i w_i\, f(p_i, \mathrm{args})`.

        ``fn(p, *args)`` (``fn(p, a, b, *args)`` for a refinement population) is a model of ONE
        problem: ``p`` (and ``a``, ``b``) are scalars, ``args`` are passed through unchanged (they
        broadcast inside ``fn``, e.g. a grid of ``k``). It is lifted by a single ``jax.vmap`` over
        the problem axis (one more per batch axis), then contracted with the weights. With
        ``key``, each problem gets its own key (``jax.random.split``), passed as ``key=``.
        ``per_problem`` arrays (trailing problem axis, broadcasting with ``p``) are sliced
        like the fields and passed after them: ``fn(p, *per_problem, *args)`` (e.g. a
        verifier whose rates differ by problem).

        Returns:
          ``batch_shape + fn(...).shape``.

        Example: the coverage of a population at k = 1, 10, 100 is
        ``pop.expect(lambda p, k: 1 - (1 - p) ** k, jnp.array([1., 10., 100.]))``.

        References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
        <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
        """
        fields = self.fields()
        if per_problem:
            fields = tuple(v.broadcast_arrays(*fields, *(v.asarray(x) for x in per_problem)))
        fshape = fields[0].shape
        batch, num = fshape[:-1], fshape[-1]

        if key is None:
            def one(*f):
                return fn(*f, *args)
            inputs = fields
        else:
            keys = jax.random.split(key, math.prod(fshape)).reshape(fshape + jnp.shape(key))

            def one(*fk):
                return fn(*fk[:-1], *args, key=fk[-1])
            inputs = (*fields, keys)
        per = jax.vmap(one)
        for _ in batch:
            per = jax.vmap(per)
        vals = per(*inputs)  # batch + (P,) + out
        out = vals.shape[len(batch) + 1 :]
        dt = vals.dtype if jnp.issubdtype(vals.dtype, jnp.floating) else jnp.result_type(float)
        # The weighted sum as a contraction over the problem axis (a dot, at full precision):
        # XLA fuses the model into it, where a sum over a leading axis of the (problems x
        # outputs) array is up to 100x slower on CPU.
        flat = v.astype(vals, dt).reshape(batch + (num, math.prod(out)))
        w = self.weight.astype(dt)
        res = jnp.einsum("...p,...pq->...q", w, flat, precision=jax.lax.Precision.HIGHEST)
        return res.reshape(res.shape[:-1] + out)

    def mean(self) -> jax.Array:
        r"""Mean per-sample success (pass@1) of the population, :math:`\sum_i w_i p_i`; shape ``batch_shape``.

        References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
        <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
        """
        return jnp.sum(self.weight * self.p, axis=-1)

    def sample(self, key, num: int) -> jax.Array:
        r"""Draw ``num`` per-problem success probabilities :math:`p \sim` the population.

        A population built from a Beta (mixture) draws from the Beta itself (a component
        :math:`j \sim \pi`, then :math:`p \sim \mathrm{Beta}(\alpha_j, \beta_j)`); any other
        (empirical, quadrature without its source, concatenated) draws a problem
        :math:`i \sim \mathrm{Categorical}(w)` and returns its ``p_i`` (for a refinement
        population its initial accuracy; :meth:`resample` keeps ``a`` and ``b`` too).

        Args:
          key: ``jax.random`` key (required).
          num: number of draws (static).

        Returns:
          ``(num,) + batch_shape``.

        References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
        <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
        """
        num = int(num)
        if num < 0:
            raise ValueError(f"ProblemSet.sample: num must be >= 0; got {num}")
        if self.alpha is not None and self.a is None:
            k_comp, k_beta = jax.random.split(key)
            logits = jnp.log(jnp.where(self.mix_weight > 0, self.mix_weight, 0.0))
            batch = self.alpha.shape[:-1]
            comp = jax.random.categorical(k_comp, logits, axis=-1, shape=(num,) + batch)
            alpha = jnp.take_along_axis(jnp.broadcast_to(self.alpha, (num,) + self.alpha.shape), comp[..., None], -1)
            beta = jnp.take_along_axis(jnp.broadcast_to(self.beta, (num,) + self.beta.shape), comp[..., None], -1)
            return jax.random.beta(k_beta, alpha[..., 0], beta[..., 0], dtype=self.p.dtype)
        idx = self._draw_index(key, num)
        return _gather(self.p, idx, self.batch_shape)

    def resample(self, key, num: int) -> ProblemSet:
        r"""An empirical population of ``num`` problems drawn :math:`i \sim \mathrm{Categorical}(w)`, all fields kept.

        References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
        <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
        """
        num = int(num)
        idx = self._draw_index(key, num)  # (num,) + batch
        batch = self.batch_shape
        take = functools.partial(_gather, idx=idx, batch=batch)
        fields = {name: None if getattr(self, name) is None else jnp.moveaxis(take(getattr(self, name)), 0, -1)
                  for name in ("p", "a", "b")}
        weight = jnp.full(batch + (num,), 1.0 / max(num, 1), self.p.dtype)
        return ProblemSet(weight=weight, **fields)

    def _draw_index(self, key, num):
        batch = self.batch_shape
        w = jnp.broadcast_to(self.weight, batch + self.weight.shape[-1:])
        logits = jnp.log(jnp.where(w > 0, w, 0.0))
        return jax.random.categorical(key, logits, axis=-1, shape=(num,) + batch)


def _gather(x, idx, batch):
    # x: xb + (P,) broadcastable to batch + (P,); idx: (num,) + batch -> (num,) + batch
    x = jnp.broadcast_to(x, batch + x.shape[-1:])
    return jnp.take_along_axis(jnp.broadcast_to(x, idx.shape[:1] + x.shape), idx[..., None], axis=-1)[..., 0]


def population_mean(problems: ProblemSet, values: jax.Array) -> jax.Array:
    r"""Weighted mean over problems, :math:`\sum_i w_i\,f_i`, reducing the last axis of ``values``.

    ``values[..., i]`` is any per-problem quantity already computed (accuracy, saturation
    point, cost); leading axes of ``values`` broadcast against the population's batch axes.
    To lift a per-problem model use :meth:`ProblemSet.expect`.

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025.
    """
    return jnp.sum(problems.weight * values, axis=-1)


def empirical_population(p, weight=None) -> ProblemSet:
    r"""An empirical population: problem i has success probability ``p[i]`` and weight ``weight[i]``.

    .. math:: \Pr(p) = \textstyle\sum_i w_i\,\delta(p - p_i), \qquad w_i \propto \mathrm{weight}_i

    Args:
      p: ``(P,)`` per-sample success probabilities in [0, 1].
      weight: optional ``(P,)`` non-negative weights (normalised to sum 1); uniform by default.

    Raises:
      ValueError: if ``p`` is outside [0, 1], weights are negative or all zero, or shapes differ.

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """
    p = v.asarray(p)
    p = v.astype(p, float_dtype(p))
    if p.ndim < 1 or p.shape[-1] == 0:
        raise ValueError(f"empirical_population: p must have at least one problem; got shape {p.shape}")
    v.check_probability("p", p, where="empirical_population")
    return ProblemSet(weight=normalized_weight(weight, p, name="p", where="empirical_population"), p=p)


def normalized_weight(weight, like: jax.Array, *, name: str, where: str) -> jax.Array:
    r"""Per-problem weights for a population shaped like ``like``: :math:`w_i / \sum_j w_j` over the last axis.

    ``None`` gives uniform weights. Otherwise ``weight`` must have ``like``'s shape (``name``
    is ``like``'s argument name, for the message), be non-negative and have a positive sum.
    """
    if weight is None:
        return jnp.full(like.shape, 1.0 / like.shape[-1], like.dtype)
    weight = v.asarray(weight, like.dtype)
    v.check_same_shape((name, "weight"), like, weight, where=where)
    v.check_nonnegative("weight", weight, where=where)
    w = v._values(weight)
    if w is not None and np.any(w.sum(-1) <= 0):
        raise ValueError(f"{where}: weight must have a positive sum")
    return weight / jnp.sum(weight, axis=-1, keepdims=True)


def _beta_nodes(alpha, beta, num_nodes: int):
    # Gauss-Legendre on [0, m] and [m, 1] after the substitutions p = t^(1/g) on the left and
    # 1 - p = s^(1/h) on the right, g = min(alpha, 1), h = min(beta, 1): they absorb the endpoint
    # singularities of the density when alpha or beta < 1 and leave it smooth otherwise. The split
    # m is 1/2, moved towards 0 (or 1) for a population concentrated there, so both panels
    # resolve its bulk.
    x, w = np.polynomial.legendre.leggauss(num_nodes)
    u = v.asarray((x + 1.0) / 2.0)  # nodes on (0, 1)
    wu = v.asarray(w / 2.0)
    alpha = alpha[..., None]
    beta = beta[..., None]
    log_norm = betaln(alpha, beta)
    centre = (alpha + 1.0) / (alpha + beta + 2.0)
    split = jnp.where(centre < 0.5, jnp.minimum(2.0 * centre, 0.5), jnp.maximum(2.0 * centre - 1.0, 0.5))

    def half(a, b, g, log_end):
        # integral over (0, end] of f(x) x^(a-1) (1-x)^(b-1) dx with x = t^(1/g), t in (0, end^g]
        log_t_max = g * log_end
        log_t = log_t_max + jnp.log(u)
        x = jnp.exp(log_t / g)
        lw = jnp.log(wu) + log_t_max - jnp.log(g) + (a / g - 1.0) * log_t + (b - 1.0) * jnp.log1p(-x) - log_norm
        return x, lw

    p_left, lw_left = half(alpha, beta, jnp.minimum(alpha, 1.0), jnp.log(split))
    q_right, lw_right = half(beta, alpha, jnp.minimum(beta, 1.0), jnp.log1p(-split))
    p = jnp.concatenate([p_left, 1.0 - q_right], axis=-1)
    lw = jnp.concatenate([lw_left, lw_right], axis=-1)
    weight = jnp.exp(lw - logsumexp(lw, axis=-1, keepdims=True))
    return jnp.clip(p, 0.0, 1.0), weight


def beta_population(alpha, beta, num_nodes: int = 64) -> ProblemSet:
    r"""A Beta(α, β) population of per-sample success probabilities, as quadrature nodes.

    .. math:: f(p) = \frac{p^{\alpha-1}(1-p)^{\beta-1}}{B(\alpha,\beta)}

    Discretised with ``num_nodes`` Gauss–Legendre nodes on each side of a split point (1/2, or
    nearer 0 or 1 for a population concentrated there) after the
    substitutions :math:`p = t^{1/\min(\alpha,1)}` (left) and :math:`1-p = s^{1/\min(\beta,1)}`
    (right), which remove the endpoint singularities for α, β < 1. Jittable and differentiable in α and β;
    ``num_nodes`` is static. The result has ``2 * num_nodes`` problems.

    Args:
      alpha, beta: positive arrays of the same (batch) shape.
      num_nodes: nodes per half-interval (static).

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (Beta-distributed per-problem pass@1).
    """
    if int(num_nodes) < 2:
        raise ValueError(f"beta_population: num_nodes must be >= 2; got {num_nodes}")
    alpha = v.asarray(alpha)
    dt = float_dtype(alpha, beta)
    alpha, beta = v.broadcast_arrays(v.astype(alpha, dt), v.asarray(beta, dt))
    v.check_positive("alpha", alpha, where="beta_population")
    v.check_positive("beta", beta, where="beta_population")
    p, weight = _beta_nodes(alpha, beta, int(num_nodes))
    return ProblemSet(
        weight=weight, p=p, alpha=alpha[..., None], beta=beta[..., None], mix_weight=jnp.ones_like(alpha)[..., None]
    )


def beta_mixture_population(mix_weight, alpha, beta, num_nodes: int = 64) -> ProblemSet:
    r"""A finite mixture of Betas, :math:`f(p) = \sum_j \pi_j\,\mathrm{Beta}(p;\alpha_j,\beta_j)`.

    The components' quadrature nodes are concatenated and their weights scaled by
    :math:`\pi_j` (normalised to sum 1). Arrays have a trailing component axis.

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """
    dt = float_dtype(v.asarray(alpha), beta)
    mix_weight, alpha, beta = (v.asarray(x, dt) for x in (mix_weight, alpha, beta))
    v.check_same_shape(("mix_weight", "alpha", "beta"), mix_weight, alpha, beta, where="beta_mixture_population")
    if alpha.ndim < 1:
        raise ValueError("beta_mixture_population: alpha must have a trailing component axis")
    v.check_nonnegative("mix_weight", mix_weight, where="beta_mixture_population")
    v.check_positive("alpha", alpha, where="beta_mixture_population")
    v.check_positive("beta", beta, where="beta_mixture_population")
    comps = beta_population(alpha, beta, num_nodes)
    pi = mix_weight / jnp.sum(mix_weight, axis=-1, keepdims=True)
    weight = comps.weight * pi[..., None]
    batch = alpha.shape[:-1]
    return ProblemSet(
        weight=weight.reshape(*batch, -1), p=comps.p.reshape(*batch, -1), alpha=alpha, beta=beta, mix_weight=pi
    )


def concatenate(populations: list[ProblemSet], mix_weight=None) -> ProblemSet:
    r"""Join populations into one, mixing them with ``mix_weight`` (uniform by default).

    .. math:: w = (\pi_1 w^{(1)}, \dots, \pi_J w^{(J)}), \qquad p = (p^{(1)}, \dots, p^{(J)})

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """
    k = len(populations)
    if k == 0:
        raise ValueError("concatenate: populations must not be empty")
    mix = jnp.full((k,), 1.0 / k) if mix_weight is None else v.asarray(mix_weight) / jnp.sum(v.asarray(mix_weight))
    refine = [pop.a is not None for pop in populations]
    if any(refine) and not all(refine):
        raise ValueError("concatenate: cannot mix refinement populations (with a, b) and plain ones")

    def cat(name):
        if not refine[0] and name in ("a", "b"):
            return None
        return jnp.concatenate([getattr(pop, name) for pop in populations], axis=-1)

    return ProblemSet(
        weight=jnp.concatenate([pop.weight * mix[j] for j, pop in enumerate(populations)], axis=-1),
        p=cat("p"),
        a=cat("a"),
        b=cat("b"),
    )


# ----------------------------------------------------------------------------- fitting


def beta_binomial_log_likelihood(alpha, beta, n, c) -> jax.Array:
    r"""Per-problem beta-binomial log-likelihood of ``c`` correct out of ``n`` samples.

    .. math:: \log\binom{n}{c} + \log B(c+\alpha, n-c+\beta) - \log B(\alpha, \beta)

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """
    n = v.asarray(n, float_dtype(alpha))
    c = v.asarray(c, n.dtype)
    log_comb = gammaln(n + 1) - gammaln(c + 1) - gammaln(n - c + 1)
    return log_comb + betaln(c + alpha, n - c + beta) - betaln(alpha, beta)


class BetaFit(NamedTuple):
    """Maximum-likelihood Beta population: ``alpha``, ``beta`` and the total ``log_likelihood``."""

    alpha: jax.Array
    beta: jax.Array
    log_likelihood: jax.Array


class BetaMixtureFit(NamedTuple):
    """Maximum-likelihood mixture of Betas (trailing component axis) and its ``log_likelihood``."""

    mix_weight: jax.Array
    alpha: jax.Array
    beta: jax.Array
    log_likelihood: jax.Array


def _check_counts(n, c, where):
    n = np.asarray(n, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    if n.ndim != 1 or n.shape != c.shape or n.size == 0:
        raise ValueError(f"{where}: n and c must be 1-D arrays of the same non-zero length; got {n.shape}, {c.shape}")
    v.check_count("n", n, minimum=1, where=where)
    v.check_count("c", c, minimum=0, where=where)
    if np.any(c > n):
        raise ValueError(f"{where}: c must be <= n; problem {int(np.argmax(c > n))} has c={c.max()} > n")
    return n, c


def _mixture_nll(theta, n, c, k):
    logits, log_a, log_b = theta[:k], theta[k : 2 * k], theta[2 * k :]
    ll = beta_binomial_log_likelihood(jnp.exp(log_a)[:, None], jnp.exp(log_b)[:, None], n[None], c[None])
    return -jnp.sum(logsumexp(ll + jax.nn.log_softmax(logits)[:, None], axis=0))


_mixture_value_and_grad = jax.jit(jax.value_and_grad(_mixture_nll), static_argnums=3)


def fit_beta_mixture(n, c, num_components: int = 2, *, num_restarts: int = 4, seed: int = 0) -> BetaMixtureFit:
    r"""Fit a ``num_components``-component mixture of Betas to per-problem counts by maximum likelihood.

    Maximises :math:`\sum_i \log \sum_j \pi_j\,\mathrm{BetaBin}(c_i; n_i, \alpha_j, \beta_j)` over
    softmax logits and log-parameters with L-BFGS (gradients from JAX), from several
    starting points spread over the empirical success rates; the best optimum wins.

    Args:
      n: ``(P,)`` samples per problem (>= 1). c: ``(P,)`` correct samples (0 <= c <= n).

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025 (populations of per-problem pass@1).
    """
    where = "fit_beta_mixture"
    n, c = _check_counts(n, c, where)
    k = int(num_components)
    if k < 1:
        raise ValueError(f"{where}: num_components must be >= 1; got {num_components}")
    with enable_x64(True):
        nj, cj = v.asarray(n), v.asarray(c)
        rng = np.random.default_rng(seed)
        rate = (c + 0.5) / (n + 1.0)
        best = None
        for r in range(max(1, num_restarts)):
            qs = np.sort(rng.uniform(0.05, 0.95, k)) if r else (np.arange(k) + 0.5) / k
            means = np.clip(np.quantile(rate, qs), 1e-4, 1 - 1e-4)
            conc = 2.0 if r % 2 == 0 else 0.5
            theta0 = np.concatenate([np.zeros(k), np.log(means * conc), np.log((1 - means) * conc)])

            def f(theta):
                val, grad = _mixture_value_and_grad(v.asarray(theta), nj, cj, k)
                return float(val), np.asarray(grad, dtype=np.float64)

            res = scipy.optimize.minimize(
                f, theta0, jac=True, method="L-BFGS-B", bounds=[(-30, 30)] * k + [(-9.0, 9.0)] * (2 * k)
            )
            if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                best = res
        theta = best.x
        pi = np.exp(theta[:k] - theta[:k].max())
        pi /= pi.sum()
        order = np.argsort(np.exp(theta[k : 2 * k]) / (np.exp(theta[k : 2 * k]) + np.exp(theta[2 * k :])))
        return BetaMixtureFit(
            mix_weight=v.asarray(pi[order], jnp.float32),
            alpha=v.asarray(np.exp(theta[k : 2 * k])[order], jnp.float32),
            beta=v.asarray(np.exp(theta[2 * k :])[order], jnp.float32),
            log_likelihood=v.asarray(-best.fun, jnp.float32),
        )


def fit_beta(n, c) -> BetaFit:
    r"""Fit a Beta(α, β) population to per-problem counts by beta-binomial maximum likelihood.

    .. math:: \hat\alpha,\hat\beta = \arg\max \textstyle\sum_i \log B(c_i+\alpha, n_i-c_i+\beta) - \log B(\alpha,\beta)

    Args:
      n: ``(P,)`` samples per problem (>= 1). c: ``(P,)`` correct samples (0 <= c <= n).

    References: Schaeffer et al., `How Do Large Language Monkeys Get Their Power (Laws)?
    <https://arxiv.org/abs/2502.17578>`_, 2025.
    """
    fit = fit_beta_mixture(n, c, 1)
    return BetaFit(alpha=fit.alpha[0], beta=fit.beta[0], log_likelihood=fit.log_likelihood)


def fit_empirical(n, c) -> ProblemSet:
    r"""The plug-in empirical population: problem i has :math:`\hat p_i = c_i / n_i`, equal weights.

    References: Brown et al., `Large Language Monkeys <https://arxiv.org/abs/2407.21787>`_, 2024.
    """
    n, c = _check_counts(n, c, "fit_empirical")
    return empirical_population(v.asarray(c / n, jnp.float32))
