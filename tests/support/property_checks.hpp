// tests/support/property_checks.hpp: what the tests of the property predicates
// (include/posenc/properties/) share: the type lists, the error model their tolerances are derived
// from, seeded inputs, and a probe that measures how many ulps a predicate actually needs.
// Include after <boost/test/unit_test.hpp>.
//
// Error model (eps = 2^(1-p) = posenc::ulps<T>(1), u = eps/2; from the accuracy claims of
// posenc::math, checked by tests/test_trig.cpp and test_sqrt.cpp):
//   - sin, cos and hypot within s = trig_ulps<T> ulps: 1 for float, double, long double and
//     __float128, 4 for the multiprecision types (|x| <= 1e9); a value below 1 in magnitude is then
//     within s u absolute.
//   - RoPE's sin and cos of an exact angle hi + lo (TwoProduct, then the angle-addition formula,
//     posenc/encodings/rope.hpp): sin hi within s u, cos lo within s u, two products and a sum
//     rounded: within (2s + 2) u = rotation_cs<T> eps absolute.
//   - RoPE frequencies within 1 ulp (rope.hpp, checked by test_rope.cpp); sinusoidal ones within
//     1 ulp native and 4 ulps multiprecision (sinusoidal.hpp, checked by test_sinusoidal.cpp).
//   - A dot product of n terms summed left to right: within n u sum|x_i y_i| (Higham, Accuracy and
//     Stability of Numerical Algorithms, 2nd ed., §3.1, gamma_n).
#pragma once

#include <posenc/concepts.hpp>
#include <posenc/encodings/complex_embedding.hpp>
#include <posenc/encodings/rope.hpp>
#include <posenc/properties/common.hpp>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <support/bound_tracker.hpp>
#include <support/reference.hpp>

#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace posenc_test {

/// Every type the property predicates are tested at. Under AddressSanitizer (scripts/test's asan
/// configuration) the two 100-digit types are left out: the sanitizers check posenc's code paths,
/// which are the same templates at 50 digits, the Release builds test the 100-digit types, and
/// leaving them out takes a third off the sanitizer build of these files.
#if defined(__SANITIZE_ADDRESS__)
using property_types = concat_types<binary_types, std::tuple<cpp_bin_float_50>>;
#else
using property_types = concat_types<binary_types, std::tuple<cpp_bin_float_50, cpp_bin_float_100, mpfr_float_100>>;
#endif

/// The machine types (for the statistical predicates, thousands of samples each).
using machine_types = std::tuple<float, double, long double>;

/// The types of the mutation tests: a machine and a multiprecision type.
using mutation_types = std::tuple<double, cpp_bin_float_50>;

template <class T>
inline constexpr bool is_multiprecision = !is_native<T>;

/// s: the ulp bound of posenc::math's sin, cos and hypot at T (see the file comment).
template <class T>
inline constexpr int trig_ulps = is_multiprecision<T> ? 4 : 1;

/// Bound of RoPE's sin and cos of an exact angle, in eps: (2s + 2) u = (s + 1) eps.
template <class T>
inline constexpr int rotation_cs = trig_ulps<T> + 1;

/// Largest |position| the tests use at T: positions and their differences must be exact in T
/// (float: 2^23, so that n - m stays below 2^24), and the multiprecision types keep every angle
/// below 1e9, the range of posenc::math's 4-ulp claim for them.
template <class T>
constexpr long long max_position() {
    if constexpr (std::is_same_v<T, float>) {
        return 1LL << 23;
    } else if constexpr (is_multiprecision<T>) {
        return 400000000LL;
    } else {
        return 1LL << 40;
    }
}

// ---------------------------------------------------------------------------------------------
// RoPE configurations and the tolerances shared by several test files.
// ---------------------------------------------------------------------------------------------

using posenc::pair_layout;
using posenc::rope_variant;

/// ceil(x) for a small positive bound computed in double.
inline long long ceil_ulps(double x) {
    const long long i = static_cast<long long>(x);
    return static_cast<double>(i) < x ? i + 1 : i;
}

