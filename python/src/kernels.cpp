// python/src/kernels.cpp: the float32 kernels (posenc/kernels.hpp) for Python, registered on
// posenc._posenc.kernels and exposed as they are by python/posenc/kernels.py, which also holds the
// two helpers these functions call for anything that is not a numpy array (a CPU torch tensor
// becomes a numpy view of its memory; a sequence of positions an array).
//
// Zero-copy: q, k and the outputs are float32 arrays whose memory the kernel reads and writes
// directly, through a posenc::kernels::tensor_view built from the array's shape and byte strides.
// Nothing is ever converted: a wrong dtype is a TypeError, a layout the kernels cannot address (a
// last axis that is not contiguous, strides that are not whole floats, negative strides, an
// unaligned pointer) a ValueError, each naming the argument. Positions are small and may be any
// integer array (read in place when they are contiguous int64, else copied to int64).
//
// The kernels run with the GIL released. Thread pools are cached per thread count (a free list, so
// that concurrent calls from several Python threads each get a pool of their own), and the kernel
// frequencies of the last few ropes are cached by content, so that a decode-shape call costs
// little more than the kernel (scripts/bench_python).
#include "bindings.hpp"
#include "objects.hpp"

#include <posenc/kernels.hpp>

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;
namespace pk = posenc::kernels;

namespace posenc_py {
namespace {

// ---- errors -----------------------------------------------------------------------------------

/// TypeError / ValueError "NAME: problem".
[[noreturn]] void type_error(const std::string& name, const std::string& problem) {
    throw py::type_error(name + ": " + problem);
}
[[noreturn]] void value_error(const std::string& name, const std::string& problem) {
    throw py::value_error(name + ": " + problem);
}

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

std::string shape_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string strides_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.strides(i));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string dtype_text(const py::dtype& dt) { return py::str(py::handle(dt)); }

bool native_order(char byteorder) {
    constexpr bool little = std::endian::native == std::endian::little;
    return byteorder == '=' || byteorder == '|' || byteorder == (little ? '<' : '>');
}

/// A helper of python/posenc/kernels.py (torch tensors and sequences, the slow paths).
py::object python_helper(const char* name) { return py::module_::import("posenc.kernels").attr(name); }

// ---- scalar arguments -------------------------------------------------------------------------

/// How q, k and the outputs store their axes.
enum class storage { tokens_major, heads_major };

storage storage_of(py::handle layout) {
    if (PyUnicode_Check(layout.ptr())) {
        if (PyUnicode_CompareWithASCIIString(layout.ptr(), "tokens_major") == 0) return storage::tokens_major;
        if (PyUnicode_CompareWithASCIIString(layout.ptr(), "heads_major") == 0) return storage::heads_major;
        value_error("layout", "must be 'tokens_major' ([tokens, heads, head_dim]) or 'heads_major' ([heads, tokens, head_dim]), got " +
                                  std::string(py::repr(layout)) + " (the pair layout, interleaved or half-split, is the rope's)");
    }
    type_error("layout", "must be 'tokens_major' or 'heads_major', got " + type_name(layout));
}

unsigned threads_of(py::handle threads) {
    if (!PyLong_Check(threads.ptr()) || PyBool_Check(threads.ptr())) {
        type_error("threads", "must be an int >= 1, got " + type_name(threads));
    }
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(threads.ptr(), &overflow);
    if (overflow != 0 || n < 1 || n > 1024) value_error("threads", "must be in [1, 1024], got " + std::string(py::str(threads)));
    return static_cast<unsigned>(n);
}

bool flag_of(py::handle v, const char* name) {
    if (PyBool_Check(v.ptr())) return v.ptr() == Py_True;
    if (type_name(v) == "bool_") return py::cast<bool>(v);  // numpy.bool_
    type_error(name, "must be True or False, got " + type_name(v));
}

/// The C++ object of a registered class instance, or a TypeError naming the argument. (None and
/// other types fail the isinstance test; pybind11's reference_cast_error, which a function body
/// must not let escape, is caught too.)
template <class T>
const T& object_of(py::handle h, const char* name, const char* expected) {
    if (py::isinstance<T>(h)) {
        try {
            return py::cast<const T&>(h);
        } catch (const py::cast_error&) {
        } catch (const py::reference_cast_error&) {
        }
    }
    type_error(name, std::string("must be a ") + expected + ", got " + type_name(h));
}

const rope_object& rope_of(py::handle rope) { return object_of<rope_object>(rope, "rope", "posenc.Rope"); }
const mrope_object& mrope_of(py::handle mrope) { return object_of<mrope_object>(mrope, "mrope", "posenc.Mrope"); }

// ---- tensors ----------------------------------------------------------------------------------

/// A float32 numpy array of 3 dimensions (a CPU torch tensor: its numpy view, kernels.py
/// _tensor_view), or a TypeError / ValueError naming it.
py::array float_array_of(py::handle obj, const char* name) {
    py::object view = py::reinterpret_borrow<py::object>(obj);
    if (!py::isinstance<py::array>(obj)) view = python_helper("_tensor_view")(obj, name);
    if (!py::isinstance<py::array>(view)) {
        type_error(name, "must be a float32 numpy.ndarray or CPU torch.Tensor, got " + type_name(obj));
    }
    py::array a = py::reinterpret_steal<py::array>(view.release());
    const py::dtype dt = a.dtype();
    if (!(dt.kind() == 'f' && dt.itemsize() == 4 && native_order(dt.byteorder()))) {
        type_error(name, "dtype is " + dtype_text(dt) + "; the kernels work on float32 in place and never convert (a converted copy would not be " +
                             name + "'s memory): pass a float32 array");
    }
    if (a.ndim() != 3) {
        value_error(name, "must have 3 dimensions ([tokens, heads, head_dim], or [heads, tokens, head_dim] with "
                          "layout='heads_major'), got shape " + shape_text(a));
    }
    return a;
}

/// The tensor_view of a checked float array (see float_array_of) for frequencies of `head_dim`.
pk::tensor_view view_of(const py::array& a, const char* name, storage order, int head_dim, bool writable) {
    if (a.shape(2) != head_dim) {
        value_error(name, "head_dim (the last axis) is " + std::to_string(a.shape(2)) + ", the rope's head_dim is " +
                              std::to_string(head_dim) + " (shape " + shape_text(a) + ")");
    }
    const int ta = order == storage::tokens_major ? 0 : 1;  // the axis of tokens
    const int ha = 1 - ta;
    if (a.shape(0) > INT_MAX || a.shape(1) > INT_MAX) value_error(name, "more than 2^31 - 1 tokens or heads (shape " + shape_text(a) + ")");
    if (a.size() == 0) {  // nothing to rotate (numpy gives empty arrays zero strides)
        if (writable && !a.writeable()) value_error(name, "is read-only");
        return {static_cast<float*>(const_cast<void*>(a.data())), static_cast<int>(a.shape(ta)), static_cast<int>(a.shape(ha)), head_dim, 0, 0};
    }
    if (a.strides(2) != 4) {
        value_error(name, "the last axis (head_dim) must be contiguous, stride 4 bytes; got strides " + strides_text(a) +
                              " (numpy.ascontiguousarray makes a contiguous copy, which is then what is rotated)");
    }
    std::array<std::ptrdiff_t, 2> floats{};
    for (int ax = 0; ax < 2; ++ax) {
        const py::ssize_t s = a.strides(ax);
        if (a.shape(ax) <= 1) continue;  // a stride along a dimension of size 1 is never used
        if (s < 0) value_error(name, "negative strides " + strides_text(a) + " are not supported");
        if (s % 4 != 0) value_error(name, "strides " + strides_text(a) + " must be multiples of 4 bytes (whole float32s)");
        floats[static_cast<std::size_t>(ax)] = s / 4;
    }
    if (reinterpret_cast<std::uintptr_t>(a.data()) % alignof(float) != 0) value_error(name, "data is not aligned to 4 bytes (float32)");
    if (writable && !a.writeable()) {
        value_error(name, std::string("is read-only; ") +
                              (name[0] == 'o' ? "an output must be writable" : "an in-place call writes it (give out_q / out_k to rotate into other arrays)"));
    }
    float* data = static_cast<float*>(const_cast<void*>(a.data()));
    return {data,
            static_cast<int>(a.shape(ta)),
            static_cast<int>(a.shape(ha)),
            head_dim,
            floats[static_cast<std::size_t>(ta)],
            floats[static_cast<std::size_t>(ha)]};
}

/// The tensors of one call: q (and k), each in place or into its output, checked and viewed.
struct operands {
    std::array<py::object, 4> keep;        ///< the arrays of the call (alive while the GIL is released)
    std::array<pk::rope_operand, 2> ops{};  ///< the non-empty operands, q first
    std::array<const char*, 2> names{};     ///< "q" or "k" for each of ops
    std::array<bool, 2> out_of_place{};
    std::size_t count = 0;   ///< operands in ops
    std::size_t tokens = 0;
    py::object result;       ///< what the call returns: q or out_q (and k or out_k), the caller's objects

