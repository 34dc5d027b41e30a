"""ttsim.testing strategies draw only valid inputs; ttsim's own laws pass ttsim.testing's properties."""

import jax
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import ttsim
import ttsim.testing as tt

try:
    from ttsim import genrm_accuracy
except ImportError:  # not re-exported yet
    from ttsim._src.verification import genrm_accuracy
try:
    from ttsim import allocation_pass_at_k
except ImportError:
    from ttsim._src.allocation import allocation_pass_at_k

KS = np.array([1.0, 2.0, 3.0, 5.0, 8.0, 16.0, 64.0, 256.0], np.float32)


# ------------------------------------------------------- strategies produce valid inputs


@settings(max_examples=12)
@given(pop=tt.populations())
def test_populations_are_valid_problem_sets(pop):
    assert isinstance(pop, ttsim.ProblemSet)
    w, p = np.asarray(pop.weight), np.asarray(pop.p)
    assert np.all((p >= 0) & (p <= 1)) and np.all(w >= 0)
    np.testing.assert_allclose(w.sum(), 1.0, rtol=1e-4)
    ttsim.empirical_population(p, w)  # the library's own checks accept it


@settings(max_examples=12)
@given(counts=tt.problem_counts(), equal=tt.problem_counts(equal_n=True, min_n=4))
def test_problem_counts_are_accepted(counts, equal):
    n, c = counts
    ttsim.populations.fit_empirical(n, c)
    ttsim.pass_at_k(n, c, 1)
    ne, ce = equal
    assert np.all(ne == ne[0]) and ne[0] >= 4
    ttsim.pass_at_k(ne, ce, ne[0])


@settings(max_examples=12)
@given(probs=tt.answer_distributions(), d=tt.verifier_d_primes(), auc=tt.verifier_aucs(), rates=tt.tpr_fpr())
def test_answer_and_verifier_strategies_are_accepted(probs, d, auc, rates):
    assert probs.shape == (4,)
    ttsim.majority_vote(probs, np.array([1, 3]))
    ttsim.best_of_n(float(probs[0]), 4.0, d)
    ttsim.accuracy.auc_to_d_prime(auc)
    tpr, fpr = rates
    assert tpr >= fpr
    genrm_accuracy(float(probs[0]), tpr, fpr, 4.0, 2)


@settings(max_examples=12)
@given(chain=tt.refinement_chains(), ks=tt.sample_budgets(), b=tt.budgets(), alloc=tt.sample_allocations())
def test_chain_budget_and_allocation_strategies_are_accepted(chain, ks, b, alloc):
    p0, a, bb = chain
    ttsim.refinement_accuracy(p0, a, bb, ks)
    ttsim.accuracy.refinement_saturation_point(p0, a, bb, 0.01)
    assert np.all(np.diff(ks) > 0) and ks.dtype == np.float32
    assert np.all(np.diff(b) >= 0) and np.all(b > 0)
    assert alloc.shape == (3,) and alloc.sum() >= 1 and np.all(alloc >= 0)
    runs = np.full(3, 64)
    allocation_pass_at_k(runs, np.zeros((2, 3), np.int64), alloc)


@settings(max_examples=12)
@given(model=tt.model_configs(), hw=tt.hardware_profiles())
def test_model_and_hardware_configs_are_accepted(model, hw):
    assert model.active_params <= model.params and model.num_heads % model.num_kv_heads == 0
    cost = ttsim.kinetics_cost(model, hw, 100.0, 1000.0, 4.0)
    assert np.all(np.isfinite([cost.flops, cost.memory_bytes, cost.eflops, cost.seconds]))


# ------------------------------------------------------------- ttsim eats its own cooking


@settings(max_examples=15)
@given(p=tt.probabilities(), ks=tt.sample_budgets())
def test_coverage_is_a_well_behaved_law(p, ks):
    cov = ttsim.coverage(p, ks)
    inputs = {"p": p, "k": ks}
    tt.check_bounded(cov, name="coverage", inputs=inputs)
    tt.check_monotone(cov, along=ks, name="coverage", inputs=inputs)
    tt.check_concave(cov, along=ks, atol=1e-5, name="coverage", inputs=inputs)


def test_coverage_limits_and_saturation():
    tt.check_limits(lambda p: ttsim.coverage(p[:, None], KS[None, :]).T, name="coverage")
    n = np.arange(1, 400)
    for p in (0.02, 0.1, 0.5):
        tt.check_saturation_moves_with_eps([0.02, 0.005, 0.001], curve=np.asarray(ttsim.coverage(p, n)))
        tt.check_saturation_moves_with_eps([0.02, 0.005, 0.001], saturation_fn=lambda e, p=p: ttsim.accuracy.parallel_saturation_point(p, e))


