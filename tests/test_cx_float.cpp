// posenc::math::cx_float50 (include/posenc/math/cx_float.hpp) against MPFR.
//
// Claims under test: cx_float50 is a posenc::Real whose numeric_limits describe a 192-bit binary
// format with binary128's exponent range and no subnormals; +, -, *, / are correctly rounded to
// nearest even at 192 bits, results below 2^-16382 after rounding become +-0 and results of
// 2^16384 or more +-inf, with IEEE special values and signed zeros; comparisons are IEEE's;
// conversions from integers, float and double are exact, to float, double and long double
// correctly rounded, to integers truncating (NaN -> 0, saturating out of range); the fast paths
// of float_ops.hpp give the bits of the generic code; posenc::math's sin, cos, exp, log, pow,
// sqrt and hypot are within 1 ulp (sqrt correctly rounded), at run time and in constant
// expressions, and the compile-time values equal the run-time ones bit for bit.
//
// Expected values: MPFR. A cx_float50 converts to an mpfr_t exactly through its limbs
// (decompose()), and an MPFR value back by rounding to nearest at 192 bits with MPFR's (unbounded)
// exponent and then applying cx_float's range (from_mpfr below), so every arithmetic result is
// compared bit for bit with the correctly rounded one. Functions: MPFR at 192 + 64 bits.
#define BOOST_TEST_MODULE test_cx_float
#include <boost/test/unit_test.hpp>

#include <posenc/math.hpp>
#include <support/math_bounds.hpp>
#include <support/reference.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

namespace pt = posenc_test;
namespace pm = posenc::math;
using pt::mp;
using cx = pm::cx_float50;
using limbs = cx::limbs_type;

constexpr int P = 192;
constexpr long emax = cx::emax;  // 16383: largest exponent of a finite value
constexpr long emin = cx::emin;  // -16382: smallest exponent of a nonzero value

// ---------------------------------------------------------------------------------------------
// cx_float50 <-> MPFR.

/// dst = x exactly (precision 192).
void to_mpfr(mpfr_ptr dst, const cx& x) {
    mpfr_set_prec(dst, P);
    const cx::parts p = x.decompose();
    if (p.cls == cx::kind::nan) {
        mpfr_set_nan(dst);
    } else if (p.cls == cx::kind::infinite) {
        mpfr_set_inf(dst, p.negative ? -1 : 1);
    } else if (p.cls == cx::kind::zero) {
        mpfr_set_zero(dst, p.negative ? -1 : 1);
    } else {
        pt::mpz n;
        mpz_import(n, p.limbs.size(), 1, sizeof(std::uint32_t), 0, 0, p.limbs.data());
        if (mpfr_set_z_2exp(dst, n, p.exponent - (P - 1), MPFR_RNDN) != 0) throw std::logic_error("to_mpfr: inexact");
        if (p.negative) mpfr_neg(dst, dst, MPFR_RNDN);
    }
}

mp exact(const cx& x) {
    mp r(P);
    to_mpfr(r, x);
    return r;
}

/// v rounded to nearest even at 192 bits, then cx_float's range: +-inf from 2^16384 on, +-0 below
/// 2^-16382 (flush to zero after rounding).
cx from_mpfr(mpfr_srcptr v) {
    if (mpfr_nan_p(v)) return cx::quiet_nan();
    const bool neg = mpfr_signbit(v) != 0;
    if (mpfr_inf_p(v)) return cx::infinity(neg);
    if (mpfr_zero_p(v)) return cx::from_parts(neg, 0, limbs{});
    mp r(P);
    mpfr_set(r, v, MPFR_RNDN);
    const long e = static_cast<long>(mpfr_get_exp(r)) - 1;  // |r| in [2^e, 2^(e+1))
    if (e > emax) return cx::infinity(neg);
    if (e < emin) return cx::from_parts(neg, 0, limbs{});
    pt::mpz n;
    mpfr_get_z_2exp(n, r);
    mpz_abs(n, n);
    if (mpz_sizeinbase(n, 2) != static_cast<std::size_t>(P)) throw std::logic_error("from_mpfr: not 192 bits");
    limbs l{};
    std::size_t count = 0;
    mpz_export(l.data(), &count, 1, sizeof(std::uint32_t), 0, 0, n);
    if (count != l.size()) throw std::logic_error("from_mpfr: limb count");
    return cx::from_parts(neg, e, l);
}

/// Same class, sign, exponent and limbs; every NaN is identical to every NaN.
bool identical(const cx& a, const cx& b) {
    const cx::parts x = a.decompose();
    const cx::parts y = b.decompose();
    if (x.cls == cx::kind::nan || y.cls == cx::kind::nan) return x.cls == y.cls;
    return x.cls == y.cls && x.negative == y.negative && x.exponent == y.exponent && x.limbs == y.limbs;
}

std::string text(mpfr_srcptr v) {
    char* s = nullptr;
    if (mpfr_asprintf(&s, "%Ra", v) < 0) return "?";
    std::string out(s);
    mpfr_free_str(s);
    return out;
}

std::string text(const cx& x) { return text(exact(x).get()); }

/// |computed - exact| in ulps of cx_float50 at exact: 2^(floor(log2|exact|) - 191). Special
/// cases: exact NaN / inf / 0 (or a value that rounds to +-inf or +-0 in cx_float): 0 when computed
/// is that value, inf otherwise.
double ulp_error(const cx& computed, mpfr_srcptr exact_value) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const cx rounded = from_mpfr(exact_value);
    if (rounded.is_nan() || rounded.is_inf() || rounded.is_zero()) {
        return (rounded.is_nan() && computed.is_nan()) || rounded == computed ? 0.0 : inf;
    }
    if (!computed.is_finite()) return inf;
    const mp c = exact(computed);
    mp diff(P + 256);
    mpfr_sub(diff, c, exact_value, MPFR_RNDN);
    mpfr_abs(diff, diff, MPFR_RNDN);
    const long ulp_exp = static_cast<long>(mpfr_get_exp(exact_value)) - P;
    mpfr_mul_2si(diff, diff, -ulp_exp, MPFR_RNDN);
    return mpfr_get_d(diff, MPFR_RNDU);
}

// ---------------------------------------------------------------------------------------------
// Random operands.

/// Random significand limbs (top bit set): full width, or only the first 1..5 limbs nonzero
/// (small integers and Veltkamp halves look like that), or with runs of ones at the bottom.
limbs random_limbs(std::mt19937_64& rng) {
    limbs l{};
    for (auto& x : l) x = static_cast<std::uint32_t>(rng());
    l[0] |= 0x80000000u;
    switch (rng() % 6) {
        case 0: {  // short significand
            const std::size_t keep = 1 + rng() % 5;
            for (std::size_t i = keep; i < l.size(); ++i) l[i] = 0;
            break;
        }
        case 1:  // trailing ones
            for (std::size_t i = 1 + rng() % 5; i < l.size(); ++i) l[i] = 0xffffffffu;
            break;
        default:
            break;
    }
    return l;
}

