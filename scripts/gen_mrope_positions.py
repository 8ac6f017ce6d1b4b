#!/usr/bin/python3
"""Generates tests/data/mrope_positions.ipp: M-RoPE position ids for tests/test_mrope_positions.cpp.

Regenerate (from the repository root, with Debian's interpreter; no torch needed):
    /usr/bin/python3 scripts/gen_mrope_positions.py tests/data/mrope_positions.ipp

An implementation of the (t, h, w) position ids that is independent of posenc: a plain-Python
transcription of transformers' `get_rope_index` (transformers commit 00b676f8, read line by line),
working as upstream does on a list of TOKEN IDS plus the grid lists, with torch replaced by lists:
  qwen2_vl     src/transformers/models/qwen2_vl/modeling_qwen2_vl.py, Qwen2VLModel.get_rope_index
  qwen2_5_vl   src/transformers/models/qwen2_5_vl/modeling_qwen2_5_vl.py, Qwen2_5_VLModel.get_rope_index
  qwen3_vl     src/transformers/models/qwen3_vl/modeling_qwen3_vl.py, Qwen3VLModel.get_rope_index
               (Qwen3.5: modular_qwen3_5.py, Qwen3_5Model(Qwen3VLModel) inherits it)
  glm4v        src/transformers/models/glm4v/modeling_glm4v.py, Glm4vModel.get_rope_index
Each case is written as a prompt of the shape the processors produce (the real special-token ids of
the configs in /work/shared/configs), then positions are computed from the token ids alone:
  Qwen2-VL / Qwen2.5-VL   <|vision_start|> <|image_pad|>*n <|vision_end|>   (video: <|video_pad|>)
  Qwen3-VL / Qwen3.5      images as above; a video (T, H, W) is the chat template's
                          <|vision_start|> ... <|vision_end|> around, per frame, a timestamp
                          ("<0.5 seconds>": text tokens), <|vision_start|>, H*W/m^2 <|video_pad|>,
                          <|vision_end|> (processing_qwen3_vl.py, replace_video_token)
  GLM-4.1V                <|begin_of_image|> <|image|>*n <|end_of_image|>; a video is
                          <|begin_of_video|> then per frame <|begin_of_image|> <|image|>*n
                          <|end_of_image|> timestamp-text, then <|end_of_video|>
                          (processing_glm4v.py, replace_video_token / replace_frame_token_id)
Text tokens are ordinary ids. The segments the C++ test passes (text{count}, image{t,h,w},
video{t,h,w,seconds_per_grid}) are read off the same prompt: every run of text tokens (special
tokens and timestamps included) is one text segment; a Qwen3-VL or GLM-4.1V video is one
video{1,H,W} per frame, as the prompt has text between its frames.

Qwen2.5-VL: t index = long(t' * second_per_grid_t * tokens_per_second) with Python floats (IEEE
double, multiplied left to right as upstream writes it). Note: at 00b676f8 upstream first does
`torch.as_tensor(second_per_grid_t, dtype=range_tensor.dtype)` (int64), which truncates a fractional
second_per_grid_t (0.5 -> 0) before the product; older versions multiplied in float32. This script,
like posenc, follows the documented formula (the exact product in double, then truncation); the
fractional cases below would differ from 00b676f8 itself.

Written per case: the segments, the token count, rope_delta (= max position + 1 - length, as
upstream's mrope_position_deltas without padding) and the next text position (max + 1); the full
list of (t, h, w) for cases of at most FULL_LIMIT tokens; for every case, samples (the first and last
token of every block and every STRIDE-th token) and a 64-bit FNV-1a digest of all positions
(t, h, w of each token in order, each as 8 little-endian bytes of its two's complement).
"""
import itertools
import sys

REGEN = "/usr/bin/python3 scripts/gen_mrope_positions.py tests/data/mrope_positions.ipp"

FULL_LIMIT = 700
STRIDE = 997

