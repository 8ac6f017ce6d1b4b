// The reduced-precision RoPE pipelines that posenc precision and posenc validate compare with
// posenc: how HF transformers and ggml form cos/sin in float32, and bf16/fp16 roundings.
//   fp32-product     HF transformers: inv_freq = 1 / base^(float(2i)/d) in float32, angle =
//                    float32(float32(m) * inv_freq), cos/sin in float32 (`rotary_emb` forward)
//   fp32-recurrence  ggml (ggml_rope, CPU): theta_scale = powf(base, -2/d), theta = (float)m, and per
//                    pair cosf/sinf(theta), theta *= theta_scale (default and linear variants only)
//   bf16, fp16       positions, frequencies (the fp32-product ones) and cos/sin outputs rounded to
//                    bfloat16 / IEEE binary16 (round to nearest even)
// float32 cos/sin of an angle are taken as the correctly rounded value (double cos rounded once),
// the best any float32 math library can do: the errors are those of the pipelines' angles and
// roundings, not of a particular libm. For scaling variants other than default, the pipelines start
// from the correctly rounded float32 frequencies of the variant.
#pragma once

#include "common.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace posenc_cli {

/// x rounded to nearest even with `bits` significand bits (implicit one included), normal
/// exponents >= min_exp (subnormals below), +-inf beyond max_finite: binary16 (11, -14, 65504) and
/// bfloat16 (8, -126, 3.3895e38). Exact in double for float inputs.
inline float round_to_format(float x, int bits, int min_exp, double max_finite) {
    if (!std::isfinite(x) || x == 0.0f) return x;
    const double v = x;
    int e = 0;
    std::frexp(v, &e);  // v = f 2^e, f in [0.5, 1)
    const int exp = std::max(e - 1, min_exp);
    const double quantum = std::ldexp(1.0, exp - (bits - 1));
    const double r = std::nearbyint(v / quantum) * quantum;  // default rounding: to nearest even
    const double top = max_finite + std::ldexp(1.0, static_cast<int>(std::floor(std::log2(max_finite))) - bits);
    if (std::fabs(r) >= top) return x > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
    return static_cast<float>(r);
}

inline float bf16(float x) { return round_to_format(x, 8, -126, 3.3895313892515355e38); }
inline float fp16(float x) { return round_to_format(x, 11, -14, 65504.0); }
inline float identity(float x) { return x; }

/// Correctly rounded float32 cos and sin of a float angle.
inline float cos_f(float a) { return static_cast<float>(std::cos(static_cast<double>(a))); }
inline float sin_f(float a) { return static_cast<float>(std::sin(static_cast<double>(a))); }

/// The float32 frequencies and constants of the pipelines for one RoPE.
class float_pipelines {
public:
    /// `inv_freq`: the variant's frequencies (any precision), used for non-default variants.
    template <class T>
    float_pipelines(const encoding_options& enc, const std::vector<T>& inv_freq, int rotary_dim) : inv_hf_(inv_freq.size()) {
        const float base_f = parse_number<float>(enc.base(), "float", enc.where("base"));
        for (std::size_t i = 0; i < inv_hf_.size(); ++i) {
            if (enc.variant() == "default") {
                const float e = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
                const float p = static_cast<float>(std::pow(static_cast<double>(base_f), static_cast<double>(e)));
                inv_hf_[i] = 1.0f / p;
            } else {
                inv_hf_[i] = static_cast<float>(inv_freq[i]);
            }
        }
        const float factor_f = enc.variant() == "linear" ? parse_number<float>(enc.text("factor"), "float", enc.where("factor")) : 1.0f;
        freq_scale_ = 1.0f / factor_f;
        theta_scale_ = static_cast<float>(
            std::pow(static_cast<double>(base_f), static_cast<double>(-2.0f / static_cast<float>(rotary_dim))));
    }

    /// HF's float32 inv_freq (default variant) or the rounded variant frequencies.
    [[nodiscard]] const std::vector<float>& inv_freq() const { return inv_hf_; }

    /// fp32-product (rnd = identity), bf16 (rnd = bf16) or fp16: the angle of pair i at m.
    [[nodiscard]] float product_angle(long long m, std::size_t i, float (*rnd)(float)) const {
        return rnd(static_cast<float>(m)) * rnd(inv_hf_[i]);
    }

    /// fp32-recurrence: the angles of every pair at m, as ggml forms them.
    void recurrence_angles(long long m, std::vector<float>& angles) const {
        angles.resize(inv_hf_.size());
        float theta = static_cast<float>(m);
        for (float& a : angles) {
            a = freq_scale_ * theta;  // ggml: theta_interp = freq_scale * theta_extrap
            theta *= theta_scale_;
        }
    }

private:
    std::vector<float> inv_hf_;
    float freq_scale_ = 1.0f;
    float theta_scale_ = 1.0f;
};

}  // namespace posenc_cli
