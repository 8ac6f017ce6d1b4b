// python/src/reference.cpp: the C++ half of posenc.Rope and posenc.Mrope (python/posenc/_reference.py
// subclasses the classes registered here and adds the argument handling), mrope_position_ids, and
// the exact references: inv_freq correctly rounded, cos/sin of m*theta_i and the rotation of x,
// each rounded once to float64, float32, float16 or bfloat16.
//
// Exact values
//   theta_i and the attention factor come from posenc's frequency layer (posenc::rope<T>, the one
//   place of every rule) at two precisions: T1 = mpfr_float_100 (334 significand bits) and
//   T2 = mpfr_float_backend<290> (965 bits, within the math core's limit of 992). The computed
//   value is within 2^-(p-50) * max(1, factor) of the exact one, relatively, p the type's bits:
//   each elementary function of posenc::math is within 4 ulps at these types (the bound its tests
//   enforce; measured 0.5), a rule chains fewer than 30 roundings, and the llama3/yarn blends
//   theta*(1-s) + (theta/factor)*s amplify an absolute error of s by at most the factor. This is
//   the stated bound `rel` of a theta_set below; tests/test_reference.py checks both precisions
//   against mpmath to 60 and 240 digits.
//   cos and sin of m*theta are MPFR's mpfr_sin_cos (correctly rounded at the working precision w)
//   of the product m*theta formed exactly (m has at most 53 bits): the error is half an ulp at w
//   plus |m*theta| * rel (|d sin/da| <= 1). The attention factor, when asked for, multiplies the
//   w-bit value (one more rounding, and af's own relative error).
// Rounding once (Ziv's strategy)
//   A value v is known with an error bound eps (a power of two, or exactly). round_to() rounds v to
//   the format with round-to-nearest-even, subnormals and overflow to infinity included, from v
//   itself (never through double first), and accepts the result only if no rounding midpoint lies
//   within eps of v (then every value within eps of v, the exact one included, rounds the same
//   way). Otherwise the entry is recomputed at the next level:
//     theta "exact":             w = 128 bits with T1's theta, 320 with T1's, 940 with T2's;
//     theta "float64"/"float32": theta is then that float, exact; w = 128, 400, 1600.
//   After the last level the last rounding is returned and counted as unresolved (_ziv_stats());
//   for theta "exact" that takes an exact value within about 2^-860 (relative to the angle) of a
//   midpoint; none of the 524,288 entries of the 1024-position llama3 check against mpmath, nor
//   any entry of the tests, needed even the second level. _set_min_level() starts every
//   computation at a higher level and _round_to() exposes the rounding, for the tests.
// Threads and the GIL: the loops run with the GIL released, on up to hardware_concurrency threads
// (each with its own MPFR temporaries; MPFR's thread-local caches are freed as each thread ends).
#include "bindings.hpp"
#include "objects.hpp"

#include <posenc/config/config.hpp>
#include <posenc/encodings/mrope_positions.hpp>

#include <boost/multiprecision/mpfr.hpp>
#include <mpfr.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace posenc_py {

