// python/src/analysis.cpp: the long-range decay quantities of posenc.decay, posenc.context_length
// and posenc.min_base (posenc/_analysis.py gives them their Python signatures, converts the
// arrays and documents them). They are the numbers of the posenc tool's `decay`, `context` and
// `min-base` (experiments/cli/decay.cpp, experiments/cli/context.cpp), computed by the same
// posenc::analysis functions over the same blocks with the same limits and the same exact-sign rule,
// so that they agree with the tool's CSV bit for bit:
//
//   _decay(rope, distances, quantity, precision, axis, samples, seed, gaussian_k, noise_std, threads)
//       roformer-bound  RoFormer §3.4.3 eq. 37 / Figure 2 (analysis::roformer_relative_bound)
//       b-sum           Men et al. 2024 eq. 9, B_r = sum_i cos(r w_i) (analysis::b_sum)
//       gaussian        mean and standard deviation of <R_m q, R_{m+r} k> over seeded Gaussian draws
//                       (analysis::draw_gaussian_samples, gaussian_moments: the tool's draws)
//     over the unit phases of analysis::phase_block, blocks of 256 rows fixed by the row index
//     (decay.cpp's chunks). A posenc.Mrope moves along `axis` (t, h, w, hw or thw): the pairs of the
//     other axes turn by 0, as decay.cpp's M-RoPE branch does.
//   _context_length(rope, bases, max_m, threads)
//       Men et al. eq. 10 by analysis::first_negative_b_scan, every sign the double scan cannot
//       settle decided at 50 digits (context.cpp's first_negative and b_exact).
//   _min_base(rope, contexts, grid_digits, base_min, base_max, convention, threads)
//       Men et al. eq. 11 by analysis::min_base_search over analysis::decimal_grid (context.cpp's
//       search_grid and grid_thetas).
//
// The work runs without the GIL on a posenc::kernels::thread_pool (results do not depend on the
// number of threads). The calling thread takes the GIL back every 50 ms to run Python's signal
// handlers, so Ctrl-C stops a long scan with KeyboardInterrupt.
#include "bindings.hpp"
#include "objects.hpp"

#include <posenc/analysis/b_sum.hpp>
#include <posenc/analysis/gaussian.hpp>
#include <posenc/analysis/min_base.hpp>
#include <posenc/analysis/phases.hpp>
#include <posenc/analysis/roformer.hpp>
#include <posenc/kernels/thread_pool.hpp>
#include <posenc/properties/common.hpp>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace posenc_py {

namespace {

namespace py = pybind11;
namespace mp = boost::multiprecision;
namespace pa = posenc::analysis;
namespace md = posenc::math;

using big50 = mp::cpp_bin_float_50;
using big100 = mp::cpp_bin_float_100;
using int_array = py::array_t<std::int64_t, py::array::c_style>;

/// The largest distance list decay takes (a float64 result of 80 MB).
constexpr std::size_t max_distances = 10'000'000;
/// The largest distance: 2^53, every integer up to it exact in double (decay.cpp's limit).
constexpr std::int64_t max_distance = std::int64_t{1} << 53;
/// The largest list of bases or contexts (each one a scan).
constexpr std::size_t max_scans = 1'000'000;

// ------------------------------------------------------------------------------------------------
// Interruption and threads
// ------------------------------------------------------------------------------------------------

/// Thrown by interruption::poll once Python raised (from a signal handler): not a std::exception,
/// so no translator sees it; interruption::run turns it back into the Python exception.
struct stopped {};

/// Runs work without the GIL, letting Python's signal handlers run meanwhile (see the file comment).
class interruption {
public:
    /// Called between blocks of work on every thread: stops once Python raised; on the thread that
    /// released the GIL, runs the signal handlers when 50 ms have passed since the last time.
    void poll() {
        if (raised_.load(std::memory_order_relaxed)) throw stopped{};
        if (std::this_thread::get_id() != owner_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(50)) return;
        last_ = now;
        const py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {  // the exception stays set in this thread's state
            raised_ = true;
            throw stopped{};
        }
    }

