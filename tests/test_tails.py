"""Tail scores: the compiled CPU kernels compute what the torch implementation computes."""

import math

import numpy as np
import pytest
import torch

from pyod_aeplus import _tails

pytest.importorskip("numba")


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    # Continuous columns, a discrete one (many ties) and a constant one.
    train = np.column_stack([rng.chisquare(1, 5000), rng.exponential(size=5000),
                             rng.integers(0, 4, 5000), np.full(5000, 2.0)]).astype(np.float32)
    knots, threshold, scale = (t.numpy() for t in _tails.fit_tails(torch.from_numpy(train)))
    return train, knots, threshold, scale


def _new_values(train):
    rng = np.random.default_rng(1)
    values = np.concatenate([train[:500], train[:500] * rng.uniform(0.5, 3, size=(500, 1)),
                             np.full((1, train.shape[1]), 1e20, np.float32)])
    return torch.from_numpy(values.astype(np.float32))


def test_compiled_kernel_equals_the_torch_implementation(fitted):
    train, knots, threshold, scale = fitted
    values = _new_values(train)
    compiled = _tails.tail_values(values, knots, threshold, scale)
    tables = _tails.body_tables(knots, threshold)
    reference = _tails.tail_values_torch(values, *tables, threshold, scale)
    np.testing.assert_allclose(compiled, reference, rtol=1e-6, atol=1e-6)
    assert compiled.is_contiguous()


def test_compiled_body_tables_equal_the_torch_implementation(fitted):
    train, knots, threshold, scale = fitted
    # Also columns of zeros, of near ties (within the tolerance) and of tiny values.
    rng = np.random.default_rng(2)
    more = np.column_stack([np.zeros(5000), 1 + 1e-9 * rng.integers(0, 2, 5000),
                            1e-6 * rng.chisquare(1, 5000)]).astype(np.float32)
    extra = [t.numpy() for t in _tails.fit_tails(torch.from_numpy(more))]
    knots = np.concatenate([knots, extra[0]])
    threshold = np.concatenate([threshold, extra[1]])
    for compiled, reference in zip(_tails.body_tables(knots, threshold),
                                   _tails.body_tables_torch(knots, threshold)):
        assert compiled.dtype == reference.dtype == torch.float32
        torch.testing.assert_close(compiled, reference, rtol=0, atol=0)


def test_weighted_sum_equals_the_weighted_scores(fitted):
    train, knots, threshold, scale = fitted
    values = _new_values(train)
    weights = np.array([0.5, 0.25, 0.125, 2.0])
    summed = _tails.weighted_tail_values(values, knots, threshold, scale, weights)
    expected = _tails.tail_values(values, knots, threshold, scale).double() @ torch.tensor(weights)
    np.testing.assert_allclose(summed, expected, rtol=1e-6)
    # One row at a time: the same sums (they run over the columns, not the rows).
    one_by_one = torch.cat([_tails.weighted_tail_values(values[i:i + 1], knots,
                                                        threshold, scale, weights)
                            for i in range(0, len(values), 97)])
    np.testing.assert_array_equal(one_by_one, summed[::97])


def test_scores_rise_continuously_and_without_bound(fitted):
    train, knots, threshold, scale = fitted
    grid = torch.linspace(0, 50, 20001).unsqueeze(1).repeat(1, 2)
    scores = _tails.tail_values(grid, knots[:2], threshold[:2], scale[:2])
    steps = scores.diff(dim=0)
    assert (steps >= -1e-6).all()  # never falls
    assert steps.abs().max() < 0.05  # no jumps: a value moved a little moves its score a little
    # At the threshold the body meets the tail, -log(0.1).
    at = _tails.tail_values(torch.tensor(threshold[None, :2]), knots[:2], threshold[:2], scale[:2])
    np.testing.assert_allclose(at, -math.log(0.1), rtol=1e-4)
    # Past the largest training value the score keeps growing, logarithmically.
    far = _tails.tail_values(torch.tensor([[1e3, 1e3], [1e6, 1e6], [1e30, 1e30]]),
                             knots[:2], threshold[:2], scale[:2])
    assert (far.diff(dim=0) > 0).all() and torch.isfinite(far).all()
    assert (far[1] - far[0] < 8).all()  # a thousand times further: about log(1000) more


def test_ties_share_their_middle_rank_and_near_ties_score_alike(fitted):
    train, knots, threshold, scale = fitted
    discrete = train[:, 2]
    values = torch.tensor([[0.0], [1.0], [1.0 + 1e-7], [2.0]])
    scores = _tails.tail_values(values, knots[2:3], threshold[2:3], scale[2:3]).ravel()
    for value, score in zip([0.0, 1.0, 2.0], scores[[0, 1, 3]]):
        below, tied = (discrete < value).mean(), (discrete == value).mean()
        # Each knot is one 256th of the 90 % body: the middle of the tie block.
        rank = min(256.0, 256 * (below + tied / 2) / 0.9 + 0.5)
        assert float(score) == pytest.approx(-math.log1p(-0.9 * rank / 256), abs=0.02)
    assert scores[1] == scores[2]  # within the tie tolerance: the same score
    # A constant column: every value up to it scores alike.
    constant = _tails.tail_values(torch.tensor([[2.0], [2.0 + 1e-6], [0.0]]), knots[3:],
                                  threshold[3:], scale[3:]).ravel()
    assert constant[0] == constant[1] == constant[2]


def test_compiled_log1p_is_within_a_few_float32_ulps_of_the_exact_value():
    from pyod_aeplus._tails_kernel import log1p

    rng = np.random.default_rng(0)
    values = np.concatenate([[0.0, 1e-30, 1e-8, 6e-8, 1e-7, 1.0, 3.4e38],
                             10.0 ** rng.uniform(-12, 38, 2000)]).astype(np.float32)
    computed = np.array([log1p(value) for value in values], dtype=np.float64)
    exact = np.log1p(values.astype(np.float64))
    np.testing.assert_allclose(computed, exact, rtol=3e-7, atol=0)
    assert log1p(np.float32(np.inf)) == np.inf
