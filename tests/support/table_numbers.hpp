// The numbers of the script-generated reference tables (tests/data/*_tables.ipp, decimal strings
// of 80+ digits): read at 448 bits and rounded once to the type under test. Shared by the RoPE,
// 2D RoPE, decay and analysis tests.
#pragma once

#include <support/reference.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace posenc_test {

inline constexpr mpfr_prec_t table_prec = 448;  // > 120 decimal digits

/// A table string at table_prec bits.
inline mp parse(const char* text) {
    mp v(table_prec);
    if (mpfr_set_str(v, text, 10, MPFR_RNDN) != 0) throw std::logic_error(std::string("bad number in table: ") + text);
    return v;
}

/// The table string correctly rounded to T.
template <class T>
T to_t(const char* text) {
    return from_mpfr<T>(parse(text));
}

template <class T>
std::vector<T> to_t(const std::vector<const char*>& texts) {
    std::vector<T> out;
    out.reserve(texts.size());
    for (const char* t : texts) out.push_back(to_t<T>(t));
    return out;
}

}  // namespace posenc_test