    /// work() without the GIL; rethrows the Python exception a signal handler raised.
    template <class F>
    void run(F&& work) {
        {
            const py::gil_scoped_release nogil;
            try {
                work();
            } catch (const stopped&) {
            }
        }
        if (raised_) throw py::error_already_set();
    }

private:
    std::thread::id owner_ = std::this_thread::get_id();
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    std::atomic<bool> raised_{false};
};

/// threads: 0 for every core, else 1 to 1024 (the tool's --threads).
unsigned thread_count(int requested) {
    POSENC_REQUIRE(requested >= 0 && requested <= 1024, "threads", "an integer in [0, 1024] (0: every core)");
    if (requested > 0) return static_cast<unsigned>(requested);
    return std::max(1u, std::thread::hardware_concurrency());
}

// ------------------------------------------------------------------------------------------------
// Numbers
// ------------------------------------------------------------------------------------------------

template <class T>
struct type_tag {
    using type = T;
};

/// f(type_tag<T>{}) for the number type of `precision`.
template <class F>
decltype(auto) with_precision(const std::string& precision, F&& f) {
    if (precision == "double") return f(type_tag<double>{});
    if (precision == "50") return f(type_tag<big50>{});
    if (precision == "100") return f(type_tag<big100>{});
    throw posenc::invalid_parameter(
        "precision", "'double', '50' or '100' (decimal digits: Boost cpp_bin_float_50/100), got '" + precision + "'");
}

/// v rounded to the nearest double, ties to even (Boost's conversion may truncate: its result is
/// taken as within 1 ulp and corrected against its neighbour; v - T(d) is exact, T being wider).
template <class T>
double nearest_double(const T& v) {
    if constexpr (std::is_same_v<T, double>) {
        return v;
    } else {
        double d = static_cast<double>(v);
        if (!std::isfinite(d)) return d;
        const T e = v - T(d);
        if (e == 0) return d;
        const double n = std::nextafter(d, e > 0 ? HUGE_VAL : -HUGE_VAL);
        const T ae = mp::abs(e);
        const T an = mp::abs(T(v - T(n)));
        if (an < ae || (an == ae && (std::bit_cast<std::uint64_t>(n) & 1U) == 0)) d = n;
        return d;
    }
}

/// A 1-D int64 array's values, each in [lo, hi], at most max_size of them; errors name `name`.
std::span<const std::int64_t> checked_integers(const int_array& a, const char* name, std::int64_t lo, std::int64_t hi,
                                               std::size_t max_size, const std::string& allowed) {
    POSENC_REQUIRE(a.ndim() == 1, name, "a 1-D array of integers");
    const auto n = static_cast<std::size_t>(a.size());
    POSENC_REQUIRE(n <= max_size, name, "at most " + std::to_string(max_size) + " entries, got " + std::to_string(n));
    const std::span<const std::int64_t> v(a.data(), n);
    for (const std::int64_t x : v) {
        POSENC_REQUIRE(x >= lo && x <= hi, name, allowed + ", got " + std::to_string(x));
    }
    return v;
}

// ------------------------------------------------------------------------------------------------
// The encoding argument
// ------------------------------------------------------------------------------------------------

/// The parameters of a posenc.Rope or posenc.Mrope argument (copied: the work runs without the GIL).
struct encoding_arg {
    rope_spec spec;
    bool mrope = false;
};

encoding_arg encoding_of(const py::handle& obj) {
    if (py::isinstance<rope_object>(obj)) return {obj.cast<const rope_object&>().spec, false};
    if (py::isinstance<mrope_object>(obj)) return {obj.cast<const mrope_object&>().spec, true};
    throw py::type_error(std::string("posenc: invalid rope: must be a posenc.Rope or posenc.Mrope, got ") +
                         Py_TYPE(obj.ptr())->tp_name);
}

// ------------------------------------------------------------------------------------------------
// decay (experiments/cli/decay.cpp)
// ------------------------------------------------------------------------------------------------

/// What decay computes: the quantity and, for the Gaussian one, the draws.
struct decay_request {
    std::string quantity;
    long long samples = 1000;
    unsigned long long seed = 0;
    bool correlated = false;
    std::string noise_std = "1";
};

/// The frequency w_j of every pair along the chosen direction, and the unrotated dimensions.
template <class T>
struct frequency_set {
    std::vector<md::dd<T>> w;
    int tail = 0;  // head_dim - 2 N
};

/// The axes a distance moves an M-RoPE along (decay.cpp's mrope_axes_of; no axis: thw, the text
/// direction).
std::string mrope_axes(const std::optional<std::string>& axis) {
    if (!axis) return "thw";
    const std::string& a = *axis;
    POSENC_REQUIRE(a == "t" || a == "h" || a == "w" || a == "hw" || a == "thw", "axis",
                   "one of 't', 'h', 'w', 'hw', 'thw' for a posenc.Mrope, got '" + a + "'");
    return a;
}

/// decay.cpp's frequencies() for a RoPE (inv_freq) or an M-RoPE (inv_freq of the pairs that follow
/// the axes, 0 for the others), at precision T.
template <class T>
frequency_set<T> frequencies(const encoding_arg& e, const std::optional<std::string>& axis) {
    frequency_set<T> f;
    if (e.mrope) {
        const std::string axes = mrope_axes(axis);
        const posenc::mrope<T> m(e.spec.params<T>());
        for (const T& t : m.inv_freq_along(axes)) f.w.push_back({t, T(0)});
        f.tail = m.head_dim() - m.rotary_dim();
        return f;
    }
    POSENC_REQUIRE(!axis, "axis",
                   "None for a posenc.Rope (t, h, w, hw and thw are the axes of a posenc.Mrope), got '" + *axis + "'");
    const posenc::rope<T> r(e.spec.params<T>());
    for (const T& t : r.inv_freq()) f.w.push_back({t, T(0)});
    f.tail = r.head_dim() - r.rotary_dim();
    return f;
}

/// Seeded Gaussian (q, k) draws, shared by every distance (posenc/analysis/gaussian.hpp, as the
/// posenc tool draws them), with an interruption check every 4096 draws.
template <class T>
pa::gaussian_samples<T> draw_samples(const decay_request& q, const T& noise, std::size_t n_pairs, int tail_dims,
                                     interruption& intr) {
    return pa::draw_gaussian_samples<T>(static_cast<std::uint64_t>(q.seed), static_cast<std::size_t>(q.samples), n_pairs,
                                        static_cast<std::size_t>(tail_dims), q.correlated, noise, [&](std::size_t i) {
                                            if (i % 4096 == 0) intr.poll();
                                        });
}

/// Per-thread buffers, reused from block to block.
template <class T>
struct chunk_scratch {
    pa::phase_block<T> phases;
    std::vector<T> value, sd;
};

/// The quantity at every distance into value (and sd), block by block.
template <class T>
void decay_at(const encoding_arg& e, const std::optional<std::string>& axis, const decay_request& q,
              const std::vector<long long>& dist, unsigned threads, double* value, double* sd) {
    const frequency_set<T> f = frequencies<T>(e, axis);
    const bool gaussian = q.quantity == "gaussian";
    T noise = T(0);
    if (gaussian) {
        noise = parse_real<T>(q.noise_std, "noise_std");
        POSENC_REQUIRE(noise >= T(0) && md::is_finite(noise), "noise_std", "a finite number >= 0");
    }
    constexpr std::size_t chunk_rows = pa::phase_block<T>::max_rows;
    const std::size_t chunks = (dist.size() + chunk_rows - 1) / chunk_rows;
    if (chunks == 0) return;
    interruption intr;
    intr.run([&] {
        std::optional<pa::gaussian_samples<T>> gs;
        if (gaussian) gs = draw_samples<T>(q, noise, f.w.size(), f.tail, intr);
        posenc::kernels::thread_pool pool(static_cast<unsigned>(std::min<std::size_t>(threads, chunks)));
        pool.for_each(chunks, 1, [&](std::size_t c) {
            intr.poll();
            const std::size_t c0 = c * chunk_rows;
            const std::size_t c1 = std::min(dist.size(), c0 + chunk_rows);
            const std::span<const long long> rows(dist.data() + c0, c1 - c0);
            static thread_local chunk_scratch<T> s;
            s.phases.fill(std::span<const md::dd<T>>(f.w), rows);
            const std::size_t k1 = rows.size();
            s.value.assign(s.phases.tiles() * pa::phase_block<T>::tile, T(0));
            s.sd.assign(s.value.size(), T(0));
            if (q.quantity == "roformer-bound") {
                pa::roformer_relative_bound(s.phases, 0, k1, std::span<T>(s.value));
            } else if (!gaussian) {
                pa::b_sum(s.phases, 0, k1, std::span<T>(s.value));
            } else {
                for (std::size_t k = 0; k < k1; ++k) pa::gaussian_moments(*gs, s.phases, k, s.value[k], s.sd[k]);
            }
            for (std::size_t k = 0; k < k1; ++k) {
                value[c0 + k] = nearest_double(s.value[k]);
                if (gaussian) sd[c0 + k] = nearest_double(s.sd[k]);
            }
        });
    });
}

py::object decay(const py::object& rope, const int_array& distances, const std::string& quantity,
                 const std::string& precision, const std::optional<std::string>& axis, long long samples,
                 unsigned long long seed, const std::string& gaussian_k, const std::string& noise_std, int threads) {
    const encoding_arg e = encoding_of(rope);
    POSENC_REQUIRE(quantity == "roformer-bound" || quantity == "b-sum" || quantity == "gaussian", "quantity",
                   "one of 'roformer-bound', 'b-sum', 'gaussian', got '" + quantity + "'");
    with_precision(precision, [](auto) {});  // the precision's name, checked before the arrays
    const std::span<const std::int64_t> checked =
        checked_integers(distances, "distances", 0, max_distance, max_distances, "integers in [0, 2^53]");
    // copied: another thread may change the array once the GIL is released
    const std::vector<long long> dist(checked.begin(), checked.end());
    const bool gaussian = quantity == "gaussian";
    decay_request q{quantity, samples, seed, gaussian_k == "correlated", noise_std};
    POSENC_REQUIRE(gaussian_k == "independent" || gaussian_k == "correlated", "gaussian_k",
                   "'independent' or 'correlated', got '" + gaussian_k + "'");
    if (gaussian) POSENC_REQUIRE(samples >= 2 && samples <= 100'000'000, "samples", "an integer in [2, 10^8]");
    const unsigned nthreads = thread_count(threads);
    const auto n = static_cast<py::ssize_t>(dist.size());
    py::array_t<double> value(n);
    py::array_t<double> sd(gaussian ? n : 0);
    double* pv = value.mutable_data();
    double* ps = gaussian ? sd.mutable_data() : nullptr;
    with_precision(precision, [&](auto tag) {
        using T = typename decltype(tag)::type;
        decay_at<T>(e, axis, q, dist, nthreads, pv, ps);
    });
    if (gaussian) return py::make_tuple(value, sd);
    return py::object(std::move(value));
}

// ------------------------------------------------------------------------------------------------
// context and min-base (experiments/cli/context.cpp)
// ------------------------------------------------------------------------------------------------

/// B_{m,theta} at 50 digits: analysis::b_sum_rows over Boost's cosines of m theta rounded to 50
/// digits (context.cpp's b_exact; an angle error below 2^-167 m).
big50 b_exact(const std::vector<big50>& theta, long long m) {
    const big50 mt = big50(m);
    std::vector<big50> c;
    c.reserve(theta.size());
    for (const big50& t : theta) c.push_back(mp::cos(big50(mt * t)));
    big50 value = 0;
    pa::b_sum_rows<1>(c.data(), c.size(), &value);
    return value;
}

/// The frequencies of one encoding: in double for the scan, at 50 digits (on first use) for the
/// sign checks (context.cpp's thetas). standard: theta_i = base^(-2i/d) by Boost's pow at 50
/// digits (min-base's grid for the default rule over the full head); otherwise
/// posenc::rope<cpp_bin_float_50>'s frequencies.
class thetas {
public:
    thetas(rope_spec s, bool standard)
        : spec_(std::move(s)), standard_(standard), fast_(posenc::rope<double>(spec_.params<double>()).inv_freq()) {}
    [[nodiscard]] const std::vector<double>& fast() const { return fast_; }
    [[nodiscard]] const std::vector<big50>& exact() {
        if (!exact_) {
            if (standard_) {
                const big50 b(spec_.at("base").text);
                const long dim = parse_integer(spec_.at("head_dim").text, "head_dim");
                std::vector<big50> t;
                for (long i = 0; i < dim / 2; ++i) t.push_back(mp::pow(b, big50(-2 * i) / dim));
                exact_ = std::move(t);
            } else {
                exact_ = posenc::rope<big50>(spec_.params<big50>()).inv_freq();
            }
        }
        return *exact_;
    }

private:
    rope_spec spec_;
    bool standard_;
    std::vector<double> fast_;
    std::optional<std::vector<big50>> exact_;
};

/// The smallest m in [0, limit] with B_{m,theta} < 0, or -1 (context.cpp's first_negative).
long long first_negative(thetas& th, long long limit, interruption& intr) {
    return pa::first_negative_b_scan(
        std::span<const double>(th.fast()), limit, [&](long long m) { return b_exact(th.exact(), m) < 0; },
        [&] { intr.poll(); });
}

/// The spec with another base (its text as given).
rope_spec with_base(rope_spec s, const std::string& base) {
    s.set("base", base);
    return s;
}

py::array_t<std::int64_t> context_length(const py::object& rope, const std::vector<std::string>& bases, long long max_m,
                                         int threads) {
    const encoding_arg e = encoding_of(rope);
    POSENC_REQUIRE(max_m >= 1 && max_m <= (1LL << 30), "max_m", "an integer in [1, 2^30]");
    POSENC_REQUIRE(bases.size() <= max_scans, "bases", "at most " + std::to_string(max_scans) + " bases");
    const unsigned nthreads = thread_count(threads);
    std::vector<thetas> th;  // each base checked here, with the GIL: a bad one is a ValueError naming base
    if (bases.empty()) {
        th.emplace_back(e.spec, false);
    } else {
        for (const std::string& b : bases) th.emplace_back(with_base(e.spec, b), false);
    }
    std::vector<long long> first(th.size(), -1);
    interruption intr;
    intr.run([&] {
        posenc::kernels::thread_pool pool(static_cast<unsigned>(std::min<std::size_t>(nthreads, th.size())));
        pool.for_each(th.size(), 1, [&](std::size_t i) { first[i] = first_negative(th[i], max_m, intr); });
    });
    py::array_t<std::int64_t> out(static_cast<py::ssize_t>(first.size()));
    std::int64_t* o = out.mutable_data();
    for (std::size_t i = 0; i < first.size(); ++i) o[i] = first[i] < 0 ? -1 : first[i] - 1;
    return out;
}

py::tuple min_base(const py::object& rope, const int_array& contexts, int grid_digits, const std::string& base_min,
                   const std::string& base_max, const std::string& convention, int threads) {
    const encoding_arg e = encoding_of(rope);
    const std::span<const std::int64_t> ctx =
        checked_integers(contexts, "context", 1, std::int64_t{1} << 24, max_scans, "integers in [1, 2^24]");
    POSENC_REQUIRE(!ctx.empty(), "context", "at least one context length");
    POSENC_REQUIRE(grid_digits >= 1 && grid_digits <= 6, "grid_digits", "an integer in [1, 6]");
    const double lo = parse_real<double>(base_min, "base_min");
    const double hi = parse_real<double>(base_max, "base_max");
    POSENC_REQUIRE(lo > 1 && std::isfinite(lo), "base_min", "a finite number > 1");
    POSENC_REQUIRE(hi >= lo && std::isfinite(hi), "base_max", "a finite number >= base_min");
    POSENC_REQUIRE(convention == "through-L" || convention == "through-L-minus-1", "convention",
                   "'through-L' or 'through-L-minus-1', got '" + convention + "'");
    const unsigned nthreads = thread_count(threads);
    const posenc::rope<double> r(e.spec.params<double>());  // every parameter checked once, before the scan
    const std::vector<pa::grid_base> grid = pa::decimal_grid(grid_digits, lo, hi);
    POSENC_REQUIRE(!grid.empty(), "base_min", "a range [base_min, base_max] that holds a grid base");
    // context.cpp's grid_thetas: the default rule over the full head from Boost's pow, any other
    // rope type or a partial rotary factor through posenc::rope
    const bool full_default = r.params().variant == posenc::rope_variant::standard && r.rotary_dim() == r.head_dim();
    const std::vector<long long> all(ctx.begin(), ctx.end());
    const long long limit = *std::max_element(all.begin(), all.end());
    std::vector<double> values;
    for (const pa::grid_base& g : grid) values.push_back(g.value);
    const auto conv = convention == "through-L-minus-1" ? pa::context_convention::through_l_minus_1
                                                        : pa::context_convention::through_l;
    pa::min_base_search search(std::move(values), all, conv);
    interruption intr;
    intr.run([&] {
        posenc::kernels::thread_pool pool(nthreads);
        search.run(std::size_t{2} * nthreads, [&](std::size_t first, std::span<long long> out) {
            pool.for_each(out.size(), 1, [&](std::size_t i) {
                thetas th(with_base(e.spec, grid[first + i].text()), full_default);
                out[i] = first_negative(th, limit, intr);
            });
        });
    });
    const auto n = static_cast<py::ssize_t>(all.size());
    py::array_t<double> mb(n), next(n);
    py::array_t<std::int64_t> fn(n);
    for (std::size_t c = 0; c < all.size(); ++c) {
        const pa::min_base_row& row = search.rows()[c];
        const double nan = std::nan("");
        mb.mutable_data()[c] = row.min_base ? grid[*row.min_base].value : nan;
        fn.mutable_data()[c] = row.min_base ? std::max(-1LL, search.first_negative(*row.min_base)) : -1;
        next.mutable_data()[c] = row.next_inadmissible ? grid[*row.next_inadmissible].value : nan;
    }
    return py::make_tuple(mb, fn, next);
}

}  // namespace

void register_analysis(pybind11::module_& m) {
    m.def("_decay", &decay, py::arg("rope"), py::arg("distances"), py::arg("quantity"), py::arg("precision"),
          py::arg("axis"), py::arg("samples"), py::arg("seed"), py::arg("gaussian_k"), py::arg("noise_std"),
          py::arg("threads"), "posenc.decay's computation (see posenc/_analysis.py)");
    m.def("_context_length", &context_length, py::arg("rope"), py::arg("bases"), py::arg("max_m"), py::arg("threads"),
          "posenc.context_length's computation (see posenc/_analysis.py)");
    m.def("_min_base", &min_base, py::arg("rope"), py::arg("contexts"), py::arg("grid_digits"), py::arg("base_min"),
          py::arg("base_max"), py::arg("convention"), py::arg("threads"),
          "posenc.min_base's computation (see posenc/_analysis.py)");
}

}  // namespace posenc_py
