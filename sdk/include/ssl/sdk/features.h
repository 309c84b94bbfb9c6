#pragma once
// Feature extraction, provided by the host to evaluators and epoch hooks: it runs the current
// model over a split through the evaluation data path and returns the features in index order.
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ssl/sdk/export.h"
#include "ssl/sdk/types.h"

namespace ssl::sdk {

struct FeatureRequest {
  Split split = Split::Train;
  Representation representation = Representation::Backbone;
  int64_t max_samples = 0;  // 0: the whole split; otherwise a seeded subset of this size
  // 0: un-augmented images through the evaluation transform.
  // 2: two augmented training views of each image (positive pairs, e.g. for alignment).
  int64_t augmented_views = 0;
  uint64_t seed = 0;        // subset selection and augmentation seed
};

struct Features {
  at::Tensor values;   // [N, D] float32 on CPU; with augmented_views = V: [V, N, D]
  at::Tensor labels;   // [N] int64, -1 where unknown
  at::Tensor indices;  // [N] int64, dataset indices
  // Representation::Predictions only: [K] int64, the dataset label of each column of `values`
  // (Method::prediction_classes); undefined otherwise. (Initialised, so that a brace
  // initialisation of the three fields above stays complete.)
  at::Tensor class_ids = at::Tensor();
};

class SSL_SDK_API FeatureSource {
 public:
  virtual ~FeatureSource();
  virtual Features extract(const FeatureRequest& request) = 0;
  virtual int64_t num_classes(Split split) const = 0;
};

}  // namespace ssl::sdk