    [[nodiscard]] std::span<const pk::rope_operand> span() const { return {ops.data(), count}; }
};

operands operands_of(py::handle q, py::handle k, py::handle out_q, py::handle out_k, storage order, int head_dim) {
    static constexpr std::array<const char*, 2> in_names{"q", "k"};
    static constexpr std::array<const char*, 2> out_names{"out_q", "out_k"};
    operands o;
    const int ta = order == storage::tokens_major ? 0 : 1;
    const std::array<py::handle, 2> ins{q, k};
    const std::array<py::handle, 2> outs{out_q, out_k};
    std::array<py::handle, 2> written{};
    for (std::size_t i = 0; i < 2; ++i) {
        const char* name = in_names[i];
        if (ins[i].is_none()) {
            if (i == 0) type_error("q", "is required (a float32 array)");
            if (!outs[i].is_none()) value_error("out_k", "given without k");
            continue;
        }
        const bool in_place = outs[i].is_none();
        const py::array in = float_array_of(ins[i], name);
        const pk::tensor_view vin = view_of(in, name, order, head_dim, in_place);
        const auto tokens = static_cast<std::size_t>(in.shape(ta));
        if (i == 1 && tokens != o.tokens) {
            value_error("k", "has " + std::to_string(tokens) + " tokens (shape " + shape_text(in) + "), q has " + std::to_string(o.tokens));
        }
        o.tokens = tokens;
        pk::tensor_view vout = vin;
        if (!in_place) {
            const py::array out = float_array_of(outs[i], out_names[i]);
            if (!std::equal(out.shape(), out.shape() + 3, in.shape())) {
                value_error(out_names[i], "has shape " + shape_text(out) + ", " + name + " has " + shape_text(in));
            }
            vout = view_of(out, out_names[i], order, head_dim, true);
            o.keep[2 * i + 1] = out;
        }
        o.keep[2 * i] = in;
        written[i] = in_place ? ins[i] : outs[i];
        if (vin.heads == 0 || vin.tokens == 0) continue;  // nothing to rotate
        o.ops[o.count] = {vin, vout};
        o.names[o.count] = name;
        o.out_of_place[o.count] = !in_place;
        ++o.count;
    }
    if (k.is_none()) {
        o.result = py::reinterpret_borrow<py::object>(written[0]);
    } else {
        o.result = py::make_tuple(written[0], written[1]);
    }
    return o;
}

/// A kernel_error of the kernel's own checks (overlaps, mostly) as a ValueError naming the Python
/// argument: "q (input)" -> q, "q (output)" -> out_q (out of place), "q" -> out_q or q; the kernel
/// calls its only operand "tensor". `first`, `count`: the operands of o the failed call had.
[[noreturn]] void rethrow_kernel_error(const pk::kernel_error& e, const operands& o, std::size_t first, std::size_t count) {
    const std::string& arg = e.argument();
    const std::string prefix = "posenc kernels: " + arg + ": ";
    std::string problem = e.what();
    if (problem.rfind(prefix, 0) == 0) problem = problem.substr(prefix.size());
    std::string name = arg;
    for (std::size_t j = 0; j < count; ++j) {
        const std::size_t i = first + j;
        const std::string kernel_name = count == 1 ? "tensor" : (j == 0 ? "q" : "k");
        if (arg.rfind(kernel_name, 0) != 0) continue;
        const bool input = arg.find("(input)") != std::string::npos;
        name = std::string(o.out_of_place[i] && !input ? "out_" : "") + o.names[i];
    }
    value_error(name, problem);
}

// ---- positions --------------------------------------------------------------------------------

std::string position_index(std::size_t i, int per_token) {
    return per_token == 3 ? "[" + std::to_string(i / 3) + ", " + std::to_string(i % 3) + "]" : "[" + std::to_string(i) + "]";
}

[[noreturn]] void position_out_of_range(std::size_t i, int per_token, const std::string& value) {
    value_error("positions", "positions" + position_index(i, per_token) + " = " + value + " is outside [-2^24, 2^24]");
}

/// Reads integers of any width and signedness into int64, checking |p| <= 2^24.
template <class I>
void read_positions(const py::array& a, std::vector<std::int64_t>& out, int per_token) {
    const auto rows = static_cast<std::size_t>(a.shape(0));
    const auto cols = static_cast<std::size_t>(per_token);
    out.resize(rows * cols);
    const char* base = static_cast<const char*>(a.data());
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) {
            I v{};
            const py::ssize_t off = static_cast<py::ssize_t>(i) * a.strides(0) + (per_token == 3 ? static_cast<py::ssize_t>(j) * a.strides(1) : 0);
            std::memcpy(&v, base + off, sizeof(I));
            bool ok = false;
            if constexpr (std::is_signed_v<I>) {
                ok = static_cast<long long>(v) >= -pk::max_position && static_cast<long long>(v) <= pk::max_position;
            } else {
                ok = static_cast<unsigned long long>(v) <= static_cast<unsigned long long>(pk::max_position);
            }
            if (!ok) position_out_of_range(i * cols + j, per_token, std::to_string(v));
            out[i * cols + j] = static_cast<std::int64_t>(v);
        }
    }
}

