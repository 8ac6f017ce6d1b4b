// The .npy reader and writer (include/posenc/io/npy.hpp): round trips through make_npy, float16 and
// bfloat16 decoding against values worked out by hand, files written by numpy itself
// (tests/data/npy/, made by scripts/gen_npy_files.py), and the message of every refusal.
#define BOOST_TEST_MODULE test_npy
#include <boost/test/unit_test.hpp>
#include <posenc/io/npy.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using posenc::io::npy_array;
using posenc::io::npy_error;
using posenc::io::npy_type;

constexpr std::size_t mib = std::size_t{1} << 20;

/// tests/data/npy, found next to this source file.
std::filesystem::path data_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "data" / "npy";
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot open " << p.string() << " (regenerate with scripts/gen_npy_files.py)");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

npy_array parse(std::string_view image, std::size_t max_bytes = mib) {
    return posenc::io::parse_npy(reinterpret_cast<const unsigned char*>(image.data()), image.size(), "x.npy", max_bytes);
}

npy_array load(const std::string& name) { return posenc::io::read_npy((data_dir() / name).string(), mib); }

/// The message parse(image) throws, or "(accepted)".
std::string refusal(std::string_view image, std::size_t max_bytes = mib) {
    try {
        (void)parse(image, max_bytes);
    } catch (const npy_error& e) {
        return e.what();
    }
    return "(accepted)";
}

