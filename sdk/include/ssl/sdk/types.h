#pragma once
// Small vocabulary types shared by the host and every plugin.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

// The five kinds of component a plugin can provide. The order is part of the ABI
// (it is the index of sdk::Factory's alternatives).
enum class Kind : int { Dataset = 0, Augmentation = 1, Backbone = 2, Method = 3, Evaluator = 4 };
inline constexpr int kNumKinds = 5;

SSL_SDK_API const char* kind_name(Kind kind);                  // "dataset", ...
SSL_SDK_API std::optional<Kind> parse_kind(std::string_view name);

// Which split of the data an evaluation or epoch hook asks for.
enum class Split : int { Train = 0, Test = 1 };
SSL_SDK_API const char* split_name(Split split);

// Which representation to extract: backbone features (what evaluators score by default),
// the method's embedding (projector output; what collapse diagnostics look at), or the class
// probabilities of a method with a classifier (Method::predict; the open-set evaluator).
enum class Representation : int { Backbone = 0, Embedding = 1, Predictions = 2 };

// How many views per sample a method consumes, known from its Config before the method is
// built, so `ssl-host validate` checks it as `run` does. A method declares it as
//   static sdk::ViewSpec views(const sdk::Config& cfg);
// (Registrar::add_method<T> picks it up; without one: 2 views). The pipeline's [[views]]
// groups, in order, must add up to a count in [min_views, max_views]; the first group is the
// "global" one.
struct ViewSpec {
  int64_t min_views = 2;
  int64_t max_views = 2;
  // true: the method supplies its own Method::sample_transform() (pretext tasks), which
  // replaces the view groups for training; their count is then not checked.
  bool own_transform = false;
};

}  // namespace ssl::sdk
