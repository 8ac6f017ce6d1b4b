"""posenc's exact references: Rope, Mrope, mrope_position_ids (numpy in and out).

Every result is exact before one rounding to nearest even in the requested format (float64,
float32, float16, bfloat16 as uint16 bit patterns or torch tensors), decided by a Ziv test.
"""
import os
from typing import Any, Mapping, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__all__ = ["Rope", "Mrope", "mrope_position_ids"]

ParameterValue = Union[int, float, str, bool, Sequence[Union[int, float]]]
#: "float64", "float32", "float16", "bfloat16", a numpy float dtype, or a torch float dtype
DType = Any
#: a numpy array of float64/float32/float16 (or uint16 bfloat16 bits), or a CPU torch tensor
ArrayOrTensor = Any
Segment = Union[Tuple[str, int], Tuple[str, int, int, int], Tuple[str, int, int, int, float], Mapping[str, Any]]

class Rope:
    """A RoPE of one attention layer with its exact references (inv_freq, cos/sin, rotation).

    ``Rope(head_dim=128, base=500000, rope_type="llama3", factor=8,
    original_max_position_embeddings=8192)`` or ``Rope.from_config("config.json")``.
    """

    def __init__(
        self,
        head_dim: int = 128,
        base: Union[int, float, str] = 10000,
        rope_type: str = "default",
        layout: str = "half-split",
        **hf_parameters: ParameterValue,
    ) -> None:
        """A RoPE from parameter-table keywords (field, config key or CLI name with '_'): int,
        float (its shortest repr), str (exact decimal text), bool, or a list of numbers.
        ValueError names an unknown keyword or a bad parameter; TypeError a value of a wrong type."""
    @classmethod
    def from_config(cls, path_or_dict: Union[str, "os.PathLike[str]", Mapping[str, Any]], layer_type: Union[str, None] = None) -> "Rope":
        """The RoPE of a Hugging Face config.json (path, or dict named "<dict>"); on an M-RoPE config
        the text-token rope. ValueError "FILE: KEY: reason" for a bad or unreadable config."""
    @property
    def head_dim(self) -> int:
        """Head dimension (the size of x's last axis)."""
    @property
    def rotary_dim(self) -> int:
        """Dimensions that rotate: int(head_dim * partial_rotary_factor) (head_dim for 'proportional')."""
    @property
    def pairs(self) -> int:
        """rotary_dim // 2."""
    @property
    def layout(self) -> str:
        """'interleaved' (pairs (2i, 2i+1)) or 'half-split' (pairs (i, i + rotary_dim/2))."""
    @property
    def rope_type(self) -> str:
        """HF rope type: default, linear, dynamic, yarn, llama3, longrope, proportional."""
    @property
    def attention_factor(self) -> float:
        """The factor HF multiplies cos and sin by, computed at 100 digits and rounded once to double."""
    @property
    def parameters(self) -> dict[str, tuple[str, str]]:
        """{name: (value text, origin)}, origin 'default', 'argument KEYWORD' or 'config KEY'."""
    @property
    def config_file(self) -> Union[str, None]:
        """The config path ('<dict>' for a dict), or None."""
    @property
    def layer_type(self) -> Union[str, None]:
        """The layer type read from the config, or None."""
    @property
    def model_type(self) -> Union[str, None]:
        """The config's (text model's) model_type, or None."""
    def inv_freq(self) -> npt.NDArray[np.float64]:
        """theta_i (HF's inv_freq), each the double nearest to the exact value."""
    def inv_freq_decimal(self, digits: int = 50) -> list[str]:
        """theta_i as decimal strings with `digits` (1..250) significant digits, correctly rounded."""
    def attention_factor_decimal(self, digits: int = 50) -> str:
        """The attention factor as a decimal string with `digits` (1..250) significant digits."""
    def cos_sin(
        self,
        positions: Any,
        dtype: DType = "float32",
        theta: str = "exact",
        attention_factor: bool = False,
    ) -> Tuple[ArrayOrTensor, ArrayOrTensor]:
        """(cos, sin) of shape [len(positions), pairs], each entry the `dtype` value nearest to
        cos/sin(m_j theta_i) (times the attention factor if asked). theta: 'exact', or 'float64' /
        'float32' (theta_i rounded to that type first). bfloat16: uint16 bits, or torch tensors for
        a torch dtype. positions: finite, |m| <= 2^53, exactly doubles."""
    def apply(
        self,
        x: ArrayOrTensor,
        positions: Any,
        token_axis: int = -2,
        layout: Union[str, None] = None,
        attention_factor: bool = False,
        dtype: Union[str, None] = None,
    ) -> ArrayOrTensor:
        """The exact rotation of x (rotated axis last, tokens along token_axis) rounded once to x's
        dtype; dims beyond rotary_dim unchanged. dtype='bfloat16' takes x as uint16 bfloat16 bits."""

