"""posenc.kernels on numpy arrays: accuracy against mpmath, bit-identity across call forms (in
place / out of place, threads, strided views, M-RoPE on text tokens), zero-copy, the GIL, and every
bad argument.

Expected values come from mpmath at 200 bits: the exact rotation of the float32 input by the exact
angle m * theta_i, theta_i being the double the kernel computes with (posenc.kernels.frequencies,
itself checked against mpmath's base^(-2i/d) below), so the comparison isolates the kernel's own
rounding, which is what its documented bounds (README "Float32 kernels") cover.
"""
import os
import pathlib
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import mpmath as mp
import numpy as np
import pytest

import posenc
from posenc import kernels as K

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "cli"))
from measured import within_measured  # noqa: E402  (the CLI checks' measured ceiling)

mp.mp.prec = 200
MPF = mp.mpf
MAXP = 2 ** 24

# Documented bounds, in ulp of float32 at |x_pair| (times the attention scale when one is applied):
FUSED_BOUND = 0.71 + 2.0 ** -28  # apply_fused, apply_mrope: one rounding per component (sqrt(2)/2)
TABLE_BOUND = 1.42               # apply_table: the table's rounding plus the output's
TABLE_BOUND_SCALED = 1.71        # apply_table with an attention scale > 1
ENTRY_BOUND = 1.0                # build_table: every entry within 1 ulp
# The largest errors measured (g++ Release), in ulps, where the bounds above are loose: held to 1.5
# times these (tests/cli/measured.py), so that a doubled error fails.
MEASURED = {"theta": 0.495, "attention_scale": 0.07911, "entry": 0.4999}


# ---- encodings ------------------------------------------------------------------------------

def rope_standard():
    return posenc.Rope(head_dim=128, base=10000)


def rope_interleaved_partial():
    # interleaved pairs (2i, 2i+1) over the first 48 of 96 dimensions; the tail passes through
    return posenc.Rope(head_dim=96, base=500000, layout="interleaved", partial_rotary_factor=0.5)


def rope_yarn():
    # attention factor 0.1 ln 4 + 1 (HF _compute_yarn_parameters, get_mscale)
    return posenc.Rope(head_dim=64, base=10000, rope_type="yarn", factor=4, original_max_position_embeddings=2048)


def rope_llama3():
    return posenc.Rope(head_dim=128, base=500000, rope_type="llama3", factor=8, low_freq_factor=1,
                       high_freq_factor=4, original_max_position_embeddings=8192)


ROPES = {"standard": rope_standard, "interleaved_partial": rope_interleaved_partial, "yarn": rope_yarn,
         "llama3": rope_llama3}


