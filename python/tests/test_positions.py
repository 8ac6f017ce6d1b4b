"""posenc.mrope_position_ids and Mrope.position_ids against the models' docstring examples and a
small transcription, written here, of transformers' get_rope_index loops (read at transformers
commit 00b676f8):
  qwen2_vl    models/qwen2_vl/modeling_qwen2_vl.py, Qwen2VLModel.get_rope_index
  qwen2_5_vl  models/qwen2_5_vl/modeling_qwen2_5_vl.py, Qwen2_5_VLModel.get_rope_index
  qwen3_vl    models/qwen3_vl/modeling_qwen3_vl.py, Qwen3VLModel.get_rope_index (videos split into
              frames: video_grid_thw repeat_interleave'd over t, t set to 1)
  glm4v       models/glm4v/modeling_glm4v.py, Glm4vModel.get_rope_index (one frame group per frame)
"""
import pathlib

import numpy as np
import pytest

import posenc

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "tests" / "data" / "configs"
SEED = 20240613


def hf_rope_index(rule, segments, merge=2, tokens_per_second=2.0):
    """transformers' loop over the vision items of one prompt: before each item, the text run since
    the previous one at st_idx = llm_pos_ids_list[-1].max() + 1; the item's grid at text_len +
    st_idx; trailing text after the last. Returns (ids [n, 3], rope_delta)."""
    # the prompt as (pending text count, vision item) pairs, videos split into frames for
    # qwen3_vl / glm4v
    items, text = [], 0
    for seg in segments:
        kind = seg[0]
        if kind == "text":
            text += seg[1]
            continue
        t, h, w = seg[1:4]
        spg = seg[4] if len(seg) > 4 else 1.0
        if kind == "video" and rule in ("qwen3_vl", "glm4v"):
            for _ in range(t):
                items.append((text, ("video", 1, h, w, spg)))
                text = 0
        else:
            items.append((text, (kind, t, h, w, spg)))
            text = 0
    llm_pos_ids_list = []
    for text_len, (kind, t, h, w, spg) in items:
        st_idx = llm_pos_ids_list[-1].max() + 1 if llm_pos_ids_list else 0
        llm_pos_ids_list.append(np.broadcast_to(np.arange(text_len), (3, text_len)) + st_idx)
        gt, gh, gw = t, h // merge, w // merge
        if rule == "qwen2_5_vl":
            second_per_grid_t = 0 if kind == "image" else spg
            time = np.arange(gt).reshape(-1, 1) * second_per_grid_t * tokens_per_second
            t_index = np.broadcast_to(time.astype(np.int64), (gt, gh * gw)).flatten()
        else:
            t_index = np.broadcast_to(np.arange(gt).reshape(-1, 1), (gt, gh * gw)).flatten()
        h_index = np.broadcast_to(np.arange(gh).reshape(1, -1, 1), (gt, gh, gw)).flatten()
        w_index = np.broadcast_to(np.arange(gw).reshape(1, 1, -1), (gt, gh, gw)).flatten()
        llm_pos_ids_list.append(np.stack([t_index, h_index, w_index]) + text_len + st_idx)
    if text:
        st_idx = llm_pos_ids_list[-1].max() + 1 if llm_pos_ids_list else 0
        llm_pos_ids_list.append(np.broadcast_to(np.arange(text), (3, text)) + st_idx)
    if not llm_pos_ids_list:
        return np.zeros((0, 3), dtype=np.int64), 0
    ids = np.concatenate(llm_pos_ids_list, axis=1).T.astype(np.int64)
    return ids, int(ids.max()) + 1 - len(ids) if len(ids) else 0


