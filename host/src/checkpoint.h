#pragma once
// Checkpoints and exported weights. One format for both: a pickled dict of name -> tensor,
// the format Python's torch.load reads. A checkpoint also stores a CRC-32 of its entries
// (meta/crc32), checked on load: a damaged file is refused, never trained on. Files are
// written atomically (atomic_file.h).
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace torch::nn {
class Module;
}

namespace ssl::host {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Where training continues from.
struct TrainPosition {
  int64_t epoch = 0;          // epoch to run next (or the one interrupted)
  int64_t step = 0;           // global optimizer steps done
  int64_t step_in_epoch = 0;  // batches of `epoch` already consumed
};

// Where one domain's endless stream of batches stands (batch_stream.h): the next batch is
// batch `batch` of pass `pass` (a pass is one seeded shuffle of the domain's data).
struct StreamPosition {
  int64_t pass = 0;
  int64_t batch = 0;
  bool operator==(const StreamPosition& o) const { return pass == o.pass && batch == o.batch; }
};

struct Checkpoint {
  TrainPosition position;
  // Each domain's stream at `position` ("train"; "source" and "target"), for the record and
  // checked on resume; empty in checkpoints written before streams were recorded.
  std::vector<std::pair<std::string, StreamPosition>> streams;
  NamedTensors model;      // method parameters and buffers (backbone, heads, targets, queues)
  NamedTensors optimizer;  // optimizer state
};

// A dict of tensors in LibTorch's pickle archive (torch.load reads it), sealed with the CRC-32 of
// the archive in its zip comment, written atomically. load_tensors verifies the seal before any
// byte reaches LibTorch's readers (they are not safe on damaged input): a truncated, damaged or
// unsealed file is an sdk::Error naming it.
void save_tensors(const std::filesystem::path& path, const NamedTensors& tensors);
NamedTensors load_tensors(const std::filesystem::path& path);

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);
Checkpoint load_checkpoint(const std::filesystem::path& path);

// Parameters and buffers of a module, on CPU, in registration order.
NamedTensors module_state(const torch::nn::Module& module);
// Copies `state` into the module's parameters and buffers; every name must match with the same shape.
void load_module_state(torch::nn::Module& module, const NamedTensors& state, const std::string& what);

// checkpoints/step_000000120.ckpt style management.
class CheckpointDir {
 public:
  explicit CheckpointDir(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path path_for(const TrainPosition& p) const;
  std::filesystem::path latest() const;  // empty when there is none

  // The newest checkpoint that loads and matches its checksum. Newer damaged ones are renamed
  // to <name>.damaged (out of the rotation, kept for inspection) and listed in `damaged`;
  // throws naming every damaged file when none is intact (or there is none at all).
  struct Damaged {
    std::filesystem::path path;
    std::string why;
  };
  struct Intact {
    std::filesystem::path path;
    Checkpoint checkpoint;
    std::vector<Damaged> damaged;
  };
  Intact load_newest_intact() const;
  void prune(size_t keep) const;  // removes the oldest beyond `keep`
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::vector<std::filesystem::path> list() const;
  std::filesystem::path dir_;
};

}  // namespace ssl::host