# Special tokens (config.json of Qwen2.5-VL-7B-Instruct / Qwen3-VL-4B-Instruct, GLM-4.1V-9B-Thinking).
QWEN = dict(vision_start_token_id=151652, vision_end_token_id=151653, image_token_id=151655,
            video_token_id=151656)
GLM = dict(image_start_token_id=151339, image_end_token_id=151340, video_start_token_id=151341,
           video_end_token_id=151342, image_token_id=151343, video_token_id=151344)
TEXT_BASE = 1000  # ordinary text tokens: 1000, 1001, ... (never a special id)


# ----------------------------------------------------------------------------------------------
# Small list stand-ins for the torch operations the upstream code uses.
# A "block" is three equally long lists [t, h, w] (upstream: a (3, n) tensor).

def arange_block(n, start):
    """torch.arange(n).view(1, -1).expand(3, -1) + start"""
    r = [start + k for k in range(n)]
    return [r, list(r), list(r)]


def block_max(block):
    """tensor.max() over all three rows; None for an empty block (upstream never asks then)."""
    vals = [v for row in block for v in row]
    return max(vals)


def grid_block(t_index, llm_grid_t, llm_grid_h, llm_grid_w, offset):
    """torch.stack([t_index, h_index, w_index]) + offset, with
    h_index = arange(h).view(1, -1, 1).expand(t, -1, w).flatten(),
    w_index = arange(w).view(1, 1, -1).expand(t, h, -1).flatten()."""
    h_index = [hh for _ in range(llm_grid_t) for hh in range(llm_grid_h) for _w in range(llm_grid_w)]
    w_index = [ww for _ in range(llm_grid_t) for _h in range(llm_grid_h) for ww in range(llm_grid_w)]
    assert len(t_index) == len(h_index) == len(w_index)
    return [[v + offset for v in t_index], [v + offset for v in h_index], [v + offset for v in w_index]]


def cat_blocks(blocks):
    """torch.cat(llm_pos_ids_list, dim=1)"""
    return [[v for b in blocks for v in b[axis]] for axis in range(3)]


# ----------------------------------------------------------------------------------------------
# Transcriptions of get_rope_index (one sequence, attention mask all ones).

def get_rope_index_qwen(input_ids, image_grid_thw, video_grid_thw, cfg, t_index_of, video_seconds=None):
    """The loop shared by Qwen2VLModel / Qwen2_5_VLModel / Qwen3VLModel.get_rope_index. t_index_of(
    kind, llm_grid_t, llm_grid_h, llm_grid_w, second_per_grid_t) gives the flattened t_index."""
    spatial_merge_size = cfg["spatial_merge_size"]
    image_token_id = QWEN["image_token_id"]
    video_token_id = QWEN["video_token_id"]
    vision_start_token_id = QWEN["vision_start_token_id"]
    if image_grid_thw is None and video_grid_thw is None:
        # else-branch without attention mask: arange, delta 0
        n = len(input_ids)
        return arange_block(n, 0), 0
    image_index, video_index = 0, 0
    vision_start_indices = [k for k, tok in enumerate(input_ids) if tok == vision_start_token_id]
    vision_tokens = [input_ids[k + 1] for k in vision_start_indices]
    image_nums = sum(1 for tok in vision_tokens if tok == image_token_id)
    video_nums = sum(1 for tok in vision_tokens if tok == video_token_id)
    input_tokens = list(input_ids)
    llm_pos_ids_list = []
    st = 0
    remain_images, remain_videos = image_nums, video_nums
    for _ in range(image_nums + video_nums):
        if image_token_id in input_tokens and remain_images > 0:
            ed_image = input_tokens.index(image_token_id, st)
        else:
            ed_image = len(input_tokens) + 1
        if video_token_id in input_tokens and remain_videos > 0:
            ed_video = input_tokens.index(video_token_id, st)
        else:
            ed_video = len(input_tokens) + 1
        if ed_image < ed_video:
            t, h, w = image_grid_thw[image_index]
            second_per_grid_t = 0
            kind = "image"
            image_index += 1
            remain_images -= 1
            ed = ed_image
        else:
            t, h, w = video_grid_thw[video_index]
            second_per_grid_t = video_seconds[video_index] if video_seconds is not None else 1.0
            kind = "video"
            video_index += 1
            remain_videos -= 1
            ed = ed_video
        llm_grid_t, llm_grid_h, llm_grid_w = t, h // spatial_merge_size, w // spatial_merge_size
        text_len = ed - st

        st_idx = block_max(llm_pos_ids_list[-1]) + 1 if len(llm_pos_ids_list) > 0 else 0
        llm_pos_ids_list.append(arange_block(text_len, st_idx))

        t_index = t_index_of(kind, llm_grid_t, llm_grid_h, llm_grid_w, second_per_grid_t)
        llm_pos_ids_list.append(grid_block(t_index, llm_grid_t, llm_grid_h, llm_grid_w, text_len + st_idx))
        st = ed + llm_grid_t * llm_grid_h * llm_grid_w

    if st < len(input_tokens):
        st_idx = block_max(llm_pos_ids_list[-1]) + 1 if len(llm_pos_ids_list) > 0 else 0
        text_len = len(input_tokens) - st
        llm_pos_ids_list.append(arange_block(text_len, st_idx))

    llm_positions = cat_blocks(llm_pos_ids_list)
    delta = block_max(llm_positions) + 1 - len(input_ids)
    return llm_positions, delta


