// The one home of the SDK interfaces' vtables and type information: every out-of-line
// virtual destructor and default implementation lives here, in libssl_sdk.so.
#include <ATen/ATen.h>

#include "ssl/sdk/augmentation.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/dataset.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/method.h"
#include "ssl/sdk/plugin_api.h"
#include "ssl/sdk/registrar.h"

namespace ssl::sdk {

Error::~Error() = default;
Interrupted::~Interrupted() = default;
Comm::~Comm() = default;
Dataset::~Dataset() = default;
Augmentation::~Augmentation() = default;
Backbone::~Backbone() = default;
SampleTransform::~SampleTransform() = default;
Method::~Method() = default;
FeatureSource::~FeatureSource() = default;
Evaluator::~Evaluator() = default;
Registrar::~Registrar() = default;

std::vector<int64_t> Dataset::labels() const {
  std::vector<int64_t> out(static_cast<size_t>(size()));
  for (int64_t i = 0; i < size(); ++i) out[static_cast<size_t>(i)] = get(i).label;
  return out;
}

at::Tensor Method::embed(const at::Tensor& images) { return backbone()->forward(images); }
at::Tensor Method::predict(const at::Tensor& /*images*/) { return {}; }

std::vector<ParamGroup> Method::parameter_groups() {
  ParamGroup all;
  all.name = "all";
  for (auto& p : parameters())
    if (p.requires_grad()) all.params.push_back(p);
  return {all};
}

const char* sdk_build_fingerprint() noexcept { return SSL_SDK_FINGERPRINT; }

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Dataset: return "dataset";
    case Kind::Augmentation: return "augmentation";
    case Kind::Backbone: return "backbone";
    case Kind::Method: return "method";
    case Kind::Evaluator: return "evaluator";
  }
  return "?";
}

std::optional<Kind> parse_kind(std::string_view name) {
  for (int i = 0; i < kNumKinds; ++i)
    if (name == kind_name(static_cast<Kind>(i))) return static_cast<Kind>(i);
  return std::nullopt;
}

const char* split_name(Split split) { return split == Split::Train ? "train" : "test"; }

}  // namespace ssl::sdk
