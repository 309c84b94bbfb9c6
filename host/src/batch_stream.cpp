#include "batch_stream.h"

#include "ssl/sdk/error.h"

namespace ssl::host {

StreamPosition stream_position(const TrainPosition& pos, int64_t steps_per_epoch, int64_t batches_per_pass) {
  SSL_CHECK(steps_per_epoch > 0 && batches_per_pass > 0, "a batch stream needs at least one batch per pass");
  const int64_t t = pos.epoch * steps_per_epoch + pos.step_in_epoch;
  return StreamPosition{t / batches_per_pass, t % batches_per_pass};
}

BatchStream::BatchStream(Loader& loader, int64_t steps_per_epoch)
    : loader_(loader), steps_per_epoch_(steps_per_epoch), per_pass_(loader.batches_per_epoch()) {
  SSL_CHECK(per_pass_ > 0, "a batch stream needs at least one batch per pass");
}

void BatchStream::seek(const TrainPosition& pos) {
  const int64_t t = pos.epoch * steps_per_epoch_ + pos.step_in_epoch;
  if (started_ && t == next_) return;
  pass_ = t / per_pass_;
  loader_.start_epoch(pass_, t % per_pass_);
  next_ = t;
  started_ = true;
}

HostBatch BatchStream::next() {
  SSL_CHECK(started_, "BatchStream::next before seek");
  if (next_ == (pass_ + 1) * per_pass_) loader_.start_epoch(++pass_, 0);
  std::optional<HostBatch> batch = loader_.next();
  SSL_CHECK(batch.has_value(), "pass ", pass_, " of the loader ended after ", next_ - pass_ * per_pass_,
            " of its ", per_pass_, " batches");
  ++next_;
  return std::move(*batch);
}

StreamPosition BatchStream::position() const { return StreamPosition{next_ / per_pass_, next_ % per_pass_}; }

}  // namespace ssl::host
