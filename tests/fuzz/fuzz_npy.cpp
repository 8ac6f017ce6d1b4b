// libFuzzer target on the .npy reader (posenc/io/npy.hpp): the bytes are a .npy file image, parsed
// with a 1 MiB data limit; an accepted array is converted with to_doubles (uint16 as integers and
// as bfloat16) and to_integers, and written back with make_npy, which must parse to the same array.
//
// Expected outcomes, not findings: posenc::io::npy_error (bad input, or to_integers refusing an
// element). Everything else is a finding: another exception, a message that does not start with the
// name given, an accepted array whose shape, element count and byte count disagree, conversions of
// the wrong length, a make_npy image that does not read back identically, and any crash or
// sanitizer report (out-of-bounds read, overflow, a leak, an allocation beyond -rss_limit_mb).
//
// Built by tests/fuzz/CMakeLists.txt with clang (-fsanitize=fuzzer,address,undefined); run by the
// ctest fuzz.npy (20 s on the seed corpus tests/fuzz/corpus_npy/ with the dictionary npy.dict).
#include <posenc/io/npy.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view name = "fuzz.npy";
constexpr std::size_t max_bytes = std::size_t{1} << 20;

[[noreturn]] void finding(const std::string& what) {
    std::fprintf(stderr, "fuzz_npy: FINDING: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

void check_message(const posenc::io::npy_error& e, std::string_view where) {
    const std::string_view m = e.what();
    if (!m.starts_with(std::string(name) + ": ") || m.size() <= name.size() + 2) {
        finding(std::string(where) + ": message without the name prefix: " + std::string(m));
    }
}

void check_array(const posenc::io::npy_array& a) {
    using namespace posenc::io;
    const std::size_t item = npy_item_size(a.type);
    if (a.shape.size() > npy_max_dims || item == 0 || a.bytes.size() != a.size() * item ||
        a.bytes.size() > max_bytes) {
        finding("accepted an array of " + std::string(npy_type_name(a.type)) + " shape " + npy_shape_text(a.shape) +
                " with " + std::to_string(a.bytes.size()) + " bytes");
    }
    for (const bool bf16 : {false, true}) {
        if (to_doubles(a, bf16).size() != a.size()) finding("to_doubles gave the wrong number of elements");
    }
    try {
        if (to_integers(a, name).size() != a.size()) finding("to_integers gave the wrong number of elements");
    } catch (const npy_error& e) {
        check_message(e, "to_integers");
    }
    if constexpr (std::endian::native == std::endian::little) {
        const std::string image = make_npy(a.type, a.shape, a.bytes.data());
        const npy_array b =
            parse_npy(reinterpret_cast<const unsigned char*>(image.data()), image.size(), name, max_bytes);
        if (b.type != a.type || b.shape != a.shape || b.bytes != a.bytes) {
            finding("make_npy of an accepted array does not read back identically");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const posenc::io::npy_array a = posenc::io::parse_npy(data, size, name, max_bytes);
        check_array(a);
    } catch (const posenc::io::npy_error& e) {
        check_message(e, "parse_npy");
    } catch (const std::exception& e) {
        finding(std::string("something other than npy_error was thrown: ") + e.what());
    }
    return 0;
}
