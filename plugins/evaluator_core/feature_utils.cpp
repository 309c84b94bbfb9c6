#include "feature_utils.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <exception>

#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"
#include "ssl/sdk/types.h"

namespace ssl::plugins::evaluator_core {
namespace {

std::string needs_split(const std::string& evaluator, sdk::Split split) {
  const std::string name = sdk::split_name(split);
  return evaluator + " needs a " + name + " split: add [data." + name + "] to the pipeline";
}

}  // namespace

sdk::Features extract_split(sdk::EvalContext& ctx, const sdk::FeatureRequest& request, const std::string& evaluator) {
  SSL_CHECK(ctx.features != nullptr, evaluator,
            ": the host provided no feature source (EvalContext::features is null)");
  sdk::Features f;
  // The SDK has no "does this split exist" query, so a failed extraction of a split is
  // reported together with the most likely cause.
  try {
    f = ctx.features->extract(request);
  } catch (const sdk::Interrupted&) {
    throw;  // a stop requested by SIGINT/SIGTERM, not a missing split: the host checkpoints and exits
  } catch (const c10::Error& e) {
    SSL_FAIL(needs_split(evaluator, request.split), " if it has none (extracting ", sdk::split_name(request.split),
             " features failed: ", e.what_without_backtrace(), ")");
  } catch (const std::exception& e) {
    SSL_FAIL(needs_split(evaluator, request.split), " if it has none (extracting ", sdk::split_name(request.split),
             " features failed: ", e.what(), ")");
  }
  SSL_CHECK(f.values.defined() && f.values.numel() > 0, needs_split(evaluator, request.split),
            " (the feature source returned no ", sdk::split_name(request.split), " samples)");
  const int64_t want_dim = request.augmented_views > 0 ? 3 : 2;
  SSL_CHECK(f.values.dim() == want_dim, evaluator, ": expected ", sdk::split_name(request.split), " features with ",
            want_dim, " dimensions, got shape ", f.values.sizes());
  if (request.augmented_views > 0)
    SSL_CHECK(f.values.size(0) == request.augmented_views, evaluator, ": asked for ", request.augmented_views,
              " augmented views, got ", f.values.size(0));
  const int64_t n = f.values.size(want_dim - 2);
  if (f.labels.defined())
    SSL_CHECK(f.labels.dim() == 1 && f.labels.size(0) == n, evaluator, ": ", sdk::split_name(request.split),
              " labels have shape ", f.labels.sizes(), ", expected [", n, "]");
  return f;
}

namespace {
LabelledFeatures keep_labelled(const sdk::Features& features, sdk::Split split, const std::string& evaluator) {
  const std::string name = sdk::split_name(split);
  SSL_CHECK(features.labels.defined(), evaluator, " needs labels, but the ", name,
            " split has none (unlabelled dataset); use the collapse evaluator instead");
  const at::Tensor labels = features.labels.to(at::kCPU, at::kLong);
  const at::Tensor mask = labels >= 0;
  const int64_t kept = mask.sum().item<int64_t>();
  SSL_CHECK(kept > 0, evaluator, " needs labels, but every label of the ", name,
            " split is unknown (-1: unlabelled dataset); use the collapse evaluator instead");
  if (kept == labels.size(0)) return {features.values.to(at::kFloat), labels};
  sdk::log_warning(evaluator + ": ignoring " + std::to_string(labels.size(0) - kept) + " of " +
                   std::to_string(labels.size(0)) + " " + name + " samples without a label");
  const at::Tensor idx = mask.nonzero().reshape({-1});
  return {features.values.index_select(0, idx.to(features.values.device())).to(at::kFloat),
          labels.index_select(0, idx)};
}

int64_t infer_num_classes(const sdk::FeatureSource& source, const at::Tensor& train_labels,
                          const at::Tensor& test_labels) {
  int64_t seen = 0;
  for (const at::Tensor* t : {&train_labels, &test_labels})
    if (t->defined() && t->numel() > 0) seen = std::max(seen, t->max().item<int64_t>() + 1);
  return std::max(source.num_classes(sdk::Split::Train), seen);
}

TrainTestFeatures labelled_train_test(sdk::EvalContext& ctx, int64_t max_train, int64_t max_test,
                                      const std::string& evaluator) {
  sdk::FeatureRequest request;
  request.representation = sdk::Representation::Backbone;
  request.seed = ctx.seed;
  request.split = sdk::Split::Train;
  request.max_samples = max_train;
  TrainTestFeatures out;
  out.train = keep_labelled(extract_split(ctx, request, evaluator), sdk::Split::Train, evaluator);
  request.split = sdk::Split::Test;
  request.max_samples = max_test;
  out.test = keep_labelled(extract_split(ctx, request, evaluator), sdk::Split::Test, evaluator);
  SSL_CHECK(out.train.values.size(1) == out.test.values.size(1), evaluator, ": train features have ",
            out.train.values.size(1), " dimensions but test features have ", out.test.values.size(1));
  out.num_classes = infer_num_classes(*ctx.features, out.train.labels, out.test.labels);
  return out;
}
}  // namespace

TrainTestFeatures TrainTestSubset::features(sdk::EvalContext& ctx, const std::string& evaluator) const {
  return labelled_train_test(ctx, max_train_, max_test_, evaluator);
}

void TrainTestSubset::add_keys(sdk::Schema& schema, const std::string& train_doc) {
  schema.add_int("max_train", 0, train_doc).min(0);
  schema.add_int("max_test", 0, "test samples scored (0: all; else a seeded subset)").min(0);
}

}  // namespace ssl::plugins::evaluator_core