def t_index_plain(kind, llm_grid_t, llm_grid_h, llm_grid_w, second_per_grid_t):
    """Qwen2-VL / Qwen3-VL: torch.arange(llm_grid_t).view(-1, 1).expand(-1, h * w).flatten()"""
    return [tt for tt in range(llm_grid_t) for _ in range(llm_grid_h * llm_grid_w)]


def get_rope_index_qwen2_vl(input_ids, image_grid_thw, video_grid_thw, cfg):
    return get_rope_index_qwen(input_ids, image_grid_thw, video_grid_thw, cfg, t_index_plain)


def get_rope_index_qwen2_5_vl(input_ids, image_grid_thw, video_grid_thw, second_per_grid_ts, cfg):
    tokens_per_second = cfg["tokens_per_second"]

    def t_index_of(kind, llm_grid_t, llm_grid_h, llm_grid_w, second_per_grid_t):
        # range_tensor = arange(llm_grid_t).view(-1, 1); expanded_range = expand(-1, h * w)
        # time_tensor = expanded_range * second_per_grid_t * tokens_per_second; t_index = long().flatten()
        # (the documented formula in double; see the module docstring for 00b676f8's int64 cast)
        out = []
        for tt in range(llm_grid_t):
            time_value = tt * float(second_per_grid_t) * tokens_per_second
            out.extend([int(time_value)] * (llm_grid_h * llm_grid_w))
        return out

    return get_rope_index_qwen(input_ids, image_grid_thw, video_grid_thw, cfg, t_index_of, second_per_grid_ts)


def get_rope_index_qwen3_vl(input_ids, image_grid_thw, video_grid_thw, cfg):
    # "Since we use timestamps to separate videos ... the video_grid_thw should also be split"
    if video_grid_thw is not None:
        split = []
        for t, h, w in video_grid_thw:  # torch.repeat_interleave(video_grid_thw, video_grid_thw[:, 0], dim=0)
            split.extend([(1, h, w)] * t)  # video_grid_thw[:, 0] = 1
        video_grid_thw = split
    return get_rope_index_qwen(input_ids, image_grid_thw, video_grid_thw, cfg, t_index_plain)