namespace {

namespace bmp = boost::multiprecision;
using high1 = bmp::mpfr_float_100;                         ///< 334 bits
using high2 = bmp::number<bmp::mpfr_float_backend<290>>;  ///< 965 bits

// ------------------------------------------------------------------------------------------------
// MPFR numbers and error bounds
// ------------------------------------------------------------------------------------------------

/// An mpfr_t owned by a C++ object.
class mpnum {
public:
    explicit mpnum(mpfr_prec_t p = 64) { mpfr_init2(v_, p); }
    ~mpnum() { mpfr_clear(v_); }
    mpnum(const mpnum&) = delete;
    mpnum& operator=(const mpnum&) = delete;
    mpnum(mpnum&& o) noexcept {
        mpfr_init2(v_, mpfr_get_prec(o.v_));
        mpfr_swap(v_, o.v_);
    }
    mpnum& operator=(mpnum&& o) noexcept {
        mpfr_swap(v_, o.v_);
        return *this;
    }
    [[nodiscard]] mpfr_ptr get() { return v_; }
    [[nodiscard]] mpfr_srcptr get() const { return v_; }
    /// Sets the precision (the value is lost).
    void prec(mpfr_prec_t p) {
        if (mpfr_get_prec(v_) != p) mpfr_set_prec(v_, p);
    }

private:
    mpfr_t v_;
};

/// Error bounds are powers of two, held as the exponent; `exact` is a bound of 0.
constexpr long exact = LONG_MIN;

/// |x| < 2^mag(x); exact for 0 (so that a bound proportional to |x| vanishes).
long mag(mpfr_srcptr x) { return mpfr_zero_p(x) ? exact : static_cast<long>(mpfr_get_exp(x)); }
/// |x| < 2^mag(x) for a double.
long mag(double x) {
    if (x == 0.0) return exact;
    int e = 0;
    (void)std::frexp(x, &e);
    return e;
}
/// A bound times 2^s.
long shift(long e, long s) { return e == exact || s == exact ? exact : e + s; }
/// A bound on the sum of two errors.
long add_err(long a, long b) {
    if (a == exact) return b;
    if (b == exact) return a;
    return std::max(a, b) + 1;
}

// ------------------------------------------------------------------------------------------------
// Formats and rounding once
// ------------------------------------------------------------------------------------------------

/// A binary floating format: p significand bits, normal values from 2^emin, largest finite max.
struct format {
    const char* name;
    int p;
    long emin;
    double max;
};
constexpr format float64_fmt{"float64", 53, -1022, DBL_MAX};
constexpr format float32_fmt{"float32", 24, -126, static_cast<double>(FLT_MAX)};
constexpr format float16_fmt{"float16", 11, -14, 65504.0};
constexpr format bfloat16_fmt{"bfloat16", 8, -126, 0x1.fep127};

const format& format_of(const std::string& name, const char* argument) {
    for (const format* f : {&float64_fmt, &float32_fmt, &float16_fmt, &bfloat16_fmt}) {
        if (name == f->name) return *f;
    }
    throw posenc::invalid_parameter(argument, "one of float64, float32, float16, bfloat16, got '" + name + "'");
}

/// Temporaries of round_to.
struct round_scratch {
    mpnum scaled{64};
    mpnum n{64};
};

/// out <- v rounded to nearest-even in f (subnormals, overflow to +-inf; the result is a double
/// holding the format's value exactly). Returns whether every value within 2^eps of v rounds to
/// out (always true when eps is exact).
bool round_to(mpfr_srcptr v, long eps, const format& f, double& out, round_scratch& s) {
    const long sub_q = f.emin - f.p + 1;  // exponent of the quantum of subnormals
    if (mpfr_zero_p(v)) {
        out = mpfr_signbit(v) ? -0.0 : 0.0;
        return eps == exact || eps < sub_q - 2;
    }
    const long e = static_cast<long>(mpfr_get_exp(v));  // 2^(e-1) <= |v| < 2^e
    const long qe = std::max(e - f.p, sub_q);           // the quantum at v: 2^qe
    const mpfr_prec_t pv = mpfr_get_prec(v);
    s.scaled.prec(pv);
    s.n.prec(std::max<mpfr_prec_t>(pv, f.p + 2));
    mpfr_mul_2si(s.scaled.get(), v, -qe, MPFR_RNDN);  // exact
    mpfr_rint(s.n.get(), s.scaled.get(), MPFR_RNDN);  // nearest integer, ties to even
    const double n = mpfr_get_d(s.n.get(), MPFR_RNDN);  // |n| <= 2^p: exact
    out = std::ldexp(n, static_cast<int>(qe));          // exact (n * 2^qe is in the format or beyond max)
    if (std::fabs(out) > f.max) out = std::copysign(HUGE_VAL, out);
    if (eps == exact) return true;
    const long d = eps - qe;  // eps / quantum <= 2^d
    if (d >= -2) return false;
    mpfr_sub(s.scaled.get(), s.scaled.get(), s.n.get(), MPFR_RNDN);  // the fraction, |.| <= 1/2: exact
    const double frac = std::fabs(mpfr_get_d(s.scaled.get(), MPFR_RNDN));
    const double room = d < -1000 ? 0.0 : std::ldexp(1.0, static_cast<int>(d));
    // Margin 2^-50 covers the rounding of frac to double (<= 2^-54).
    return 0.5 - frac > room + 0x1p-50;
}

/// Counters of the Ziv levels taken (module-wide, for _ziv_stats()).
struct ziv_counters {
    std::atomic<long long> second{0};      ///< entries redone at the second level
    std::atomic<long long> third{0};       ///< entries redone at the third level
    std::atomic<long long> unresolved{0};  ///< entries still undecided at the third level
};
ziv_counters& ziv() {
    static ziv_counters c;
    return c;
}

/// The level every computation starts at (0; _set_min_level raises it to test the higher levels).
std::atomic<int>& min_level() {
    static std::atomic<int> k{0};
    return k;
}

// ------------------------------------------------------------------------------------------------
// Exact frequencies
// ------------------------------------------------------------------------------------------------

/// theta_i and the attention factor at one precision, with their relative error bound.
struct theta_set {
    mpfr_prec_t prec = 0;
    long rel = exact;  ///< |computed - exact| <= 2^rel |exact| (exact: the values are exact)
    std::vector<mpnum> theta{};
    mpnum af{64};
};

long factor_bits(double factor) {
    if (!(factor > 1.0)) return 0;
    int e = 0;
    (void)std::frexp(factor, &e);  // factor < 2^e
    return e;
}

template <class T>
theta_set compute_set(const rope_spec& spec, double factor) {
    const posenc::rope<T> r(spec.params<T>());
    theta_set s;
    s.prec = std::numeric_limits<T>::digits;
    s.rel = -(static_cast<long>(s.prec) - 50) + factor_bits(factor);
    s.theta.reserve(r.inv_freq().size());
    for (const T& t : r.inv_freq()) {
        s.theta.emplace_back(s.prec);
        mpfr_set(s.theta.back().get(), t.backend().data(), MPFR_RNDN);
    }
    s.af.prec(s.prec);
    const T af = r.attention_factor();
    mpfr_set(s.af.get(), af.backend().data(), MPFR_RNDN);
    return s;
}

/// The exact frequencies of one parameter set: T1 always, T2 and the rounded thetas when needed.
class exact_freqs {
public:
    explicit exact_freqs(const rope_spec& spec)
        : spec_(spec), factor_(spec.params<double>().factor), l1_(compute_set<high1>(spec_, factor_)) {}

    [[nodiscard]] const theta_set& l1() const { return l1_; }
    [[nodiscard]] const theta_set& l2() {
        std::call_once(l2_once_, [this] { l2_ = std::make_unique<theta_set>(compute_set<high2>(spec_, factor_)); });
        return *l2_;
    }
    [[nodiscard]] std::size_t pairs() const { return l1_.theta.size(); }