/// Positions of a call: `per_token` integers (1, or 3 for t, h, w) for each of `tokens` tokens.
struct positions_arg {
    py::object keep;  ///< the array `values` may point into
    std::vector<std::int64_t> copy;
    std::span<const std::int64_t> values;
};

positions_arg positions_of(py::handle obj, std::size_t tokens, int per_token, const char* tokens_from) {
    positions_arg p;
    p.keep = py::isinstance<py::array>(obj) ? py::reinterpret_borrow<py::object>(obj) : python_helper("_positions_array")(obj);
    if (!py::isinstance<py::array>(p.keep)) type_error("positions", "must be an integer array, got " + type_name(obj));
    const auto a = py::reinterpret_borrow<py::array>(p.keep);
    const py::dtype dt = a.dtype();
    if (!(dt.kind() == 'i' || dt.kind() == 'u')) type_error("positions", "must be integers (int64), got dtype " + dtype_text(dt));
    if (!native_order(dt.byteorder())) type_error("positions", "integers in a non-native byte order (" + dtype_text(dt) + ")");
    const bool shape_ok = per_token == 1 ? (a.ndim() == 1 && static_cast<std::size_t>(a.shape(0)) == tokens)
                                         : (a.ndim() == 2 && static_cast<std::size_t>(a.shape(0)) == tokens && a.shape(1) == 3);
    if (!shape_ok) {
        value_error("positions", (per_token == 1 ? "must be 1-D of length " + std::to_string(tokens)
                                                 : "must have shape (" + std::to_string(tokens) + ", 3) (t, h, w of each token)") +
                                     ", the tokens of " + tokens_from + "; got shape " + shape_text(a));
    }
    const py::ssize_t item = dt.itemsize();
    const bool packed = tokens <= 1 ? (per_token == 1 || a.strides(1) == item)
                                    : (a.strides(0) == item * per_token && (per_token == 1 || a.strides(1) == item));
    if (dt.kind() == 'i' && item == 8 && packed) {
        p.values = {static_cast<const std::int64_t*>(a.data()), tokens * static_cast<std::size_t>(per_token)};
        for (std::size_t i = 0; i < p.values.size(); ++i) {
            if (p.values[i] < -pk::max_position || p.values[i] > pk::max_position) position_out_of_range(i, per_token, std::to_string(p.values[i]));
        }
        return p;
    }
    switch (item * (dt.kind() == 'i' ? 1 : -1)) {
        case 1: read_positions<std::int8_t>(a, p.copy, per_token); break;
        case 2: read_positions<std::int16_t>(a, p.copy, per_token); break;
        case 4: read_positions<std::int32_t>(a, p.copy, per_token); break;
        case 8: read_positions<std::int64_t>(a, p.copy, per_token); break;
        case -1: read_positions<std::uint8_t>(a, p.copy, per_token); break;
        case -2: read_positions<std::uint16_t>(a, p.copy, per_token); break;
        case -4: read_positions<std::uint32_t>(a, p.copy, per_token); break;
        case -8: read_positions<std::uint64_t>(a, p.copy, per_token); break;
        default: type_error("positions", "integers of " + std::to_string(item) + " bytes are not supported");
    }
    p.values = p.copy;
    return p;
}