def get_rope_index_glm4v(input_ids, image_grid_thw, video_grid_thw, cfg):
    spatial_merge_size = cfg["spatial_merge_size"]
    image_token_id = GLM["image_token_id"]
    video_start_token_id = GLM["video_start_token_id"]
    video_end_token_id = GLM["video_end_token_id"]
    if image_grid_thw is None and video_grid_thw is None:
        n = len(input_ids)
        return arange_block(n, 0), 0
    image_index, video_index = 0, 0
    video_group_index = 0
    input_tokens = list(input_ids)

    input_token_type = []
    video_check_flg = False
    for token in input_tokens:
        if token == video_start_token_id:
            video_check_flg = True
        elif token == video_end_token_id:
            video_check_flg = False

        if token == image_token_id and not video_check_flg:
            input_token_type.append("image")
        elif token == image_token_id and video_check_flg:
            input_token_type.append("video")
        else:
            input_token_type.append("text")

    input_type_group = []
    for key, group in itertools.groupby(enumerate(input_token_type), lambda x: x[1]):
        group = list(group)
        start_index = group[0][0]
        end_index = group[-1][0] + 1
        input_type_group.append((key, start_index, end_index))

    llm_pos_ids_list = []
    video_frame_num = 1
    for modality_type, start_idx, end_idx in input_type_group:
        st_idx = block_max(llm_pos_ids_list[-1]) + 1 if len(llm_pos_ids_list) > 0 else 0

        if modality_type == "image":
            t, h, w = image_grid_thw[image_index]
            llm_grid_t, llm_grid_h, llm_grid_w = t, h // spatial_merge_size, w // spatial_merge_size
            t_index = t_index_plain("image", llm_grid_t, llm_grid_h, llm_grid_w, 0)
            llm_pos_ids_list.append(grid_block(t_index, llm_grid_t, llm_grid_h, llm_grid_w, st_idx))
            image_index += 1
            video_frame_num = 1

        elif modality_type == "video":
            t, h, w = video_frame_num, video_grid_thw[video_index][1], video_grid_thw[video_index][2]
            llm_grid_t, llm_grid_h, llm_grid_w = t, h // spatial_merge_size, w // spatial_merge_size
            for t_idx in range(llm_grid_t):
                # t_index = torch.tensor(t_idx).view(-1, 1).expand(-1, h * w).flatten(); h, w of one frame
                t_index = [t_idx] * (llm_grid_h * llm_grid_w)
                llm_pos_ids_list.append(grid_block(t_index, 1, llm_grid_h, llm_grid_w, st_idx))
            video_group_index += 1
            if video_group_index >= video_grid_thw[video_index][0]:
                video_index += 1
                video_group_index = 0
            video_frame_num += 1

        else:
            text_len = end_idx - start_idx
            llm_pos_ids_list.append(arange_block(text_len, st_idx))
            video_frame_num = 1

    llm_positions = cat_blocks(llm_pos_ids_list)
    delta = block_max(llm_positions) + 1 - len(input_ids)
    return llm_positions, delta


# ----------------------------------------------------------------------------------------------
# Prompts: a case is a list of items
#   ("text", n)
#   ("image", t, h, w)
#   ("video", t, h, w, seconds_per_grid, timestamps)   timestamps: text tokens before each frame
#                                                       (Qwen3-VL, GLM-4.1V; ignored by Qwen2/2.5)

class Prompt:
    """Token ids plus the C++ segments read off them."""

    def __init__(self):
        self.ids = []
        self.segments = []  # ("text", n) | ("image", t, h, w) | ("video", t, h, w, s)
        self.next_text = TEXT_BASE

    def text(self, n):
        for _ in range(n):
            self.ids.append(self.next_text)
            self.next_text += 1
        self._text_segment(n)

    def special(self, token_id):
        self.ids.append(token_id)
        self._text_segment(1)

    def vision(self, token_id, count, segment):
        self.ids.extend([token_id] * count)
        self.segments.append(segment)

    def _text_segment(self, n):
        if n == 0:
            return
        if self.segments and self.segments[-1][0] == "text":
            self.segments[-1] = ("text", self.segments[-1][1] + n)
        else:
            self.segments.append(("text", n))