/// A configuration of every variant, head_dim hd, at base 10000 (500000 for llama3), with the
/// parameters of a typical long-context setting; partial: partial_rotary_factor 1/2.
template <class T>
posenc::rope_params<T> variant_params(rope_variant v, pair_layout layout, int hd, bool partial) {
    posenc::rope_params<T> p;
    p.head_dim = hd;
    p.base = T(10000);
    p.variant = v;
    p.layout = layout;
    p.partial_rotary_factor = partial ? T(T(1) / T(2)) : T(1);
    const int pairs = (partial ? hd / 2 : hd) / 2;
    switch (v) {
        case rope_variant::standard:
            break;
        case rope_variant::linear:
            p.factor = T(4);
            break;
        case rope_variant::dynamic:
            p.factor = T(2);
            p.max_position_embeddings = 4096;
            p.seq_len = 16384;
            break;
        case rope_variant::yarn:
            p.factor = T(4);
            p.original_max_position_embeddings = 4096;
            break;
        case rope_variant::llama3:
            p.base = T(500000);
            p.factor = T(8);
            p.original_max_position_embeddings = 8192;
            break;
        case rope_variant::longrope:
            p.factor = T(32);
            p.original_max_position_embeddings = 4096;
            p.max_position_embeddings = 131072;
            p.seq_len = 8192;
            for (int i = 0; i < pairs; ++i) {
                p.short_factor.push_back(T(T(1) + T(i) / T(pairs)));
                p.long_factor.push_back(T(T(1) + T(i) / T(4)));
            }
            break;
        case rope_variant::proportional:
            p.base = T(1000000);
            p.factor = T(2);
            break;
    }
    return p;
}

inline const char* variant_name(rope_variant v) {
    switch (v) {
        case rope_variant::standard: return "standard";
        case rope_variant::linear: return "linear";
        case rope_variant::dynamic: return "dynamic";
        case rope_variant::yarn: return "yarn";
        case rope_variant::llama3: return "llama3";
        case rope_variant::longrope: return "longrope";
        case rope_variant::proportional: return "proportional";
    }
    return "?";
}

inline constexpr rope_variant all_variants[] = {rope_variant::standard, rope_variant::linear, rope_variant::dynamic,
                                                rope_variant::yarn,     rope_variant::llama3, rope_variant::longrope};

/// Tolerance of rope_relative_invariance, in ulps, relative to ||q|| ||k||. A rotated vector is off
/// by at most 2 (c + 1) eps ||x|| (c = rotation_cs: cos and sin within c eps; per component two
/// products and a sum add eps (|x_a| + |x_b|), and |x_a| + |x_b| <= sqrt 2 per unit pair norm), so
/// the left side <R_m q, R_n k> is off by 4 (c + 1) + hd/2 (two rotations, hd-term dot product) and
/// the right side q . R_{n-m} k by 2 (c + 1) + hd/2.
template <class T>
long long invariance_ulps(int hd) {
    return 6 * (rotation_cs<T> + 1) + hd;
}

/// Tolerance of complex_offset_witnessed, in ulps of r (1 + |pos| + |n|), for |omega| <= 1 and
/// |phi| <= pi. The angle fl(fl(omega pos) + phi) is off by u (2 |omega pos| + |phi|), e^{i angle} by
/// sqrt(2) s u more, r times it by sqrt(2) u; the witness angle fl(omega n) by u |omega n|; the
/// complex product by 2 sqrt(2) u. g(pos + n) - w g(pos) is then off by at most
/// r u (|omega| (4 |pos| + 3 |n|) + 2 |phi| + 3 sqrt(2) s + 4 sqrt(2)):
/// n = max(2, pi + (3 sqrt(2) s + 4 sqrt(2))/2).
template <class T>
long long witness_ulps() {
    const double s = trig_ulps<T>;
    return ceil_ulps(3.14159265358979 + (3.0 * std::sqrt(2.0) * s + 4.0 * std::sqrt(2.0)) / 2.0);
}