cx random_cx(std::mt19937_64& rng, long elo, long ehi, bool both_signs = true) {
    const long e = elo + static_cast<long>(rng() % static_cast<std::uint64_t>(ehi - elo + 1));
    const bool neg = both_signs && (rng() & 1u) != 0;
    return cx::from_parts(neg, e, random_limbs(rng));
}

/// A random sign and significand with exponent e (the draws in a fixed order, so that every
/// compiler tests the same values).
cx random_with_exponent(std::mt19937_64& rng, long e) {
    const bool neg = (rng() & 1u) != 0;
    const limbs l = random_limbs(rng);
    return cx::from_parts(neg, e, l);
}

/// The integer n (at most 192 bits) times 2^k, exact.
cx from_mpz(mpz_srcptr n, long k, bool neg) {
    mp v(P);
    if (mpfr_set_z_2exp(v, n, k, MPFR_RNDN) != 0) throw std::logic_error("from_mpz: inexact");
    if (neg) mpfr_neg(v, v, MPFR_RNDN);
    return from_mpfr(v);
}

// ---------------------------------------------------------------------------------------------
// Checking arithmetic.

enum class op { add, sub, mul, div };
constexpr const char* op_name[] = {"+", "-", "*", "/"};

cx apply(op o, const cx& a, const cx& b) {
    switch (o) {
        case op::add: return a + b;
        case op::sub: return a - b;
        case op::mul: return a * b;
        case op::div: return a / b;
    }
    return cx::quiet_nan();
}

/// Correctly rounded a op b: MPFR at 192 bits with an unbounded exponent, then cx_float's range.
cx reference(op o, const cx& a, const cx& b) {
    const mp x = exact(a);
    const mp y = exact(b);
    mp r(P);
    switch (o) {
        case op::add: mpfr_add(r, x, y, MPFR_RNDN); break;
        case op::sub: mpfr_sub(r, x, y, MPFR_RNDN); break;
        case op::mul: mpfr_mul(r, x, y, MPFR_RNDN); break;
        case op::div: mpfr_div(r, x, y, MPFR_RNDN); break;
    }
    return from_mpfr(r);
}

/// Counts the operations checked and the results that differ from the correctly rounded ones.
class arith_checker {
public:
    explicit arith_checker(std::string context) : context_(std::move(context)) {}

    void check(op o, const cx& a, const cx& b) {
        const cx got = apply(o, a, b);
        const cx want = reference(o, a, b);
        ++count_;
        if (!identical(got, want) && ++wrong_ <= 8) {
            BOOST_ERROR(fmt::format("{} {} {}: got {}, correctly rounded {}", text(a), op_name[static_cast<int>(o)],
                                    text(b), text(got), text(want)));
        }
    }

    void check_all_ops(const cx& a, const cx& b) {
        for (op o : {op::add, op::sub, op::mul, op::div}) check(o, a, b);
    }

    ~arith_checker() {
        fmt::print("cx_float50 arithmetic [{}]: {} results, {} differ from MPFR's correctly rounded value\n", context_,
                   count_, wrong_);
        BOOST_TEST(wrong_ == 0u);
        BOOST_TEST(count_ > 0u);
    }

private:
    std::string context_;
    std::size_t count_ = 0;
    std::size_t wrong_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Checking functions.

class fn_checker {
public:
    fn_checker(std::string name, double bound) : name_(std::move(name)), bound_(bound) {}

    void record(double err, const std::string& args, const cx& got, mpfr_srcptr want) {
        ++count_;
        if (count_ == 1 || err > max_) {
            max_ = err;
            where_ = args;
        }
        if (!(err <= bound_) && ++failures_ <= 8) {
            BOOST_ERROR(fmt::format("{}({}) = {}, MPFR {} ({:.4g} ulp)", name_, args, text(got), text(want), err));
        }
    }

    ~fn_checker() {
        fmt::print("{}<cx_float50>: {} points, max {:.6f} ulp at {}\n", name_, count_, max_, where_);
        BOOST_TEST(max_ <= bound_);
        // and the math core's measured ceiling (0.5 ulp measured here too): a doubled error fails
        BOOST_TEST(max_ <= pt::math_measured_ceiling, name_ << ": max " << max_ << " ulp");
        BOOST_TEST(failures_ == 0u);
    }

private:
    std::string name_;
    double bound_;
    std::size_t count_ = 0;
    std::size_t failures_ = 0;
    double max_ = 0.0;
    std::string where_;
};

/// Reference precision of the functions: 192 + 64 bits.
constexpr mpfr_prec_t ref_prec = P + 64;

using mpfr_unary = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t);
using mpfr_binary = int (*)(mpfr_ptr, mpfr_srcptr, mpfr_srcptr, mpfr_rnd_t);

mp ref1(mpfr_unary f, const cx& x) {
    mp r(ref_prec);
    f(r, exact(x), MPFR_RNDN);
    return r;
}

mp ref2(mpfr_binary f, const cx& x, const cx& y) {
    mp r(ref_prec);
    f(r, exact(x), exact(y), MPFR_RNDN);
    return r;
}

void check1(fn_checker& c, cx (*f)(cx), mpfr_unary ref, const cx& x) {
    const cx got = f(x);
    const mp want = ref1(ref, x);
    c.record(ulp_error(got, want), text(x), got, want);
}

void check2(fn_checker& c, cx (*f)(cx, cx), mpfr_binary ref, const cx& x, const cx& y) {
    const cx got = f(x, y);
    const mp want = ref2(ref, x, y);
    c.record(ulp_error(got, want), text(x) + ", " + text(y), got, want);
}

cx f_sin(cx x) { return pm::sin(x); }
cx f_cos(cx x) { return pm::cos(x); }
cx f_exp(cx x) { return pm::exp(x); }
cx f_log(cx x) { return pm::log(x); }
cx f_pow(cx x, cx y) { return pm::pow(x, y); }
cx f_hypot(cx x, cx y) { return pm::hypot(x, y); }

/// RN(k * pi/2) in cx_float50.
cx multiple_of_half_pi(unsigned long k) {
    mp v(P + 128);
    mpfr_const_pi(v, MPFR_RNDN);
    mpfr_mul_ui(v, v, k, MPFR_RNDN);
    mpfr_div_2ui(v, v, 1, MPFR_RNDN);
    return from_mpfr(v);
}

