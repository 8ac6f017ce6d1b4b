"""posenc.kernels on CPU torch tensors (skipped where torch is not installed): the tensor's own
storage is rotated, results are the bits of the numpy path (itself checked against mpmath in
test_kernels.py), torch objects come back, and tensors the kernels cannot use are refused."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import posenc  # noqa: E402
from posenc import kernels as K  # noqa: E402


def rope():
    return posenc.Rope(head_dim=64, base=10000)


def tensor(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float32)


def numpy_rotated(x, positions, **kw):
    """The numpy path on a copy: the expected bits."""
    a = x.detach().numpy().copy()
    K.apply_fused(rope(), np.asarray(positions), a, **kw)
    return a


def same_bits(t, a):
    return np.array_equal(t.detach().numpy().view(np.uint32), np.ascontiguousarray(a).view(np.uint32))


def test_in_place_rotates_the_storage():
    q = tensor((5, 4, 64), 1)
    pos = torch.tensor([0, 3, 7, 1 << 20, -9])
    expected = numpy_rotated(q, pos.numpy())
    ptr = q.data_ptr()
    storage_before = q.clone()
    assert K.apply_fused(rope(), pos, q) is q
    assert q.data_ptr() == ptr
    assert same_bits(q, expected) and not torch.equal(q, storage_before)


def test_q_and_k_in_place_and_out_of_place():
    q, k = tensor((6, 8, 64), 2), tensor((6, 2, 64), 3)
    pos = torch.arange(6) * 1000
    eq, ek = numpy_rotated(q, pos.numpy()), numpy_rotated(k, pos.numpy())
    oq, ok = torch.empty_like(q), torch.empty_like(k)
    q0, k0 = q.clone(), k.clone()
    rq, rk = K.apply_fused(rope(), pos, q, k, out_q=oq, out_k=ok, threads=2)
    assert rq is oq and rk is ok and isinstance(rq, torch.Tensor)
    assert same_bits(oq, eq) and same_bits(ok, ek)
    assert torch.equal(q, q0) and torch.equal(k, k0)  # inputs untouched out of place
    rq, rk = K.apply_fused(rope(), pos, q, k)
    assert rq is q and rk is k
    assert same_bits(q, eq) and same_bits(k, ek)


def test_views_of_a_packed_qkv_tensor():
    tokens, hq, hk, d = 7, 4, 2, 64
    qkv = tensor((tokens, (hq + 2 * hk) * d), 4)
    v_before = qkv[:, (hq + hk) * d:].clone()
    q = qkv[:, : hq * d].view(tokens, hq, d)
    k = qkv[:, hq * d: (hq + hk) * d].view(tokens, hk, d)
    pos = list(range(100, 100 + tokens))
    eq, ek = numpy_rotated(q, pos), numpy_rotated(k, pos)
    assert not q.is_contiguous()
    K.apply_fused(rope(), pos, q, k)
    assert same_bits(qkv[:, : hq * d].reshape(tokens, hq, d), eq)
    assert same_bits(qkv[:, hq * d: (hq + hk) * d].reshape(tokens, hk, d), ek)
    assert torch.equal(qkv[:, (hq + hk) * d:], v_before)
    # a heads-major tensor and its transposed view
    x = tensor((3, tokens, d), 5)  # [heads, tokens, d]
    ex = numpy_rotated(x.transpose(0, 1), pos)
    assert K.apply_fused(rope(), pos, x, layout="heads_major") is x
    assert same_bits(x.transpose(0, 1).contiguous(), ex)


def test_table_and_mrope_on_tensors():
    r = rope()
    q = tensor((4, 2, 64), 6)
    pos = torch.tensor([5, 6, 7, 8], dtype=torch.int32)
    table = K.build_table(r, pos)
    expected = q.numpy().copy()
    K.apply_table(r, table, expected)
    out = torch.zeros_like(q)
    assert K.apply_table(r, table, q, out_q=out) is out and same_bits(out, expected)
    m = posenc.Mrope(head_dim=64, base=10000, mrope_section=[8, 12, 12])
    thw = torch.tensor([[5, 5, 5], [6, 6, 6], [7, 7, 7], [8, 8, 8]])
    q2 = q.clone()
    assert K.apply_mrope(m, thw, q2) is q2
    assert same_bits(q2, numpy_rotated(q, [5, 6, 7, 8]))  # text tokens: the 1D rope's bits


def test_mixed_numpy_and_torch():
    q = tensor((2, 1, 64), 7)
    k = q.numpy().copy()
    rq, rk = K.apply_fused(rope(), [1, 2], q, k)
    assert isinstance(rq, torch.Tensor) and isinstance(rk, np.ndarray)
    assert np.array_equal(rq.numpy(), rk)


def test_rejected_tensors():
    r = rope()
    pos = [0, 1]
    good = torch.zeros(2, 1, 64)
    for dtype in (torch.bfloat16, torch.float16, torch.float64, torch.int32):
        bad = torch.zeros(2, 1, 64, dtype=dtype)
        with pytest.raises(TypeError, match=r"^q: dtype"):
            K.apply_fused(r, pos, bad)
        with pytest.raises(TypeError, match=r"^k: dtype"):
            K.apply_fused(r, pos, good, bad)
        with pytest.raises(TypeError, match=r"^out_q: dtype"):
            K.apply_fused(r, pos, good, out_q=bad)
    grad = torch.zeros(2, 1, 64, requires_grad=True)
    with pytest.raises(TypeError, match=r"^q: requires grad"):
        K.apply_fused(r, pos, grad)
    with pytest.raises(TypeError, match=r"^out_k: requires grad"):
        K.apply_fused(r, pos, good, good.clone(), out_k=grad)
    assert K.apply_fused(r, pos, grad.detach()) is not None  # the same memory, without grad
    # a tensor on another device: "meta" has no memory at all; CUDA where there is one
    with pytest.raises(TypeError, match=r"^q: a meta tensor"):
        K.apply_fused(r, pos, torch.empty(2, 1, 64, device="meta"))
    if torch.cuda.is_available():
        with pytest.raises(TypeError, match=r"^q: a cuda tensor"):
            K.apply_fused(r, pos, torch.zeros(2, 1, 64, device="cuda"))
    with pytest.raises(TypeError, match=r"^q: a torch.sparse_coo tensor"):
        K.apply_fused(r, pos, torch.zeros(2, 1, 64).to_sparse())
    with pytest.raises(TypeError, match=r"^positions: must be integers"):
        K.apply_fused(r, torch.tensor([0.0, 1.0]), good)
    with pytest.raises(TypeError, match=r"^positions: a meta tensor"):
        K.apply_fused(r, torch.empty(2, dtype=torch.int64, device="meta"), good)
    with pytest.raises(ValueError, match=r"^positions: "):
        K.apply_fused(r, torch.tensor([0, 1 << 25]), good)