// ---- caches -----------------------------------------------------------------------------------

/// Thread pools per thread count, lent to one call at a time. Never destroyed (worker threads are
/// not joined during interpreter shutdown); after a fork the parent's pools, whose threads the child
/// does not have, are abandoned.
class pool_cache {
public:
    std::unique_ptr<pk::thread_pool> take(unsigned threads) {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            forget_after_fork();
            auto it = free_.find(threads);
            if (it != free_.end()) {
                std::unique_ptr<pk::thread_pool> p = std::move(it->second);
                free_.erase(it);
                return p;
            }
        }
        return std::make_unique<pk::thread_pool>(threads);
    }
    void give_back(std::unique_ptr<pk::thread_pool> p) {
        const std::lock_guard<std::mutex> lock(mutex_);
        forget_after_fork();
        if (free_.count(p->size()) < 2) {
            const unsigned n = p->size();
            free_.emplace(n, std::move(p));
        }
        // otherwise destroyed here: a third concurrent caller with this thread count
    }

private:
    void forget_after_fork() {
        if (pid_ == ::getpid()) return;
        for (auto& [n, p] : free_) static_cast<void>(p.release());  // their threads are the parent's
        free_.clear();
        pid_ = ::getpid();
    }
    std::mutex mutex_;
    std::multimap<unsigned, std::unique_ptr<pk::thread_pool>> free_;
    pid_t pid_ = ::getpid();
};

pool_cache& pools() {
    static pool_cache* const cache = new pool_cache;  // never destroyed (see pool_cache)
    return *cache;
}

/// A pool for one call (none for one thread), returned to the cache afterwards.
class pool_lease {
public:
    explicit pool_lease(unsigned threads) {
        if (threads > 1) pool_ = pools().take(threads);
    }
    ~pool_lease() {
        if (pool_) pools().give_back(std::move(pool_));
    }
    pool_lease(const pool_lease&) = delete;
    pool_lease& operator=(const pool_lease&) = delete;
    [[nodiscard]] pk::thread_pool* get() const { return pool_.get(); }

private:
    std::unique_ptr<pk::thread_pool> pool_;
};

/// The kernel frequencies of the last few ropes, found by content (head_dim, rotary_dim, layout,
/// theta, scale): a hit is the same frequencies whatever object it came from. Called with the GIL
/// held, which serialises it.
class frequency_cache {
public:
    template <class Encoding, class Frequencies, class Make>
    std::shared_ptr<const Frequencies> get(std::vector<std::shared_ptr<const Frequencies>>& slots, const Encoding& e, double scale, const Make& make) {
        for (const auto& f : slots) {
            const pk::rope_frequencies& r = base_of(*f);
            if (r.head_dim() == e.head_dim() && r.rotary_dim() == e.rotary_dim() && r.layout() == e.layout() &&
                r.attention_scale() == scale && r.theta() == e.inv_freq() && matches_extra(*f, e)) {
                return f;
            }
        }
        std::shared_ptr<const Frequencies> f;
        try {
            f = std::make_shared<const Frequencies>(make());
        } catch (const pk::kernel_error& err) {  // outside the kernels' range, e.g. a theta above 2
            value_error("rope", std::string("the kernels cannot take this encoding: ") + err.what());
        }
        if (slots.size() >= 8) slots.erase(slots.begin());
        slots.push_back(f);
        return f;
    }
    std::shared_ptr<const pk::rope_frequencies> of(const rope_object& ro, bool with_attention_factor) {
        const double scale = with_attention_factor ? ro.r64.attention_factor() : 1.0;
        return get(rope_, ro.r64, scale, [&] { return pk::rope_frequencies::from(ro.r64, with_attention_factor); });
    }
    std::shared_ptr<const pk::mrope_frequencies> of(const mrope_object& mo, bool with_attention_factor) {
        const double scale = with_attention_factor ? mo.m64.attention_factor() : 1.0;
        return get(mrope_, mo.m64, scale, [&] { return pk::mrope_frequencies::from(mo.m64, with_attention_factor); });
    }

private:
    static const pk::rope_frequencies& base_of(const pk::rope_frequencies& f) { return f; }
    static const pk::rope_frequencies& base_of(const pk::mrope_frequencies& f) { return f.frequencies(); }
    static bool matches_extra(const pk::rope_frequencies&, const posenc::rope<double>&) { return true; }
    static bool matches_extra(const pk::mrope_frequencies& f, const posenc::mrope<double>& m) {
        return f.interleaved_sections() == m.interleaved_sections() &&
               std::equal(f.section().begin(), f.section().end(), m.params().mrope_section.begin(), m.params().mrope_section.end());
    }
    std::vector<std::shared_ptr<const pk::rope_frequencies>> rope_;
    std::vector<std::shared_ptr<const pk::mrope_frequencies>> mrope_;
};