/// x moved by d ulps (same binade assumed; d small).
cx step(const cx& x, int d) {
    mp v = exact(x);
    for (; d > 0; --d) mpfr_nextabove(v);
    for (; d < 0; ++d) mpfr_nextbelow(v);
    return from_mpfr(v);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// cx_float50 through float_ops' generic code paths: the same number type under another name, for
// which is_cx_float_v is false. Its results must be the fast paths' bits.

namespace cx_float_test {

struct generic50 {
    cx v;
    constexpr generic50() = default;
    constexpr generic50(int i) : v(i) {}        // NOLINT(google-explicit-constructor)
    constexpr generic50(long i) : v(i) {}       // NOLINT(google-explicit-constructor)
    constexpr generic50(long long i) : v(i) {}  // NOLINT(google-explicit-constructor)
    constexpr explicit generic50(const cx& x) : v(x) {}
    constexpr explicit operator long long() const { return static_cast<long long>(v); }
    friend constexpr generic50 operator+(const generic50& a, const generic50& b) { return generic50(a.v + b.v); }
    friend constexpr generic50 operator-(const generic50& a, const generic50& b) { return generic50(a.v - b.v); }
    friend constexpr generic50 operator*(const generic50& a, const generic50& b) { return generic50(a.v * b.v); }
    friend constexpr generic50 operator/(const generic50& a, const generic50& b) { return generic50(a.v / b.v); }
    constexpr generic50 operator-() const { return generic50(-v); }
    friend constexpr bool operator==(const generic50& a, const generic50& b) { return a.v == b.v; }
    friend constexpr bool operator!=(const generic50& a, const generic50& b) { return a.v != b.v; }
    friend constexpr bool operator<(const generic50& a, const generic50& b) { return a.v < b.v; }
    friend constexpr bool operator<=(const generic50& a, const generic50& b) { return a.v <= b.v; }
    friend constexpr bool operator>(const generic50& a, const generic50& b) { return a.v > b.v; }
    friend constexpr bool operator>=(const generic50& a, const generic50& b) { return a.v >= b.v; }
};

}  // namespace cx_float_test

using cx_float_test::generic50;

template <>
struct std::numeric_limits<generic50> {
    static constexpr bool is_specialized = true;
    static constexpr int digits = std::numeric_limits<cx>::digits;
    static constexpr bool is_integer = false;
    static constexpr int radix = 2;
    static constexpr int min_exponent = std::numeric_limits<cx>::min_exponent;
    static constexpr int max_exponent = std::numeric_limits<cx>::max_exponent;
    static constexpr bool has_infinity = true;
    static constexpr bool has_quiet_NaN = true;
    static constexpr std::float_denorm_style has_denorm = std::denorm_absent;
    static constexpr generic50 infinity() noexcept { return generic50(std::numeric_limits<cx>::infinity()); }
    static constexpr generic50 quiet_NaN() noexcept { return generic50(std::numeric_limits<cx>::quiet_NaN()); }
};

static_assert(posenc::Real<generic50>);
static_assert(!pm::detail::is_cx_float_v<generic50>);
static_assert(pm::detail::is_cx_float_v<cx>);

// Basic facts, checked by the compilers themselves.
static_assert(cx(1) + cx(2) == cx(3));
static_assert(cx(1) / cx(3) * cx(3) == cx(1));
static_assert(cx(0.1) != cx(0.1f));
static_assert(cx(-0.0) == cx(0) && cx(-0.0).sign_bit());
static_assert(!(cx::quiet_nan() == cx::quiet_nan()) && cx::quiet_nan() != cx::quiet_nan());
static_assert(static_cast<double>(cx(1) / cx(3)) == 1.0 / 3.0);
static_assert(static_cast<long long>(cx(-7.75)) == -7);

namespace {

// ---------------------------------------------------------------------------------------------
// Compile-time evaluations (few: each costs compile time), compared at run time with MPFR and with
// the same call made at run time.

constexpr cx ct_sin_1e6 = pm::sin(cx(1e6));
constexpr cx ct_sin_small = pm::sin(cx(0.375));
constexpr cx ct_cos_1e6 = pm::cos(cx(1e6));
constexpr cx ct_cos_neg = pm::cos(cx(-2.5));
constexpr cx ct_exp_neg = pm::exp(cx(-12.5));
constexpr cx ct_exp_big = pm::exp(cx(100.25));
constexpr cx ct_log_tiny = pm::log(cx(1e-30));
constexpr cx ct_log_3 = pm::log(cx(3));
constexpr cx ct_pow = pm::pow(cx(10000), cx(-0.375));  // a RoPE frequency: base^(-2i/d)
constexpr cx ct_sqrt_2 = pm::sqrt(cx(2));
constexpr cx ct_sqrt_tiny = pm::sqrt(cx(1e-300));

}  // namespace

// ---------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(concept_and_numeric_limits) {
    using L = std::numeric_limits<cx>;
    using R = posenc::real_traits<cx>;
    BOOST_TEST(posenc::Real<cx>);
    BOOST_TEST(R::is_binary_float);
    BOOST_TEST(R::digits == P);
    BOOST_TEST(R::max_exponent == 16384);
    BOOST_TEST(R::min_exponent == -16381);
    BOOST_TEST(!R::has_denorm);
    BOOST_TEST((R::has_infinity && R::has_quiet_nan));
    BOOST_TEST(L::is_specialized);
    BOOST_TEST(L::digits == P);
    BOOST_TEST(L::radix == 2);
    BOOST_TEST((!L::is_integer && !L::is_exact && L::is_signed && L::is_bounded && !L::is_modulo));
    BOOST_TEST(!L::is_iec559);
    BOOST_TEST(!L::has_signaling_NaN);
    BOOST_TEST(L::has_denorm == std::denorm_absent);
    BOOST_TEST(L::round_style == std::round_to_nearest);
    BOOST_TEST(L::min_exponent == -16381);
    BOOST_TEST(L::max_exponent == 16384);

    // digits10 = floor((p - 1) log10 2), max_digits10 = ceil(1 + p log10 2),
    // min_exponent10 = ceil(log10 min()), max_exponent10 = floor(log10 max()).
    mp lg2(256);
    mpfr_set_ui(lg2, 2, MPFR_RNDN);
    mpfr_log10(lg2, lg2, MPFR_RNDN);
    mp t(256);
    mpfr_mul_ui(t, lg2, P - 1, MPFR_RNDN);
    BOOST_TEST(L::digits10 == mpfr_get_si(t, MPFR_RNDD));
    mpfr_mul_ui(t, lg2, P, MPFR_RNDN);
    mpfr_add_ui(t, t, 1, MPFR_RNDN);
    BOOST_TEST(L::max_digits10 == mpfr_get_si(t, MPFR_RNDU));
    BOOST_TEST(L::digits10 == 57);
    BOOST_TEST(L::max_digits10 == 59);

    // min = 2^-16382, max = (2 - 2^-191) 2^16383, epsilon = 2^-191, round_error = 1/2.
    mp want(P);
    mpfr_set_ui_2exp(want, 1, emin, MPFR_RNDN);
    BOOST_TEST(mpfr_equal_p(exact(L::min()), want));
    BOOST_TEST(mpfr_equal_p(exact(L::denorm_min()), want));
    mpfr_log10(t, want, MPFR_RNDN);
    BOOST_TEST(L::min_exponent10 == mpfr_get_si(t, MPFR_RNDU));
    mpfr_set_ui_2exp(want, 1, emax + 1, MPFR_RNDN);
    mpfr_nextbelow(want);
    BOOST_TEST(mpfr_equal_p(exact(L::max()), want));
    mpfr_log10(t, want, MPFR_RNDN);
    BOOST_TEST(L::max_exponent10 == mpfr_get_si(t, MPFR_RNDD));
    mpfr_neg(want, want, MPFR_RNDN);
    BOOST_TEST(mpfr_equal_p(exact(L::lowest()), want));
    mpfr_set_ui_2exp(want, 1, 1 - P, MPFR_RNDN);
    BOOST_TEST(mpfr_equal_p(exact(L::epsilon()), want));
    BOOST_TEST(identical(cx(1) + L::epsilon(), step(cx(1), 1)));  // epsilon: the gap above 1
    BOOST_TEST(identical(L::round_error(), cx(0.5)));
    BOOST_TEST((L::infinity().is_inf() && !L::infinity().sign_bit()));
    BOOST_TEST(L::quiet_NaN().is_nan());
    BOOST_TEST(L::signaling_NaN().is_nan());

    // sin/cos reduce every finite argument exactly.
    BOOST_TEST(pm::max_reducible_exponent<cx>() >= R::max_exponent);
}