@settings(max_examples=15)
@given(ab=tt.beta_params(min_value=0.02, max_value=50.0))
def test_beta_coverage_is_a_well_behaved_law(ab):
    cov = ttsim.beta_coverage(ab[0], ab[1], KS)
    inputs = {"alpha": ab[0], "beta": ab[1]}
    tt.check_bounded(cov, name="beta_coverage", inputs=inputs)
    tt.check_monotone(cov, along=KS, name="beta_coverage", inputs=inputs)
    tt.check_concave(cov, along=KS, atol=1e-5, name="beta_coverage", inputs=inputs)


@settings(max_examples=12)
@given(pop=tt.populations())
def test_population_coverage_law_and_order_invariance(pop):
    cov = ttsim.population_coverage(pop, KS)
    tt.check_bounded(cov, name="population_coverage")
    tt.check_monotone(cov, along=KS, name="population_coverage")
    tt.check_concave(cov, along=KS, atol=1e-5, name="population_coverage")
    tt.check_order_invariance(lambda q: ttsim.population_coverage(q, KS), pop, rtol=1e-4, atol=1e-5)


@settings(max_examples=15)
@given(a=st.floats(-8.0, -0.05), b=st.floats(-1.0, -0.01))
def test_power_law_coverage_is_bounded_monotone_and_tends_to_one(a, b):
    ks = np.array([1.0, 10.0, 1e2, 1e4, 1e6, 1e9, 1e15], np.float32)
    cov = ttsim.accuracy.power_law_coverage(a, b, ks)
    tt.check_bounded(cov, name="power_law_coverage", inputs={"a": a, "b": b})
    tt.check_monotone(cov, along=ks, name="power_law_coverage", inputs={"a": a, "b": b})
    # Not concave in general: exp(a k^b) is convex at small k when a*b > 1 - b (S-shape).


def test_power_law_is_not_always_concave():
    ks = np.arange(1.0, 6.0)
    res = tt.check_concave(ttsim.accuracy.power_law_coverage(-7.59, -0.18, ks), along=ks, raise_on_failure=False)
    assert not res.ok  # Pythia-70M's fit (Brown et al.) accelerates at small k


@settings(max_examples=12)
@given(counts=tt.problem_counts(equal_n=True, min_n=8, max_n=64))
def test_pass_at_k_estimator_properties(counts):
    n, c = counts
    ks = np.array([1, 2, 4, 8])
    per = np.asarray(ttsim.pass_at_k(n[:, None], c[:, None], ks[None, :]))
    tt.check_bounded(per, name="pass_at_k")
    tt.check_monotone(per, along=ks, name="pass_at_k", inputs={"n": n, "c": c})
    tt.check_concave(per, along=ks, atol=1e-5, name="pass_at_k")
    tt.check_order_invariance(lambda nc: ttsim.pass_at_k(nc[0], nc[1], 4).mean(-1), (n, c))


@settings(max_examples=12)
@given(probs=tt.answer_distributions())
def test_majority_vote_bounded_and_below_coverage(probs):
    ks = np.array([1, 2, 3, 5, 9])
    maj = np.asarray(ttsim.majority_vote(probs, ks))
    tt.check_bounded(maj, name="majority_vote", inputs={"probs": probs})
    cov = np.asarray(ttsim.coverage(float(probs[0]), ks.astype(np.float32)))
    tt.check_bounded(maj - cov, -1.0, 0.0, atol=1e-5, name="majority_vote - coverage", inputs={"probs": probs})


def test_majority_vote_limits():
    ks = np.array([1, 3, 7])
    tt.check_limits(lambda p: np.asarray(ttsim.majority_vote(ttsim.answer_probs(p[:, None], 0.0, 2), ks[None, :])).T)


@settings(max_examples=12)
@given(p=tt.probabilities(), d=tt.verifier_d_primes())
def test_best_of_n_monotone_and_between_pass1_and_coverage(p, d):
    ns = np.array([1.0, 2.0, 4.0, 16.0, 64.0], np.float32)
    bon = np.asarray(ttsim.best_of_n(p, ns, d))
    inputs = {"p": p, "d_prime": d}
    tt.check_bounded(bon, name="best_of_n", inputs=inputs)
    tt.check_monotone(bon, along=ns, atol=1e-5, name="best_of_n", inputs=inputs)
    tt.check_bounded(bon, p - 1e-5, 1.0, name="best_of_n >= p", inputs=inputs)
    tt.check_bounded(bon - np.asarray(ttsim.coverage(p, ns)), -1.0, 1e-5, name="best_of_n <= coverage", inputs=inputs)


