// tests/support/mpfr_light.hpp: the parts of the test support that need only MPFR and the standard
// library, for tests that cannot afford Boost.Multiprecision's headers (the kernel tests, built
// without the shared precompiled header): an RAII mpfr_t (`mp`) and `sample_count`.
// reference.hpp includes it.
#pragma once

#include <mpfr.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <string_view>

namespace posenc_test {

/// An mpfr_t with a lifetime. Converts implicitly to mpfr_ptr / mpfr_srcptr so that it can be
/// passed to MPFR functions directly.
class mp {
public:
    explicit mp(mpfr_prec_t prec) { mpfr_init2(v_, prec); }
    mp(mpfr_prec_t prec, long value) {
        mpfr_init2(v_, prec);
        mpfr_set_si(v_, value, MPFR_RNDN);
    }
    mp(const mp& other) {
        mpfr_init2(v_, mpfr_get_prec(other.v_));
        mpfr_set(v_, other.v_, MPFR_RNDN);
    }
    mp(mp&& other) noexcept {
        mpfr_init2(v_, MPFR_PREC_MIN);
        mpfr_swap(v_, other.v_);
    }
    mp& operator=(const mp& other) {
        if (this != &other) {
            mpfr_set_prec(v_, mpfr_get_prec(other.v_));
            mpfr_set(v_, other.v_, MPFR_RNDN);
        }
        return *this;
    }
    mp& operator=(mp&& other) noexcept {
        mpfr_swap(v_, other.v_);
        return *this;
    }
    ~mp() { mpfr_clear(v_); }

    operator mpfr_ptr() { return v_; }
    operator mpfr_srcptr() const { return v_; }
    mpfr_ptr get() { return v_; }
    mpfr_srcptr get() const { return v_; }
    mpfr_prec_t prec() const { return mpfr_get_prec(v_); }

private:
    mpfr_t v_;
};

/// n, or n / 10 when the environment sets POSENC_QUICK=1 (sanitizer builds): sample counts only,
/// never tolerances.
inline std::size_t sample_count(std::size_t n) {
    const char* quick = std::getenv("POSENC_QUICK");
    if (quick != nullptr && std::string_view(quick) == "1") return std::max<std::size_t>(n / 10, 1);
    return n;
}

}  // namespace posenc_test