def build_prompt(rule, items, m):
    p = Prompt()
    image_grid_thw, video_grid_thw, seconds = [], [], []
    for item in items:
        kind = item[0]
        if kind == "text":
            p.text(item[1])
            continue
        t, h, w = item[1], item[2], item[3]
        per_frame = (h // m) * (w // m)
        if kind == "image":
            image_grid_thw.append((t, h, w))
            if rule == "glm4v":
                p.special(GLM["image_start_token_id"])
                p.vision(GLM["image_token_id"], t * per_frame, ("image", t, h, w))
                p.special(GLM["image_end_token_id"])
            else:
                p.special(QWEN["vision_start_token_id"])
                p.vision(QWEN["image_token_id"], t * per_frame, ("image", t, h, w))
                p.special(QWEN["vision_end_token_id"])
            continue
        s, stamps = item[4], item[5]
        video_grid_thw.append((t, h, w))
        seconds.append(s)
        if rule in ("qwen2_vl", "qwen2_5_vl"):
            p.special(QWEN["vision_start_token_id"])
            p.vision(QWEN["video_token_id"], t * per_frame, ("video", t, h, w, s))
            p.special(QWEN["vision_end_token_id"])
        elif rule == "qwen3_vl":
            p.special(QWEN["vision_start_token_id"])  # the chat template's, around the placeholder
            for f in range(t):
                p.text(stamps[f])  # "<x.y seconds>"
                p.special(QWEN["vision_start_token_id"])
                p.vision(QWEN["video_token_id"], per_frame, ("video", 1, h, w, s))
                p.special(QWEN["vision_end_token_id"])
            p.special(QWEN["vision_end_token_id"])
        else:  # glm4v
            p.special(GLM["video_start_token_id"])
            for f in range(t):
                p.special(GLM["image_start_token_id"])
                p.vision(GLM["image_token_id"], per_frame, ("video", 1, h, w, s))
                p.special(GLM["image_end_token_id"])
                p.text(stamps[f])  # int(timestamp_sec)
            p.special(GLM["video_end_token_id"])
    return p, (image_grid_thw or None), (video_grid_thw or None), seconds


def positions_for(rule, items, m, tps):
    p, images, videos, seconds = build_prompt(rule, items, m)
    cfg = dict(spatial_merge_size=m, tokens_per_second=tps)
    if rule == "qwen2_vl":
        pos, delta = get_rope_index_qwen2_vl(p.ids, images, videos, cfg)
    elif rule == "qwen2_5_vl":
        pos, delta = get_rope_index_qwen2_5_vl(p.ids, images, videos, seconds if videos else None, cfg)
    elif rule == "qwen3_vl":
        pos, delta = get_rope_index_qwen3_vl(p.ids, images, videos, cfg)
    else:
        pos, delta = get_rope_index_glm4v(p.ids, images, videos, cfg)
    assert len(pos[0]) == len(p.ids), (rule, len(pos[0]), len(p.ids))
    assert sum(seg[1] if seg[0] == "text" else seg[1] * (seg[2] // m) * (seg[3] // m) for seg in p.segments) == len(p.ids)
    return p, pos, delta


# ----------------------------------------------------------------------------------------------
# The cases.

RULES = ["qwen2_vl", "qwen2_5_vl", "qwen3_vl", "glm4v"]
Q3_STAMPS4 = [5, 5, 5, 6]  # "<0.5 seconds>" ... "<10.5 seconds>" as 5-6 text tokens
GLM_STAMPS3 = [1, 1, 2]    # "0", "2", "14"


def cases():
    out = []

    def add(name, rule, items, m=2, tps=2.0):
        out.append(dict(name=name, rule=rule, items=items, m=m, tps=tps))

    for r in RULES:
        add(f"{r}_text_only", r, [("text", 7)])
        add(f"{r}_one_image", r, [("text", 3), ("image", 1, 4, 6), ("text", 4)])
        add(f"{r}_two_images", r, [("text", 2), ("image", 1, 6, 4), ("text", 3), ("image", 2, 4, 4), ("text", 2)])
        add(f"{r}_image_first", r, [("image", 1, 8, 4), ("text", 3)])
        add(f"{r}_mixed", r, [("text", 4), ("image", 1, 4, 4), ("text", 2), ("video", 2, 4, 6, 1.0, [5, 6]),
                              ("text", 3), ("image", 1, 2, 8), ("text", 1)])
        add(f"{r}_one_token_grids", r, [("text", 2), ("image", 1, 2, 2), ("text", 1), ("video", 3, 2, 2, 1.0, [1, 1, 1]),
                                         ("image", 1, 2, 2), ("text", 1)])
        add(f"{r}_merge4", r, [("text", 2), ("image", 1, 8, 12), ("video", 2, 8, 4, 1.0, [1, 1]), ("text", 2)], m=4)
    add("qwen2_vl_video", "qwen2_vl", [("text", 2), ("video", 4, 6, 8, 1.0, None), ("text", 5)])
    add("qwen2_vl_tall_video", "qwen2_vl", [("video", 9, 2, 4, 1.0, None), ("text", 3)])
    add("qwen2_5_vl_video_s1_tps2", "qwen2_5_vl", [("text", 2), ("video", 4, 6, 8, 1.0, None), ("text", 5)])
    add("qwen2_5_vl_video_s05_tps2", "qwen2_5_vl", [("text", 2), ("video", 4, 6, 8, 0.5, None), ("text", 5)])
    add("qwen2_5_vl_video_s2_tps25", "qwen2_5_vl", [("video", 3, 4, 4, 2.0, None), ("text", 5)], tps=25.0)
    add("qwen2_5_vl_video_s05_tps25", "qwen2_5_vl", [("text", 2), ("video", 5, 4, 4, 0.5, None), ("text", 5)], tps=25.0)
    add("qwen2_5_vl_video_s2over3_tps2", "qwen2_5_vl", [("video", 7, 4, 4, 2.0 / 3.0, None), ("text", 2)])
    add("qwen2_5_vl_video_s0_tps2", "qwen2_5_vl", [("text", 1), ("video", 3, 4, 6, 0.0, None), ("text", 2)])
    add("qwen2_5_vl_two_videos", "qwen2_5_vl", [("video", 2, 4, 4, 1.5, None), ("text", 1), ("video", 3, 2, 2, 0.25, None)],
        tps=25.0)
    add("qwen3_vl_video_4_frames", "qwen3_vl", [("text", 3), ("video", 4, 6, 8, 1.0, Q3_STAMPS4), ("text", 4)])
    add("qwen3_vl_two_videos", "qwen3_vl", [("video", 2, 4, 4, 1.0, [5, 5]), ("text", 2), ("video", 3, 2, 6, 1.0, [5, 5, 5])])
    add("glm4v_video_3_frames", "glm4v", [("text", 3), ("video", 3, 6, 8, 1.0, GLM_STAMPS3), ("text", 4)])
    add("glm4v_video_then_image", "glm4v", [("video", 2, 4, 4, 1.0, [1, 1]), ("image", 1, 6, 2), ("text", 2)])
    # large grids: positions in the hundreds
    add("qwen2_vl_large_image", "qwen2_vl", [("text", 5), ("image", 1, 1024, 768), ("text", 5)])
    add("glm4v_large_image", "glm4v", [("text", 5), ("image", 1, 768, 1024), ("text", 5)])
    add("qwen2_5_vl_large_video", "qwen2_5_vl", [("text", 5), ("video", 48, 16, 16, 0.5, None), ("text", 5)], tps=25.0)
    # long text prefix: positions above 10^5
    add("qwen3_vl_long_prefix", "qwen3_vl", [("text", 150000), ("image", 1, 8, 8), ("text", 10),
                                             ("video", 2, 4, 4, 1.0, [5, 5]), ("text", 3)])
    add("qwen2_5_vl_long_prefix", "qwen2_5_vl", [("text", 120000), ("video", 6, 8, 8, 1.0, None), ("text", 10)])
    return out


# ----------------------------------------------------------------------------------------------
# Output.

def fnv1a64(pos):
    h = 0xCBF29CE484222325
    for k in range(len(pos[0])):
        for axis in range(3):
            v = pos[axis][k] & 0xFFFFFFFFFFFFFFFF
            for byte in v.to_bytes(8, "little"):
                h ^= byte
                h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def sample_indices(segments, m, n):
    idx = set(range(0, n, STRIDE))
    idx.add(n - 1)
    k = 0
    for seg in segments:
        if seg[0] == "text":
            count = seg[1]
        else:
            count = seg[1] * (seg[2] // m) * (seg[3] // m)
        if count:
            idx.add(k)
            idx.add(k + count - 1)
        k += count
    return sorted(i for i in idx if 0 <= i < n)


def cpp_double(x):
    r = repr(float(x))
    return r if ("." in r or "e" in r) else r + ".0"


def cpp_segment(seg):
    if seg[0] == "text":
        return f"posenc::mrope_text{{{seg[1]}}}"
    if seg[0] == "image":
        return f"posenc::mrope_image{{{seg[1]}, {seg[2]}, {seg[3]}}}"
    return f"posenc::mrope_video{{{seg[1]}, {seg[2]}, {seg[3]}, {cpp_double(seg[4])}}}"


def write(path):
    lines = [
        "// tests/data/mrope_positions.ipp: M-RoPE position ids as transformers' get_rope_index computes them",
        "// (generated; do not edit).",
        f"// Regenerate: {REGEN}",
        "//",
        "// From a plain-Python transcription of Qwen2VLModel / Qwen2_5_VLModel / Qwen3VLModel / Glm4vModel",
        "// .get_rope_index working on token ids (see scripts/gen_mrope_positions.py). Included by",
        "// tests/test_mrope_positions.cpp, which defines mrope_table_case and mrope_sample.",
        "",
        "inline const std::vector<mrope_table_case> mrope_table_cases = {",
    ]
    for c in cases():
        p, pos, delta = positions_for(c["rule"], c["items"], c["m"], c["tps"])
        n = len(p.ids)
        mx = max(max(row) for row in pos)
        assert delta == mx + 1 - n
        lines.append("    {")
        lines.append(f'        .name = "{c["name"]}",')
        lines.append(f"        .rule = posenc::mrope_rule::{c['rule']},")
        lines.append(f"        .spatial_merge_size = {c['m']},")
        lines.append(f"        .tokens_per_second = {cpp_double(c['tps'])},")
        lines.append("        .segments = {" + ", ".join(cpp_segment(s) for s in p.segments) + "},")
        lines.append(f"        .token_count = {n},")
        lines.append(f"        .rope_delta = {delta},")
        lines.append(f"        .next_position = {mx + 1},")
        lines.append(f"        .digest = 0x{fnv1a64(pos):016x}ULL,")
        samples = [f"{{{k}, {pos[0][k]}, {pos[1][k]}, {pos[2][k]}}}" for k in sample_indices(p.segments, c["m"], n)]
        lines.append("        .samples = {")
        for i in range(0, len(samples), 6):
            lines.append("            " + ", ".join(samples[i:i + 6]) + ",")
        lines.append("        },")
        if n <= FULL_LIMIT:
            lines.append("        .ids = {")
            triples = [f"{{{pos[0][k]}, {pos[1][k]}, {pos[2][k]}}}" for k in range(n)]
            for i in range(0, n, 8):
                lines.append("            " + ", ".join(triples[i:i + 8]) + ",")
            lines.append("        },")
        else:
            lines.append("        .ids = {},")
        lines.append("    },")
    lines.append("};")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {REGEN}")
    write(sys.argv[1])