@settings(max_examples=15)
@given(chain=tt.refinement_chains())
def test_refinement_accuracy_moves_monotonically_to_its_limit(chain):
    p0, a, b = chain
    ts = np.arange(0.0, 12.0, dtype=np.float32)
    acc = np.asarray(ttsim.refinement_accuracy(p0, a, b, ts))
    inputs = {"p0": p0, "a": a, "b": b}
    tt.check_bounded(acc, name="refinement_accuracy", inputs=inputs)
    if a + b <= 1.0:  # lambda >= 0: no oscillation, monotone towards pi = a / (a + b)
        up = a * (1 - p0) - b * p0 >= 0
        tt.check_monotone(acc, along=ts, increasing=up, atol=1e-5, name="refinement_accuracy", inputs=inputs)
        if up:
            tt.check_concave(acc, along=ts, atol=1e-5, name="refinement_accuracy", inputs=inputs)
    tt.check_saturation_moves_with_eps(
        [0.05, 0.01, 0.001], saturation_fn=lambda e: ttsim.accuracy.refinement_saturation_point(p0, a, b, e), inputs=inputs
    )


@settings(max_examples=12)
@given(model=tt.model_configs(), hw=tt.hardware_profiles(), budget=st.sampled_from([None, 256.0, 2048.0]))
def test_kinetics_cost_monotone_in_tokens_and_samples(model, hw, budget):
    def cost(tokens, samples):
        return ttsim.kinetics_cost(model, hw, 512.0, tokens, samples, kv_budget=budget)

    tt.check_cost_monotone(cost, [16.0, 256.0, 4096.0, 32768.0], [1.0, 2.0, 8.0, 64.0], inputs={"model": model.name, "kv_budget": budget})


def test_strategies_need_hypothesis_message(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name.startswith("hypothesis"):
            raise ImportError("no hypothesis")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    try:
        tt.probabilities()
    except ImportError as err:
        assert "pip install hypothesis" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected ImportError")
    # The properties do not need hypothesis.
    assert tt.check_bounded(np.array([0.5])).ok
    jax.block_until_ready(ttsim.coverage(0.5, 2.0))


@settings(max_examples=10)
@given(model=tt.model_configs(), hw=tt.hardware_profiles(), attention=st.sampled_from(["dense", "topk", "sliding"]))
def test_roofline_cost_monotone_in_tokens_and_samples(model, hw, attention):
    budget = None if attention == "dense" else 1024.0

    def cost(tokens, samples):
        return ttsim.roofline_cost(model, hw, 512.0, tokens, samples, attention=attention, kv_budget=budget)

    inputs = {"model": model.name, "attention": attention}
    tt.check_cost_monotone(cost, [16.0, 256.0, 4096.0, 32768.0], [1.0, 2.0, 8.0, 64.0], inputs=inputs)


@settings(max_examples=10)
@given(counts=tt.problem_counts(num_problems=6, equal_n=True, min_n=8, max_n=8), seed=st.integers(0, 2**16))
def test_token_budget_accuracy_monotone_in_budget_and_samples(counts, seed):
    # Accuracy with a per-sample token budget (a sample longer than the budget fails) never falls
    # when the budget or the number of samples grows, and is bounded by the untruncated pass@k.
    n, c = counts
    rng = np.random.default_rng(seed)
    correct = np.zeros((n.size, 8), bool)
    for i, ci in enumerate(c):
        correct[i, rng.permutation(8)[:ci]] = True
    tokens = rng.integers(1, 1000, (n.size, 8)).astype(np.float32)
    valid = np.ones((n.size, 8), bool)
    budgets = np.array([0.0, 100.0, 400.0, 800.0, 1000.0], np.float32)
    ks = np.array([1.0, 2.0, 4.0, 8.0], np.float32)
    acc = np.asarray(ttsim.accuracy.token_budget_accuracy(correct, tokens, valid, budgets[:, None], ks[None, :]))
    inputs = {"n": n, "c": c, "seed": seed}
    tt.check_bounded(acc, name="token_budget_accuracy", inputs=inputs)
    tt.check_monotone(acc, along=budgets, axis=0, name="token_budget_accuracy(budget)", inputs=inputs)
    tt.check_monotone(acc, along=ks, axis=1, name="token_budget_accuracy(k)", inputs=inputs)
    full = np.asarray(ttsim.pass_at_k(n, c, ks[:, None])).mean(-1)
    np.testing.assert_allclose(acc[-1], full, atol=1e-5)  # no sample exceeds the largest budget
