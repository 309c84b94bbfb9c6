#pragma once
// One domain's training batches as an endless stream of the loader's passes (a pass is one
// Loader epoch: a seeded shuffle of the whole split). Training runs in epochs of the longest
// domain's pass; in a two-domain pipeline the shorter domain's stream runs on across epochs
// and restarts with a fresh shuffle each time it ends ("the shorter one cycles"). Batch t of a
// stream is batch t % n of pass t / n, n = the loader's batches per pass, and step s of epoch e
// takes batch t = e * steps_per_epoch + s of every stream, so a resumed run draws the same
// batches as an uninterrupted one.
#include <cstdint>

#include "checkpoint.h"
#include "loader.h"

namespace ssl::host {

// The stream position of a domain with `batches_per_pass` batches at training position `pos`.
StreamPosition stream_position(const TrainPosition& pos, int64_t steps_per_epoch, int64_t batches_per_pass);

class BatchStream {
 public:
  BatchStream(Loader& loader, int64_t steps_per_epoch);
  // Positions the stream for the step at `pos`; keeps the prefetched batches when the stream
  // stands there already (the shorter domain across an epoch boundary).
  void seek(const TrainPosition& pos);
  // The next batch; a pass that ends starts the next one. Rethrows a worker's error.
  HostBatch next();
  StreamPosition position() const;
  Loader& loader() { return loader_; }
  const Loader& loader() const { return loader_; }

 private:
  Loader& loader_;
  int64_t steps_per_epoch_;
  int64_t per_pass_;
  int64_t next_ = 0;  // index of the next batch in the endless stream
  int64_t pass_ = 0;  // the pass the loader is producing
  bool started_ = false;
};

}  // namespace ssl::host