std::string file_refusal(const std::string& name) {
    try {
        (void)load(name);
    } catch (const npy_error& e) {
        return e.what();
    }
    return "(accepted)";
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

/// A version 1.0 image with the given dict text (no padding) and data.
std::string image(std::string_view dict, std::string_view data = {}, std::string_view version = std::string_view("\x01\x00", 2)) {
    std::string header(dict);
    header += '\n';
    std::string out("\x93NUMPY", 6);
    out += version;
    if (version[0] == '\x01') {
        out += static_cast<char>(header.size() & 0xff);
        out += static_cast<char>(header.size() >> 8);
    } else {
        for (int i = 0; i < 4; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
    }
    return out + header + std::string(data);
}

const std::string f4_123("\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40", 12);  // 1, 2, 3 as <f4

bool same_double(double a, double b) {
    return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(every_type_and_shape) {
    const std::vector<std::vector<std::size_t>> shapes = {{}, {0}, {3}, {2, 3, 4}};
    const npy_type types[] = {npy_type::float64, npy_type::float32, npy_type::float16,
                              npy_type::uint16,  npy_type::int64,   npy_type::int32};
    for (const npy_type t : types) {
        for (const auto& shape : shapes) {
            std::size_t n = 1;
            for (const std::size_t d : shape) n *= d;
            // element k holds k - 5 (k + 1 for uint16, whose bits are the value here)
            std::vector<double> f64(n);
            std::vector<float> f32(n);
            std::vector<std::uint16_t> u16(n);
            std::vector<std::int64_t> i64(n);
            std::vector<std::int32_t> i32(n);
            for (std::size_t k = 0; k < n; ++k) {
                const auto v = static_cast<int>(k) - 5;
                f64[k] = v * 0.25;
                f32[k] = static_cast<float>(v) * 0.25f;
                u16[k] = static_cast<std::uint16_t>(k + 1);
                i64[k] = v * 1000000000000LL;
                i32[k] = v * 100000;
            }
            const void* data = nullptr;
            switch (t) {
                case npy_type::float64: data = f64.data(); break;
                case npy_type::float32: data = f32.data(); break;
                case npy_type::float16:
                case npy_type::uint16: data = u16.data(); break;
                case npy_type::int64: data = i64.data(); break;
                case npy_type::int32: data = i32.data(); break;
            }
            const std::string file = posenc::io::make_npy(t, shape, data);
            const std::string what = std::string(posenc::io::npy_type_name(t)) + " " + posenc::io::npy_shape_text(shape);
            BOOST_TEST(file.size() % 64 == (n * posenc::io::npy_item_size(t)) % 64, what);
            const npy_array a = parse(file);
            BOOST_TEST((a.type == t), what);
            BOOST_TEST(a.shape == shape, what);
            BOOST_TEST(a.size() == n, what);
            BOOST_TEST(a.bytes.size() == n * posenc::io::npy_item_size(t), what);
            const std::vector<double> d = posenc::io::to_doubles(a, false);
            BOOST_TEST_REQUIRE(d.size() == n, what);
            for (std::size_t k = 0; k < n; ++k) {
                const auto v = static_cast<int>(k) - 5;
                double want = 0;
                switch (t) {
                    case npy_type::float64:
                    case npy_type::float32: want = v * 0.25; break;
                    case npy_type::float16: want = posenc::io::half_to_double(static_cast<std::uint16_t>(k + 1)); break;
                    case npy_type::uint16: want = static_cast<double>(k + 1); break;
                    case npy_type::int64: want = v * 1e12; break;
                    case npy_type::int32: want = v * 1e5; break;
                }
                BOOST_TEST(d[k] == want, what << " element " << k);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(writer_header_text) {
    // numpy's layout: magic, version 1.0, uint16 length, the dict repr, spaces, '\n'; 64-byte total.
    const float v[3] = {1, 2, 3};
    const std::string file = posenc::io::make_npy(npy_type::float32, {3}, v);
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    // 10 + 57 + 1 = 68 bytes before padding: the data start at 128.
    BOOST_TEST_REQUIRE(dict.size() == 57u);
    BOOST_TEST_REQUIRE(file.size() == 128u + 12u);
    BOOST_TEST(file.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    BOOST_TEST(static_cast<unsigned char>(file[8]) == 118u);  // 128 - 10
    BOOST_TEST(file[9] == '\0');
    BOOST_TEST(file.substr(10, dict.size()) == dict);
    BOOST_TEST(file.substr(10 + dict.size(), 60) == std::string(60, ' '));  // 128 - 10 - 57 - 1
    BOOST_TEST(file[127] == '\n');
    BOOST_TEST(file.substr(128) == f4_123);
    const std::string scalar = posenc::io::make_npy(npy_type::int64, {}, std::vector<std::int64_t>{7}.data());
    BOOST_TEST(contains(scalar, "'shape': (), }"));
    const std::string cube = posenc::io::make_npy(npy_type::float16, {2, 3, 4}, std::vector<std::uint16_t>(24).data());
    BOOST_TEST(contains(cube, "'descr': '<f2'"));
    BOOST_TEST(contains(cube, "'shape': (2, 3, 4), }"));
}

BOOST_AUTO_TEST_CASE(writer_matches_numpy) {
    // The dict text and the data bytes make_npy writes are those numpy wrote for the same array
    // (numpy >= 1.23 pads the header further, so the padding is not compared).
    for (const char* name : {"f8_vec.npy", "f4_cube.npy", "f2_special.npy", "i4_pos3.npy", "f8_scalar.npy", "f4_empty.npy"}) {
        const std::string theirs = slurp(data_dir() / name);
        const npy_array a = parse(theirs);
        // make_npy takes host-order elements: rebuild them from the little-endian bytes.
        std::vector<unsigned char> host(a.bytes.size());
        const std::size_t item = posenc::io::npy_item_size(a.type);
        for (std::size_t i = 0; i < host.size(); ++i) {
            const std::size_t byte = i % item;
            host[i] = a.bytes[i - byte + (std::endian::native == std::endian::little ? byte : item - 1 - byte)];
        }
        const std::string ours = posenc::io::make_npy(a.type, a.shape, host.data());
        const std::size_t their_end = theirs.find('}'), our_end = ours.find('}');
        BOOST_TEST_REQUIRE(their_end != std::string::npos);
        BOOST_TEST(ours.substr(0, 8) == theirs.substr(0, 8), name);
        BOOST_TEST(ours.substr(10, our_end - 9) == theirs.substr(10, their_end - 9), name);
        BOOST_TEST(ours.size() % 64 == a.bytes.size() % 64, name);
        BOOST_TEST(ours.substr(ours.size() - a.bytes.size()) == theirs.substr(theirs.size() - a.bytes.size()), name);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(conversion)

BOOST_AUTO_TEST_CASE(float16_values) {
    using posenc::io::half_to_double;
    // (bits, value): exact powers of two and the format's extremes.
    const std::pair<std::uint16_t, double> cases[] = {
        {0x3c00, 1.0},
        {0xc000, -2.0},
        {0x3800, 0.5},
        {0x7bff, 65504.0},                  // largest finite
        {0x0001, 5.9604644775390625e-08},   // 2^-24, smallest subnormal
        {0x0400, 6.103515625e-05},          // 2^-14, smallest normal
        {0x03ff, 6.097555160522461e-05},    // 1023 * 2^-24, largest subnormal
        {0x3555, 0.333251953125},           // 1365 / 4096
        {0x3bff, 0.99951171875},            // 1 - 2^-11
        {0x3c01, 1.0009765625},             // 1 + 2^-10
        {0x7c00, std::numeric_limits<double>::infinity()},
        {0xfc00, -std::numeric_limits<double>::infinity()},
    };
    for (const auto& [bits, want] : cases) BOOST_TEST(half_to_double(bits) == want, "bits 0x" << std::hex << bits);
    BOOST_TEST(half_to_double(0x0000) == 0.0);
    BOOST_TEST(!std::signbit(half_to_double(0x0000)));
    BOOST_TEST(half_to_double(0x8000) == 0.0);
    BOOST_TEST(std::signbit(half_to_double(0x8000)));
    for (const std::uint16_t nan : {0x7e00, 0x7c01, 0x7fff, 0xfe00}) BOOST_TEST(std::isnan(half_to_double(nan)));
    BOOST_TEST(std::signbit(half_to_double(0xfe00)));
    // Every positive finite pattern: a multiple of 2^-24, strictly above the previous pattern.
    double previous = -1;
    for (unsigned b = 0; b < 0x7c00; ++b) {
        const double v = half_to_double(static_cast<std::uint16_t>(b));
        BOOST_TEST_REQUIRE(v > previous, "0x" << std::hex << b);
        BOOST_TEST_REQUIRE(std::ldexp(v, 24) == std::floor(std::ldexp(v, 24)), "0x" << std::hex << b);
        BOOST_TEST_REQUIRE(half_to_double(static_cast<std::uint16_t>(b | 0x8000)) == -v);
        previous = v;
    }
}

BOOST_AUTO_TEST_CASE(bfloat16_values) {
    using posenc::io::bfloat16_to_double;
    BOOST_TEST(bfloat16_to_double(0x3f80) == 1.0);
    BOOST_TEST(bfloat16_to_double(0xc000) == -2.0);
    BOOST_TEST(bfloat16_to_double(0x3e80) == 0.25);
    BOOST_TEST(bfloat16_to_double(0x3f81) == 1.0078125);                   // 1 + 2^-7
    BOOST_TEST(bfloat16_to_double(0x7f7f) == 3.3895313892515355e+38);      // (2 - 2^-7) * 2^127
    BOOST_TEST(bfloat16_to_double(0x0001) == 9.183549615799121e-41);       // 2^-133
    BOOST_TEST(bfloat16_to_double(0x0080) == 1.1754943508222875e-38);      // 2^-126
    BOOST_TEST(bfloat16_to_double(0x7f80) == std::numeric_limits<double>::infinity());
    BOOST_TEST(bfloat16_to_double(0xff80) == -std::numeric_limits<double>::infinity());
    BOOST_TEST(std::isnan(bfloat16_to_double(0x7fc0)));
    BOOST_TEST(std::signbit(bfloat16_to_double(0x8000)));
}

BOOST_AUTO_TEST_CASE(to_integers_accepts) {
    const std::vector<std::int32_t> i32 = {0, -1, 2147483647, -2147483647 - 1};
    BOOST_TEST(posenc::io::to_integers(parse(posenc::io::make_npy(npy_type::int32, {4}, i32.data())), "p") ==
                   (std::vector<long long>{0, -1, 2147483647LL, -2147483648LL}),
               boost::test_tools::per_element());
    const std::vector<double> f64 = {0.0, -0.0, 3.0, 9007199254740992.0, -9007199254740992.0};
    BOOST_TEST(posenc::io::to_integers(parse(posenc::io::make_npy(npy_type::float64, {5}, f64.data())), "p") ==
                   (std::vector<long long>{0, 0, 3, 9007199254740992LL, -9007199254740992LL}),
               boost::test_tools::per_element());
    const std::vector<std::uint16_t> f16 = {0x4200, 0x7bff};  // 3, 65504
    BOOST_TEST(posenc::io::to_integers(parse(posenc::io::make_npy(npy_type::float16, {2}, f16.data())), "p") ==
                   (std::vector<long long>{3, 65504}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(to_integers_refuses) {
    const auto refused = [](npy_type t, const void* data, std::size_t n) -> std::string {
        try {
            (void)posenc::io::to_integers(parse(posenc::io::make_npy(t, {n}, data)), "--positions");
        } catch (const npy_error& e) {
            return e.what();
        }
        return "(accepted)";
    };
    const std::vector<double> half = {1.0, 2.5};
    const std::string m1 = refused(npy_type::float64, half.data(), 2);
    BOOST_TEST(contains(m1, "--positions: element 1 is 2.5, not an integer"), m1);
    const std::vector<double> huge = {9007199254740994.0};
    const std::string m2 = refused(npy_type::float64, huge.data(), 1);
    BOOST_TEST(contains(m2, "element 0 is 9007199254740994, beyond 2^53"), m2);
    const std::vector<float> nan = {0.f, std::numeric_limits<float>::quiet_NaN()};
    const std::string m3 = refused(npy_type::float32, nan.data(), 2);
    BOOST_TEST(contains(m3, "element 1 is nan, not an integer"), m3);
    const std::vector<std::uint16_t> inf16 = {0x7c00};
    const std::string m4 = refused(npy_type::float16, inf16.data(), 1);
    BOOST_TEST(contains(m4, "element 0 is inf, beyond 2^53"), m4);
    const std::vector<std::uint16_t> u16 = {1, 2};
    const std::string m5 = refused(npy_type::uint16, u16.data(), 2);
    BOOST_TEST(contains(m5, "--positions: uint16 data are not read as integers"), m5);
    BOOST_TEST(contains(m5, "int64 or int32"), m5);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(numpy_files)

BOOST_AUTO_TEST_CASE(float_files) {
    const npy_array v = load("f8_vec.npy");
    BOOST_TEST((v.type == npy_type::float64));
    BOOST_TEST(v.shape == (std::vector<std::size_t>{5}));
    const std::vector<double> vd = posenc::io::to_doubles(v, false);
    const double want_v[] = {0.5, -1.25, 1e300, std::ldexp(1.0, -1074), -0.0};
    BOOST_TEST_REQUIRE(vd.size() == 5u);
    for (std::size_t k = 0; k < 5; ++k) BOOST_TEST(same_double(vd[k], want_v[k]), "element " << k);

    const npy_array c = load("f4_cube.npy");
    BOOST_TEST((c.type == npy_type::float32));
    BOOST_TEST(c.shape == (std::vector<std::size_t>{2, 3, 4}));
    const std::vector<double> cd = posenc::io::to_doubles(c, false);
    BOOST_TEST_REQUIRE(cd.size() == 24u);
    for (std::size_t k = 0; k < 24; ++k) BOOST_TEST(cd[k] == static_cast<double>(k) * 0.5 - 3, "element " << k);

    const npy_array s = load("f8_scalar.npy");
    BOOST_TEST(s.shape.empty());
    BOOST_TEST(s.size() == 1u);
    BOOST_TEST(posenc::io::to_doubles(s, false) == std::vector<double>{2.5}, boost::test_tools::per_element());

    const npy_array e = load("f4_empty.npy");
    BOOST_TEST(e.shape == (std::vector<std::size_t>{0}));
    BOOST_TEST(e.size() == 0u);
    BOOST_TEST(posenc::io::to_doubles(e, false).empty());

    for (const char* name : {"f4_v2.npy", "f4_v3.npy"}) {
        const npy_array a = load(name);
        BOOST_TEST((a.type == npy_type::float32), name);
        BOOST_TEST(posenc::io::to_doubles(a, false) == (std::vector<double>{1, 2, 3}), boost::test_tools::per_element());
    }
}

BOOST_AUTO_TEST_CASE(half_and_bfloat16_files) {
    const npy_array h = load("f2_special.npy");
    BOOST_TEST((h.type == npy_type::float16));
    const std::vector<double> hd = posenc::io::to_doubles(h, false);
    const double inf = std::numeric_limits<double>::infinity();
    const double want_h[] = {0.0, -0.0, 1.0, 65504.0, std::ldexp(1.0, -24), std::ldexp(1.0, -14),
                             std::ldexp(1023.0, -24), inf, -inf, std::numeric_limits<double>::quiet_NaN()};
    BOOST_TEST_REQUIRE(hd.size() == 10u);
    for (std::size_t k = 0; k < 10; ++k) BOOST_TEST(same_double(hd[k], want_h[k]), "element " << k << ": " << hd[k]);

    const npy_array b = load("u2_bf16.npy");
    BOOST_TEST((b.type == npy_type::uint16));
    BOOST_TEST(posenc::io::npy_type_name(b.type) == "uint16");
    BOOST_TEST(posenc::io::to_doubles(b, false) == (std::vector<double>{16256, 49152, 32639, 1, 32640, 16000}),
               boost::test_tools::per_element());
    const double want_b[] = {1.0, -2.0, std::ldexp(255.0, 120), std::ldexp(1.0, -133), inf, 0.25};
    const std::vector<double> bd = posenc::io::to_doubles(b, true);
    BOOST_TEST_REQUIRE(bd.size() == 6u);
    for (std::size_t k = 0; k < 6; ++k) BOOST_TEST(bd[k] == want_b[k], "element " << k);
}

BOOST_AUTO_TEST_CASE(integer_files) {
    const npy_array p = load("i8_pos.npy");
    BOOST_TEST((p.type == npy_type::int64));
    BOOST_TEST(posenc::io::to_integers(p, "p") == (std::vector<long long>{0, 1, 4096, -7}),
               boost::test_tools::per_element());
    const npy_array q = load("i4_pos3.npy");
    BOOST_TEST((q.type == npy_type::int32));
    BOOST_TEST(q.shape == (std::vector<std::size_t>{3, 4}));
    const std::vector<long long> qi = posenc::io::to_integers(q, "q");
    BOOST_TEST_REQUIRE(qi.size() == 12u);
    for (long long r = 0; r < 3; ++r) {
        for (long long c = 0; c < 4; ++c) BOOST_TEST(qi[static_cast<std::size_t>(4 * r + c)] == 10 * r + c);
    }
}

BOOST_AUTO_TEST_CASE(refused_files) {
    const std::pair<const char*, const char*> cases[] = {
        {"f4_fortran.npy", "Fortran order is not supported (save np.ascontiguousarray(a))"},
        {"f4_big.npy", "big-endian data is not supported (save with .astype('<f4'))"},
        {"obj.npy", "unsupported dtype \"|O\" (object"},
        {"c16.npy", "unsupported dtype \"<c16\" (complex)"},
        {"b1.npy", "unsupported dtype \"|b1\" (bool)"},
        {"u1.npy", "unsupported dtype \"|u1\" (unsigned integer)"},
        {"struct.npy", "structured dtypes (a list descr) are not supported"},
        {"truncated.npy", "truncated: the header promises 96 bytes of data, the file has 91 after it"},
        {"trailing.npy", "3 trailing bytes after the data"},
    };
    for (const auto& [name, words] : cases) {
        const std::string m = file_refusal(name);
        BOOST_TEST(contains(m, words), name << ": " << m);
        BOOST_TEST(contains(m, (data_dir() / name).string() + ": "), name << ": " << m);
    }
    // The dtype refusals list what is supported.
    BOOST_TEST(contains(file_refusal("c16.npy"), "supported dtypes: '<f8' (float64), '<f4' (float32)"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(malformed)

BOOST_AUTO_TEST_CASE(preamble) {
    BOOST_TEST(contains(refusal(""), "x.npy: not a .npy file: it does not start with the magic string"));
    BOOST_TEST(contains(refusal("PK\x03\x04 zip file"), "not a .npy file"));
    BOOST_TEST(contains(refusal(std::string("\x93NUMPY\x01", 7)), "truncated: the file ends inside the .npy version"));
    BOOST_TEST(contains(refusal(std::string("\x93NUMPY\x02\x00\x10\x00", 10)), "truncated: the file ends inside the .npy header length"));
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    BOOST_TEST(contains(refusal(image(dict, f4_123, std::string_view("\x01\x01", 2))),
                        "unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)"));
    BOOST_TEST(contains(refusal(image(dict, f4_123, std::string_view("\x04\x00", 2))), "unsupported .npy format version 4.0"));
    BOOST_TEST(refusal(image(dict, f4_123, std::string_view("\x02\x00", 2))) == "(accepted)");
    BOOST_TEST(contains(refusal(std::string("\x93NUMPY\x01\x00\xff\xff{'descr'", 17)),
                        "truncated: the header length is 65535 bytes, the file has 7 after the preamble"));
    BOOST_TEST(contains(refusal(std::string("\x93NUMPY\x02\x00\x01\x00\x10\x00", 12)),
                        "header length 1048577 exceeds the limit of 1048576 bytes"));
    BOOST_TEST(contains(refusal(std::string("\x93NUMPY\x01\x00\x04\x00{}  ", 14)), "does not end with '\\n'"));
    // Every proper prefix of a valid file is refused as an npy_error (never read past its end).
    const std::string full = posenc::io::make_npy(npy_type::float32, {3}, std::vector<float>{1, 2, 3}.data());
    for (std::size_t n = 0; n < full.size(); ++n) BOOST_TEST(refusal(full.substr(0, n)) != "(accepted)", n);
}

BOOST_AUTO_TEST_CASE(header_dict) {
    const auto dict_refusal = [](std::string_view dict, std::string_view data = {}) { return refusal(image(dict, data)); };
    // accepted spellings
    BOOST_TEST(dict_refusal("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3,)}", f4_123) == "(accepted)");
    BOOST_TEST(dict_refusal("{'shape':(3 ,),'descr':'<f4','fortran_order':False,}   ", f4_123) == "(accepted)");
    BOOST_TEST(dict_refusal("  { 'descr' : '<f4' , 'fortran_order' : True , 'shape' : ( 3 , ) }", f4_123) == "(accepted)");
    BOOST_TEST(dict_refusal("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 1, 1), }", f4_123) == "(accepted)");
    BOOST_TEST(dict_refusal("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 5), }") == "(accepted)");

    const std::pair<std::string, std::string> cases[] = {
        {"'descr': '<f4'", "the header is not a Python dict: expected '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
         "header key \"extra\" is not one of 'descr', 'fortran_order', 'shape'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}", "header key 'descr' appears twice"},
        {"{'descr': '<f4', 'shape': (3,)}", "the header lacks the key 'fortran_order'"},
        {"{'fortran_order': False, 'shape': (3,)}", "the header lacks the key 'descr'"},
        {"{'descr': '<f4', 'fortran_order': False}", "the header lacks the key 'shape'"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}", "expected ',' or '}' after the value of 'descr'"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}", "expected ':' after the key 'descr'"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (3,)}", "unsupported dtype \"<f4, \" (floating point)"},
        {"{'descr': '<f4", "unterminated string"},
        {"{descr: '<f4'}", "expected a key in quotes or '}'"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (3,)}", "'fortran_order' must be True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} x", "unexpected text after the header dict"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [3]}", "'shape' must be a tuple of non-negative integers"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3)}", "'shape' (3) is an integer, not a tuple: a 1-D shape is written (3,)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}", "'shape' has a negative dimension"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3 4)}", "expected ',' or ')' in 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "'shape' must hold non-negative integers"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (03,)}", "a dimension of 'shape' has a leading zero"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1)}",
         "'shape' has more than 8 dimensions"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
         "'shape' has a dimension too large to count"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
         "shape (4294967296, 4294967296) overflows: its byte count does not fit in size_t"},
        // zero elements, but the other dimensions' byte count overflows (fuzz.npy finding:
        // tests/fuzz/corpus_npy/regress_zero_dim_overflow.npy; make_npy refuses such a shape)
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (99999999, 42949672969, 0)}",
         "shape (99999999, 42949672969, 0) overflows: its byte count does not fit in size_t"},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,)}",
         "shape (2305843009213693952,) overflows: its byte count does not fit in size_t"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2)}",
         "Fortran order is not supported (save np.ascontiguousarray(a))"},
        {"{'descr': '>u2', 'fortran_order': False, 'shape': (3,)}", "big-endian data is not supported (save with .astype('<u2'))"},
        {"{'descr': '>i8', 'fortran_order': False, 'shape': (3,)}", "big-endian data is not supported (save with .astype('<i8'))"},
        {"{'descr': '<f16', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype \"<f16\" (floating point)"},
        {"{'descr': '>c8', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype \">c8\" (complex)"},
        {"{'descr': 'f4', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype \"f4\""},
        {"{'descr': '<U3', 'fortran_order': False, 'shape': (3,)}", "unsupported dtype \"<U3\" (unicode string)"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}", "structured dtypes (a list descr)"},
        {"{'descr': {'names': []}, 'fortran_order': False, 'shape': (3,)}", "dtypes with metadata (a dict descr)"},
        {"{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (3,)}", "backslash escapes are not supported"},
    };
    for (const auto& [dict, words] : cases) {
        const std::string m = dict_refusal(dict, f4_123);
        BOOST_TEST(m.starts_with("x.npy: "), dict << " -> " << m);
        BOOST_TEST(contains(m, words), dict << " -> " << m);
    }
    // A binary byte in the header is shown escaped.
    const std::string m = dict_refusal(std::string("{'descr': '<f4', 'fortran_order': ") + "\x01");
    BOOST_TEST(contains(m, "found \"\\x01\""), m);
}

BOOST_AUTO_TEST_CASE(data_length) {
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    BOOST_TEST(contains(refusal(image(dict, f4_123.substr(0, 11))),
                        "x.npy: truncated: the header promises 12 bytes of data, the file has 11 after it"));
    BOOST_TEST(contains(refusal(image(dict, f4_123 + "z")), "x.npy: 1 trailing bytes after the data"));
    BOOST_TEST(refusal(image(dict, f4_123), 12) == "(accepted)");
    BOOST_TEST(contains(refusal(image(dict, f4_123), 11), "x.npy: too large: 12 bytes of data, the limit is 11"));
    // A header promising 2^43 bytes is refused for its size before anything is allocated.
    const std::string huge = image("{'descr': '<f8', 'fortran_order': False, 'shape': (1024, 1024, 1024, 1024)}");
    BOOST_TEST(contains(refusal(huge), "too large: 8796093022208 bytes of data, the limit is 1048576"));
}

BOOST_AUTO_TEST_CASE(read_npy_files) {
    // A directory of its own: test runs of several build directories may share the temp directory.
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("posenc_test_npy_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const auto io_refusal = [](const std::string& path, std::size_t max_bytes) -> std::string {
        try {
            (void)posenc::io::read_npy(path, max_bytes);
        } catch (const posenc::io::npy_io_error& e) {
            return std::string("io: ") + e.what();
        } catch (const npy_error& e) {
            return e.what();
        }
        return "(accepted)";
    };
    const std::string missing = (dir / "missing.npy").string();
    std::filesystem::remove(missing);
    BOOST_TEST(contains(io_refusal(missing, mib), "io: " + missing + ": cannot read"));
    BOOST_TEST(contains(io_refusal(dir.string(), mib), "io: " + dir.string() + ": cannot read: not a regular file"));
    // A file larger than the data limit plus the largest header is refused from its size alone.
    const std::string big = (dir / "big.npy").string();
    {
        std::ofstream out(big, std::ios::binary);
        out << std::string(posenc::io::npy_max_header_bytes + 200, 'x');
    }
    BOOST_TEST(contains(io_refusal(big, 100), big + ": too large: the file has"));
    BOOST_TEST(contains(io_refusal(big, 100), "the limit is 100 bytes of data"));
    BOOST_TEST(contains(io_refusal(big, mib), big + ": not a .npy file"));
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