BOOST_AUTO_TEST_CASE(arithmetic_random) {
    std::mt19937_64 rng(0xc0ffee50ULL);
    const std::size_t n = pt::sample_count(40000);
    arith_checker c("random operands, exponents -300..300, differences 0..+-8, +-200, near 192");
    for (std::size_t i = 0; i < n; ++i) {
        const cx a = random_cx(rng, -300, 300);
        const cx::parts pa = a.decompose();
        long d = 0;
        switch (rng() % 4) {
            case 0:
            case 1: d = static_cast<long>(rng() % 17) - 8; break;
            case 2: d = static_cast<long>(rng() % 401) - 200; break;
            default: {
                const long sign = (rng() & 1u) != 0 ? 1 : -1;
                d = sign * (188 + static_cast<long>(rng() % 10));
                break;
            }
        }
        const cx b = random_with_exponent(rng, pa.exponent + d);
        c.check_all_ops(a, b);
    }
}

BOOST_AUTO_TEST_CASE(arithmetic_cancellation) {
    std::mt19937_64 rng(0xca9ce1ULL);
    const std::size_t n = pt::sample_count(20000);
    arith_checker c("x - y with x, y sharing leading limbs, exponents equal or 1 apart");
    for (std::size_t i = 0; i < n; ++i) {
        const cx a = random_cx(rng, -100, 100);
        cx::parts p = a.decompose();
        const std::size_t keep = rng() % 6;  // leading limbs shared
        limbs l = p.limbs;
        for (std::size_t k = keep; k < l.size(); ++k) l[k] = static_cast<std::uint32_t>(rng());
        l[0] |= 0x80000000u;
        if (rng() % 4 == 0) l[5] ^= 1u << (rng() % 32);  // differ in the last bits only
        long e = p.exponent;
        if (rng() % 4 == 0) e += (rng() & 1u) ? 1 : -1;
        const cx b = cx::from_parts(p.negative, e, l);
        c.check(op::sub, a, b);
        c.check(op::add, a, -b);
        c.check(op::sub, b, a);
        // a - next(a): one ulp, and across a power of two
        c.check(op::sub, a, step(a, 1));
        const cx power = cx::from_parts(false, e, limbs{0x80000000u});
        c.check(op::sub, power, step(power, -1));
    }
}

BOOST_AUTO_TEST_CASE(arithmetic_exact_ties) {
    std::mt19937_64 rng(0x71e5ULL);
    const std::size_t n = pt::sample_count(10000);
    arith_checker c("exact midpoints: x +- odd * 2^(e-192), products of odd integers with 193 bits");
    pt::mpz k;
    pt::mpz ma;
    pt::mpz mb;
    pt::mpz prod;
    std::size_t product_ties = 0;
    for (std::size_t i = 0; i < n; ++i) {
        // addition: x + k * 2^(ex - 192) with k odd is halfway between two neighbours of x (unless
        // the sum changes binade); both parities of x's last bit occur.
        const cx a = random_cx(rng, -50, 50);
        const cx::parts p = a.decompose();
        mpz_set_ui(k, (rng() >> 24) | 1u);
        const cx half_ulps = from_mpz(k, p.exponent - P, (rng() & 1u) != 0);
        c.check(op::add, a, half_ulps);
        c.check(op::sub, a, half_ulps);
        c.check(op::add, half_ulps, a);

        // multiplication: odd integers of la and 194 - la bits; when the product has 193 bits
        // its last bit is the round bit and nothing is below it: a tie.
        const unsigned la = 2 + static_cast<unsigned>(rng() % 191);
        const unsigned lb = 194 - la;
        auto random_odd = [&](mpz_ptr z, unsigned bits) {
            mpz_set_ui(z, 1);
            for (unsigned have = 1; have < bits; have += 32) {
                const unsigned take = std::min(32u, bits - have);
                mpz_mul_2exp(z, z, take);
                mpz_add_ui(z, z, static_cast<unsigned long>(rng() & ((std::uint64_t{1} << take) - 1)));
            }
            mpz_setbit(z, 0);
        };
        random_odd(ma, la);
        random_odd(mb, lb);
        mpz_mul(prod, ma, mb);
        if (mpz_sizeinbase(prod, 2) == static_cast<std::size_t>(P + 1)) ++product_ties;
        const long ea = static_cast<long>(rng() % 61) - 30;
        const cx x = from_mpz(ma, ea, (rng() & 1u) != 0);
        const cx y = from_mpz(mb, -ea, (rng() & 1u) != 0);
        c.check(op::mul, x, y);
        c.check(op::mul, y, x);
        // a quotient is never a midpoint, but exact quotients must stay exact
        const cx xy = x * y;
        c.check(op::div, xy, y);
        c.check(op::div, x, cx(1) / y);
    }
    fmt::print("products that were exact ties: {}\n", product_ties);
    BOOST_TEST(product_ties > n / 4);
}

