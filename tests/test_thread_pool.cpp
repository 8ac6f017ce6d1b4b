// posenc::kernels::thread_pool (include/posenc/kernels/thread_pool.hpp), the one pool of the kernels
// and of the posenc tool: both ways of splitting work cover every index exactly once whatever the
// number of threads, the dynamic one hands blocks out in increasing order and stops when asked or
// when a body throws, and the first exception reaches the caller. Expected values are closed forms
// (counts, sums of indices); the kernels' own results with 1, 2, 3 and 5 threads are compared in
// test_kernels_twins.cpp.
#define BOOST_TEST_MODULE test_thread_pool
#include <boost/test/unit_test.hpp>

#include <posenc/kernels/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace pk = posenc::kernels;

// run(n, f): the ranges are range(n, i, threads), contiguous, disjoint and covering [0, n); the same
// pool runs one job after another.
BOOST_AUTO_TEST_CASE(run_covers_every_index_once) {
    for (const unsigned threads : {1u, 2u, 3u, 5u}) {
        pk::thread_pool pool(threads);
        BOOST_TEST(pool.size() == threads);
        for (std::size_t n = 0; n < 40; ++n) {
            std::vector<int> hits(n, 0);
            std::mutex m;
            std::vector<std::pair<std::size_t, std::size_t>> ranges;
            pool.run(n, [&](std::size_t b, std::size_t e) {
                for (std::size_t i = b; i < e; ++i) ++hits[i];
                const std::lock_guard<std::mutex> lock(m);
                ranges.emplace_back(b, e);
            });
            for (std::size_t i = 0; i < n; ++i) BOOST_TEST(hits[i] == 1, threads << " threads, n = " << n << ", i = " << i);
            for (const auto& [b, e] : ranges) {
                bool listed = false;
                for (unsigned i = 0; i < threads; ++i) listed = listed || pk::thread_pool::range(n, i, threads) == std::pair{b, e};
                BOOST_TEST(listed, "[" << b << ", " << e << ") is no thread's range");
            }
        }
    }
}

// for_each(n, grain, body): every index once for any grain and thread count; with one thread the
// blocks run in increasing order.
BOOST_AUTO_TEST_CASE(for_each_covers_every_index_once) {
    for (const unsigned threads : {1u, 2u, 3u, 5u}) {
        pk::thread_pool pool(threads);
        for (const std::size_t grain : {std::size_t{0}, std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
            for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
                std::vector<std::atomic<int>> hits(n);
                std::vector<std::size_t> order;
                std::mutex m;
                pool.for_each(n, grain, [&](std::size_t i) {
                    ++hits[i];
                    const std::lock_guard<std::mutex> lock(m);
                    order.push_back(i);
                });
                for (std::size_t i = 0; i < n; ++i) BOOST_TEST(hits[i].load() == 1, threads << " threads, grain " << grain << ", i = " << i);
                if (threads == 1) {
                    for (std::size_t i = 0; i < order.size(); ++i) BOOST_TEST(order[i] == i);
                }
            }
        }
    }
}

// stop() is polled before each block: once it returns true no block starts (one thread: exactly the
// blocks before it); a throwing body stops the others too, and its exception reaches the caller.
BOOST_AUTO_TEST_CASE(for_each_stops) {
    {
        pk::thread_pool pool(1);
        int polls = 0;
        std::vector<std::size_t> done;
        pool.for_each(100, 10, [&](std::size_t i) { done.push_back(i); }, [&] { return ++polls > 3; });
        BOOST_TEST(done.size() == 30u);
        BOOST_TEST(polls == 4);
    }
    for (const unsigned threads : {1u, 2u, 4u}) {
        pk::thread_pool pool(threads);
        std::atomic<std::size_t> ran{0};
        try {
            pool.for_each(100000, 1, [&](std::size_t i) {
                ++ran;
                if (i == 7) throw std::runtime_error("body 7");
            });
            BOOST_ERROR("no exception");
        } catch (const std::runtime_error& e) {
            BOOST_TEST(std::string(e.what()) == "body 7");
        }
        BOOST_TEST(ran.load() < 1000u, threads << " threads: " << ran.load() << " bodies ran after the failure");
        // the pool still works
        std::atomic<std::size_t> sum{0};
        pool.for_each(100, 3, [&](std::size_t i) { sum += i; });
        BOOST_TEST(sum.load() == 4950u);
    }
}

// run() rethrows an exception from any thread's range, and the pool is usable afterwards; zero
// threads are refused.
BOOST_AUTO_TEST_CASE(run_rethrows) {
    for (const unsigned threads : {1u, 3u}) {
        pk::thread_pool pool(threads);
        for (std::size_t bad = 0; bad < 9; bad += 4) {
            BOOST_CHECK_THROW(pool.run(9,
                                       [&](std::size_t b, std::size_t e) {
                                           if (b <= bad && bad < e) throw std::logic_error("range");
                                       }),
                              std::logic_error);
        }
        std::atomic<std::size_t> sum{0};
        pool.run(10, [&](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) sum += i;
        });
        BOOST_TEST(sum.load() == 45u);
    }
    BOOST_CHECK_THROW(pk::thread_pool(0), pk::kernel_error);
}