    /// Value i of a set (i == pairs(): the attention factor) rounded once to f.
    double rounded(std::size_t i, const format& f, round_scratch& s) {
        const auto pick = [i](const theta_set& t) { return i < t.theta.size() ? t.theta[i].get() : t.af.get(); };
        double out = 0;
        if (min_level() < 2) {
            mpfr_srcptr v = pick(l1_);
            if (round_to(v, shift(mag(v), l1_.rel + 1), f, out, s)) return out;
            ++ziv().second;
        }
        const theta_set& b = l2();
        const mpfr_srcptr v = pick(b);
        if (round_to(v, shift(mag(v), b.rel + 1), f, out, s)) return out;
        ++ziv().unresolved;
        return out;
    }

    /// theta_i rounded to float64 or float32, as an exact set (the attention factor stays exact).
    [[nodiscard]] const theta_set& rounded_set(const format& f) {
        const bool is64 = f.p == 53;
        std::call_once(is64 ? r64_once_ : r32_once_, [this, &f, is64] {
            auto t = std::make_unique<theta_set>();
            t->prec = f.p;
            t->rel = exact;
            round_scratch s;
            for (std::size_t i = 0; i < pairs(); ++i) {
                t->theta.emplace_back(f.p);
                mpfr_set_d(t->theta.back().get(), rounded(i, f, s), MPFR_RNDN);  // exact
            }
            (is64 ? r64_ : r32_) = std::move(t);
        });
        return is64 ? *r64_ : *r32_;
    }

    /// Decimal text of value i (i == pairs(): the attention factor) with `digits` significant
    /// digits, correctly rounded (Ziv on the decimal rounding).
    std::string decimal(std::size_t i, int digits) {
        const auto pick = [i](const theta_set& t) { return i < t.theta.size() ? t.theta[i].get() : t.af.get(); };
        std::string out;
        if (min_level() < 2 && decimal_of(pick(l1_), l1_.rel, digits, out)) return out;
        const theta_set& b = l2();
        if (decimal_of(pick(b), b.rel, digits, out)) return out;
        ++ziv().unresolved;
        return out;
    }

private:
    static std::string digits_of(mpfr_srcptr x, int digits, long& exp10) {
        mpfr_exp_t e = 0;
        char* c = mpfr_get_str(nullptr, &e, 10, static_cast<std::size_t>(digits), x, MPFR_RNDN);
        std::string s(c);
        mpfr_free_str(c);
        exp10 = static_cast<long>(e);
        return s;
    }

    /// out <- v with `digits` digits; true when v - eps and v + eps give the same digits.
    static bool decimal_of(mpfr_srcptr v, long rel, int digits, std::string& out) {
        long e = 0;
        std::string s = digits_of(v, digits, e);
        bool same = true;
        if (!mpfr_zero_p(v)) {
            const long eps = shift(mag(v), rel + 1);
            mpnum lo(mpfr_get_prec(v) + 8);
            mpnum hi(mpfr_get_prec(v) + 8);
            mpnum d(2);
            mpfr_set_ui_2exp(d.get(), 1, eps, MPFR_RNDN);
            mpfr_sub(lo.get(), v, d.get(), MPFR_RNDD);
            mpfr_add(hi.get(), v, d.get(), MPFR_RNDU);
            long elo = 0;
            long ehi = 0;
            const std::string slo = digits_of(lo.get(), digits, elo);
            const std::string shi = digits_of(hi.get(), digits, ehi);
            same = slo == shi && elo == ehi;
        }
        // "d.ddde+XX": value = 0.s * 10^e
        std::string body = s;
        std::string sign;
        if (!body.empty() && body.front() == '-') {
            sign = "-";
            body.erase(0, 1);
        }
        const long e10 = mpfr_zero_p(v) ? 0 : e - 1;
        std::string t = sign + body.substr(0, 1);
        if (body.size() > 1) t += "." + body.substr(1);
        const long ae = e10 < 0 ? -e10 : e10;
        t += std::string("e") + (e10 < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + std::to_string(ae);
        out = t;
        return same;
    }

    rope_spec spec_;
    double factor_;
    theta_set l1_;
    std::once_flag l2_once_;
    std::unique_ptr<theta_set> l2_;
    std::once_flag r64_once_;
    std::once_flag r32_once_;
    std::unique_ptr<theta_set> r64_;
    std::unique_ptr<theta_set> r32_;
};

/// exact_freqs by parameter values (the texts of every row): computed once per parameter set.
std::shared_ptr<exact_freqs> exact_of(const rope_spec& spec) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<exact_freqs>> cache;
    std::string key;
    for (const setting& s : spec.values()) key += s.text + '\x1f';
    {
        const std::lock_guard<std::mutex> lock(mu);
        const auto it = cache.find(key);
        if (it != cache.end()) return it->second;
    }
    auto made = std::make_shared<exact_freqs>(spec);  // outside the lock: 30 ms
    const std::lock_guard<std::mutex> lock(mu);
    if (cache.size() >= 64) cache.clear();
    return cache.emplace(key, std::move(made)).first->second;
}

// ------------------------------------------------------------------------------------------------
// cos and sin of m * theta_i at a level
// ------------------------------------------------------------------------------------------------

enum class theta_mode { exact, float64, float32 };

theta_mode theta_mode_of(const std::string& s) {
    if (s == "exact") return theta_mode::exact;
    if (s == "float64") return theta_mode::float64;
    if (s == "float32") return theta_mode::float32;
    throw posenc::invalid_parameter("theta", "one of exact, float64, float32, got '" + s + "'");
}

/// Where a level takes theta and the attention factor from, and its working precision.
struct level {
    const theta_set* theta;
    const theta_set* af;
    mpfr_prec_t w;
};

constexpr int levels = 3;

/// The Ziv levels of a computation (the third built only if reached).
class level_list {
public:
    level_list(std::shared_ptr<exact_freqs> ef, theta_mode mode) : ef_(std::move(ef)), mode_(mode) {
        if (mode_ != theta_mode::exact) rounded_ = &ef_->rounded_set(mode_ == theta_mode::float64 ? float64_fmt : float32_fmt);
    }
    [[nodiscard]] level at(int k) const {
        if (mode_ == theta_mode::exact) {
            if (k == 0) return {&ef_->l1(), &ef_->l1(), 128};
            if (k == 1) return {&ef_->l1(), &ef_->l1(), 320};
            return {&ef_->l2(), &ef_->l2(), 940};
        }
        if (k == 0) return {rounded_, &ef_->l1(), 128};
        if (k == 1) return {rounded_, &ef_->l1(), 400};
        return {rounded_, &ef_->l2(), 1600};
    }
    [[nodiscard]] std::size_t pairs() const { return ef_->pairs(); }

private:
    std::shared_ptr<exact_freqs> ef_;
    theta_mode mode_;
    const theta_set* rounded_ = nullptr;
};

/// cos and sin with their error bounds.
struct sincos_value {
    mpnum c{64};
    mpnum s{64};
    long ec = exact;
    long es = exact;
};

/// Per-thread temporaries.
struct evaluator {
    mpnum m{64};
    mpnum angle{64};
    mpnum t1{64};
    mpnum t2{64};
    mpnum r{64};
    round_scratch rs;