def test_qwen2_vl_docstring_example():
    """modeling_qwen2_vl.py get_rope_index docstring: a video of 3 temporal patches and 2x2 merged
    spatial patches (4x4 before merge 2), then 5 text tokens."""
    ids, delta, nxt = posenc.mrope_position_ids("qwen2_vl", [("video", 3, 4, 4), ("text", 5)], spatial_merge_size=2)
    assert ids.dtype == np.int64 and ids.shape == (17, 3)
    assert ids[:12, 0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    assert ids[:12, 1].tolist() == [0, 0, 1, 1] * 3
    assert ids[:12, 2].tolist() == [0, 1, 0, 1] * 3
    assert ids[12:].tolist() == [[k, k, k] for k in range(3, 8)]
    assert (delta, nxt) == (8 - 17, 8)


def test_qwen2_5_vl_docstring_example():
    """modeling_qwen2_5_vl.py docstring: tokens_per_second 25, second_per_grid_t 2 -> t index
    0, 50, 100; text after at 101..105."""
    ids, delta, nxt = posenc.mrope_position_ids("qwen2_5_vl", [("video", 3, 4, 4, 2.0), ("text", 5)],
                                                spatial_merge_size=2, tokens_per_second=25)
    assert ids[:12, 0].tolist() == [0] * 4 + [50] * 4 + [100] * 4
    assert ids[12:, 0].tolist() == [101, 102, 103, 104, 105]
    assert (delta, nxt) == (106 - 17, 106)


def random_prompt(rng, rule):
    segs = []
    for _ in range(int(rng.integers(1, 7))):
        k = int(rng.integers(0, 3))
        if k == 0:
            segs.append(("text", int(rng.integers(0, 9))))
        else:
            t = int(rng.integers(1, 4)) if k == 2 else int(rng.integers(1, 3))
            h, w = 2 * int(rng.integers(1, 5)), 2 * int(rng.integers(1, 5))
            if k == 2 and rule == "qwen2_5_vl":
                segs.append(("video", t, h, w, float(rng.choice([0.5, 1.0, 2.0, 1.5]))))
            else:
                segs.append(("image" if k == 1 else "video", t, h, w))
    return segs


@pytest.mark.parametrize("rule", ["qwen2_vl", "qwen2_5_vl", "qwen3_vl", "glm4v"])
def test_against_transcription(rule):
    rng = np.random.default_rng(SEED)
    for _ in range(60):
        segs = random_prompt(rng, rule)
        tps = float(rng.choice([2.0, 4.0, 25.0]))
        want, want_delta = hf_rope_index(rule, segs, 2, tps)
        ids, delta, nxt = posenc.mrope_position_ids(rule, segs, spatial_merge_size=2, tokens_per_second=tps)
        assert np.array_equal(ids, want), (rule, segs)
        assert delta == want_delta and nxt == delta + len(ids)


def test_merge_size_and_text_only():
    ids, delta, nxt = posenc.mrope_position_ids("qwen3_vl", [("text", 4)])
    assert ids.tolist() == [[k, k, k] for k in range(4)] and (delta, nxt) == (0, 4)
    ids, delta, nxt = posenc.mrope_position_ids("qwen2_vl", [])
    assert ids.shape == (0, 3) and (delta, nxt) == (0, 0)
    segs = [("text", 2), ("image", 1, 6, 9), ("text", 1)]
    ids, _, _ = posenc.mrope_position_ids("qwen2_vl", segs, spatial_merge_size=3)
    assert np.array_equal(ids, hf_rope_index("qwen2_vl", segs, 3)[0])


def test_dict_segments_and_model_types():
    tup = [("text", 3), ("image", 1, 4, 6), ("video", 2, 4, 4, 0.5), ("text", 2)]
    dic = [{"type": "text", "count": 3}, {"type": "image", "t": 1, "h": 4, "w": 6},
           {"type": "video", "t": 2, "h": 4, "w": 4, "seconds_per_grid": 0.5}, {"type": "text", "count": 2}]
    for rule in ("qwen2_5_vl", "qwen3_vl_moe_text", "glm4v_moe"):
        a = posenc.mrope_position_ids(rule, tup, tokens_per_second=4)
        b = posenc.mrope_position_ids(rule, dic, tokens_per_second=4)
        assert np.array_equal(a[0], b[0]) and a[1:] == b[1:]
    # a model_type picks its family's rule
    assert np.array_equal(posenc.mrope_position_ids("qwen3_5_text", tup)[0], posenc.mrope_position_ids("qwen3_vl", tup)[0])


def test_position_ids_from_config():
    """Qwen2.5-VL's config: rule from model_type, tokens_per_second 2 and merge 2 from vision_config."""
    m = posenc.Mrope.from_config(CONFIGS / "qwen2.5-vl-7b-instruct.json")
    ids, delta, nxt = m.position_ids([("video", 3, 4, 4, 2.0), ("text", 5)])
    assert ids[:12, 0].tolist() == [0] * 4 + [4] * 4 + [8] * 4  # t' * 2 s * 2 tokens/s
    want, want_delta = hf_rope_index("qwen2_5_vl", [("video", 3, 4, 4, 2.0), ("text", 5)], 2, 2.0)
    assert np.array_equal(ids, want) and delta == want_delta
    # Qwen3-VL: model_type qwen3_vl_text -> frames of their own
    q3 = posenc.Mrope.from_config(CONFIGS / "qwen3-vl-4b-instruct.json")
    ids3, _, _ = q3.position_ids([("text", 1), ("video", 2, 4, 4)])
    assert ids3[:, 0].tolist() == [0, 1, 1, 1, 1, 3, 3, 3, 3]
    # the ids feed the M-RoPE: text tokens equal the 1D rope
    x = np.random.default_rng(SEED).standard_normal((2, len(ids), 128)).astype(np.float32)
    text = ids[12:]
    r = posenc.Rope.from_config(CONFIGS / "qwen2.5-vl-7b-instruct.json")
    assert np.array_equal(m.apply(x[:, 12:], text), r.apply(x[:, 12:], text[:, 0]))
    # explicit arguments override the config's
    ids25, _, _ = m.position_ids([("video", 3, 4, 4, 2.0)], tokens_per_second=25)
    assert ids25[::4, 0].tolist() == [0, 50, 100]


def test_errors():
    def raises(exc, match, *args, **kwargs):
        with pytest.raises(exc) as e:
            posenc.mrope_position_ids(*args, **kwargs)
        assert match in str(e.value), str(e.value)

    raises(ValueError, "rule", "llama", [("text", 1)])
    raises(TypeError, "rule", 3, [("text", 1)])
    raises(ValueError, "segments[0].h", "qwen2_vl", [("image", 1, 5, 4)])
    raises(ValueError, "segments[1].t", "qwen2_vl", [("text", 1), ("video", 0, 4, 4)])
    raises(ValueError, "segments[0].count", "qwen2_vl", [("text", -1)])
    raises(ValueError, "segments[1]", "qwen2_vl", [("text", 1), ("audio", 3)])
    raises(ValueError, "segments[0]", "qwen2_vl", [("image", 1, 4)])
    raises(ValueError, "segments[0]", "qwen2_vl", [{"type": "image", "t": 1, "h": 4}])
    raises(TypeError, "segments[0].t", "qwen2_vl", [("image", 1.5, 4, 4)])
    raises(TypeError, "segments[0].seconds_per_grid", "qwen2_5_vl", [("video", 1, 4, 4, "2")])
    raises(ValueError, "segments[0].seconds_per_grid", "qwen2_5_vl", [("video", 1, 4, 4, float("nan"))])
    raises(ValueError, "segments", "qwen2_vl", [("text", 2 ** 25)])
    raises(TypeError, "segments", "qwen2_vl", 5)
    raises(ValueError, "spatial_merge_size", "qwen2_vl", [("text", 1)], spatial_merge_size=0)
    raises(TypeError, "spatial_merge_size", "qwen2_vl", [("text", 1)], spatial_merge_size=2.0)
    raises(ValueError, "tokens_per_second", "qwen2_5_vl", [("text", 1)], tokens_per_second=float("inf"))
    raises(ValueError, "segments[0].count", "qwen2_vl", [("text", 2 ** 64)])
    m = posenc.Mrope(head_dim=64, mrope_section=[8, 12, 12])
    with pytest.raises(ValueError, match="rule"):
        m.position_ids([("text", 2)])
    assert m.position_ids([("text", 2)], rule="qwen2_vl")[0].tolist() == [[0, 0, 0], [1, 1, 1]]
