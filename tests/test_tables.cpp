// Re-derives every bit of the tables in include/posenc/math/detail/tables.hpp with MPFR, which is
// independent of the mpmath script that generated them.
//
// Each table holds the first N bits of a constant c in [0, 1) as 32-bit limbs, most significant
// first: limbs = floor(c * 2^N). MPFR gives lower and upper bounds of c (directed rounding at
// N + 128 bits); when floor(lower * 2^N) == floor(upper * 2^N), that integer is floor(c * 2^N)
// for certain, and it is compared with the table limb by limb.
#define BOOST_TEST_MODULE test_tables
#include <boost/test/unit_test.hpp>

#include <posenc/math/detail/tables.hpp>
#include <support/reference.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace {

using posenc_test::mp;
using posenc_test::mpz;

enum class which { two_over_pi, pi_over_4, ln2 };

/// Sets dst to a lower (RNDD) or upper (RNDU) bound of the constant at precision prec.
void bound(mpfr_ptr dst, which c, mpfr_rnd_t dir) {
    const bool up = dir == MPFR_RNDU;
    switch (c) {
    case which::two_over_pi: {
        mp pi(mpfr_get_prec(dst));
        mpfr_const_pi(pi, up ? MPFR_RNDD : MPFR_RNDU);  // 2/pi is largest for the smallest pi
        mpfr_ui_div(dst, 2, pi, dir);
        break;
    }
    case which::pi_over_4:
        mpfr_const_pi(dst, dir);
        mpfr_div_2ui(dst, dst, 2, dir);  // exact
        break;
    case which::ln2:
        mpfr_const_log2(dst, dir);
        break;
    }
}

void check_table(const char* name, which c, const std::uint32_t* table, std::size_t limbs) {
    const long nbits = 32L * static_cast<long>(limbs);
    mp lo(nbits + 128);
    mp hi(nbits + 128);
    bound(lo, c, MPFR_RNDD);
    bound(hi, c, MPFR_RNDU);
    BOOST_TEST_REQUIRE(mpfr_cmp(lo, hi) < 0);
    BOOST_TEST_REQUIRE(mpfr_cmp_ui(lo, 0) > 0);
    BOOST_TEST_REQUIRE(mpfr_cmp_ui(hi, 1) < 0);

    mpfr_mul_2si(lo, lo, nbits, MPFR_RNDN);  // exact
    mpfr_mul_2si(hi, hi, nbits, MPFR_RNDN);
    mpz nlo;
    mpz nhi;
    mpfr_get_z(nlo, lo, MPFR_RNDD);
    mpfr_get_z(nhi, hi, MPFR_RNDD);
    // The two bounds must agree on every bit kept, else the reference is not decided.
    BOOST_TEST_REQUIRE(mpz_cmp(nlo.get(), nhi.get()) == 0);

    mpz limb;
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < limbs; ++i) {
        const auto shift = static_cast<mp_bitcnt_t>(nbits - 32L * static_cast<long>(i + 1));
        mpz_fdiv_q_2exp(limb, nlo, shift);
        mpz_fdiv_r_2exp(limb, limb, 32);
        const auto expected = static_cast<std::uint32_t>(mpz_get_ui(limb));
        if (table[i] != expected) {
            if (++mismatches <= 20) fmt::print("{}[{}] = 0x{:08x}, MPFR gives 0x{:08x}\n", name, i, table[i], expected);
        }
    }
    fmt::print("{}: {} limbs ({} bits) compared with MPFR, {} mismatches\n", name, limbs, nbits, mismatches);
    BOOST_TEST(mismatches == 0u);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_over_pi_bits) {
    namespace d = posenc::math::detail;
    // 17408 bits: enough for an exact reduction of every finite __float128 (binade 2^16383).
    BOOST_TEST(std::size(d::two_over_pi_bits) == 544u);
    check_table("two_over_pi_bits", which::two_over_pi, d::two_over_pi_bits, std::size(d::two_over_pi_bits));
}

BOOST_AUTO_TEST_CASE(pi_over_4_bits) {
    namespace d = posenc::math::detail;
    BOOST_TEST(std::size(d::pi_over_4_bits) == 64u);
    check_table("pi_over_4_bits", which::pi_over_4, d::pi_over_4_bits, std::size(d::pi_over_4_bits));
}

BOOST_AUTO_TEST_CASE(ln2_bits) {
    namespace d = posenc::math::detail;
    BOOST_TEST(std::size(d::ln2_bits) == 64u);
    check_table("ln2_bits", which::ln2, d::ln2_bits, std::size(d::ln2_bits));
}
