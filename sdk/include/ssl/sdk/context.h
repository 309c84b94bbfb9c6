#pragma once
// What the host hands every factory besides the component's own Config.
#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ssl::sdk {

class Backbone;
class Comm;

struct BuildContext {
  std::string role;                   // where the component sits: "data.train", "method", ...
  std::filesystem::path base_dir;     // folder of the pipeline file: resolve relative paths here
  std::filesystem::path run_dir;      // the run folder (empty for describe/validate)
  uint64_t seed = 0;                  // the pipeline seed, mixed with the role
  // Where the run trains. Components are built on the CPU and the host moves the whole method
  // (backbones included) there; read this only for work done at build time on the device.
  c10::Device device = c10::Device(c10::kCPU);
  std::shared_ptr<Comm> comm;
  int64_t input_channels = 0;         // channels of the training images (0: unknown yet)
  int64_t input_size = 0;             // side of the first training view (0: unknown)
  // Samples in the training split as the run sees it (after subset): Batch::indices lie in
  // [0, train_size). Methods with a per-sample memory (DeepCluster v2) size it by this. 0: unknown.
  int64_t train_size = 0;
  // Two-domain methods: samples in the target split [data.target]; Batch::target_indices lie in
  // [0, target_size) (DANCE sizes its memory bank by it). 0 for every other method.
  int64_t target_size = 0;
  // Classes of the training split (its DatasetInfo::num_classes, else the largest label + 1;
  // 0: unlabelled or unknown). Set for methods that declare uses_labels() (a supervised
  // head sizes its output by it); 0 for every other method, which never sees labels.
  int64_t num_classes = 0;
  // The labels that occur in the training split, ascending (set with num_classes): a method
  // whose classifier covers only the classes it is shown (domain adaptation, where the source
  // holds a subset of the labels) sizes it by this.
  std::vector<int64_t> class_ids;
  // Methods only: builds a new backbone from the pipeline's [backbone] table (online and
  // target networks each call it once).
  std::function<std::shared_ptr<Backbone>()> make_backbone;
};

}  // namespace ssl::sdk
