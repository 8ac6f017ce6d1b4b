// posenc::math::pi, two_pi, half_pi and ln2 must be correctly rounded (round to nearest) in every
// type: compared with MPFR's value rounded to the type's precision.
//
// Reference: MPFR computes each constant with directed rounding (lower and upper bounds) at
// digits + 64 bits; both bounds are rounded to nearest at the type's precision and must agree (the
// constants are irrational, so this decides the correctly rounded value), which is then compared
// with posenc's value bit for bit. The ulp error against the digits + 64 bit value is printed.
#define BOOST_TEST_MODULE test_constants
#include <boost/test/unit_test.hpp>

#include <posenc/math/constants.hpp>
#include <support/reference.hpp>
#include <support/type_lists.hpp>

namespace {

namespace pt = posenc_test;
using pt::mp;

enum class constant { pi, two_pi, half_pi, ln2 };

void mpfr_constant(mpfr_ptr dst, constant c, mpfr_rnd_t rnd) {
    if (c == constant::ln2) {
        mpfr_const_log2(dst, rnd);
        return;
    }
    mpfr_const_pi(dst, rnd);
    if (c == constant::two_pi) mpfr_mul_2ui(dst, dst, 1, rnd);   // exact
    if (c == constant::half_pi) mpfr_div_2ui(dst, dst, 1, rnd);  // exact
}

template <class T>
T posenc_constant(constant c) {
    switch (c) {
    case constant::pi: return posenc::math::pi<T>();
    case constant::two_pi: return posenc::math::two_pi<T>();
    case constant::half_pi: return posenc::math::half_pi<T>();
    case constant::ln2: return posenc::math::ln2<T>();
    }
    return T(0);
}

template <class T>
void check_constants() {
    constexpr int p = pt::digits<T>;
    const struct {
        constant c;
        const char* name;
    } all[] = {{constant::pi, "pi"}, {constant::two_pi, "two_pi"}, {constant::half_pi, "half_pi"},
               {constant::ln2, "ln2"}};
    double worst = 0;
    for (const auto& k : all) {
        mp lo(pt::ref_prec<T>);
        mp hi(pt::ref_prec<T>);
        mpfr_constant(lo, k.c, MPFR_RNDD);
        mpfr_constant(hi, k.c, MPFR_RNDU);
        mp rn_lo(p);
        mp rn_hi(p);
        mpfr_set(rn_lo, lo, MPFR_RNDN);
        mpfr_set(rn_hi, hi, MPFR_RNDN);
        BOOST_TEST_REQUIRE(mpfr_equal_p(rn_lo, rn_hi) != 0);  // the reference is decided

        const T value = posenc_constant<T>(k.c);
        const mp got = pt::exact(value);
        const bool same = mpfr_equal_p(got, rn_lo) != 0;
        mp mid(pt::ref_prec<T>);
        mpfr_constant(mid, k.c, MPFR_RNDN);
        const double err = pt::ulp_error(value, mid);
        worst = std::max(worst, err);
        fmt::print("{}<{}>: {} ulp from the exact value{}\n", k.name, pt::type_name<T>(), err,
                   same ? "" : fmt::format(" (NOT the correctly rounded {}, got {})", pt::mpfr_text(rn_lo),
                                           pt::to_text(value)));
        // 0 ulp from the correctly rounded value (so <= 0.5 ulp from the exact one): the claim.
        BOOST_TEST(same, k.name << "<" << pt::type_name<T>() << "> is not correctly rounded");
        BOOST_TEST(err <= 0.5);
    }
    fmt::print("constants<{}>: max {:.6f} ulp\n", pt::type_name<T>(), worst);
}

}  // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(constants, T, pt::real_types) { check_constants<T>(); }
