#pragma once
// Test helpers for the evaluator_core plugin: its registered components (through the static
// twin) and a FeatureSource that serves constructed features.
#include <ATen/ATen.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/error.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"
#include "spec_store.h"

SSL_PLUGIN_DECLARE_STATIC(evaluator_core);

namespace ssl::test {

inline SpecStore evaluator_core_components() { return SpecStore{ssl_static_plugin_info_evaluator_core()}; }

// Serves fixed features per (split, representation); a missing split throws like a host
// without [data.test]. max_samples keeps the first rows; augmented views come from `pairs`.
// `interrupt` makes it throw what the host's extraction throws once a stop was requested.
class FakeFeatureSource : public sdk::FeatureSource {
 public:
  struct Entry {
    at::Tensor values;  // [N, D]
    at::Tensor labels;  // [N]
    at::Tensor pairs;   // [2, N, D] (optional)
  };
  void set(sdk::Split split, sdk::Representation repr, Entry entry) {
    entries[{static_cast<int>(split), static_cast<int>(repr)}] = std::move(entry);
  }
  sdk::Features extract(const sdk::FeatureRequest& request) override {
    ++calls;
    if (interrupt) throw sdk::Interrupted("stopped by a signal");  // as the host's extraction on SIGTERM
    auto it = entries.find({static_cast<int>(request.split), static_cast<int>(request.representation)});
    if (it == entries.end())
      throw sdk::Error(std::string("no ") + sdk::split_name(request.split) + " dataset configured");
    const Entry& e = it->second;
    int64_t n = e.values.size(0);
    if (request.max_samples > 0 && request.max_samples < n) n = request.max_samples;
    sdk::Features f;
    f.values = request.augmented_views > 0 ? e.pairs.narrow(1, 0, n) : e.values.narrow(0, 0, n);
    f.labels = e.labels.narrow(0, 0, n);
    f.indices = at::arange(n, at::kLong);
    if (auto ids = class_ids.find(it->first); ids != class_ids.end()) f.class_ids = ids->second;
    return f;
  }
  int64_t num_classes(sdk::Split) const override { return classes; }

  std::map<std::pair<int, int>, Entry> entries;
  // Features::class_ids of an entry (Representation::Predictions: values [N, K] are probabilities).
  std::map<std::pair<int, int>, at::Tensor> class_ids;
  int64_t classes = 0;
  int calls = 0;
  bool interrupt = false;  // every extract() throws sdk::Interrupted, as after SIGINT/SIGTERM
};

}  // namespace ssl::test
