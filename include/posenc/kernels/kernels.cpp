// posenc/kernels/kernels.cpp: the one translation unit of posenc::kernels (CMake target
// posenc::kernels; needs Google Highway and threads). It sits next to the headers it implements so
// that the include tree is the whole library.
//
// Highway's foreach_target.h includes this file once per target (x86-64: AVX3, AVX2, SSE4 and the
// baseline; aarch64: NEON, SVE) and each inclusion compiles kernels-inl.hpp in that target's
// namespace with its instruction set; the part under HWY_ONCE, compiled once, checks each call,
// splits it between threads and dispatches every range of tokens to the best target the CPU runs
// (HWY_DYNAMIC_DISPATCH, or use_target's choice). Compile with -ffp-contract=off (simd.hpp).
// SSSE3 (pre-2008 CPUs without SSE4.1) would add compile time for no CPU anyone runs kernels on:
// those take the baseline.
#ifndef HWY_DISABLED_TARGETS
#define HWY_DISABLED_TARGETS HWY_SSSE3
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "posenc/kernels/kernels.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h

#include <hwy/highway.h>

#include "kernels-inl.hpp"

#if HWY_ONCE

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch.hpp"

namespace posenc::kernels {

HWY_EXPORT(target_bit);
HWY_EXPORT(lanes);
HWY_EXPORT(build_table_rows);
HWY_EXPORT(apply_table_tokens);
HWY_EXPORT(apply_fused_tokens);
HWY_EXPORT(apply_mrope_tokens);
HWY_EXPORT(apply_2d_tokens);
HWY_EXPORT(build_sinusoidal_rows);

namespace {

/// Compiled targets this CPU runs, best first, whatever use_target has restricted.
std::vector<std::int64_t> runnable_targets() {
#if HWY_HAVE_RUNTIME_DISPATCH && !defined(HWY_COMPILE_ONLY_STATIC)
    static const std::vector<std::int64_t> targets = [] {
        hwy::SetSupportedTargetsForTest(0);  // the CPU's own list (no restriction is in force yet)
        return hwy::SupportedAndGeneratedTargets();
    }();
    return targets;
#else
    return {HWY_STATIC_TARGET};
#endif
}

std::string upper(std::string_view s) {
    std::string u(s);
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return u;
}

}  // namespace

std::string current_target() { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(target_bit)()); }

std::size_t current_lanes() { return HWY_DYNAMIC_DISPATCH(lanes)(); }

std::vector<std::string> available_targets() {
    std::vector<std::string> names;
    for (const std::int64_t t : runnable_targets()) names.emplace_back(hwy::TargetName(t));
    return names;
}

void use_target(std::string_view name) {
    const std::vector<std::int64_t> targets = runnable_targets();
    const std::string wanted = upper(name);
    if (wanted == "BEST") {
#if HWY_HAVE_RUNTIME_DISPATCH && !defined(HWY_COMPILE_ONLY_STATIC)
        hwy::SetSupportedTargetsForTest(0);
#endif
        return;
    }
    for (const std::int64_t t : targets) {
        if (wanted == hwy::TargetName(t)) {
#if HWY_HAVE_RUNTIME_DISPATCH && !defined(HWY_COMPILE_ONLY_STATIC)
            hwy::SetSupportedTargetsForTest(t);
#endif
            return;
        }
    }
    std::string valid = "best";
    for (const std::int64_t t : targets) valid += std::string(", ") + hwy::TargetName(t);
    throw kernel_error("target", "'" + std::string(name) + "' is not a target this CPU runs (valid: " + valid + ")");
}

void build_table(const rope_frequencies& f, std::span<const std::int64_t> positions, cos_sin_table& out, thread_pool* pool) {
    detail::check_positions(positions, "positions");
    detail::prepare_table(f, positions.size(), out);
    detail::for_ranges(pool, positions.size(), static_cast<std::size_t>(f.pairs()), [&](std::size_t begin, std::size_t end) {
        HWY_DYNAMIC_DISPATCH(build_table_rows)(f, positions, out, begin, end);
    });
}

void apply_table(const rope_frequencies& f, const cos_sin_table& table, std::span<const rope_operand> ops, thread_pool* pool) {
    const int tokens = detail::check_table_call(f, table, ops);
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, f.pairs()),
                       [&](std::size_t begin, std::size_t end) { HWY_DYNAMIC_DISPATCH(apply_table_tokens)(f, table, ops, begin, end); });
}

void apply_fused(const rope_frequencies& f, std::span<const std::int64_t> positions, std::span<const rope_operand> ops,
                 thread_pool* pool) {
    const int tokens = detail::call_tokens(ops, positions.size(), "positions");
    detail::check_positions(positions, "positions");
    detail::check_operands(ops, tokens, f.head_dim());
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, f.pairs()),
                       [&](std::size_t begin, std::size_t end) { HWY_DYNAMIC_DISPATCH(apply_fused_tokens)(f, positions, ops, begin, end); });
}

void apply_mrope(const mrope_frequencies& f, std::span<const std::int64_t> positions, std::span<const rope_operand> ops,
                 thread_pool* pool) {
    const rope_frequencies& fr = f.frequencies();
    const int tokens = detail::check_mrope_call(fr, positions, ops);
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, fr.pairs()),
                       [&](std::size_t begin, std::size_t end) { HWY_DYNAMIC_DISPATCH(apply_mrope_tokens)(f, positions, ops, begin, end); });
}

void apply_2d(const axial2d_frequencies& f, std::span<const std::int64_t> xs, std::span<const std::int64_t> ys,
              std::span<const rope_operand> ops, thread_pool* pool) {
    const rope_frequencies& fr = f.frequencies();
    const int tokens = detail::check_2d_call(fr, xs, ys, ops);
    detail::for_ranges(pool, static_cast<std::size_t>(tokens), detail::pairs_per_token(ops, fr.pairs()),
                       [&](std::size_t begin, std::size_t end) { HWY_DYNAMIC_DISPATCH(apply_2d_tokens)(f, xs, ys, ops, begin, end); });
}

void build_sinusoidal_table(const rope_frequencies& f, std::span<const std::int64_t> positions, sinusoidal_table& out,
                            thread_pool* pool) {
    detail::check_positions(positions, "positions");
    detail::prepare_sinusoidal(f, positions.size(), out);
    detail::for_ranges(pool, positions.size(), static_cast<std::size_t>(f.pairs()), [&](std::size_t begin, std::size_t end) {
        HWY_DYNAMIC_DISPATCH(build_sinusoidal_rows)(f, positions, out, begin, end);
    });
}

}  // namespace posenc::kernels

#endif  // HWY_ONCE
