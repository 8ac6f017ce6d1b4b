// libFuzzer target on the Python module's parameter parsing (python/src/spec.hpp, spec.cpp:
// rope_spec): the bytes are lines "name=value", each given to rope_spec::set as a keyword argument
// of posenc.Rope would be; then the parameters are parsed at double and at cpp_bin_float_50
// (rope_spec::params<T>) and posenc::rope<double> (posenc::mrope<double> when an mrope_section is
// given) is constructed, as posenc.Rope(...) does.
//
// Expected outcomes, not findings: posenc::invalid_parameter from set (an unknown name), from
// params (a text that is not a number, integer, flag, rope type or layout) or from the constructor
// (a value out of range). Everything else is a finding: another exception, a NaN, infinite or
// negative theta or a non-finite attention factor out of a constructed rope, a rope whose geometry
// is not what the parameters say, and any crash or sanitizer report.
//
// Built by tests/fuzz/CMakeLists.txt with clang (-fsanitize=fuzzer,address,undefined); run by the
// ctest fuzz.spec (on the seed corpus tests/fuzz/corpus_spec/, dictionary spec.dict).
#include "spec.hpp"

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_spec: FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

template <class R>
void check(const R& r, long head_dim) {
    if (r.head_dim() != head_dim || r.rotary_dim() < 2 || r.rotary_dim() > r.head_dim() || r.rotary_dim() % 2 != 0 ||
        r.inv_freq().size() != static_cast<std::size_t>(r.pairs())) {
        finding("head_dim " + std::to_string(head_dim) + " gave head_dim " + std::to_string(r.head_dim()) + ", rotary_dim " +
                std::to_string(r.rotary_dim()));
    }
    for (const double t : r.inv_freq()) {
        if (!std::isfinite(t) || t < 0) finding("theta " + std::to_string(t));
    }
    if (!std::isfinite(r.attention_factor())) finding("attention factor " + std::to_string(r.attention_factor()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    posenc_py::rope_spec spec;
    try {
        while (!text.empty()) {
            const std::size_t nl = text.find('\n');
            const std::string_view line = text.substr(0, nl);
            text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
            const std::size_t eq = line.find('=');
            if (eq == std::string_view::npos) continue;
            spec.set(line.substr(0, eq), std::string(line.substr(eq + 1)));
        }
        (void)spec.params<boost::multiprecision::cpp_bin_float_50>();
        const posenc::rope_params<double> p = spec.params<double>();
        if (spec.is_mrope()) {
            check(posenc::mrope<double>(p), p.head_dim);
        } else {
            check(posenc::rope<double>(p), p.head_dim);
        }
    } catch (const posenc::invalid_parameter&) {
        return 0;
    } catch (const std::exception& e) {
        finding(std::string("something other than posenc::invalid_parameter: ") + e.what());
    }
    return 0;
}