BOOST_AUTO_TEST_CASE(arithmetic_range_limits) {
    std::mt19937_64 rng(0x0f10e5ULL);
    const std::size_t n = pt::sample_count(10000);
    arith_checker c("results near 2^16384 (overflow) and 2^-16382 (flush to zero)");
    const cx max = std::numeric_limits<cx>::max();
    const cx min = std::numeric_limits<cx>::min();
    for (std::size_t i = 0; i < n; ++i) {
        // products and quotients whose exponent lands within a few of either end
        const long ea = static_cast<long>(rng() % 32000) - 16000;
        const long target =
            (rng() & 1u) ? emax - 2 + static_cast<long>(rng() % 5) : emin - 3 + static_cast<long>(rng() % 5);
        const cx a = random_with_exponent(rng, ea);
        const cx b = random_with_exponent(rng, target - ea);
        const cx bi = random_with_exponent(rng, ea - target);
        c.check(op::mul, a, b);
        c.check(op::div, a, bi);
        // sums near the top and differences near the bottom
        const cx big = random_cx(rng, emax - 1, emax);
        const long eb = emax - static_cast<long>(rng() % 200);
        c.check_all_ops(big, cx::from_parts(big.sign_bit(), eb, random_limbs(rng)));
        const cx small = random_cx(rng, emin, emin + 2);
        cx::parts ps = small.decompose();
        limbs l = ps.limbs;
        l[5 - rng() % 6] ^= static_cast<std::uint32_t>(rng());
        l[0] |= 0x80000000u;
        c.check_all_ops(small, cx::from_parts(ps.negative, ps.exponent - static_cast<long>(rng() % 3), l));
    }
    // The boundaries themselves.
    const cx half_ulp_max = cx::pow2(emax - P);
    for (const cx& a : {max, min, cx(1), cx(2), cx(0.5), step(min, 1), step(max, -1)}) {
        for (const cx& b : {max, min, half_ulp_max, step(half_ulp_max, -1), step(half_ulp_max, 1), cx(1), cx(2),
                            cx(0.5), step(cx(1), 1), step(cx(1), -1), step(min, 1)}) {
            c.check_all_ops(a, b);
            c.check_all_ops(-a, b);
        }
    }
    // Spelled out: overflow by rounding, flush to zero after rounding.
    BOOST_TEST((max + half_ulp_max).is_inf());                 // tie, max is odd: rounds up, overflows
    BOOST_TEST(identical(max + step(half_ulp_max, -1), max));  // below the tie: max
    BOOST_TEST((max * cx(2)).is_inf());
    BOOST_TEST(identical(min / cx(2), cx(0)));         // 2^-16383: flushed
    BOOST_TEST(identical(-min / cx(2), -cx(0)));       // sign kept
    BOOST_TEST(identical(step(min, 1) - min, cx(0)));  // an ulp of min: far below min
    // (1 - 2^-97)(1 + 2^-97) min = (1 - 2^-194) min rounds up to min: kept
    const cx x97 = cx(1) - cx::pow2(-97);
    const cx y97 = cx::from_parts(false, emin, limbs{0x80000000u, 0, 0, 0x40000000u});  // min (1 + 2^-97)
    c.check(op::mul, x97, y97);
    BOOST_TEST(identical(x97 * y97, min));
    // (1 - 2^-96)(1 + 2^-96) min = (1 - 2^-192) min is exact and below min: flushed
    const cx x96 = cx(1) - cx::pow2(-96);
    const cx y96 = cx::from_parts(false, emin, limbs{0x80000000u, 0, 0, 0x80000000u});  // min (1 + 2^-96)
    c.check(op::mul, x96, y96);
    BOOST_TEST(identical(x96 * y96, cx(0)));
    BOOST_TEST(identical(-x96 * y96, -cx(0)));
}

BOOST_AUTO_TEST_CASE(arithmetic_special_values) {
    arith_checker c("every pair of zeros, infinities, NaN, max, min, +-1, +-2.5");
    const cx inf = cx::infinity();
    const cx nan = cx::quiet_nan();
    const cx max = std::numeric_limits<cx>::max();
    const cx min = std::numeric_limits<cx>::min();
    const std::vector<cx> v = {cx(0), -cx(0), inf, -inf, nan, cx(1), cx(-1), cx(2.5), cx(-2.5), max, -max, min, -min};
    for (const cx& a : v) {
        for (const cx& b : v) c.check_all_ops(a, b);
    }
    // the IEEE rules, spelled out
    BOOST_TEST((inf - inf).is_nan());
    BOOST_TEST((inf + -inf).is_nan());
    BOOST_TEST((cx(0) * inf).is_nan());
    BOOST_TEST((cx(0) / cx(0)).is_nan());
    BOOST_TEST((inf / inf).is_nan());
    BOOST_TEST(identical(cx(1) / cx(0), inf));
    BOOST_TEST(identical(cx(1) / -cx(0), -inf));
    BOOST_TEST(identical(cx(-1) / cx(0), -inf));
    BOOST_TEST(identical(cx(1) / inf, cx(0)));
    BOOST_TEST(identical(cx(-1) / inf, -cx(0)));
    BOOST_TEST(identical(cx(3) - cx(3), cx(0)));
    BOOST_TEST(identical(-cx(0) + -cx(0), -cx(0)));
    BOOST_TEST(identical(cx(0) + -cx(0), cx(0)));
    BOOST_TEST(identical(-cx(0) - cx(0), -cx(0)));
    BOOST_TEST(identical(-cx(0) * cx(5), -cx(0)));
    BOOST_TEST((nan + cx(1)).is_nan());
    BOOST_TEST((-nan).is_nan());
    // compound assignment: the same operations
    cx x = cx(7);
    x += cx(0.5);
    x -= cx(2);
    x *= cx(3);
    x /= cx(4);
    BOOST_TEST(identical(x, cx(4.125)));
    BOOST_TEST(identical(-cx(2.5), cx(-2.5)));
    BOOST_TEST(identical(+cx(2.5), cx(2.5)));
}

BOOST_AUTO_TEST_CASE(comparisons) {
    std::mt19937_64 rng(0xc03ba7eULL);
    const cx nan = cx::quiet_nan();
    const cx inf = cx::infinity();
    std::vector<cx> v = {cx(0), -cx(0), inf, -inf, nan, cx(1), cx(-1), std::numeric_limits<cx>::max(),
                         std::numeric_limits<cx>::min(), step(cx(1), 1), step(cx(1), -1)};
    for (int i = 0; i < 300; ++i) v.push_back(random_cx(rng, -3, 3));
    v.push_back(v.back());
    std::size_t wrong = 0;
    for (const cx& a : v) {
        const mp x = exact(a);
        for (const cx& b : v) {
            const mp y = exact(b);
            const bool ok = (a == b) == (mpfr_equal_p(x, y) != 0) && (a != b) == (mpfr_equal_p(x, y) == 0) &&
                            (a < b) == (mpfr_less_p(x, y) != 0) && (a <= b) == (mpfr_lessequal_p(x, y) != 0) &&
                            (a > b) == (mpfr_greater_p(x, y) != 0) && (a >= b) == (mpfr_greaterequal_p(x, y) != 0);
            if (!ok && ++wrong <= 8) BOOST_ERROR("comparison of " << text(a) << " and " << text(b));
        }
    }
    fmt::print("comparisons: {} pairs, {} wrong\n", v.size() * v.size(), wrong);
    BOOST_TEST(wrong == 0u);
    BOOST_TEST((cx(0) == -cx(0) && !(cx(0) < -cx(0)) && cx(0) <= -cx(0)));
    BOOST_TEST((!(nan == nan) && nan != nan && !(nan < cx(1)) && !(nan >= cx(1))));
}

