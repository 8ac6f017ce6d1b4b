// libFuzzer target on the posenc tool's option parsers (experiments/cli/common.*): the first byte
// picks the parser, the rest is the option's text:
//   0-1  parse_index_spec (--distances, --positions, --context, ...): comma lists of integers,
//        a:b, a:b:step, log:a:b:n, within [0, 2^62] (0) or [-2^24, 2^24] (1), at most 10^5 values
//   2    parse_shard (--shard i/N)
//   3-6  parse_number at double, long double, cpp_bin_float_50, cpp_bin_float_100 (--base, --x, ...)
//   7    parse_list<double> (--long-factor, --short-factor, --x lists)
//   8    parse_tensor_shape (bench --shapes)
//   9    parse_number at float
// Expected outcome, not a finding: posenc_cli::usage_error (the message names the option). Everything
// else is a finding: another exception, a value outside the range the parser promises (an index
// outside [min, max], more than max_spec_values of them, a shard index >= its count, a number that is
// not finite while the text is not inf/nan, a shape outside its bounds), any crash or sanitizer
// report, and any input that takes long (libFuzzer's -timeout).
//
// Built by tests/fuzz/CMakeLists.txt with clang (-fsanitize=fuzzer,address,undefined); run by the
// ctest fuzz.cli (seed corpus tests/fuzz/corpus_cli/, dictionary cli.dict); scripts/fuzz cli longer.
#include "cli/common.hpp"

#include <boost/multiprecision/cpp_bin_float.hpp>

#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {

namespace pc = posenc_cli;

[[noreturn]] void finding(const std::string& what, const std::string& text) {
    std::fprintf(stderr, "fuzz_cli finding: %s (input '%s')\n", what.c_str(), text.c_str());
    std::abort();
}

template <class T>
void number(const std::string& text, const char* precision) {
    const T v = pc::parse_number<T>(text, precision, "--base");
    using std::isfinite;
    using boost::multiprecision::isfinite;
    if (!pc::is_special(text) && !isfinite(v)) finding(std::string("parse_number at ") + precision + " gave a non-finite value", text);
}

void run(std::uint8_t which, const std::string& text) {
    switch (which % 10) {
        case 0:
        case 1: {
            const long long lo = which % 10 == 0 ? 0 : -(1LL << 24);
            const long long hi = which % 10 == 0 ? (1LL << 62) : (1LL << 24);
            // a cap of 10^5 values rather than the tool's 10^8 (the same checks, made before any value
            // is): a 10^8-value list takes seconds under the sanitizers, which would stall the fuzzer
            constexpr long long cap = 100'000;
            const std::vector<long long> v = pc::parse_index_spec(text, "--distances", lo, hi, cap);
            if (static_cast<long long>(v.size()) > cap) finding("more values than the cap", text);
            for (const long long x : v) {
                if (x < lo || x > hi) finding("an index outside [min, max]: " + std::to_string(x), text);
            }
            break;
        }
        case 2: {
            const pc::shard s = pc::parse_shard(text);
            if (s.count < 1 || s.index < 0 || s.index >= s.count) finding("a shard index outside [0, N)", text);
            const auto [b, e] = s.range(1000);
            if (b > e || e > 1000) finding("a shard range outside the rows", text);
            break;
        }
        case 3: number<double>(text, "double"); break;
        case 4: number<long double>(text, "long-double"); break;
        case 5: number<boost::multiprecision::cpp_bin_float_50>(text, "50"); break;
        case 6: number<boost::multiprecision::cpp_bin_float_100>(text, "100"); break;
        case 7: {
            std::string lower = text;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const bool special_item = lower.find("inf") != std::string::npos || lower.find("nan") != std::string::npos;
            for (const double x : pc::parse_list<double>(text, "double", "--long-factor")) {
                if (!std::isfinite(x) && !special_item) finding("parse_list gave a non-finite value", text);
            }
            break;
        }
        case 9: number<float>(text, "float"); break;
        default: {
            const pc::tensor_shape s = pc::parse_tensor_shape(text);
            if (s.tokens < 1 || s.tokens > (1 << 24) || s.heads < 1 || s.heads > 4096 || s.head_dim < 2 || s.head_dim % 2 != 0 ||
                s.head_dim > 65536 || static_cast<long long>(s.tokens) * s.heads * s.head_dim > (1LL << 30)) {
                finding("a shape outside its bounds", text);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0 || size > 4096) return 0;  // option texts are short; longer inputs only cost time
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        run(data[0], text);
    } catch (const pc::usage_error&) {
        // the expected refusal
    } catch (const std::exception& e) {
        finding(std::string("unexpected exception: ") + e.what(), text);
    }
    return 0;
}
