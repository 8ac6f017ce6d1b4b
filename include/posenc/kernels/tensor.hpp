// posenc/kernels/tensor.hpp: what the float32 kernels operate on and how they check it.
//
// A tensor is a strided view of float32 head vectors, shape [tokens][heads][head_dim]: element d of
// head h of token t is data[t * token_stride + h * head_stride + d] (strides in floats, the head
// vector itself contiguous). [tokens][heads][head_dim] storage has token_stride = heads * head_dim
// and head_stride = head_dim; [heads][tokens][head_dim] has token_stride = head_dim and head_stride =
// tokens * head_dim; any other non-overlapping placement (padding, a slice of a packed QKV buffer)
// is one more pair of strides.
//
// A kernel call takes one or more operands (typically Q and K), each an input view and an output
// view of the same shape: the same view for in place, a disjoint one for out of place. Before
// touching any data the kernel checks every operand and throws posenc::kernels::kernel_error,
// naming the argument and the allowed range, for: a null pointer, a negative or zero size, a
// head_dim other than the frequencies', strides under which two head vectors of one view overlap,
// an output that overlaps its input without being identical to it, and outputs (or an output and
// another operand's input) whose address ranges intersect.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace posenc::kernels {

/// A kernel argument outside its allowed range; the message names the argument.
class kernel_error : public std::invalid_argument {
public:
    kernel_error(std::string argument, const std::string& problem)
        : std::invalid_argument("posenc kernels: " + argument + ": " + problem), argument_(std::move(argument)) {}
    /// The argument's name ("q", "positions", "head_dim", ...).
    [[nodiscard]] const std::string& argument() const noexcept { return argument_; }

private:
    std::string argument_;
};

/// A strided [tokens][heads][head_dim] view of float32 data (see the file comment).
template <class F>
struct basic_tensor_view {
    F* data = nullptr;
    int tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;  ///< floats from token t to token t + 1
    std::ptrdiff_t head_stride = 0;   ///< floats from head h to head h + 1

    /// Storage [tokens][heads][head_dim].
    static constexpr basic_tensor_view tokens_major(F* data, int tokens, int heads, int head_dim) {
        return {data, tokens, heads, head_dim, static_cast<std::ptrdiff_t>(heads) * head_dim, head_dim};
    }
    /// Storage [heads][tokens][head_dim].
    static constexpr basic_tensor_view heads_major(F* data, int tokens, int heads, int head_dim) {
        return {data, tokens, heads, head_dim, head_dim, static_cast<std::ptrdiff_t>(tokens) * head_dim};
    }
    /// The head vector of token t, head h.
    [[nodiscard]] constexpr F* at(int t, int h) const { return data + t * token_stride + h * head_stride; }

    /// A view of const data (implicit, as for pointers).
    constexpr operator basic_tensor_view<const F>() const  // NOLINT(google-explicit-constructor)
        requires(!std::is_const_v<F>)
    {
        return {data, tokens, heads, head_dim, token_stride, head_stride};
    }
};

using tensor_view = basic_tensor_view<float>;
using const_tensor_view = basic_tensor_view<const float>;

/// One tensor to rotate: `out` receives the rotated `in`; out == in (same data and strides) rotates
/// in place. Dimensions past the rotary ones are copied (out of place) or left alone (in place).
struct rope_operand {
    const_tensor_view in;
    tensor_view out;

    /// In place.
    static rope_operand in_place(const tensor_view& t) { return {t, t}; }
};

/// A pool of worker threads for the kernels: run(n, f) calls f(begin, end) on size() contiguous,
/// nearly equal ranges of [0, n), one per thread (the caller's thread takes the first), and returns
/// when all are done. One run() at a time: a pool is not shared by concurrent callers. The kernels split tokens this way and compute every token the same way
/// whichever range it falls in, so results never depend on the number of threads.
class thread_pool {
public:
    /// `threads` >= 1 threads in all, the caller's included (threads - 1 workers are started).
    explicit thread_pool(unsigned threads) {
        if (threads < 1) throw kernel_error("threads", "must be at least 1");
        workers_.reserve(threads - 1);
        for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { work(i); });
    }
    ~thread_pool() {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
        }
        start_.notify_all();
        for (std::thread& w : workers_) w.join();
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;

    [[nodiscard]] unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

    /// The range of [0, n) that thread i of `threads` takes.
    static std::pair<std::size_t, std::size_t> range(std::size_t n, unsigned i, unsigned threads) {
        return {n * i / threads, n * (i + 1) / threads};
    }

    /// Runs f on the ranges of [0, n); rethrows the first exception a range threw.
    void run(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f) {
        if (workers_.empty() || n < 2) {
            if (n > 0) f(0, n);
            return;
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            task_ = &f;
            n_ = n;
            pending_ = static_cast<unsigned>(workers_.size());
            error_ = nullptr;
            ++generation_;
        }
        start_.notify_all();
        std::exception_ptr mine;
        try {
            const auto [b, e] = range(n, 0, size());
            if (b < e) f(b, e);
        } catch (...) {
            mine = std::current_exception();
        }
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        task_ = nullptr;
        if (mine) std::rethrow_exception(mine);
        if (error_) std::rethrow_exception(error_);
    }