def pair_indices(f):
    """The components (a, b) of every rotated pair, from the geometry (not from posenc)."""
    rot = f["rotary_dim"]
    if f["layout"] == "interleaved":
        return [(2 * i, 2 * i + 1) for i in range(rot // 2)]
    return [(i, i + rot // 2) for i in range(rot // 2)]


def positions_for(tokens, rng):
    """Edge positions first (0, +-1, 2^23 +- 1, +-2^24, 2^24 - 1), then uniform in [-2^24, 2^24]."""
    edge = [0, 1, -1, 2 ** 23 - 1, 2 ** 23 + 1, MAXP, -MAXP, MAXP - 1]
    p = edge + list(rng.integers(-MAXP, MAXP, size=max(0, tokens - len(edge)), endpoint=True))
    return np.array(p[:tokens], dtype=np.int64)


def normal(shape, rng):
    return rng.standard_normal(shape).astype(np.float32)


# ---- mpmath reference -------------------------------------------------------------------------

def ulp32(v):
    """The float32 ulp at the positive real v (normal range): 2^(e - 24) for v = y 2^e, y in [1/2, 1)."""
    _, e = mp.frexp(v)
    assert e - 1 >= -126, "the test data stay in float32's normal range"
    return MPF(2) ** (e - 24)


def max_pair_error(x, y, positions_of_pair, f, scale):
    """The largest error of an output pair against the exact rotation, in ulp(scale * |x_pair|).

    x, y: float32 [tokens, heads, head_dim] input and kernel output; positions_of_pair(t, i): the
    integer position that turns pair i of token t; f: posenc.kernels.frequencies of the encoding."""
    theta = [MPF(float(v)) for v in f["theta"]]
    s = MPF(float(scale))
    worst = MPF(0)
    tokens, heads, _ = x.shape
    for t in range(tokens):
        for i, (a, b) in enumerate(pair_indices(f)):
            angle = MPF(int(positions_of_pair(t, i))) * theta[i]  # exact at 200 bits
            c, sn = mp.cos(angle), mp.sin(angle)
            for h in range(heads):
                xa, xb = MPF(float(x[t, h, a])), MPF(float(x[t, h, b]))
                ea, eb = s * (xa * c - xb * sn), s * (xa * sn + xb * c)
                err = mp.sqrt((MPF(float(y[t, h, a])) - ea) ** 2 + (MPF(float(y[t, h, b])) - eb) ** 2)
                worst = max(worst, err / ulp32(s * mp.sqrt(xa * xa + xb * xb)))
    return float(worst)


# ---- frequencies ------------------------------------------------------------------------------

def test_frequencies_theta_against_mpmath():
    # theta_i = base^(-2i/d) (RoFormer eq. 15; HF _compute_default_rope_parameters), each double
    # within 1 ulp of the exact value (README "RoPE 1D": theta is rounded once, within 1 ulp).
    for base, d in [(10000, 128), (500000, 64), (1000000, 256)]:
        f = K.frequencies(posenc.Rope(head_dim=d, base=base))
        assert f["head_dim"] == d and f["rotary_dim"] == d and f["layout"] == "half-split"
        assert f["attention_scale"] == 1.0
        theta = f["theta"]
        assert theta.dtype == np.float64 and theta.shape == (d // 2,)
        worst = MPF(0)
        for i, v in enumerate(theta):
            exact = MPF(base) ** (MPF(-2 * i) / d)
            assert abs(MPF(float(v)) - exact) <= MPF(float(np.spacing(v))), (base, d, i)
            worst = max(worst, abs(MPF(float(v)) - exact) / MPF(float(np.spacing(v))))
        print(f"theta, base {base}, d {d}: max error {float(worst):.4g} ulp")
        assert within_measured(worst, MEASURED["theta"]), (base, d, float(worst))


def test_frequencies_attention_scale_against_mpmath():
    # yarn without mscale: attention factor = 0.1 ln(factor) + 1 (HF get_mscale), evaluated in
    # double (frequencies/yarn.hpp): the final rounding gives 0.5 ulp, the earlier ones (0.1, ln 4
    # and their product, near 0.14) under 1/8 ulp of the sum near 1.14; hence within 1 ulp.
    f = K.frequencies(rope_yarn(), attention_factor=True)
    exact = MPF("0.1") * mp.log(4) + 1
    assert abs(MPF(f["attention_scale"]) - exact) <= MPF(float(np.spacing(f["attention_scale"])))
    err = abs(MPF(f["attention_scale"]) - exact) / MPF(float(np.spacing(f["attention_scale"])))
    print(f"attention scale: error {float(err):.4g} ulp")
    assert within_measured(err, MEASURED["attention_scale"]), float(err)
    assert K.frequencies(rope_yarn())["attention_scale"] == 1.0


# ---- accuracy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ROPES))
def test_apply_fused_against_mpmath(name):
    rng = np.random.default_rng(11)
    rope = ROPES[name]()
    scaled = name == "yarn"  # with the attention factor: bound relative to s |x_pair|
    f = K.frequencies(rope, attention_factor=scaled)
    tokens, heads = 8, 2
    pos = positions_for(tokens, rng)
    x = normal((tokens, heads, f["head_dim"]), rng)
    y = x.copy()
    assert K.apply_fused(rope, pos, y, attention_factor=scaled) is y
    err = max_pair_error(x, y, lambda t, i: pos[t], f, f["attention_scale"])
    assert err <= FUSED_BOUND, (name, err)
    # the partial-rotary tail is left alone
    rot = f["rotary_dim"]
    assert np.array_equal(y[..., rot:], x[..., rot:])


@pytest.mark.parametrize("name", ["standard", "interleaved_partial", "yarn"])
def test_table_against_mpmath(name):
    rng = np.random.default_rng(12)
    rope = ROPES[name]()
    scaled = name == "yarn"
    f = K.frequencies(rope, attention_factor=scaled)
    tokens, heads = 8, 2
    pos = positions_for(tokens, rng)
    table = K.build_table(rope, pos, attention_factor=scaled)
    assert isinstance(table, K.CosSinTable) and len(table) == tokens and table.pairs == f["rotary_dim"] // 2
    assert table.cos.shape == (tokens, table.pairs) and table.cos.dtype == np.float32
    assert not table.cos.flags.writeable and not table.sin.flags.writeable
    assert np.array_equal(table.positions, pos)
    assert table.attention_scale == f["attention_scale"]
    # every entry within 1 ulp of the exact cos / sin (times the scale)
    s = MPF(f["attention_scale"])
    worst = MPF(0)
    for t in range(tokens):
        for i, th in enumerate(f["theta"]):
            angle = MPF(int(pos[t])) * MPF(float(th))
            for got, exact in ((table.cos[t, i], s * mp.cos(angle)), (table.sin[t, i], s * mp.sin(angle))):
                unit = ulp32(abs(exact)) if abs(exact) >= MPF(2) ** -126 else MPF(2) ** -149
                worst = max(worst, abs(MPF(float(got)) - exact) / unit)
    print(f"build_table {name}: max entry error {float(worst):.4g} ulp")
    assert worst <= ENTRY_BOUND, float(worst)
    assert within_measured(worst, MEASURED["entry"]), float(worst)
    # the rotation from the table
    x = normal((tokens, heads, f["head_dim"]), rng)
    y = x.copy()
    assert K.apply_table(rope, table, y) is y
    err = max_pair_error(x, y, lambda t, i: pos[t], f, f["attention_scale"])
    assert err <= (TABLE_BOUND_SCALED if scaled else TABLE_BOUND), (name, err)


def mrope_sectioned():
    return posenc.Mrope(head_dim=128, base=1000000, mrope_section=[16, 24, 24])  # Qwen2-VL


def mrope_interleaved():
    return posenc.Mrope(head_dim=128, base=5000000, mrope_section=[24, 20, 20], mrope_interleaved=True)  # Qwen3-VL


def mrope_glm():
    # GLM-4.1V: 64 of 128 dimensions rotated, interleaved pairs, sectioned map
    return posenc.Mrope(head_dim=128, base=10000, partial_rotary_factor=0.5, layout="interleaved",
                        mrope_section=[8, 12, 12])


MROPES = {"sectioned": mrope_sectioned, "interleaved": mrope_interleaved, "glm": mrope_glm}


def expected_axes(section, interleaved):
    """The axis (0 t, 1 h, 2 w) of every pair. Sectioned: consecutive blocks (transformers
    apply_multimodal_rotary_pos_emb); interleaved: h at 1, 4, ... < 3 s_h, w at 2, 5, ... < 3 s_w,
    t elsewhere (transformers Qwen3-VL apply_interleaved_mrope)."""
    pairs = sum(section)
    if not interleaved:
        return [0] * section[0] + [1] * section[1] + [2] * section[2]
    axes = [0] * pairs
    for i in range(1, 3 * section[1], 3):
        axes[i] = 1
    for i in range(2, 3 * section[2], 3):
        axes[i] = 2
    return axes


@pytest.mark.parametrize("name", sorted(MROPES))
def test_apply_mrope_against_mpmath(name):
    rng = np.random.default_rng(13)
    m = MROPES[name]()
    f = K.frequencies(m)
    assert list(f["axes"]) == expected_axes(f["mrope_section"], f["mrope_interleaved"])
    tokens, heads = 6, 2
    thw = rng.integers(-MAXP, MAXP, size=(tokens, 3), endpoint=True)
    thw[0] = [0, MAXP, -MAXP]
    x = normal((tokens, heads, f["head_dim"]), rng)
    y = x.copy()
    assert K.apply_mrope(m, thw, y) is y
    axes = expected_axes(f["mrope_section"], f["mrope_interleaved"])
    err = max_pair_error(x, y, lambda t, i: thw[t, axes[i]], f, 1.0)
    assert err <= FUSED_BOUND, (name, err)
    assert np.array_equal(y[..., f["rotary_dim"]:], x[..., f["rotary_dim"]:])


@pytest.mark.parametrize("name", sorted(MROPES))
def test_mrope_text_tokens_equal_apply_fused(name):
    # t = h = w = m: M-RoPE is the 1D rope of the same parameters, bit for bit
    rng = np.random.default_rng(14)
    m = MROPES[name]()
    f = K.frequencies(m)
    params = {"sectioned": dict(head_dim=128, base=1000000), "interleaved": dict(head_dim=128, base=5000000),
              "glm": dict(head_dim=128, base=10000, partial_rotary_factor=0.5, layout="interleaved")}[name]
    rope = posenc.Rope(**params)
    assert np.array_equal(K.frequencies(rope)["theta"], f["theta"])
    pos = positions_for(64, rng)
    q, k = normal((64, 4, 128), rng), normal((64, 2, 128), rng)
    q1, k1 = K.apply_fused(rope, pos, q, k, out_q=np.empty_like(q), out_k=np.empty_like(k))
    q2, k2 = K.apply_mrope(m, np.stack([pos, pos, pos], axis=1), q, k, out_q=np.empty_like(q), out_k=np.empty_like(k))
    assert np.array_equal(q1.view(np.uint32), q2.view(np.uint32))
    assert np.array_equal(k1.view(np.uint32), k2.view(np.uint32))


# ---- the same bits, whatever the form of the call -------------------------------------------

def bits(a):
    return np.ascontiguousarray(a).view(np.uint32)


CALLS = {
    "fused": lambda rope, pos, *a, **kw: K.apply_fused(rope, pos, *a, **kw),
    "table": lambda rope, pos, *a, **kw: K.apply_table(rope, K.build_table(rope, pos), *a, **kw),
    "mrope": lambda rope, pos, *a, **kw: K.apply_mrope(
        posenc.Mrope(head_dim=96, base=500000, layout="interleaved", partial_rotary_factor=0.5,
                     mrope_section=[8, 8, 8]),
        np.stack([pos, pos // 7, -pos], axis=1), *a, **kw),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_in_place_out_of_place_threads_identical(call):
    rng = np.random.default_rng(15)
    rope = rope_interleaved_partial()  # head_dim 96, 48 rotated: the tail matters
    run = CALLS[call]
    pos = positions_for(37, rng)
    q, k = normal((37, 8, 96), rng), normal((37, 2, 96), rng)
    oq, ok = np.full_like(q, np.nan), np.full_like(k, np.nan)
    rq, rk = run(rope, pos, q, k, out_q=oq, out_k=ok)
    assert rq is oq and rk is ok
    assert not np.array_equal(oq, q)
    assert np.array_equal(oq[..., 48:], q[..., 48:])  # tail copied out of place
    for threads in (1, 2, 3):
        iq, ik = q.copy(), k.copy()
        rq, rk = run(rope, pos, iq, ik, threads=threads)
        assert rq is iq and rk is ik
        assert np.array_equal(bits(iq), bits(oq)) and np.array_equal(bits(ik), bits(ok)), threads
        tq = np.empty_like(q)
        assert run(rope, pos, q, out_q=tq, threads=threads) is tq
        assert np.array_equal(bits(tq), bits(oq)), threads
    # mixed: q out of place, k in place
    ik = k.copy()
    tq = np.empty_like(q)
    rq, rk = run(rope, pos, q, ik, out_q=tq)
    assert rq is tq and rk is ik
    assert np.array_equal(bits(tq), bits(oq)) and np.array_equal(bits(ik), bits(ok))


@pytest.mark.parametrize("call", sorted(CALLS))
def test_strided_views_identical_to_contiguous(call):
    rng = np.random.default_rng(16)
    rope = rope_interleaved_partial()
    run = CALLS[call]
    tokens, hq, hk, d = 21, 6, 2, 96
    pos = positions_for(tokens, rng)
    # a packed QKV projection output [tokens, (hq + 2 hk) * d]: q and k are views into it
    qkv = normal((tokens, (hq + 2 * hk) * d), rng)
    original = qkv.copy()
    q = qkv[:, : hq * d].reshape(tokens, hq, d)
    k = qkv[:, hq * d: (hq + hk) * d].reshape(tokens, hk, d)
    assert np.shares_memory(q, qkv) and np.shares_memory(k, qkv) and not q.flags.c_contiguous
    eq, ek = run(rope, pos, np.ascontiguousarray(q), np.ascontiguousarray(k))  # contiguous copies, in place
    rq, rk = run(rope, pos, q, k)
    assert rq is q and rk is k
    assert np.array_equal(bits(q), bits(eq)) and np.array_equal(bits(k), bits(ek))
    # the buffer itself now holds the rotated q and k; v is untouched
    assert np.array_equal(bits(qkv[:, : hq * d]), bits(eq.reshape(tokens, -1)))
    assert np.array_equal(qkv[:, (hq + hk) * d:], original[:, (hq + hk) * d:])

    x = normal((tokens, hq, d), rng)
    ex = run(rope, pos, x.copy())
    # heads-major storage [heads, tokens, d], with layout="heads_major"
    hm = np.ascontiguousarray(x.transpose(1, 0, 2))
    assert run(rope, pos, hm, layout="heads_major") is hm
    assert np.array_equal(bits(hm.transpose(1, 0, 2)), bits(ex))
    # the same storage seen as a transposed tokens-major view
    hm2 = np.ascontiguousarray(x.transpose(1, 0, 2))
    run(rope, pos, hm2.transpose(1, 0, 2))
    assert np.array_equal(bits(hm2), bits(hm))
    # padded heads (each head vector followed by 5 unused floats) and every other token
    pad = np.full((2 * tokens, hq, d + 5), 7.0, np.float32)
    view = pad[::2, :, :d]
    view[...] = x
    run(rope, pos, view)
    assert np.array_equal(bits(view), bits(ex))
    assert np.all(pad[::2, :, d:] == 7.0) and np.all(pad[1::2] == 7.0)
    # out of place from a strided view into a strided view of another buffer
    src = np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)
    dst = np.zeros((hq, tokens, d), np.float32)
    run(rope, pos, src, out_q=dst.transpose(1, 0, 2))
    assert np.array_equal(bits(dst.transpose(1, 0, 2)), bits(ex))
    assert np.array_equal(src, x)


def test_positions_of_any_integer_type():
    rng = np.random.default_rng(17)
    rope = rope_standard()
    x = normal((9, 2, 128), rng)

    def rotated(p):
        return bits(K.apply_fused(rope, p, x, out_q=np.empty_like(x)))

    pos = np.array([0, 5, -3, 100, 2 ** 14 + 3, 7, -128, 2, 127], np.int64)
    ref = rotated(pos)
    for p in (pos.astype(np.int32), pos.astype(np.int16), list(map(int, pos)),
              tuple(map(int, pos)), np.repeat(pos, 2)[::2]):
        assert np.array_equal(rotated(p), ref)
    small = np.array([0, 5, -3, 100, -128, 7, 127, 2, 1], np.int64)
    assert np.array_equal(rotated(small.astype(np.int8)), rotated(small))
    upos = np.array([0, 5, 3, 100, 255, 7, 128, 2, 127], np.int64)
    ref_u = rotated(upos)
    for p in (upos.astype(np.uint64), upos.astype(np.uint32), upos.astype(np.uint16), upos.astype(np.uint8)):
        assert np.array_equal(rotated(p), ref_u)


def test_empty_tensors():
    rope = rope_standard()
    q = np.zeros((0, 4, 128), np.float32)
    assert K.apply_fused(rope, np.zeros(0, np.int64), q) is q
    q2 = np.ones((3, 0, 128), np.float32)
    k2 = np.ones((3, 1, 128), np.float32)
    rq, rk = K.apply_fused(rope, [0, 0, 0], q2, k2)
    assert rq is q2 and rk is k2 and np.all(k2 == 1)  # position 0 is the identity
    assert len(K.build_table(rope, [])) == 0


# ---- zero-copy and the GIL --------------------------------------------------------------------

def test_zero_copy_in_place():
    rng = np.random.default_rng(18)
    rope = rope_llama3()
    buf = normal((4 * 3 * 128,), rng)  # one allocation, viewed as [tokens, heads, head_dim]
    q = buf.reshape(4, 3, 128)
    before = buf.copy()
    ptr = q.__array_interface__["data"][0]
    pos = np.array([1, 2, 3, 4])
    expected = K.apply_fused(rope, pos, before.reshape(4, 3, 128), out_q=np.empty((4, 3, 128), np.float32))
    assert K.apply_fused(rope, pos, q) is q
    assert q.__array_interface__["data"][0] == ptr
    assert np.array_equal(bits(buf), bits(expected.reshape(-1)))  # the memory itself was rotated
    assert not np.array_equal(buf, before)


def test_gil_released_during_the_kernel():
    # With a switch interval of 100 s, a thread holding the GIL never hands it over on its own; a
    # second thread can count while a kernel runs only if the kernel released the GIL.
    rope = rope_standard()
    x = np.random.default_rng(19).standard_normal((2048, 16, 128)).astype(np.float32)
    pos = np.arange(2048)
    counter = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            counter[0] += 1
            stop.wait(0.0005)  # blocks without the GIL

    old = sys.getswitchinterval()
    t = threading.Thread(target=count)
    t.start()
    progressed = False
    try:
        while counter[0] == 0:
            time.sleep(0.001)
        sys.setswitchinterval(100.0)
        deadline = time.monotonic() + 10
        while not progressed and time.monotonic() < deadline:
            c0 = counter[0]
            K.apply_fused(rope, pos, x)
            progressed = counter[0] > c0
    finally:
        sys.setswitchinterval(old)
        stop.set()
        t.join()
    assert progressed


def test_concurrent_calls_from_python_threads():
    # cached pools are lent to one call at a time: concurrent callers get the same bits
    rng = np.random.default_rng(20)
    rope = rope_standard()
    pos = positions_for(64, rng)
    xs = [normal((64, 4, 128), rng) for _ in range(6)]
    expected = [K.apply_fused(rope, pos, x, out_q=np.empty_like(x)) for x in xs]

    def job(i):
        out = np.empty_like(xs[i])
        for _ in range(20):
            K.apply_fused(rope, pos, xs[i], out_q=out, threads=2)
        return out

    with ThreadPoolExecutor(3) as ex:
        results = list(ex.map(job, range(6)))
    for r, e in zip(results, expected):
        assert np.array_equal(bits(r), bits(e))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_threads_after_fork():
    # a forked child has none of its parent's pool threads: it must make its own, not wait forever
    rng = np.random.default_rng(22)
    rope = rope_standard()
    pos = positions_for(16, rng)
    x = normal((16, 2, 128), rng)
    expected = K.apply_fused(rope, pos, x, out_q=np.empty_like(x), threads=2)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 when the threaded call gives the parent's bits
        try:
            got = K.apply_fused(rope, pos, x, out_q=np.empty_like(x), threads=2)
            os._exit(0 if np.array_equal(bits(got), bits(expected)) else 1)
        finally:
            os._exit(2)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
            return
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the threaded call in the forked child did not return within 30 s")


# ---- errors -----------------------------------------------------------------------------------

def raises(exc, name, f, *a, **kw):
    with pytest.raises(exc, match=rf"^{name}: ") as info:
        f(*a, **kw)
    return str(info.value)


def test_errors_dtype_and_type():
    rope = rope_standard()
    pos = np.arange(3)
    good = np.zeros((3, 2, 128), np.float32)
    for bad in (np.zeros((3, 2, 128)), np.zeros((3, 2, 128), np.float16), np.zeros((3, 2, 128), np.int32),
                np.zeros((3, 2, 128), ">f4"), np.zeros((3, 2, 128), np.complex64)):
        raises(TypeError, "q", K.apply_fused, rope, pos, bad)
        raises(TypeError, "k", K.apply_fused, rope, pos, good.copy(), bad)
        raises(TypeError, "out_q", K.apply_fused, rope, pos, good, out_q=bad)
        raises(TypeError, "out_k", K.apply_fused, rope, pos, good, good.copy(), out_k=bad)
        raises(TypeError, "q", K.apply_table, rope, K.build_table(rope, pos), bad)
    raises(TypeError, "q", K.apply_fused, rope, pos, good.tolist())
    raises(TypeError, "q", K.apply_fused, rope, pos, None)
    raises(TypeError, "rope", K.apply_fused, {"head_dim": 128}, pos, good)
    raises(TypeError, "rope", K.apply_table, None, K.build_table(rope, pos), good)
    raises(TypeError, "rope", K.build_table, "rope", pos)
    raises(TypeError, "rope", K.frequencies, 3)
    raises(TypeError, "mrope", K.apply_mrope, rope, np.zeros((3, 3), np.int64), good)
    raises(TypeError, "table", K.apply_table, rope, (np.ones((3, 64)), np.zeros((3, 64))), good)
    raises(TypeError, "positions", K.apply_fused, rope, np.arange(3.0), good)
    raises(TypeError, "positions", K.apply_fused, rope, np.array([True, False, True]), good)
    raises(TypeError, "positions", K.apply_fused, rope, "012", good)
    raises(TypeError, "positions", K.apply_fused, rope, 3, good)
    raises(TypeError, "positions", K.apply_fused, rope, np.arange(3).astype(">i8"), good)
    raises(TypeError, "positions", K.build_table, rope, [0.5, 1.5])
    raises(TypeError, "threads", K.apply_fused, rope, pos, good, threads=1.5)
    raises(TypeError, "threads", K.apply_fused, rope, pos, good, threads="2")
    raises(TypeError, "threads", K.build_table, rope, pos, threads=None)
    raises(TypeError, "layout", K.apply_fused, rope, pos, good, layout=1)
    raises(TypeError, "attention_factor", K.apply_fused, rope, pos, good, attention_factor="yes")


def test_errors_shapes():
    rope = rope_standard()
    pos = np.arange(3)
    q = np.zeros((3, 2, 128), np.float32)
    raises(ValueError, "q", K.apply_fused, rope, pos, np.zeros((3, 256), np.float32))
    raises(ValueError, "q", K.apply_fused, rope, pos, np.zeros((1, 3, 2, 128), np.float32))
    m = raises(ValueError, "q", K.apply_fused, rope, pos, np.zeros((3, 2, 64), np.float32))
    assert "head_dim" in m and "128" in m
    raises(ValueError, "k", K.apply_fused, rope, pos, q, np.zeros((3, 2, 96), np.float32))
    raises(ValueError, "k", K.apply_fused, rope, pos, q, np.zeros((4, 2, 128), np.float32))
    raises(ValueError, "k", K.apply_fused, rope, pos, q, np.zeros((2, 128), np.float32))
    raises(ValueError, "out_q", K.apply_fused, rope, pos, q, out_q=np.zeros((3, 1, 128), np.float32))
    raises(ValueError, "out_k", K.apply_fused, rope, pos, q, q.copy(), out_k=np.zeros((3, 2, 127), np.float32))
    raises(ValueError, "out_k", K.apply_fused, rope, pos, q, out_k=q.copy())
    raises(ValueError, "positions", K.apply_fused, rope, np.arange(4), q)
    raises(ValueError, "positions", K.apply_fused, rope, np.zeros((3, 1), np.int64), q)
    raises(ValueError, "positions", K.apply_fused, rope, pos, q, layout="heads_major")  # heads_major: 2 tokens
    raises(ValueError, "positions", K.apply_fused, rope, [0, MAXP + 1, 0], q)
    raises(ValueError, "positions", K.apply_fused, rope, [0, -MAXP - 1, 0], q)
    raises(ValueError, "positions", K.apply_fused, rope, np.array([0, 2 ** 63, 0], np.uint64), q)
    raises(ValueError, "positions", K.apply_fused, rope, np.array([0, 2 ** 31 - 1, 0], np.int32), q)
    raises(ValueError, "positions", K.build_table, rope, [[0, 1]])
    raises(ValueError, "positions", K.build_table, rope, [MAXP + 1])
    m3 = mrope_sectioned()
    raises(ValueError, "positions", K.apply_mrope, m3, pos, q)
    raises(ValueError, "positions", K.apply_mrope, m3, np.zeros((3, 2), np.int64), q)
    raises(ValueError, "positions", K.apply_mrope, m3, np.zeros((2, 3), np.int64), q)
    raises(ValueError, "positions", K.apply_mrope, m3, [[0, 0, 0], [0, MAXP + 1, 0], [0, 0, 0]], q)
    table = K.build_table(rope, np.arange(4))
    raises(ValueError, "table", K.apply_table, rope, table, q)
    raises(ValueError, "table", K.apply_table, posenc.Rope(head_dim=128, base=20000), K.build_table(rope, pos), q)
    raises(ValueError, "table", K.apply_table, rope_interleaved_partial(), K.build_table(rope, pos), q)
    raises(ValueError, "threads", K.apply_fused, rope, pos, q, threads=0)
    raises(ValueError, "threads", K.apply_fused, rope, pos, q, threads=-2)
    raises(ValueError, "threads", K.apply_fused, rope, pos, q, threads=2 ** 70)
    raises(ValueError, "threads", K.build_table, rope, pos, threads=0)
    raises(ValueError, "layout", K.apply_fused, rope, pos, q, layout="half_split")
    # a valid encoding outside the kernels' range: longrope with a 0.25 short factor makes theta_0 = 4 > 2
    fast = posenc.Rope(head_dim=8, base=10000, rope_type="longrope", short_factor=[0.25] * 4, long_factor=[1] * 4,
                       original_max_position_embeddings=4096, max_position_embeddings=4096)
    assert "outside [0, 2]" in raises(ValueError, "rope", K.apply_fused, fast, [0], np.zeros((1, 1, 8), np.float32))
    raises(ValueError, "rope", K.build_table, fast, [0])
    raises(ValueError, "rope", K.frequencies, fast)


def test_errors_strides_and_memory():
    rope = rope_standard()
    pos = np.arange(3)
    wide = np.zeros((3, 2, 256), np.float32)
    m = raises(ValueError, "q", K.apply_fused, rope, pos, wide[..., ::2])  # last axis not contiguous
    assert "contiguous" in m
    raises(ValueError, "out_q", K.apply_fused, rope, pos, wide[..., :128].copy(), out_q=wide[..., ::2])
    # strides that are not whole floats, and an unaligned start, through a byte buffer
    raw = np.zeros(3 * 514 + 16, np.uint8)
    odd = np.ndarray((3, 1, 128), np.float32, buffer=raw, strides=(514, 512, 4))
    assert "multiples of 4" in raises(ValueError, "q", K.apply_fused, rope, pos, odd)
    unaligned = np.ndarray((3, 1, 128), np.float32, buffer=raw, offset=1, strides=(512, 512, 4))
    assert "aligned" in raises(ValueError, "q", K.apply_fused, rope, pos, unaligned)
    # negative strides
    q = np.zeros((3, 2, 128), np.float32)
    assert "negative" in raises(ValueError, "q", K.apply_fused, rope, pos, q[::-1])
    # read-only in place (out of place from a read-only input is fine)
    ro = np.ones((3, 2, 128), np.float32)
    ro.setflags(write=False)
    assert "read-only" in raises(ValueError, "q", K.apply_fused, rope, pos, ro)
    raises(ValueError, "k", K.apply_fused, rope, pos, q, ro)
    raises(ValueError, "out_q", K.apply_fused, rope, pos, q, out_q=ro)
    out = K.apply_fused(rope, pos, ro, out_q=np.empty_like(ro))
    assert out.shape == ro.shape
    raises(ValueError, "q", K.apply_fused, rope, pos, np.broadcast_to(np.ones(128, np.float32), (3, 2, 128)))
    # a broadcast input (head vectors sharing memory) out of place: rejected by the kernel's check
    raises(ValueError, "q", K.apply_fused, rope, pos, np.broadcast_to(np.ones(128, np.float32), (3, 2, 128)),
           out_q=np.empty((3, 2, 128), np.float32))


def test_errors_overlap_and_no_write():
    rope = rope_standard()
    rng = np.random.default_rng(21)
    pos = np.arange(3)
    buf = normal((4, 2, 128), rng)
    before = buf.copy()
    # the output overlaps its input without being the same view
    assert "overlap" in raises(ValueError, "out_q", K.apply_fused, rope, pos, buf[:3], out_q=buf[1:])
    q, k = normal((3, 2, 128), rng), normal((3, 2, 128), rng)
    q0, k0 = q.copy(), k.copy()
    # out_q is k, which is rotated in place (both written)
    assert "shares memory with out_q" in raises(ValueError, "k", K.apply_fused, rope, pos, q, k, out_q=k)
    raises(ValueError, "out_q", K.apply_fused, rope, pos, q, k, out_q=k, out_k=np.empty_like(k))  # k's input
    raises(ValueError, "out_k", K.apply_fused, rope, pos, q, k, out_q=buf[:3], out_k=buf[1:])  # outputs overlap
    raises(ValueError, "k", K.apply_fused, rope, pos, q, q)  # the same tensor twice, in place
    raises(ValueError, "k", K.apply_fused, rope, pos, q, q[:, :1])
    raises(ValueError, "out_q", K.apply_table, rope, K.build_table(rope, pos), buf[:3], out_q=buf[1:])
    raises(ValueError, "out_q", K.apply_mrope, mrope_sectioned(), np.zeros((3, 3), np.int64), buf[:3], out_q=buf[1:])
    # checked before any data is touched
    assert np.array_equal(buf, before) and np.array_equal(q, q0) and np.array_equal(k, k0)
    # out_q = q (the same view) is in place
    x = q.copy()
    assert K.apply_fused(rope, pos, x, out_q=x) is x
    assert np.array_equal(bits(x), bits(K.apply_fused(rope, pos, q0.copy())))


def test_every_target_gives_the_same_bits():
    """The kernels run the best target of this CPU; use_target picks any other (AVX2, SSE4, ...),
    and every one of them gives the bits of the best (each equals the scalar twin: the C++ tests)."""
    targets = K.targets()
    assert targets and K.target() == targets[0]
    rng = np.random.default_rng(5)
    r = ROPES["interleaved_partial"]()
    q = normal((37, 3, r.head_dim), rng)
    k = normal((37, 2, r.head_dim), rng)
    pos = positions_for(37, rng)
    outputs = {}
    try:
        for t in targets:
            K.use_target(t.lower())
            assert K.target() == t and K.lanes() >= 1
            oq, ok = np.empty_like(q), np.empty_like(k)
            K.apply_fused(r, pos, q, k, out_q=oq, out_k=ok)
            outputs[t] = (oq.tobytes(), ok.tobytes())
    finally:
        K.use_target("best")
    assert K.target() == targets[0]
    assert all(v == outputs[targets[0]] for v in outputs.values()), "targets disagree"
    with pytest.raises(ValueError, match="target"):
        K.use_target("avx1024")