frequency_cache& frequencies_cache() {
    static frequency_cache* const cache = new frequency_cache;  // never destroyed, as the pools
    return *cache;
}

// ---- the table object -------------------------------------------------------------------------

/// posenc.kernels.CosSinTable: build_table's result, immutable.
struct table_object {
    pk::rope_frequencies freqs;
    pk::cos_sin_table table;
    std::vector<std::int64_t> positions;
};

/// A read-only [positions, pairs] float32 view of a table's cos or sin, kept alive by the table.
py::array table_view(const py::object& self, const std::vector<float>& v) {
    const table_object& t = py::cast<const table_object&>(self);
    const std::vector<py::ssize_t> shape{t.table.positions, t.table.pairs};
    const std::vector<py::ssize_t> strides{static_cast<py::ssize_t>(t.table.stride) * 4, 4};
    py::array a(py::dtype::of<float>(), shape, strides, v.data(), self);
    py::setattr(a.attr("flags"), "writeable", py::bool_(false));
    return a;
}

/// Whether a table's frequencies are those of `f` (same geometry and theta; the scale is the table's).
bool same_rope(const pk::rope_frequencies& a, const pk::rope_frequencies& b) {
    return a.head_dim() == b.head_dim() && a.rotary_dim() == b.rotary_dim() && a.layout() == b.layout() && a.theta() == b.theta();
}

py::dict frequencies_dict(const pk::rope_frequencies& f) {
    py::dict d;
    d["head_dim"] = f.head_dim();
    d["rotary_dim"] = f.rotary_dim();
    d["layout"] = std::string(posenc::layout_name(f.layout()));
    d["theta"] = py::array_t<double>(static_cast<py::ssize_t>(f.theta().size()), f.theta().data());
    d["attention_scale"] = f.attention_scale();
    return d;
}

// ---- the calls --------------------------------------------------------------------------------

/// The byte range [first, last) a view's head vectors span.
std::pair<std::uintptr_t, std::uintptr_t> byte_range(const pk::const_tensor_view& v) {
    const std::ptrdiff_t last = static_cast<std::ptrdiff_t>(v.tokens - 1) * v.token_stride +
                                static_cast<std::ptrdiff_t>(v.heads - 1) * v.head_stride + v.head_dim;
    const auto first = reinterpret_cast<std::uintptr_t>(v.data);
    return {first, first + static_cast<std::uintptr_t>(last) * sizeof(float)};
}

/// Checks q against k, exactly: a ValueError naming the argument when a tensor that is written
/// shares an element with one that the other operand reads or writes. Returns whether the two
/// must go to the kernel in separate calls: the kernel's own check compares byte ranges, and the
/// ranges of q and k interleaved in one buffer (a packed QKV projection) always intersect. When
/// numpy.shares_memory finds no common element, q and k are rotated one after the other (the same
/// bits: a token's coefficients do not depend on the operands); when it gives up
/// (numpy.TooHardError), one call is made and the kernel's check decides.
bool split_operands(const operands& o) {
    if (o.count != 2) return false;
    const pk::rope_operand& q = o.ops[0];
    const pk::rope_operand& k = o.ops[1];
    const auto meet = [](const auto& x, const auto& y) {
        const auto rx = byte_range(x);
        const auto ry = byte_range(y);
        return rx.first < ry.second && ry.first < rx.second;
    };
    // keep[2 i]: the input array of operand i, keep[2 i + 1]: its output (null in place)
    const auto written = [&](std::size_t i) { return o.keep[2 * i + 1] ? o.keep[2 * i + 1] : o.keep[2 * i]; };
    const std::string wq = o.out_of_place[0] ? "out_q" : "q";
    const std::string wk = o.out_of_place[1] ? "out_k" : "k";
    struct conflict {
        bool ranges_meet;
        py::object a, b;
        std::string name, problem;
    };
    const std::array<conflict, 3> conflicts{{
        {meet(q.out, k.out), written(0), written(1), wk, "shares memory with " + wq + " (both are written)"},
        {meet(q.out, k.in), written(0), o.keep[2], wq, "is written and shares memory with k, which is read"},
        {meet(k.out, q.in), written(1), o.keep[0], wk, "is written and shares memory with q, which is read"},
    }};
    if (std::none_of(conflicts.begin(), conflicts.end(), [](const conflict& c) { return c.ranges_meet; })) return false;
    const py::object shares = py::module_::import("numpy").attr("shares_memory");
    for (const conflict& c : conflicts) {
        if (!c.ranges_meet) continue;
        bool shared = false;
        try {
            shared = py::cast<bool>(shares(c.a, c.b, py::arg("max_work") = 1000000));
        } catch (const py::error_already_set&) {  // numpy.TooHardError
            return false;
        }
        if (shared) value_error(c.name, c.problem);
    }
    return true;
}