private:
    void work(unsigned index) {
        std::uint64_t seen = 0;
        while (true) {
            const std::function<void(std::size_t, std::size_t)>* task = nullptr;
            std::size_t n = 0;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                start_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                task = task_;
                n = n_;
            }
            std::exception_ptr err;
            try {
                const auto [b, e] = range(n, index, size());
                if (b < e) (*task)(b, e);
            } catch (...) {
                err = std::current_exception();
            }
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                if (err && !error_) error_ = err;
                if (--pending_ == 0) done_.notify_one();
            }
        }
    }

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable start_;
    std::condition_variable done_;
    const std::function<void(std::size_t, std::size_t)>* task_ = nullptr;
    std::size_t n_ = 0;
    unsigned pending_ = 0;
    std::uint64_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

namespace detail {

/// Runs f(begin, end) over [0, n) on the pool, or on the calling thread without one.
inline void for_ranges(thread_pool* pool, std::size_t n, const std::function<void(std::size_t, std::size_t)>& f) {
    if (pool == nullptr) {
        if (n > 0) f(0, n);
    } else {
        pool->run(n, f);
    }
}

/// The byte range [first, last) a view touches.
template <class F>
std::pair<std::uintptr_t, std::uintptr_t> extent(const basic_tensor_view<F>& v) {
    const std::ptrdiff_t last_offset = static_cast<std::ptrdiff_t>(v.tokens - 1) * v.token_stride +
                                       static_cast<std::ptrdiff_t>(v.heads - 1) * v.head_stride + v.head_dim;
    const auto first = reinterpret_cast<std::uintptr_t>(v.data);
    return {first, first + static_cast<std::uintptr_t>(last_offset) * sizeof(float)};
}

inline bool intersect(std::pair<std::uintptr_t, std::uintptr_t> a, std::pair<std::uintptr_t, std::uintptr_t> b) {
    return a.first < b.second && b.first < a.second;
}

/// Checks one view: non-null, sizes, head_dim, and that no two head vectors overlap (the strides,
/// positive, ordered so that the smaller one spans a whole head vector and the larger one a whole
/// run of the smaller).
template <class F>
void check_view(const basic_tensor_view<F>& v, const std::string& name, int tokens, int head_dim) {
    if (v.data == nullptr) throw kernel_error(name, "null data pointer");
    if (v.tokens != tokens) {
        throw kernel_error(name, "has " + std::to_string(v.tokens) + " tokens, the call needs " + std::to_string(tokens));
    }
    if (v.heads < 1) throw kernel_error(name, "heads must be >= 1 (got " + std::to_string(v.heads) + ")");
    if (v.head_dim != head_dim) {
        throw kernel_error(name, "head_dim is " + std::to_string(v.head_dim) + ", the frequencies are for " +
                                     std::to_string(head_dim));
    }
    // A stride along a dimension of size 1 is never used: give it the value that always passes.
    struct axis {
        std::ptrdiff_t stride;
        std::ptrdiff_t count;
    };
    axis a{v.tokens > 1 ? v.token_stride : std::ptrdiff_t{1} << 40, v.tokens};
    axis b{v.heads > 1 ? v.head_stride : std::ptrdiff_t{1} << 40, v.heads};
    if (a.stride <= 0 || b.stride <= 0) {
        throw kernel_error(name, "strides must be positive (token_stride " + std::to_string(v.token_stride) +
                                     ", head_stride " + std::to_string(v.head_stride) + ")");
    }
    if (b.stride < a.stride) std::swap(a, b);
    // Head vectors i a + j b (i < a.count, j < b.count, a <= b) of head_dim floats are disjoint when
    // a >= head_dim and each run along a ends before the next one begins: b >= (a.count - 1) a + head_dim.
    const bool a_ok = a.count <= 1 || a.stride >= head_dim;
    const bool b_ok = b.count <= 1 || b.stride >= (a.count - 1) * a.stride + head_dim;
    if (!a_ok || !b_ok) {
        throw kernel_error(name, "strides (token_stride " + std::to_string(v.token_stride) + ", head_stride " +
                                     std::to_string(v.head_stride) + ") make head vectors of " +
                                     std::to_string(head_dim) + " floats overlap");
    }
}

/// Checks every operand of a call (see the file comment).
inline void check_operands(std::span<const rope_operand> ops, int tokens, int head_dim) {
    if (ops.empty()) throw kernel_error("operands", "at least one tensor is needed");
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const std::string name = ops.size() == 1 ? "tensor" : (i == 0 ? "q" : (i == 1 ? "k" : "operand " + std::to_string(i)));
        check_view(ops[i].in, name + " (input)", tokens, head_dim);
        check_view(ops[i].out, name + " (output)", tokens, head_dim);
        const rope_operand& o = ops[i];
        if (o.in.heads != o.out.heads) throw kernel_error(name, "input and output have different numbers of heads");
        const bool same = o.in.data == o.out.data && o.in.token_stride == o.out.token_stride &&
                          o.in.head_stride == o.out.head_stride;
        if (!same && intersect(extent(o.in), extent(o.out))) {
            throw kernel_error(name, "the output overlaps the input without being the same view (in place needs the same "
                                     "data pointer and strides)");
        }
        for (std::size_t j = 0; j < i; ++j) {
            const std::string other = j == 0 ? "q" : (j == 1 ? "k" : "operand " + std::to_string(j));
            if (intersect(extent(o.out), extent(ops[j].out))) {
                throw kernel_error(name, "the output's memory overlaps the output of " + other);
            }
            if (intersect(extent(o.out), extent(ops[j].in)) || intersect(extent(ops[j].out), extent(o.in))) {
                throw kernel_error(name, "an output overlaps the input of another operand (" + other + ")");
            }
        }
    }
}

}  // namespace detail
}  // namespace posenc::kernels