    /// out <- cos and sin of position * theta_i (times the attention factor if `af`) at level L.
    void sincos(const level& L, double position, std::size_t i, bool af, sincos_value& out) {
        mpfr_srcptr th = L.theta->theta[i].get();
        mpfr_set_d(m.get(), position, MPFR_RNDN);  // exact (64 bits)
        angle.prec(mpfr_get_prec(th) + 64);
        mpfr_mul(angle.get(), m.get(), th, MPFR_RNDN);  // exact
        out.c.prec(L.w);
        out.s.prec(L.w);
        const int inex = mpfr_sin_cos(out.s.get(), out.c.get(), angle.get(), MPFR_RNDN);
        const long da = L.theta->rel == exact ? exact : shift(mag(angle.get()), L.theta->rel + 1);  // |angle error|
        out.es = add_err((inex & 3) != 0 ? shift(mag(out.s.get()), -L.w) : exact, da);
        out.ec = add_err((inex >> 2) != 0 ? shift(mag(out.c.get()), -L.w) : exact, da);
        if (af) {
            scale(out.s, out.es, *L.af, L.w);
            scale(out.c, out.ec, *L.af, L.w);
        }
    }

    /// v <- v * af (rounded at w), with the error bound.
    void scale(mpnum& v, long& e, const theta_set& a, mpfr_prec_t w) {
        t1.prec(w);
        const int inex = mpfr_mul(t1.get(), v.get(), a.af.get(), MPFR_RNDN);
        long err = shift(mag(a.af.get()), e == exact ? exact : e + 1);        // |af| * eps
        err = add_err(err, shift(mag(t1.get()), a.rel == exact ? exact : a.rel + 2));  // |v af| * rel(af)
        err = add_err(err, inex != 0 ? shift(mag(t1.get()), -w) : exact);         // the rounding
        v.prec(w);
        mpfr_set(v.get(), t1.get(), MPFR_RNDN);
        e = err;
    }