/// Runs `kernel(ops, pool)` with the GIL released, kernel errors renamed for Python.
template <class Kernel>
void run(const operands& o, unsigned threads, const Kernel& kernel) {
    if (o.count == 0 || o.tokens == 0) return;
    const bool split = split_operands(o);
    std::size_t first = 0;  // the first operand of the call that failed
    try {
        const py::gil_scoped_release release;
        const pool_lease pool(threads);
        if (!split) {
            kernel(o.span(), pool.get());
        } else {
            for (first = 0; first < o.count; ++first) kernel(o.span().subspan(first, 1), pool.get());
        }
    } catch (const pk::kernel_error& e) {
        rethrow_kernel_error(e, o, split ? first : 0, split ? 1 : o.count);
    }
}

const char* tokens_axis(storage order) { return order == storage::tokens_major ? "q.shape[0]" : "q.shape[1] (heads_major)"; }

py::object apply_fused(py::handle rope, py::handle positions, py::handle q, py::handle k, py::handle out_q, py::handle out_k,
                       py::handle layout, py::handle threads, py::handle attention_factor) {
    const rope_object& ro = rope_of(rope);
    const storage order = storage_of(layout);
    const unsigned n = threads_of(threads);
    const bool af = flag_of(attention_factor, "attention_factor");
    const operands o = operands_of(q, k, out_q, out_k, order, ro.r64.head_dim());
    const positions_arg p = positions_of(positions, o.tokens, 1, tokens_axis(order));
    const auto f = frequencies_cache().of(ro, af);
    run(o, n, [&](std::span<const pk::rope_operand> ops, pk::thread_pool* pool) { pk::apply_fused(*f, p.values, ops, pool); });
    return o.result;
}

py::object apply_mrope(py::handle mrope, py::handle positions, py::handle q, py::handle k, py::handle out_q, py::handle out_k,
                       py::handle layout, py::handle threads, py::handle attention_factor) {
    const mrope_object& mo = mrope_of(mrope);
    const storage order = storage_of(layout);
    const unsigned n = threads_of(threads);
    const bool af = flag_of(attention_factor, "attention_factor");
    const operands o = operands_of(q, k, out_q, out_k, order, mo.m64.head_dim());
    const positions_arg p = positions_of(positions, o.tokens, 3, tokens_axis(order));
    const auto f = frequencies_cache().of(mo, af);
    run(o, n, [&](std::span<const pk::rope_operand> ops, pk::thread_pool* pool) { pk::apply_mrope(*f, p.values, ops, pool); });
    return o.result;
}