BOOST_AUTO_TEST_CASE(conversions_from_double_and_float) {
    std::mt19937_64 rng(0xd0b1e5ULL);
    std::size_t wrong = 0;
    const std::size_t n = pt::sample_count(100000);
    for (std::size_t i = 0; i < n; ++i) {
        // random bit patterns: every binade, subnormals, both signs, infinities and NaNs
        const double d = std::bit_cast<double>(static_cast<std::uint64_t>(rng()));
        const float f = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
        mp want(64);
        mpfr_set_d(want, d, MPFR_RNDN);
        if (!identical(cx(d), from_mpfr(want)) || (d == 0 && cx(d).sign_bit() != std::signbit(d))) ++wrong;
        mpfr_set_flt(want, f, MPFR_RNDN);
        if (!identical(cx(f), from_mpfr(want)) || (f == 0 && cx(f).sign_bit() != std::signbit(f))) ++wrong;
    }
    for (double d : {0.0, -0.0, 0x0.0000000000001p-1022, 0x0.fffffffffffffp-1022, 0x1p-1022, 0x1.fffffffffffffp+1023,
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(), 1.0, -1.5}) {
        mp want(64);
        mpfr_set_d(want, d, MPFR_RNDN);
        if (!identical(cx(d), from_mpfr(want)) || cx(d).sign_bit() != std::signbit(d)) ++wrong;
        if (!(static_cast<double>(cx(d)) == d || std::isnan(d))) ++wrong;
    }
    BOOST_TEST(cx(std::numeric_limits<double>::quiet_NaN()).is_nan());
    BOOST_TEST(cx(std::numeric_limits<float>::quiet_NaN()).is_nan());
    BOOST_TEST(identical(cx(0x1p-149f), cx::pow2(-149)));
    fmt::print("from double / float: {} values, {} wrong\n", 2 * n, wrong);
    BOOST_TEST(wrong == 0u);
}

BOOST_AUTO_TEST_CASE(conversions_to_double_float_long_double) {
    std::mt19937_64 rng(0x70d0b1eULL);
    std::size_t wrong = 0;
    std::size_t count = 0;
    auto check = [&](const cx& x) {
        const mp v = exact(x);
        const double d = static_cast<double>(x);
        const double dw = mpfr_get_d(v, MPFR_RNDN);
        const float f = static_cast<float>(x);
        const float fw = mpfr_get_flt(v, MPFR_RNDN);
        const long double l = static_cast<long double>(x);
        const long double lw = mpfr_get_ld(v, MPFR_RNDN);
        auto same = [](auto a, auto b) {
            return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
        };
        ++count;
        if (!same(d, dw) || !same(f, fw) || !same(l, lw)) {
            if (++wrong <= 8) {
                BOOST_ERROR(fmt::format("{}: double {:a} (want {:a}), float {:a} (want {:a}), long double {} (want {})",
                                        text(x), d, dw, f, fw, static_cast<double>(l), static_cast<double>(lw)));
            }
        }
    };
    const std::size_t n = pt::sample_count(50000);
    for (std::size_t i = 0; i < n; ++i) {
        // every exponent of double, float and long double, beyond both ends and through the
        // subnormal ranges
        switch (rng() % 4) {
            case 0: check(random_cx(rng, -1140, 1030)); break;
            case 1: check(random_cx(rng, -160, 135)); break;
            case 2: check(random_cx(rng, -16460, 16383)); break;
            default: {
                // ties and near-ties: a double (normal or subnormal) plus half its ulp, +-1 ulp of cx
                const long e = static_cast<long>(rng() % 2100) - 1075;
                const bool neg = (rng() & 1u) != 0;
                const cx base = cx::from_parts(neg, e, limbs{static_cast<std::uint32_t>(rng()) | 0x80000000u,
                                                             static_cast<std::uint32_t>(rng()) & 0xfffff800u});
                const long ulp_e = std::max(e - 52, -1074L);
                const cx half = cx::from_parts(base.sign_bit(), ulp_e - 1, limbs{0x80000000u});
                const cx t = base + half;
                check(t);
                check(step(t, 1));
                check(step(t, -1));
                break;
            }
        }
    }
    const cx max = std::numeric_limits<cx>::max();
    const cx min = std::numeric_limits<cx>::min();
    for (const cx& x : {cx(0), -cx(0), cx::infinity(), -cx::infinity(), cx::quiet_nan(), max, min, cx(1), cx(1) / cx(3),
                        cx::pow2(-1075), step(cx::pow2(-1075), 1), cx::pow2(-1074), cx::pow2(1024),
                        step(cx::pow2(1024), -1), cx::pow2(-150), step(cx::pow2(-150), 1)}) {
        check(x);
        check(-x);
    }
    fmt::print("to double / float / long double: {} values, {} wrong\n", count, wrong);
    BOOST_TEST(wrong == 0u);
}

