// posenc/kernels/thread_pool.hpp: posenc's one pool of worker threads, used by the float32 kernels
// and by the `posenc` tool. Not part of posenc.hpp (the header-only core has no threads): it uses
// std::thread, so link Threads::Threads.
//
// A pool of `threads` threads (the caller's included) runs one job at a time on all of them, in one
// of two ways:
//   run(n, f)                 static: f(begin, end) on size() contiguous, nearly equal ranges of
//                             [0, n), one per thread (the caller's thread takes the first). The
//                             kernels split tokens so and compute every token the same way whichever
//                             range it falls in.
//   for_each(n, grain, body)  dynamic: body(i) for every i in [0, n), in blocks of `grain`
//                             consecutive indices handed out in increasing order to whichever thread
//                             is free (so a consumer that writes block results in order, such as the
//                             tool's ordered_writer, holds few of them at a time). Before taking a
//                             block a thread calls stop(), if given: once it returns true, or once a
//                             body has thrown, no further block starts.
// Both wait until every thread is done and then rethrow the first exception thrown, if any. body
// and f must write only state owned by their indices: results then do not depend on the number of
// threads. One job at a time: a pool is not shared by concurrent callers, and a job must not use
// the pool it runs on.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "error.hpp"

namespace posenc::kernels {

/// Worker threads that run one job at a time (see the file comment).
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

    /// Jobs that woke the workers so far (run and for_each calls that did not run inline).
    [[nodiscard]] std::uint64_t jobs() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return generation_;
    }

    /// The range of [0, n) that thread i of `threads` takes in run().
    static std::pair<std::size_t, std::size_t> range(std::size_t n, unsigned i, unsigned threads) {
        return {n * i / threads, n * (i + 1) / threads};
    }

    /// Static split: f on the ranges of [0, n), one per thread.
    void run(std::size_t n, const std::function<void(std::size_t, std::size_t)>& f) {
        if (workers_.empty() || n < 2) {
            if (n > 0) f(0, n);
            return;
        }
        on_every_thread([&](unsigned i) {
            const auto [b, e] = range(n, i, size());
            if (b < e) f(b, e);
        });
    }

    /// Dynamic split: body(i) for i in [0, n), blocks of `grain` (0: 1) in increasing order; stop()
    /// is polled before each block.
    void for_each(std::size_t n, std::size_t grain, const std::function<void(std::size_t)>& body,
                  const std::function<bool()>& stop = {}) {
        if (n == 0) return;
        grain = std::max<std::size_t>(grain, 1);
        std::atomic<std::size_t> next{0};
        std::atomic<bool> halted{false};
        on_every_thread([&](unsigned) {
            while (!halted.load(std::memory_order_relaxed)) {
                if (stop && stop()) {
                    halted = true;
                    return;
                }
                const std::size_t begin = next.fetch_add(grain);
                if (begin >= n) return;
                try {
                    for (std::size_t i = begin; i < std::min(n, begin + grain); ++i) body(i);
                } catch (...) {
                    halted = true;
                    throw;
                }
            }
        });
    }

private:
    /// job(i) on every thread i < size(), the caller's being 0; returns when all are done and
    /// rethrows the first exception thrown.
    void on_every_thread(const std::function<void(unsigned)>& job) {
        if (workers_.empty()) {
            job(0);
            return;
        }
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            job_ = &job;
            pending_ = static_cast<unsigned>(workers_.size());
            error_ = nullptr;
            ++generation_;
        }
        start_.notify_all();
        run_job(job, 0);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        job_ = nullptr;
        if (const std::exception_ptr e = std::exchange(error_, nullptr)) std::rethrow_exception(e);
    }

    /// job(index), its exception kept if it is the first.
    void run_job(const std::function<void(unsigned)>& job, unsigned index) {
        try {
            job(index);
        } catch (...) {
            const std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
        }
    }

    void work(unsigned index) {
        std::uint64_t seen = 0;
        while (true) {
            const std::function<void(unsigned)>* job = nullptr;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                start_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                job = job_;
            }
            run_job(*job, index);
            const std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::vector<std::thread> workers_;
    mutable std::mutex mutex_;
    std::condition_variable start_;
    std::condition_variable done_;
    const std::function<void(unsigned)>* job_ = nullptr;
    unsigned pending_ = 0;
    std::uint64_t generation_ = 0;
    bool stop_ = false;
    std::exception_ptr error_;
};

namespace detail {

/// Below this many pair rotations (or table entries) a kernel call runs on the calling thread: waking
/// the pool's workers and waiting for them costs more than the work (one thread rotates about 10^9
/// pairs per second in cache, so 2^14 take some 16 microseconds, the order of a wake-up round trip).
/// One-token decode calls (heads x pairs of Q and K) are the common case below it.
inline constexpr std::size_t small_call_pairs = std::size_t{1} << 14;

/// Runs f(begin, end) over [0, n) on the pool (run), or on the calling thread without one or when
/// the call's work, n items of `work_per_item` pairs each, is below small_call_pairs.
inline void for_ranges(thread_pool* pool, std::size_t n, std::size_t work_per_item,
                       const std::function<void(std::size_t, std::size_t)>& f) {
    const bool small = work_per_item != 0 && n <= small_call_pairs / work_per_item;
    if (pool == nullptr || small) {
        if (n > 0) f(0, n);
    } else {
        pool->run(n, f);
    }
}


}  // namespace detail
}  // namespace posenc::kernels