table_object build_table(py::handle rope, py::handle positions, py::handle threads, py::handle attention_factor) {
    const rope_object& ro = rope_of(rope);
    const unsigned n = threads_of(threads);
    const bool af = flag_of(attention_factor, "attention_factor");
    const py::object array = py::isinstance<py::array>(positions) ? py::reinterpret_borrow<py::object>(positions)
                                                                  : python_helper("_positions_array")(positions);
    if (!py::isinstance<py::array>(array)) type_error("positions", "must be an integer array, got " + type_name(positions));
    const auto a = py::reinterpret_borrow<py::array>(array);
    if (a.ndim() != 1) value_error("positions", "must be 1-D, got shape " + shape_text(a));
    if (a.shape(0) > INT_MAX) value_error("positions", "more than 2^31 - 1 positions");
    const positions_arg p = positions_of(a, static_cast<std::size_t>(a.shape(0)), 1, "positions");
    table_object t{*frequencies_cache().of(ro, af), {}, std::vector<std::int64_t>(p.values.begin(), p.values.end())};
    try {
        const py::gil_scoped_release release;
        const pool_lease pool(n);
        pk::build_table(t.freqs, t.positions, t.table, pool.get());
    } catch (const pk::kernel_error& e) {
        const std::string prefix = "posenc kernels: " + e.argument() + ": ";
        const std::string what = e.what();
        value_error(e.argument(), what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
    }
    return t;
}

py::object apply_table(py::handle rope, py::handle table, py::handle q, py::handle k, py::handle out_q, py::handle out_k,
                       py::handle layout, py::handle threads) {
    const rope_object& ro = rope_of(rope);
    const table_object* t = &object_of<table_object>(table, "table", "posenc.kernels.CosSinTable (from build_table)");
    const storage order = storage_of(layout);
    const unsigned n = threads_of(threads);
    const auto f = frequencies_cache().of(ro, false);
    if (!same_rope(t->freqs, *f)) {
        value_error("table", "was built for another rope (head_dim " + std::to_string(t->freqs.head_dim()) + ", rotary_dim " +
                                 std::to_string(t->freqs.rotary_dim()) + ", " + std::string(posenc::layout_name(t->freqs.layout())) +
                                 ", or other frequencies)");
    }
    const operands o = operands_of(q, k, out_q, out_k, order, ro.r64.head_dim());
    if (o.tokens != static_cast<std::size_t>(t->table.positions)) {
        value_error("table", "has " + std::to_string(t->table.positions) + " rows (positions), " + tokens_axis(order) + " is " +
                                 std::to_string(o.tokens) + " tokens");
    }
    run(o, n, [&](std::span<const pk::rope_operand> ops, pk::thread_pool* pool) { pk::apply_table(t->freqs, t->table, ops, pool); });
    return o.result;
}

/// Seconds per apply_fused call of the kernel alone, timed in C++ over `repeats` calls: what a
/// C++ caller pays (frequencies and pool made once, outside the loop).
double time_apply_fused(py::handle rope, py::handle positions, py::handle q, py::handle k, py::handle out_q, py::handle out_k,
                        py::handle layout, py::handle threads, py::handle attention_factor, long long repeats) {
    const rope_object& ro = rope_of(rope);
    const storage order = storage_of(layout);
    const unsigned n = threads_of(threads);
    const bool af = flag_of(attention_factor, "attention_factor");
    if (repeats < 1) value_error("repeats", "must be >= 1");
    const operands o = operands_of(q, k, out_q, out_k, order, ro.r64.head_dim());
    const positions_arg p = positions_of(positions, o.tokens, 1, tokens_axis(order));
    const pk::rope_frequencies f = pk::rope_frequencies::from(ro.r64, af);
    double seconds = 0;
    run(o, n, [&](std::span<const pk::rope_operand> ops, pk::thread_pool* pool) {
        const auto t0 = std::chrono::steady_clock::now();
        for (long long i = 0; i < repeats; ++i) pk::apply_fused(f, p.values, ops, pool);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
    return seconds / static_cast<double>(repeats);
}

py::dict frequencies(py::handle encoding, py::handle attention_factor) {
    const bool af = flag_of(attention_factor, "attention_factor");
    if (py::isinstance<mrope_object>(encoding)) {
        const auto f = frequencies_cache().of(object_of<mrope_object>(encoding, "rope", "posenc.Rope or posenc.Mrope"), af);
        py::dict d = frequencies_dict(f->frequencies());
        std::vector<std::uint8_t> axes;
        for (const posenc::mrope_axis x : f->axes()) axes.push_back(static_cast<std::uint8_t>(x));
        d["axes"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(axes.size()), axes.data());
        d["mrope_section"] = f->section();
        d["mrope_interleaved"] = f->interleaved_sections();
        return d;
    }
    return frequencies_dict(*frequencies_cache().of(object_of<rope_object>(encoding, "rope", "posenc.Rope or posenc.Mrope"), af));
}

constexpr const char* apply_fused_doc = R"(apply_fused(rope, positions, q, k=None, *, out_q=None, out_k=None, layout="tokens_major", threads=1, attention_factor=False)

Rotates q (and k) by RoPE from per-token integer positions (posenc::kernels::apply_fused): cos/sin
computed once per token in double, each output component rounded once; every output pair within
0.71 + 2^-28 ulp(|x_pair|) of the exact rotation by m * theta_i.

rope: posenc.Rope. positions: integers [tokens], |p| <= 2^24.
q, k: float32 [tokens, heads, head_dim] (layout="heads_major": [heads, tokens, head_dim]), numpy
arrays or CPU torch tensors, any strides with a contiguous last axis; head_dim the rope's.
out_q, out_k: None (rotate in place; the tensor must be writable) or a writable float32 tensor of
the same shape that overlaps no other operand.
threads: >= 1 (the tokens split over a cached pool; the same bits for any count).
attention_factor: multiply cos and sin by rope.attention_factor (HF's yarn / longrope scaling).
Returns what was written, the caller's own objects: q or out_q, or (q', k') when k is given.
Raises TypeError (wrong type or dtype) or ValueError (shape, strides, read-only, overlap, range),
the message starting with the argument's name. The GIL is released while the kernel runs.)";

constexpr const char* apply_mrope_doc = R"(apply_mrope(mrope, positions, q, k=None, *, out_q=None, out_k=None, layout="tokens_major", threads=1, attention_factor=False)

M-RoPE (posenc::kernels::apply_mrope): rotated pair i of token j turns by positions[j, axis(i)] *
theta_i, axis(i) the pair's axis (t, h, w) under mrope_section. Tokens with t = h = w give exactly
apply_fused's bits. Error as apply_fused.

mrope: posenc.Mrope. positions: integers [tokens, 3] (t, h, w), each within [-2^24, 2^24].
The rest as apply_fused.)";

constexpr const char* build_table_doc = R"(build_table(rope, positions, threads=1, attention_factor=False) -> CosSinTable

cos and sin of m * theta_i for every position (a row each, in order) and rotated pair, rounded to
float32 (posenc::kernels::build_table): every entry within 1 ulp of the exact value. With
attention_factor, both are multiplied by rope.attention_factor first.)";

constexpr const char* apply_table_doc = R"(apply_table(rope, table, q, k=None, *, out_q=None, out_k=None, layout="tokens_major", threads=1)

Rotates q (and k) by a CosSinTable of this rope (posenc::kernels::apply_table): token t by row t
(the table has one row per token). Each output pair within 1.42 ulp(|x_pair|) of the exact
rotation (1.71 with an attention scale > 1). The rest as apply_fused.)";

constexpr const char* frequencies_doc = R"(frequencies(rope, attention_factor=False) -> dict

What the kernels compute with for a posenc.Rope or posenc.Mrope: head_dim, rotary_dim, layout
('interleaved' or 'half-split'), theta (float64 [pairs]: the rope's inv_freq in double) and
attention_scale (rope.attention_factor with attention_factor=True, else 1.0); for an Mrope also
axes (uint8 [pairs], 0 = t, 1 = h, 2 = w), mrope_section and mrope_interleaved.)";

}  // namespace