// ---------------------------------------------------------------------------------------------
// Inputs and checks.
// ---------------------------------------------------------------------------------------------

/// n values uniform in [lo, hi], rounded to T (uniform_value: digits + 16 random bits).
template <class T>
std::vector<T> random_vector(std::mt19937_64& rng, std::size_t n, double lo = -1.0, double hi = 1.0) {
    std::vector<T> v;
    v.reserve(n);
    for (std::size_t i = 0; i < n; ++i) v.push_back(uniform_value<T>(rng, T(lo), T(hi)));
    return v;
}

/// A uniformly random integer position in [-limit, limit].
inline long long random_position(std::mt19937_64& rng, long long limit) {
    return std::uniform_int_distribution<long long>(-limit, limit)(rng);
}

/// Two random positions (random_position), drawn in order: the first, then the second (as two
/// arguments of one call they would be drawn in an order the compiler chooses, g++ and clang++
/// differently).
inline std::pair<long long, long long> random_position_pair(std::mt19937_64& rng, long long limit) {
    const long long first = random_position(rng, limit);
    const long long second = random_position(rng, limit);
    return {first, second};
}

/// A complex embedding of `dims` components with random amplitudes in [0.5, 2], frequencies in
/// [-1, 1] and phases in [-3.14159265, 3.14159265], drawn in that order.
template <class T>
posenc::complex_embedding<T> random_complex_embedding(std::mt19937_64& rng, std::size_t dims) {
    std::vector<T> amplitude = random_vector<T>(rng, dims, 0.5, 2.0);
    std::vector<T> frequency = random_vector<T>(rng, dims);
    std::vector<T> phase = random_vector<T>(rng, dims, -3.14159265, 3.14159265);
    return posenc::complex_embedding<T>(std::move(amplitude), std::move(frequency), std::move(phase));
}

/// A non-owning reference to a callable bool(const T& tol) (cheaper to compile than std::function:
/// one small thunk per lambda).
template <class T>
class tolerance_predicate {
public:
    template <class F>
        requires(!std::is_same_v<F, tolerance_predicate>)
    tolerance_predicate(const F& f)  // NOLINT: implicit, so that a lambda can be passed directly
        : object_(&f), call_([](const void* o, const T& tol) { return (*static_cast<const F*>(o))(tol); }) {}

    bool operator()(const T& tol) const { return call_(object_, tol); }

private:
    const void* object_;
    bool (*call_)(const void*, const T&);
};

