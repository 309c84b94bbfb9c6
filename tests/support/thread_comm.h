#pragma once
// A Comm for tests of distributed code without processes: N threads, one ThreadComm each, all
// of one ThreadGroup. Collectives meet at a barrier, as c10d's do: every rank must call the same
// collectives in the same order (a rank that throws before a collective leaves the others
// waiting: keep the work between collectives simple). The differentiable collectives are the
// SDK's defaults over these. Not for production: tensors are exchanged through shared memory.
#include <ATen/ATen.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ssl/sdk/comm.h"

namespace ssl::test {

class ThreadGroup {
 public:
  explicit ThreadGroup(int64_t size) : size_(size), slots_(static_cast<size_t>(size)) {}
  int64_t size() const { return size_; }

  // Every rank deposits `t`; when all have, each gets the deposits in rank order.
  std::vector<at::Tensor> exchange(int64_t rank, const at::Tensor& t) {
    std::unique_lock<std::mutex> lock(m_);
    const int64_t gen = generation_;
    slots_[static_cast<size_t>(rank)] = t.detach().clone();
    if (++arrived_ == size_) {
      result_ = slots_;
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen; });
    }
    return result_;
  }

 private:
  int64_t size_;
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<at::Tensor> slots_, result_;
  int64_t arrived_ = 0, generation_ = 0;
};

class ThreadComm final : public sdk::Comm {
 public:
  ThreadComm(std::shared_ptr<ThreadGroup> group, int64_t rank) : group_(std::move(group)), rank_(rank) {}
  int64_t rank() const override { return rank_; }
  int64_t world_size() const override { return group_->size(); }
  void all_reduce_sum(at::Tensor& t) override {
    const auto all = group_->exchange(rank_, t);
    at::Tensor sum = at::zeros_like(all[0]);
    for (const auto& x : all) sum += x;  // rank order: every rank sums identically
    t.copy_(sum);
  }
  at::Tensor all_gather(const at::Tensor& t) override { return at::cat(group_->exchange(rank_, t), 0); }
  void broadcast(at::Tensor& t, int64_t root) override { t.copy_(group_->exchange(rank_, t)[static_cast<size_t>(root)]); }
  void barrier() override { group_->exchange(rank_, at::zeros({1})); }

 private:
  std::shared_ptr<ThreadGroup> group_;
  int64_t rank_;
};

// Runs fn(comm) on `ranks` threads, one ThreadComm each; rethrows the first failure.
inline void run_ranks(int64_t ranks, const std::function<void(sdk::Comm&)>& fn) {
  auto group = std::make_shared<ThreadGroup>(ranks);
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(ranks));
  for (int64_t r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      try {
        ThreadComm comm(group, r);
        fn(comm);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace ssl::test