void register_kernels(py::module_& m) {
    m.doc() = "The float32 kernels of posenc/kernels.hpp on numpy arrays; use posenc.kernels (which documents them).";

    py::class_<table_object>(m, "CosSinTable",
                             "cos and sin of m * theta_i (times the attention scale) for positions x pairs, float32, from "
                             "posenc.kernels.build_table; immutable")
        .def_property_readonly("cos", [](const py::object& self) { return table_view(self, py::cast<const table_object&>(self).table.cos); },
                               "float32 [positions, pairs], read-only: cos(m theta_i), times the attention scale")
        .def_property_readonly("sin", [](const py::object& self) { return table_view(self, py::cast<const table_object&>(self).table.sin); },
                               "float32 [positions, pairs], read-only: sin(m theta_i), times the attention scale")
        .def_property_readonly("positions",
                               [](const table_object& t) {
                                   return py::array_t<std::int64_t>(static_cast<py::ssize_t>(t.positions.size()), t.positions.data());
                               },
                               "int64 [positions]: the position of each row (a copy)")
        .def_property_readonly("pairs", [](const table_object& t) { return t.table.pairs; }, "rotated pairs (columns)")
        .def_property_readonly("attention_scale", [](const table_object& t) { return t.freqs.attention_scale(); },
                               "the factor cos and sin were multiplied by (1.0 without attention_factor)")
        .def_property_readonly("frequencies", [](const table_object& t) { return frequencies_dict(t.freqs); },
                               "the kernel frequencies the table was built from (as posenc.kernels.frequencies)")
        .def("__len__", [](const table_object& t) { return t.table.positions; })
        .def("__repr__", [](const table_object& t) {
            return "<posenc.kernels.CosSinTable: " + std::to_string(t.table.positions) + " positions x " + std::to_string(t.table.pairs) +
                   " pairs, head_dim " + std::to_string(t.freqs.head_dim()) + ", " + std::string(posenc::layout_name(t.freqs.layout())) +
                   ", attention_scale " + std::string(py::repr(py::float_(t.freqs.attention_scale()))) + ">";
        });

    py::options options;
    options.disable_function_signatures();  // each docstring starts with the Python signature
    const py::object none = py::none();
    m.def("apply_fused", &apply_fused, py::arg("rope"), py::arg("positions"), py::arg("q"), py::arg("k") = none, py::kw_only(),
          py::arg("out_q") = none, py::arg("out_k") = none, py::arg("layout") = "tokens_major", py::arg("threads") = 1,
          py::arg("attention_factor") = false, apply_fused_doc);
    m.def("apply_mrope", &apply_mrope, py::arg("mrope"), py::arg("positions"), py::arg("q"), py::arg("k") = none, py::kw_only(),
          py::arg("out_q") = none, py::arg("out_k") = none, py::arg("layout") = "tokens_major", py::arg("threads") = 1,
          py::arg("attention_factor") = false, apply_mrope_doc);
    m.def("build_table", &build_table, py::arg("rope"), py::arg("positions"), py::arg("threads") = 1, py::arg("attention_factor") = false,
          build_table_doc);
    m.def("apply_table", &apply_table, py::arg("rope"), py::arg("table"), py::arg("q"), py::arg("k") = none, py::kw_only(),
          py::arg("out_q") = none, py::arg("out_k") = none, py::arg("layout") = "tokens_major", py::arg("threads") = 1, apply_table_doc);
    m.def("frequencies", &frequencies, py::arg("rope"), py::arg("attention_factor") = false, frequencies_doc);
    m.def("_time_apply_fused", &time_apply_fused, py::arg("rope"), py::arg("positions"), py::arg("q"), py::arg("k") = none, py::kw_only(),
          py::arg("out_q") = none, py::arg("out_k") = none, py::arg("layout") = "tokens_major", py::arg("threads") = 1,
          py::arg("attention_factor") = false, py::arg("repeats") = 1000,
          "_time_apply_fused(rope, positions, q, k=None, *, out_q=None, out_k=None, layout=\"tokens_major\", threads=1, "
          "attention_factor=False, repeats=1000) -> float\n\nSeconds per apply_fused call, timed in C++ over `repeats` calls with "
          "the frequencies and pool made once: what a C++ caller of posenc::kernels::apply_fused pays (scripts/bench_python's "
          "reference side).");
    m.attr("max_position") = pk::max_position;
    m.def("target", [] { return pk::current_target(); },
          "target() -> str\n\nThe vector target the kernels run on now (Highway's name: AVX3 = AVX-512, AVX2, SSE4, NEON, SVE, ...).");
    m.def("targets", [] { return pk::available_targets(); },
          "targets() -> list[str]\n\nThe targets compiled into the kernels that this CPU runs, best first.");
    m.def("use_target", [](const std::string& name) { pk::use_target(name); }, py::arg("name"),
          "use_target(name) -> None\n\nRuns every later kernel call on `name` (one of targets()), or on the best again with \"best\". "
          "Every target gives the same bits; this changes only the speed. ValueError for any other name.");
    m.def("lanes", [] { return static_cast<int>(pk::current_lanes()); },
          "lanes() -> int\n\nDoubles per vector of the current target.");
}

}  // namespace posenc_py