BOOST_AUTO_TEST_CASE(conversions_integers) {
    std::mt19937_64 rng(0x1e7e9e25ULL);
    std::size_t wrong = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t u = rng() >> (rng() % 64);
        const auto s = static_cast<std::int64_t>(rng()) >> (rng() % 64);
        mp want(64);
        mpfr_set_ui(want, static_cast<unsigned long>(u), MPFR_RNDN);
        if (!identical(cx(u), from_mpfr(want))) ++wrong;
        mpfr_set_si(want, static_cast<long>(s), MPFR_RNDN);
        if (!identical(cx(s), from_mpfr(want))) ++wrong;
        if (static_cast<long long>(cx(s)) != s || static_cast<std::uint64_t>(cx(u)) != u) ++wrong;
        if (static_cast<int>(cx(static_cast<int>(s))) != static_cast<int>(s)) ++wrong;
    }
    for (long long s : {std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max(), 0LL, -1LL, 1LL}) {
        if (static_cast<long long>(cx(s)) != s) ++wrong;
    }
    BOOST_TEST(identical(cx(std::numeric_limits<std::uint64_t>::max()), cx::pow2(64) - cx(1)));
    BOOST_TEST(identical(cx(std::numeric_limits<std::int64_t>::min()), -cx::pow2(63)));
    BOOST_TEST(wrong == 0u);

    // Truncation toward zero, against mpfr_trunc.
    std::size_t trunc_wrong = 0;
    for (int i = 0; i < 20000; ++i) {
        const cx x = random_cx(rng, -3, 62);
        mp t = exact(x);
        mpfr_trunc(t, t);
        if (static_cast<long long>(x) != mpfr_get_si(t, MPFR_RNDN)) ++trunc_wrong;
    }
    BOOST_TEST(trunc_wrong == 0u);
    BOOST_TEST(static_cast<long long>(cx(2.75)) == 2);
    BOOST_TEST(static_cast<long long>(cx(-2.75)) == -2);
    BOOST_TEST(static_cast<long long>(cx(0.999)) == 0);
    BOOST_TEST(static_cast<long long>(cx(-0.999)) == 0);
    // Out of range: saturation; NaN: 0.
    const long long llmax = std::numeric_limits<long long>::max();
    const long long llmin = std::numeric_limits<long long>::min();
    BOOST_TEST(static_cast<long long>(cx::pow2(63)) == llmax);
    BOOST_TEST(static_cast<long long>(step(cx::pow2(63), -1)) == llmax);  // 2^63 - 2^-129 truncates to 2^63 - 1
    BOOST_TEST(static_cast<long long>(-cx::pow2(63)) == llmin);
    BOOST_TEST(static_cast<long long>(-cx::pow2(63) - cx(0.5)) == llmin);
    BOOST_TEST(static_cast<long long>(-cx::pow2(64)) == llmin);
    BOOST_TEST(static_cast<long long>(cx::infinity()) == llmax);
    BOOST_TEST(static_cast<long long>(-cx::infinity()) == llmin);
    BOOST_TEST(static_cast<long long>(cx::quiet_nan()) == 0);
    BOOST_TEST(static_cast<long long>(std::numeric_limits<cx>::max()) == llmax);
    BOOST_TEST(static_cast<int>(cx(3e9)) == std::numeric_limits<int>::max());
    BOOST_TEST(static_cast<unsigned>(cx(-5)) == 0u);
    BOOST_TEST(static_cast<std::uint64_t>(cx::pow2(64)) == std::numeric_limits<std::uint64_t>::max());
    BOOST_TEST(static_cast<std::int8_t>(cx(-200)) == -128);
    BOOST_TEST(static_cast<bool>(cx(0.5)));
    BOOST_TEST(!static_cast<bool>(-cx(0)));
}

BOOST_AUTO_TEST_CASE(float_ops_fast_paths_equal_generic_paths) {
    namespace d = pm::detail;
    std::mt19937_64 rng(0xfa57ULL);
    std::size_t wrong = 0;
    auto same = [](const cx& a, const generic50& b) { return identical(a, b.v); };
    for (long k = emin - 300; k <= emax + 300; k += 1 + static_cast<long>(rng() % 97)) {
        if (!same(d::pow2<cx>(k), d::pow2<generic50>(k))) ++wrong;
    }
    for (long k : {emin - 1, emin, emin + 1, emax - 1, emax, emax + 1, 0L}) {
        if (!same(d::pow2<cx>(k), d::pow2<generic50>(k))) ++wrong;
    }
    for (int i = 0; i < 400; ++i) {
        const cx x = random_cx(rng, emin, emax);
        const generic50 g(x);
        const auto dx = d::decompose(x);
        const auto dg = d::decompose(g);
        if (!same(dx.m, dg.m) || dx.e != dg.e) ++wrong;
        if (d::significand_limbs(dx.m) != d::significand_limbs(dg.m)) ++wrong;
        const long k = static_cast<long>(rng() % 70000) - 35000;
        if (!same(d::ldexp(x, k), d::ldexp(g, k))) ++wrong;
    }
    for (const cx& x : {cx(0), -cx(0), cx::infinity(), -cx::infinity(), std::numeric_limits<cx>::max(),
                        std::numeric_limits<cx>::min()}) {
        for (long k : {-1L, 0L, 1L, 40000L, -40000L}) {
            if (!same(d::ldexp(x, k), d::ldexp(generic50(x), k))) ++wrong;
        }
    }
    BOOST_TEST(d::ldexp(cx::quiet_nan(), 3).is_nan());
    // The functions through both paths, at run time.
    for (double x : {0.375, -2.5, 1e6, 0x1p-40, 1e22}) {
        if (!same(pm::sin(cx(x)), pm::sin(generic50(cx(x))))) ++wrong;
        if (!same(pm::cos(cx(x)), pm::cos(generic50(cx(x))))) ++wrong;
    }
    for (double x : {-12.5, 100.25, 0x1p-30, -11000.0}) {
        if (!same(pm::exp(cx(x)), pm::exp(generic50(cx(x))))) ++wrong;
    }
    for (const cx& x : {cx(1e-30), cx(3), cx::pow2(-16000), cx(0x1.8p+1000)}) {
        if (!same(pm::log(x), pm::log(generic50(x)))) ++wrong;
        if (!same(pm::sqrt(x), pm::sqrt(generic50(x)))) ++wrong;
    }
    fmt::print("float_ops fast paths against the generic code: {} differences\n", wrong);
    BOOST_TEST(wrong == 0u);
}

BOOST_AUTO_TEST_CASE(sin_cos_within_1ulp) {
    std::mt19937_64 rng(0x5c05ULL);
    fn_checker s("sin", 1.0);
    fn_checker c("cos", 1.0);
    const std::size_t n = pt::sample_count(1000);
    for (std::size_t i = 0; i < n; ++i) {
        // |x| over the binades 2^-40 .. 2^40, and a few over the whole range
        const cx x = (i % 10 == 9) ? random_cx(rng, 40, emax) : random_cx(rng, -40, 40);
        check1(s, f_sin, mpfr_sin, x);
        check1(c, f_cos, mpfr_cos, x);
    }
    for (unsigned long k : {1UL, 2UL, 3UL, 4UL, 7UL, 100UL, 636620UL, 1000000007UL}) {
        const cx m = multiple_of_half_pi(k);
        for (int d = -2; d <= 2; ++d) {
            check1(s, f_sin, mpfr_sin, step(m, d));
            check1(c, f_cos, mpfr_cos, step(m, d));
        }
    }
    for (const cx& x : {cx(1e6), cx(1e22), std::numeric_limits<cx>::max(), std::numeric_limits<cx>::min(),
                        cx::pow2(-97), cx::pow2(-96), cx::pow2(16000)}) {
        check1(s, f_sin, mpfr_sin, x);
        check1(c, f_cos, mpfr_cos, x);
    }
    BOOST_TEST(identical(pm::sin(-cx(0)), -cx(0)));
    BOOST_TEST(pm::sin(cx::infinity()).is_nan());
    BOOST_TEST(pm::cos(cx::quiet_nan()).is_nan());
}