class Mrope:
    """A multimodal RoPE: positions (t, h, w) per token, pair i turning by its axis's position."""

    def __init__(
        self,
        head_dim: int = 128,
        base: Union[int, float, str] = 10000,
        rope_type: str = "default",
        layout: str = "half-split",
        **hf_parameters: ParameterValue,
    ) -> None:
        """An M-RoPE from Rope's keywords; mrope_section=[t, h, w] required, mrope_interleaved optional."""
    @classmethod
    def from_config(cls, path_or_dict: Union[str, "os.PathLike[str]", Mapping[str, Any]], layer_type: Union[str, None] = None) -> "Mrope":
        """The M-RoPE of a config.json (path or dict); the config must have an mrope_section."""
    @property
    def head_dim(self) -> int:
        """Head dimension."""
    @property
    def rotary_dim(self) -> int:
        """Dimensions that rotate."""
    @property
    def pairs(self) -> int:
        """rotary_dim // 2."""
    @property
    def layout(self) -> str:
        """'interleaved' or 'half-split'."""
    @property
    def rope_type(self) -> str:
        """HF rope type of the frequencies."""
    @property
    def attention_factor(self) -> float:
        """The factor HF multiplies cos and sin by, rounded once to double."""
    @property
    def parameters(self) -> dict[str, tuple[str, str]]:
        """{name: (value text, origin)}."""
    @property
    def config_file(self) -> Union[str, None]:
        """The config path ('<dict>' for a dict), or None."""
    @property
    def layer_type(self) -> Union[str, None]:
        """The layer type read from the config, or None."""
    @property
    def model_type(self) -> Union[str, None]:
        """The config's (text model's) model_type, or None."""
    @property
    def mrope_section(self) -> list[int]:
        """Pairs per axis [t, h, w]."""
    @property
    def interleaved(self) -> bool:
        """True when the axes cycle t, h, w over the pairs (Qwen3-VL); False for consecutive sections."""
    @property
    def axes(self) -> str:
        """The axis of every pair as a string of 't', 'h', 'w' (pair 0 first)."""
    def inv_freq(self) -> npt.NDArray[np.float64]:
        """theta_i, each the double nearest to the exact value."""
    def inv_freq_decimal(self, digits: int = 50) -> list[str]:
        """theta_i as decimal strings with `digits` (1..250) significant digits."""
    def attention_factor_decimal(self, digits: int = 50) -> str:
        """The attention factor as a decimal string."""
    def cos_sin(
        self,
        positions: Any,
        dtype: DType = "float32",
        theta: str = "exact",
        attention_factor: bool = False,
    ) -> Tuple[ArrayOrTensor, ArrayOrTensor]:
        """(cos, sin) [tokens, pairs] of p_j[axis_i] * theta_i, positions of shape [tokens, 3]."""
    def apply(
        self,
        x: ArrayOrTensor,
        positions: Any,
        token_axis: int = -2,
        layout: Union[str, None] = None,
        attention_factor: bool = False,
        dtype: Union[str, None] = None,
    ) -> ArrayOrTensor:
        """The exact M-RoPE rotation of x rounded once to x's dtype; positions [tokens, 3]."""
    def position_ids(
        self,
        segments: Sequence[Segment],
        rule: Union[str, None] = None,
        spatial_merge_size: Union[int, None] = None,
        tokens_per_second: Union[float, None] = None,
    ) -> Tuple[npt.NDArray[np.int64], int, int]:
        """mrope_position_ids with the rule of the config's model_type and its vision_config values."""

def mrope_position_ids(
    rule: str,
    segments: Sequence[Segment],
    spatial_merge_size: int = 2,
    tokens_per_second: float = 2.0,
) -> Tuple[npt.NDArray[np.int64], int, int]:
    """(ids int64 [tokens, 3], rope_delta, next_position) as transformers' get_rope_index gives
    them; rule 'qwen2_vl', 'qwen2_5_vl', 'qwen3_vl', 'glm4v' or a model_type; segments
    ('text', n), ('image', t, h, w), ('video', t, h, w[, seconds_per_grid]) or dicts."""