/// The smallest n >= 0 with pred(posenc::ulps<T>(n)), for a predicate monotone in its tolerance:
/// bisection below `known` (pred(known) true), doubling above it otherwise; -1 if even 2^50 ulps
/// fail (a rejection no tolerance cures).
template <class T>
long long smallest_passing_ulps(const tolerance_predicate<T>& pred, long long known, bool known_passes) {
    long long lo = -1;
    long long hi = known;
    if (!known_passes) {
        lo = known;
        hi = known < 1 ? 1 : 2 * known;
        while (!pred(posenc::ulps<T>(hi))) {
            lo = hi;
            if (hi >= (1LL << 50)) return -1;
            hi *= 2;
        }
    }
    while (hi - lo > 1) {
        const long long mid = lo + (hi - lo) / 2;
        if (pred(posenc::ulps<T>(mid))) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

/// The slow types: __float128 (software arithmetic) and the multiprecision types, whose sin costs
/// 0.1-1 ms in posenc::math; the tests give them fewer inputs and smaller dimensions.
template <class T>
inline constexpr bool is_slow = is_float128<T> || is_multiprecision<T>;

/// How many checks of a predicate at T also measure their smallest passing n (by bisection, about
/// log2(stated) more calls each): all of them for float, double and long double, the first few for
/// __float128, the first one for the multiprecision types. With POSENC_QUICK=1 (sample_count) the
/// first two at most: the measurement is a report, not a check.
template <class T>
inline constexpr std::size_t probe_limit = !is_slow<T> ? static_cast<std::size_t>(-1) : (is_float128<T> ? 4 : 1);

template <class T>
std::size_t default_probes() {
    const bool quick = sample_count(10) < 10;
    return quick && probe_limit<T> > 2 ? 2 : probe_limit<T>;
}

/// Checks of one predicate at one type: each must hold at its stated n ulps; the smallest passing n
/// is measured on the first default_probes<T>() checks and the largest printed by report().
template <class T>
class ulps_tracker {
public:
    /// probes: how many checks measure their need (default_probes<T>(); 0 for predicates too slow to
    /// call a dozen times).
    explicit ulps_tracker(std::string what, std::size_t probes = default_probes<T>())
        : what_(std::move(what)), probes_(probes) {}

    /// pred(ulps<T>(stated)) must hold.
    bool check(long long stated, const tolerance_predicate<T>& pred, const std::string& where) {
        const bool ok = pred(posenc::ulps<T>(stated));
        ++checks_;
        if (!ok) ++failures_;
        if (!ok || probed_ < probes_) {
            const long long need = smallest_passing_ulps<T>(pred, stated, ok);
            ++probed_;
            if (need < 0 || need > max_need_) {
                max_need_ = need < 0 ? (1LL << 62) : need;
                worst_ = where;
                worst_stated_ = stated;
            }
            BOOST_TEST(ok, what_ << " " << where << ": false at the stated " << stated << " ulps (needs " << need
                                  << ")");
        }
        return ok;
    }

    void report() const {
        if (probed_ > 0) {
            fmt::print("{}: {} checks, {} failed; smallest passing n measured on {}: max {} ulps (stated {}) at {}\n",
                       what_, checks_, failures_, probed_, max_need_, worst_stated_, worst_);
        } else {
            fmt::print("{}: {} checks, {} failed\n", what_, checks_, failures_);
        }
        std::fflush(stdout);
        BOOST_TEST(checks_ > 0u);
    }

    /// report(), and the largest smallest-passing n measured is at most measured_ceiling_factor
    /// times `measured` (rounded down), the largest measured when the check was written: where the
    /// stated n is loose, an encoding whose error doubles still fails.
    void report(long long measured) const {
        report();
        const auto ceiling = static_cast<long long>(measured_ceiling_factor * static_cast<double>(measured));
        if (probed_ > 0) {
            BOOST_TEST(max_need_ <= ceiling, what_ << ": needs " << max_need_ << " ulps, above the measured ceiling "
                                                   << ceiling << " (" << measured << " measured)");
        }
    }

private:
    std::string what_;
    std::size_t probes_;
    std::size_t checks_ = 0;
    std::size_t failures_ = 0;
    std::size_t probed_ = 0;
    long long max_need_ = -1;
    long long worst_stated_ = 0;
    std::string worst_;
};

/// A rejection: pred(ulps<T>(stated)) must be false, at the very tolerance the correct encoding
/// passes with. Prints the margin: the first power of two 2^k * stated at which the broken encoding
/// would pass ("never" up to 2^40 * stated).
template <class T>
void check_rejected(long long stated, const tolerance_predicate<T>& pred, const std::string& what) {
    const bool accepted = pred(posenc::ulps<T>(stated));
    std::string margin = "never up to 2^40 x";
    const bool measure = !is_slow<T> && sample_count(10) == 10;  // not with POSENC_QUICK=1
    if (!accepted && measure) {
        for (int k = 1; k <= 40; ++k) {
            if (pred(posenc::ulps<T>(stated << k))) {
                margin = fmt::format("at 2^{} x", k);
                break;
            }
        }
    }
    if (measure) {
        fmt::print("  {}<{}>: {} at {} ulps (passes {} that)\n", what, type_name<T>(),
                   accepted ? "ACCEPTED" : "rejected", stated, margin);
    } else {
        fmt::print("  {}<{}>: {} at {} ulps\n", what, type_name<T>(), accepted ? "ACCEPTED" : "rejected", stated);
    }
    BOOST_TEST(!accepted, what << " at " << type_name<T>() << ": accepted at " << stated << " ulps");
}


}  // namespace posenc_test