    /// (oa, ob) <- the rotation of (xa, xb) by (c, s) rounded to f; false if undecided.
    bool rotate(const sincos_value& v, double xa, double xb, const format& f, double& oa, double& ob) {
        const mpfr_prec_t w = std::max(mpfr_get_prec(v.c.get()), mpfr_get_prec(v.s.get())) + 64;
        t1.prec(w);
        t2.prec(w);
        r.prec(w);
        // a' = c xa - s xb
        mpfr_mul_d(t1.get(), v.c.get(), xa, MPFR_RNDN);  // exact: w >= prec(c) + 53
        mpfr_mul_d(t2.get(), v.s.get(), xb, MPFR_RNDN);
        int inex = mpfr_sub(r.get(), t1.get(), t2.get(), MPFR_RNDN);
        long e = add_err(shift(mag(xa), v.ec), shift(mag(xb), v.es));
        e = add_err(e, inex != 0 ? shift(mag(r.get()), -(w - 1)) : exact);
        const bool a_ok = round_to(r.get(), e, f, oa, rs);
        // b' = s xa + c xb
        mpfr_mul_d(t1.get(), v.s.get(), xa, MPFR_RNDN);
        mpfr_mul_d(t2.get(), v.c.get(), xb, MPFR_RNDN);
        inex = mpfr_add(r.get(), t1.get(), t2.get(), MPFR_RNDN);
        e = add_err(shift(mag(xa), v.es), shift(mag(xb), v.ec));
        e = add_err(e, inex != 0 ? shift(mag(r.get()), -(w - 1)) : exact);
        const bool b_ok = round_to(r.get(), e, f, ob, rs);
        return a_ok && b_ok;
    }
};

// ------------------------------------------------------------------------------------------------
// Threads
// ------------------------------------------------------------------------------------------------

/// body(ev, begin, end) over [0, n) in chunks of `grain`, on up to hardware_concurrency threads.
template <class Body>
void parallel_chunks(std::size_t n, std::size_t grain, Body&& body) {
    if (n == 0) return;
    const std::size_t chunks = (n + grain - 1) / grain;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const std::size_t nthreads = std::min<std::size_t>({chunks, hw, 16});
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mu;
    const auto work = [&] {
        try {
            evaluator ev;
            for (std::size_t k = next++; k < chunks; k = next++) {
                body(ev, k * grain, std::min(n, (k + 1) * grain));
            }
        } catch (...) {
            const std::lock_guard<std::mutex> lock(error_mu);
            if (!error) error = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < nthreads; ++t) {
        threads.emplace_back([&] {
            work();
            mpfr_free_cache2(MPFR_FREE_LOCAL_CACHE);
        });
    }
    work();
    for (std::thread& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

// ------------------------------------------------------------------------------------------------
// The two kinds of object: a position per token (Rope) or three (Mrope)
// ------------------------------------------------------------------------------------------------

const posenc::rope<double>& rope_1d(const rope_object& o) { return o.r64; }
const posenc::rope<double>& rope_1d(const mrope_object& o) { return o.m64.rope_1d(); }

/// Columns of the positions array and the column of each pair.
std::size_t position_columns(const rope_object&) { return 1; }
std::size_t position_columns(const mrope_object&) { return 3; }
std::vector<std::size_t> pair_columns(const rope_object& o) { return std::vector<std::size_t>(static_cast<std::size_t>(o.r64.pairs()), 0); }
std::vector<std::size_t> pair_columns(const mrope_object& o) {
    std::vector<std::size_t> c;
    for (const posenc::mrope_axis a : o.m64.axes()) c.push_back(static_cast<std::size_t>(a));
    return c;
}

using array_f64 = py::array_t<double, py::array::c_style | py::array::forcecast>;

/// Positions as [tokens, columns] doubles, each finite with |m| <= 2^53.
std::size_t checked_positions(const array_f64& pos, std::size_t columns) {
    const bool ok_shape = columns == 1 ? pos.ndim() == 1 : (pos.ndim() == 2 && static_cast<std::size_t>(pos.shape(1)) == columns);
    if (!ok_shape) {
        throw posenc::invalid_parameter("positions", columns == 1 ? "a 1-D array" : "an array of shape [tokens, 3] (t, h, w)");
    }
    const double* p = pos.data();
    const std::size_t n = static_cast<std::size_t>(pos.size());
    for (std::size_t k = 0; k < n; ++k) {
        if (!(std::fabs(p[k]) <= 0x1p53)) throw posenc::invalid_parameter("positions", "finite numbers with |m| <= 2^53");
    }
    return columns == 1 ? n : n / columns;
}

template <class Obj>
py::tuple cos_sin(const Obj& o, const array_f64& positions, const std::string& dtype, const std::string& theta, bool af) {
    const format& f = format_of(dtype, "dtype");
    const theta_mode mode = theta_mode_of(theta);
    const std::size_t cols = position_columns(o);
    const std::size_t tokens = checked_positions(positions, cols);
    const std::vector<std::size_t> pcol = pair_columns(o);
    const std::size_t pairs = pcol.size();
    py::array_t<double> cos_out({tokens, pairs});
    py::array_t<double> sin_out({tokens, pairs});
    const double* pos = positions.data();
    double* co = cos_out.mutable_data();
    double* so = sin_out.mutable_data();
    {
        py::gil_scoped_release release;
        const level_list lv(exact_of(o.spec), mode);
        parallel_chunks(tokens, 16, [&](evaluator& ev, std::size_t b, std::size_t e) {
            sincos_value v;
            for (std::size_t j = b; j < e; ++j) {
                for (std::size_t i = 0; i < pairs; ++i) {
                    const double m = pos[j * cols + pcol[i]];
                    const int k0 = min_level();
                    for (int k = k0; k < levels; ++k) {
                        if (k > k0) ++(k == 1 ? ziv().second : ziv().third);
                        ev.sincos(lv.at(k), m, i, af, v);
                        const bool ok_c = round_to(v.c.get(), v.ec, f, co[j * pairs + i], ev.rs);
                        const bool ok_s = round_to(v.s.get(), v.es, f, so[j * pairs + i], ev.rs);
                        if (ok_c && ok_s) break;
                        if (k == levels - 1) ++ziv().unresolved;
                    }
                }
            }
        });
    }
    return py::make_tuple(cos_out, sin_out);
}

posenc::pair_layout layout_of(const std::string& s, posenc::pair_layout fallback) {
    if (s.empty()) return fallback;
    if (s == "interleaved") return posenc::pair_layout::interleaved;
    if (s == "half-split" || s == "half_split") return posenc::pair_layout::half_split;
    throw posenc::invalid_parameter("layout", "interleaved, half-split or None, got '" + s + "'");
}

/// x: [batch, tokens, head_dim] doubles; returns the rotation rounded once to `dtype` (as doubles).
template <class Obj>
array_f64 apply(const Obj& o, const array_f64& x, const array_f64& positions, const std::string& dtype,
                const std::string& layout, bool af) {
    const format& f = format_of(dtype, "dtype");
    const posenc::rope<double>& r = rope_1d(o);
    const posenc::pair_layout lay = layout_of(layout, r.layout());
    const std::size_t cols = position_columns(o);
    const std::size_t tokens = checked_positions(positions, cols);
    const std::size_t hd = static_cast<std::size_t>(r.head_dim());
    if (x.ndim() != 3 || static_cast<std::size_t>(x.shape(2)) != hd) {
        throw posenc::invalid_parameter("x", "an array whose last axis has head_dim = " + std::to_string(hd) + " entries");
    }
    if (static_cast<std::size_t>(x.shape(1)) != tokens) {
        throw posenc::invalid_parameter("positions", "one position per token of x (" + std::to_string(x.shape(1)) + ")");
    }
    const std::size_t batch = static_cast<std::size_t>(x.shape(0));
    const double* xp = x.data();
    for (py::ssize_t k = 0; k < x.size(); ++k) {
        if (!std::isfinite(xp[k])) throw posenc::invalid_parameter("x", "finite values");
    }
    const std::vector<std::size_t> pcol = pair_columns(o);
    const std::size_t pairs = pcol.size();
    const std::size_t half = pairs;  // rotary_dim / 2
    array_f64 out({batch, tokens, hd});
    double* op = out.mutable_data();
    const double* pos = positions.data();
    {
        py::gil_scoped_release release;
        std::memcpy(op, xp, sizeof(double) * batch * tokens * hd);  // dims beyond rotary_dim stay
        const level_list lv(exact_of(o.spec), theta_mode::exact);
        const int k0 = min_level();
        const level first = lv.at(k0);
        parallel_chunks(tokens, 1, [&](evaluator& ev, std::size_t b, std::size_t e) {
            std::vector<sincos_value> cs(pairs);
            sincos_value hi;
            for (std::size_t j = b; j < e; ++j) {
                for (std::size_t i = 0; i < pairs; ++i) ev.sincos(first, pos[j * cols + pcol[i]], i, af, cs[i]);
                for (std::size_t bb = 0; bb < batch; ++bb) {
                    const std::size_t row = (bb * tokens + j) * hd;
                    for (std::size_t i = 0; i < pairs; ++i) {
                        const std::size_t ia = lay == posenc::pair_layout::interleaved ? 2 * i : i;
                        const std::size_t ib = lay == posenc::pair_layout::interleaved ? 2 * i + 1 : i + half;
                        const double xa = xp[row + ia];
                        const double xb = xp[row + ib];
                        if (ev.rotate(cs[i], xa, xb, f, op[row + ia], op[row + ib])) continue;
                        for (int k = k0 + 1; k < levels; ++k) {
                            ++(k == 1 ? ziv().second : ziv().third);
                            ev.sincos(lv.at(k), pos[j * cols + pcol[i]], i, af, hi);
                            if (ev.rotate(hi, xa, xb, f, op[row + ia], op[row + ib])) break;
                            if (k == levels - 1) ++ziv().unresolved;
                        }
                        if (k0 == levels - 1) ++ziv().unresolved;
                    }
                }
            }
        });
    }
    return out;
}

// ------------------------------------------------------------------------------------------------
// Properties shared by the two classes
// ------------------------------------------------------------------------------------------------

py::object none_if_empty(const std::string& s) { return s.empty() ? py::object(py::none()) : py::object(py::str(s)); }

py::dict parameters_of(const rope_spec& spec) {
    py::dict d;
    for (std::size_t k = 0; k < rope_spec::rows; ++k) {
        const setting& s = spec.values()[k];
        std::string from = s.from == origin::table_default ? "default" : s.from == origin::argument ? "argument" : "config";
        if (s.from != origin::table_default && !s.key.empty()) from += " " + s.key;
        d[py::str(std::string(posenc::rope_parameter_table[k].field))] = py::make_tuple(s.text, from);
    }
    return d;
}

std::string repr_of(const char* cls, const rope_spec& spec, const posenc::rope<double>& r) {
    std::string s = std::string("<posenc.") + cls + " head_dim=" + std::to_string(r.head_dim()) +
                    " rotary_dim=" + std::to_string(r.rotary_dim()) + " rope_type=" +
                    std::string(posenc::rope_type_name(r.params().variant)) + " layout=" + std::string(posenc::layout_name(r.layout()));
    for (std::size_t k = 0; k < rope_spec::rows; ++k) {
        const posenc::params::info& row = posenc::rope_parameter_table[k];
        const setting& v = spec.values()[k];
        if (row.field == "head_dim" || row.field == "variant" || row.field == "layout") continue;
        if (v.from == origin::table_default) continue;
        s += " " + std::string(row.field) + "=" + (v.text.find(',') != std::string::npos ? "[" + v.text + "]" : v.text);
    }
    if (!spec.config_file.empty()) s += " config=" + spec.config_file;
    if (!spec.layer_type.empty()) s += " layer_type=" + spec.layer_type;
    return s + ">";
}

rope_spec spec_from_settings(const std::vector<std::pair<std::string, std::string>>& settings) {
    rope_spec spec;
    std::vector<std::string> given(rope_spec::rows);
    for (const auto& [name, text] : settings) {
        const std::size_t row = rope_spec::row_of(name);
        if (!given[row].empty()) {
            throw posenc::invalid_parameter("keyword", "each parameter once; '" + given[row] + "' and '" + name + "' both set " +
                                                           std::string(posenc::rope_parameter_table[row].field));
        }
        given[row] = name;
        spec.set(name, text);
    }
    return spec;
}

template <class Obj, class Cls>
void define_common(Cls& c, const char* name) {
    c.def_property_readonly("head_dim", [](const Obj& o) { return rope_1d(o).head_dim(); }, "Head dimension (the size of x's last axis).")
        .def_property_readonly("rotary_dim", [](const Obj& o) { return rope_1d(o).rotary_dim(); },
                               "Dimensions that rotate: int(head_dim * partial_rotary_factor) (head_dim for rope_type "
                               "'proportional'); the rest are left unchanged.")
        .def_property_readonly("pairs", [](const Obj& o) { return rope_1d(o).pairs(); }, "rotary_dim // 2: the rotated pairs.")
        .def_property_readonly("layout", [](const Obj& o) { return std::string(posenc::layout_name(rope_1d(o).layout())); },
                               "Pair layout: 'interleaved' = pairs (2i, 2i+1), 'half-split' = pairs (i, i + rotary_dim/2).")
        .def_property_readonly("rope_type", [](const Obj& o) { return std::string(posenc::rope_type_name(rope_1d(o).params().variant)); },
                               "HF rope type: default, linear, dynamic, yarn, llama3, longrope or proportional.")
        .def_property_readonly("attention_factor",
                               [](const Obj& o) {
                                   py::gil_scoped_release release;
                                   const std::shared_ptr<exact_freqs> ef = exact_of(o.spec);
                                   round_scratch s;
                                   return ef->rounded(ef->pairs(), float64_fmt, s);
                               },
                               "The factor HF multiplies cos and sin by (1 except for yarn and longrope), computed "
                               "at 100 digits and rounded once to the nearest double.")
        .def_property_readonly("parameters", [](const Obj& o) { return parameters_of(o.spec); },
                               "Every parameter of the table: {name: (value text, origin)}; origin is 'default', "
                               "'argument KEYWORD' or 'config KEY' (KEY: the config key or the rule that gave it).")
        .def_property_readonly("config_file", [](const Obj& o) { return none_if_empty(o.spec.config_file); },
                               "The config.json path ('<dict>' for a dict), or None.")
        .def_property_readonly("layer_type", [](const Obj& o) { return none_if_empty(o.spec.layer_type); },
                               "The layer type read from the config (None for a model with one kind of RoPE layer).")
        .def_property_readonly("model_type", [](const Obj& o) { return none_if_empty(o.spec.model_type); },
                               "The config's model_type (the text model's), or None.")
        .def(
            "inv_freq",
            [](const Obj& o) {
                const std::size_t n = static_cast<std::size_t>(rope_1d(o).pairs());
                py::array_t<double> out(n);
                double* p = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    const std::shared_ptr<exact_freqs> ef = exact_of(o.spec);
                    round_scratch s;
                    for (std::size_t i = 0; i < n; ++i) p[i] = ef->rounded(i, float64_fmt, s);
                }
                return out;
            },
            "theta_i (HF's inv_freq), one per pair, each the double nearest to the exact value (computed at "
            "100 digits, checked against its error bound, else at 290 digits).")
        .def(
            "_inv_freq_decimal",
            [](const Obj& o, int digits) {
                std::vector<std::string> out;
                {
                    py::gil_scoped_release release;
                    const std::shared_ptr<exact_freqs> ef = exact_of(o.spec);
                    for (std::size_t i = 0; i < ef->pairs(); ++i) out.push_back(ef->decimal(i, digits));
                }
                return out;
            },
            py::arg("digits"))
        .def(
            "_attention_factor_decimal",
            [](const Obj& o, int digits) {
                py::gil_scoped_release release;
                const std::shared_ptr<exact_freqs> ef = exact_of(o.spec);
                return ef->decimal(ef->pairs(), digits);
            },
            py::arg("digits"))
        .def("_cos_sin", &cos_sin<Obj>, py::arg("positions"), py::arg("dtype"), py::arg("theta"), py::arg("attention_factor"))
        .def("_apply", &apply<Obj>, py::arg("x"), py::arg("positions"), py::arg("dtype"), py::arg("layout"),
             py::arg("attention_factor"))
        .def("__repr__", [name](const Obj& o) { return repr_of(name, o.spec, rope_1d(o)); });
}

posenc::mrope_rule rule_of(const std::string& name) {
    posenc::mrope_rule r{};
    if (posenc::mrope_rule_from_name(name, r) || posenc::mrope_rule_from_model_type(name, r)) return r;
    std::string types;
    for (const posenc::mrope_model_type& t : posenc::mrope_model_types) types += (types.empty() ? "" : ", ") + std::string(t.model_type);
    throw posenc::invalid_parameter("rule", "qwen2_vl, qwen2_5_vl, qwen3_vl, glm4v or an M-RoPE model_type (" + types + "), got '" +
                                                name + "'");
}

using segment_tuple = std::tuple<int, std::int64_t, std::int64_t, std::int64_t, double>;

py::tuple position_ids(const std::string& rule_name, const std::vector<segment_tuple>& segments, std::int64_t merge, double tps) {
    const posenc::mrope_rule rule = rule_of(rule_name);
    std::vector<posenc::mrope_segment> segs;
    segs.reserve(segments.size());
    for (const auto& [kind, a, b, c, s] : segments) {
        if (kind == 0) {
            segs.emplace_back(posenc::mrope_text{a});
        } else if (kind == 1) {
            segs.emplace_back(posenc::mrope_image{a, b, c});
        } else {
            segs.emplace_back(posenc::mrope_video{a, b, c, s});
        }
    }
    const posenc::mrope_vision_settings vision{merge, tps};
    // Count and check first (no allocation), so that a bad prompt fails before the GIL is released.
    const std::int64_t n = posenc::mrope_token_count(segs, vision);
    py::array_t<std::int64_t> ids({static_cast<std::size_t>(n), std::size_t{3}});
    std::int64_t* p = ids.mutable_data();
    posenc::mrope_positions pos;
    {
        py::gil_scoped_release release;
        pos = posenc::mrope_position_ids(rule, segs, vision);
        for (std::size_t k = 0; k < pos.ids.size(); ++k) {
            p[3 * k] = pos.ids[k].t;
            p[3 * k + 1] = pos.ids[k].h;
            p[3 * k + 2] = pos.ids[k].w;
        }
    }
    return py::make_tuple(ids, pos.rope_delta, pos.next_position);
}

/// An object from a config's text; a parameter the rope refuses (posenc::invalid_parameter) becomes
/// "FILE: KEY: reason" as the reader's own errors, KEY the config key that gave it.
template <class Obj>
Obj from_config(const std::string& text, const std::string& file, const std::string& layer_type) {
    rope_spec spec = rope_spec::from_config_text(text, file, layer_type);
    if constexpr (std::is_same_v<Obj, mrope_object>) {
        if (!spec.is_mrope()) {
            throw posenc::config::error(file, "mrope_section", "not an M-RoPE config (no mrope_section); use posenc.Rope.from_config");
        }
    }
    try {
        return Obj(spec);
    } catch (const posenc::invalid_parameter& e) {
        const std::string field = e.parameter();
        std::string key = field;
        for (std::size_t k = 0; k < rope_spec::rows; ++k) {
            if (posenc::rope_parameter_table[k].field == field && spec.values()[k].from == origin::config && !spec.values()[k].key.empty()) {
                key = spec.values()[k].key;
            }
        }
        std::string reason = e.what();
        const std::string prefix = "posenc: invalid " + field + ": ";
        if (reason.rfind(prefix, 0) == 0) reason = field + " " + reason.substr(prefix.size());
        throw posenc::config::error(file, key, reason);
    }
}

}  // namespace

void register_reference(py::module_& m) {
    py::class_<rope_object> rope(m, "Rope",
                                 "The C++ part of posenc.Rope (a RoPE's parameters and its double rope); use posenc.Rope.");
    rope.def(py::init([](const std::vector<std::pair<std::string, std::string>>& settings) {
                 return rope_object(spec_from_settings(settings));
             }),
             py::arg("settings"))
        .def(py::init(&from_config<rope_object>),
             py::arg("text"), py::arg("file"), py::arg("layer_type"));
    define_common<rope_object>(rope, "Rope");

    py::class_<mrope_object> mrope(m, "Mrope", "The C++ part of posenc.Mrope; use posenc.Mrope.");
    mrope.def(py::init([](const std::vector<std::pair<std::string, std::string>>& settings) {
                  rope_spec spec = spec_from_settings(settings);
                  if (!spec.is_mrope()) throw posenc::invalid_parameter("mrope_section", "given for an M-RoPE (3 integers t, h, w)");
                  return mrope_object(std::move(spec));
              }),
              py::arg("settings"))
        .def(py::init(&from_config<mrope_object>),
             py::arg("text"), py::arg("file"), py::arg("layer_type"));
    define_common<mrope_object>(mrope, "Mrope");
    mrope
        .def_property_readonly("mrope_section", [](const mrope_object& o) { return o.m64.params().mrope_section; },
                               "Pairs per axis [t, h, w] (summing to pairs).")
        .def_property_readonly("interleaved", [](const mrope_object& o) { return o.m64.interleaved_sections(); },
                               "True when the axes cycle t, h, w over the pairs (Qwen3-VL), False for consecutive "
                               "sections (Qwen2-VL, GLM-4.1V).")
        .def_property_readonly("axes",
                               [](const mrope_object& o) {
                                   std::string s;
                                   for (const posenc::mrope_axis a : o.m64.axes()) s += posenc::axis_name(a);
                                   return s;
                               },
                               "The axis of every pair, pair 0 first, as a string of 't', 'h', 'w'.");

    m.def("_mrope_position_ids", &position_ids, py::arg("rule"), py::arg("segments"), py::arg("spatial_merge_size"),
          py::arg("tokens_per_second"));
    m.def(
        "_set_min_level",
        [](int k) {
            if (k < 0 || k >= levels) throw posenc::invalid_parameter("level", "0, 1 or 2");
            min_level() = k;
        },
        py::arg("level"), "Testing: start every computation at Ziv level k (0 is the normal first level).");
    m.def(
        "_round_to",
        [](const std::string& text, long prec, py::object eps_exp, const std::string& fmt) {
            mpnum v(prec);
            if (mpfr_set_str(v.get(), text.c_str(), 0, MPFR_RNDN) != 0) throw posenc::invalid_parameter("text", "a number, exact at prec bits");
            round_scratch s;
            double out = 0;
            const bool ok = round_to(v.get(), eps_exp.is_none() ? exact : eps_exp.cast<long>(), format_of(fmt, "fmt"), out, s);
            return py::make_tuple(out, ok);
        },
        py::arg("text"), py::arg("prec"), py::arg("eps_exp"), py::arg("fmt"),
        "Testing: (text rounded once to fmt, decided) for a value known within 2^eps_exp (None: exactly).");
    m.def(
        "_ziv_stats",
        [] {
            return py::make_tuple(ziv().second.load(), ziv().third.load(), ziv().unresolved.load());
        },
        "(entries redone at the second level, at the third, still undecided) since the module was loaded.");
}

}  // namespace posenc_py