BOOST_AUTO_TEST_CASE(exp_log_pow_within_1ulp) {
    std::mt19937_64 rng(0xe1095ULL);
    fn_checker e("exp", 1.0);
    fn_checker l("log", 1.0);
    fn_checker p("pow", 1.0);
    const std::size_t n = pt::sample_count(600);
    const cx ln_max(11356.5);  // ln(2^16384) = 11356.52...
    const cx ln_min(-11355.1);  // ln(2^-16382) = -11355.13...
    for (std::size_t i = 0; i < n; ++i) {
        // exp: |x| over binades 2^-40 .. 2^13, inside the range of the result
        cx x = random_cx(rng, -40, 13);
        if (x > ln_max || x < ln_min) x = x * cx(0.5);
        check1(e, f_exp, mpfr_exp, x);
        // log: every binade, and near 1
        check1(l, f_log, mpfr_log, random_cx(rng, emin, emax, false));
        check1(l, f_log, mpfr_log, cx(1) + random_cx(rng, -60, -2));
        // pow: base 2^-60 .. 2^60, exponent |y| <= 64
        const cx b = random_cx(rng, -60, 60, false);
        const cx y = random_cx(rng, -20, 5);
        check2(p, f_pow, mpfr_pow, b, y);
    }
    // RoPE-like: 10000^(-2i/128)
    for (int i = 0; i < 64; ++i) check2(p, f_pow, mpfr_pow, cx(10000), cx(-2 * i) / cx(128));
    for (const cx& x : {cx(11356), cx(-11355), cx(700), cx(-745), cx(0x1p-100), cx(1) / cx(3)}) {
        check1(e, f_exp, mpfr_exp, x);
    }
    BOOST_TEST(pm::exp(cx(11357)).is_inf());
    BOOST_TEST(identical(pm::exp(cx(-11360)), cx(0)));
    BOOST_TEST(identical(pm::log(cx(1)), cx(0)));
    BOOST_TEST(identical(pm::log(cx(0)), -cx::infinity()));
    BOOST_TEST(pm::log(cx(-1)).is_nan());
    BOOST_TEST(identical(pm::pow(cx(2), cx(0)), cx(1)));
}

BOOST_AUTO_TEST_CASE(sqrt_correctly_rounded_hypot_within_1ulp) {
    std::mt19937_64 rng(0x5a27ULL);
    fn_checker h("hypot", 1.0);
    std::size_t sqrt_wrong = 0;
    const std::size_t n = pt::sample_count(1000);
    for (std::size_t i = 0; i < n; ++i) {
        const cx x = random_cx(rng, emin, emax, false);
        mp r(P);
        mpfr_sqrt(r, exact(x), MPFR_RNDN);
        if (!identical(pm::sqrt(x), from_mpfr(r)) && ++sqrt_wrong <= 8) {
            BOOST_ERROR("sqrt(" << text(x) << ") = " << text(pm::sqrt(x)) << ", correctly rounded " << text(r.get()));
        }
        const cx a = random_cx(rng, -100, 100);
        const long ea = a.decompose().exponent;
        const cx b = random_with_exponent(rng, ea + static_cast<long>(rng() % 201) - 100);
        check2(h, f_hypot, mpfr_hypot, a, b);
    }
    fmt::print("sqrt<cx_float50>: {} points, {} not correctly rounded\n", n, sqrt_wrong);
    BOOST_TEST(sqrt_wrong == 0u);
    BOOST_TEST(identical(pm::sqrt(-cx(0)), -cx(0)));
    BOOST_TEST(pm::sqrt(cx(-1)).is_nan());
    BOOST_TEST(identical(pm::hypot(cx::infinity(), cx::quiet_nan()), cx::infinity()));
}

BOOST_AUTO_TEST_CASE(constexpr_values_equal_run_time_and_mpfr) {
    // The arguments pass through a volatile double so that the calls below run at run time.
    volatile double opaque = 0.0;
    auto rt = [&](double x) { return cx(x + opaque); };
    struct row {
        const char* name;
        cx compile_time;
        cx run_time;
        mp reference;
    };
    auto r1 = [](mpfr_unary f, const cx& x) { return ref1(f, x); };
    std::vector<row> rows;
    rows.push_back({"sin(1e6)", ct_sin_1e6, pm::sin(rt(1e6)), r1(mpfr_sin, cx(1e6))});
    rows.push_back({"sin(0.375)", ct_sin_small, pm::sin(rt(0.375)), r1(mpfr_sin, cx(0.375))});
    rows.push_back({"cos(1e6)", ct_cos_1e6, pm::cos(rt(1e6)), r1(mpfr_cos, cx(1e6))});
    rows.push_back({"cos(-2.5)", ct_cos_neg, pm::cos(rt(-2.5)), r1(mpfr_cos, cx(-2.5))});
    rows.push_back({"exp(-12.5)", ct_exp_neg, pm::exp(rt(-12.5)), r1(mpfr_exp, cx(-12.5))});
    rows.push_back({"exp(100.25)", ct_exp_big, pm::exp(rt(100.25)), r1(mpfr_exp, cx(100.25))});
    rows.push_back({"log(1e-30)", ct_log_tiny, pm::log(rt(1e-30)), r1(mpfr_log, cx(1e-30))});
    rows.push_back({"log(3)", ct_log_3, pm::log(rt(3)), r1(mpfr_log, cx(3))});
    rows.push_back(
        {"pow(10000, -0.375)", ct_pow, pm::pow(rt(10000), rt(-0.375)), ref2(mpfr_pow, cx(10000), cx(-0.375))});
    rows.push_back({"sqrt(2)", ct_sqrt_2, pm::sqrt(rt(2)), r1(mpfr_sqrt, cx(2))});
    rows.push_back({"sqrt(1e-300)", ct_sqrt_tiny, pm::sqrt(rt(1e-300)), r1(mpfr_sqrt, cx(1e-300))});
    double max_err = 0.0;
    std::string worst;
    for (const row& r : rows) {
        const double err = ulp_error(r.compile_time, r.reference);
        if (err > max_err) {
            max_err = err;
            worst = r.name;
        }
        BOOST_TEST(identical(r.compile_time, r.run_time), r.name << ": compile time " << text(r.compile_time)
                                                                   << " != run time " << text(r.run_time));
        BOOST_TEST(err <= 1.0, r.name << ": " << err << " ulp from MPFR");
        BOOST_TEST(err <= pt::math_measured_ceiling, r.name << ": " << err << " ulp from MPFR");  // 0.4936 measured
    }
    fmt::print("constexpr cx_float50: {} values, all equal to run time; max {:.6f} ulp from MPFR at {}\n", rows.size(),
               max_err, worst);
    mp pi(P);
    mpfr_const_pi(pi, MPFR_RNDN);
    constexpr cx ct_pi = pm::pi<cx>();
    BOOST_TEST(identical(ct_pi, from_mpfr(pi)));
}
