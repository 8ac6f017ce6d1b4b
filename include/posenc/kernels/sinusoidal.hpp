// posenc/kernels/sinusoidal.hpp: the sinusoidal encoding table (Vaswani et al. 2017, §3.5) in
// float32, with a scalar twin.
//
//   build_sinusoidal_table  row k (position positions[k]) is p_k: p_{k,2i} = sin(k theta_i),
//                           p_{k,2i+1} = cos(k theta_i), theta_i = base^(-2i/d) as computed by
//                           posenc::sinusoidal<double> (within 1 ulp of the exact power; the
//                           functions take it as a template argument, so this header does not
//                           include the constexpr encodings). Valid:
//                           |k| <= 2^24. Error: every entry within 1 ulp (float) of the sine or
//                           cosine of the exact angle k theta_i (sincos.hpp; 0.5 + 2^-25 ulp but for
//                           angles within 2^-55 of a multiple of pi/2).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rope.hpp"

namespace posenc::kernels {

/// [positions][dim] floats, row-major.
struct sinusoidal_table {
    int positions = 0;
    int dim = 0;
    std::vector<float> values;
    [[nodiscard]] std::span<const float> row(int k) const {
        return {values.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(dim), static_cast<std::size_t>(dim)};
    }
};

/// theta_i of a posenc::sinusoidal<double> (or anything with its dim() and theta(i)), split for
/// exact angles: what the table builders take (interleaved pairs (sin, cos), full dimension).
template <class Sinusoidal>
inline rope_frequencies sinusoidal_frequencies(const Sinusoidal& pe) {
    std::vector<double> theta(static_cast<std::size_t>(pe.dim() / 2));
    for (int i = 0; i < pe.dim() / 2; ++i) theta[static_cast<std::size_t>(i)] = pe.theta(i);
    return {pe.dim(), pe.dim(), pair_layout::interleaved, theta, 1.0};
}

/// The sinusoidal encodings of `positions`, one row each, from the frequencies of
/// sinusoidal_frequencies.
void build_sinusoidal_table(const rope_frequencies& f, std::span<const std::int64_t> positions, sinusoidal_table& out,
                            thread_pool* pool = nullptr);

/// The sinusoidal encodings of `positions`, one row each.
template <class Sinusoidal>
inline void build_sinusoidal_table(const Sinusoidal& pe, std::span<const std::int64_t> positions, sinusoidal_table& out,
                                   thread_pool* pool = nullptr) {
    build_sinusoidal_table(sinusoidal_frequencies(pe), positions, out, pool);
}

namespace detail {

inline void prepare_sinusoidal(const rope_frequencies& f, std::size_t rows, sinusoidal_table& out) {
    if (rows > static_cast<std::size_t>(1) << 31) throw kernel_error("positions", "more than 2^31 rows");
    out.positions = static_cast<int>(rows);
    out.dim = f.head_dim();
    out.values.assign(rows * static_cast<std::size_t>(f.head_dim()), 0.0f);
}

/// The scalar twin's work on rows [begin, end).
inline void build_sinusoidal_rows_scalar(const rope_frequencies& f, std::span<const std::int64_t> positions,
                                         sinusoidal_table& out, std::size_t begin, std::size_t end) {
    const std::size_t n = static_cast<std::size_t>(f.pairs());
    for (std::size_t k = begin; k < end; ++k) {
        for (std::size_t i = 0; i < n; ++i) {
            const sincos_value v = sincos_of_angle(static_cast<double>(positions[k]), f.theta_hi()[i], f.theta_lo()[i]);
            out.values[k * 2 * n + 2 * i] = static_cast<float>(v.sin);
            out.values[k * 2 * n + 2 * i + 1] = static_cast<float>(v.cos);
        }
    }
}

}  // namespace detail

/// The scalar twin of build_sinusoidal_table.
template <class Sinusoidal>
inline void build_sinusoidal_table_scalar(const Sinusoidal& pe, std::span<const std::int64_t> positions,
                                          sinusoidal_table& out) {
    detail::check_positions(positions, "positions");
    const rope_frequencies f = sinusoidal_frequencies(pe);
    detail::prepare_sinusoidal(f, positions.size(), out);
    detail::build_sinusoidal_rows_scalar(f, positions, out, 0, positions.size());
}

}  // namespace posenc::kernels
