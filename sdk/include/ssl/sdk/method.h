#pragma once
// A self-supervised method. The method owns its heads, target networks, queues, prototypes
// and loss; the host owns the loop, optimizer, data, distribution, checkpoints and logging.
//
// Registration: `r.add_method<MyMethod>("name", "one-line doc")` (registrar.h), with
//   MyMethod(const sdk::Config&, const sdk::BuildContext&);   // builds heads, targets, queues
//   static sdk::Schema schema();                               // its keys
//   static sdk::ViewSpec views(const sdk::Config&);            // optional; default 2 views
// The host, not the method, moves the built method (and with it every submodule: backbones
// from ctx.make_backbone, heads, targets) to the training device, and checks the pipeline's
// view count against views() in `validate` and before `run` trains.
//
// State: everything a checkpoint must restore is a parameter or a buffer of the method
// module (register queues and their pointers as buffers), so saving named_parameters() and
// named_buffers() round-trips it. Target networks are submodules whose parameters have
// requires_grad = false; they are then left out of the optimizer by the default groups.
#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>
#include <torch/nn/module.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ssl/sdk/export.h"
#include "ssl/sdk/features.h"
#include "ssl/sdk/rng.h"
#include "ssl/sdk/types.h"

namespace ssl::sdk {

class Backbone;
class Comm;

// Metric names the host interprets. A metric is logged as "<source>/<name>": a method's
// StepOutput::metrics entry {name, value} appears as "<method>/<name>", an evaluator's as
// "<evaluator>/<name>" (the collapse evaluator's "collapse/<repr>/<name>"). The host's alarms
// ([alarms] in the pipeline; `ssl-host describe pipeline`) watch every record, training steps
// and evaluations alike, for keys whose LAST '/'-component is one of these; any other name is
// only logged and plotted. Each alarm fires once per crossing (one console line, one
// metrics.jsonl record) and re-arms when the metric recovers.
namespace metric {
// std * sqrt(D) of the L2-normalised features [N, D] (nn::normalized_std(z).std_sqrt_d):
// ~1 for an isotropic embedding, 0 for a complete collapse (SimSiam, Chen & He 2021).
// Alarm: value < std_sqrt_d_below (default 0.1).
inline constexpr const char* kStdSqrtD = "std_sqrt_d";
// Effective rank of the features (nn::rankme, Garrido et al. 2023), at most min(N, D).
// Alarm: value < rankme_fraction_below * D (default 0.05), D taken from "<prefix>/dim" of the
// same record (kDim below) or, for the host's own "backbone" / "embedding" / "batch" prefixes,
// from the features it measured; without a known D the key is not checked.
inline constexpr const char* kRankMe = "rankme";
// The feature dimension D behind "<prefix>/rankme", logged as "<prefix>/dim" next to it.
inline constexpr const char* kDim = "dim";
// ln K for a method whose loss is a K-way cross-entropy (nn::uniform_loss_ref; scaled as the
// loss is scaled): the loss of an untrained or collapsed model. Alarm: the record's "loss"
// stays within uniform_loss_tolerance * ref of it (default 1%) for uniform_loss_patience steps
// (default 100): nothing is being learned.
inline constexpr const char* kUniformLossRef = "uniform_loss_ref";
}  // namespace metric

struct Batch {
  std::vector<at::Tensor> views;    // V tensors [N, C, H, W] float32 on the training device
  std::vector<int64_t> view_group;  // group index of each view (multi-crop: 0 global, 1 local)
  // [N] int64 in [0, BuildContext::num_classes), only for a method that declares
  // uses_labels() (registrar.h); undefined for every other method.
  at::Tensor labels;
  at::Tensor indices;               // [N] int64 dataset indices
  at::Tensor targets;               // [N, T] int64 from a method's SampleTransform, else undefined
  // Two-domain methods only (uses_target_domain(), registrar.h): the step's batch of the
  // unlabelled target domain [data.target], through its own view groups (target_views in the
  // pipeline; default: the same groups as the source). Its labels never reach the method.
  // Empty / undefined for every other method.
  std::vector<at::Tensor> target_views = {};       // V' tensors [M, C, H, W]
  at::Tensor target_indices = at::Tensor();        // [M] int64 indices into the target dataset
};

struct StepInfo {
  int64_t epoch = 0;            // 0-based
  int64_t step = 0;             // global optimizer step, 0-based
  int64_t steps_per_epoch = 1;
  int64_t total_steps = 1;
  double progress() const { return total_steps > 0 ? double(step) / double(total_steps) : 0.0; }
};

struct StepOutput {
  at::Tensor loss;  // scalar; the host calls backward() on it
  // Detached scalars logged as "<method>/<name>" (loss terms, momentum tau, ...). The host
  // converts them to numbers only when it logs, so no device sync happens per step.
  std::vector<std::pair<std::string, at::Tensor>> metrics;
};

// A named group of parameters with its own optimizer settings.
struct ParamGroup {
  std::string name;
  std::vector<at::Tensor> params;
  double lr_scale = 1.0;                // multiplies the scheduled learning rate
  std::optional<double> weight_decay;   // nullopt: the optimizer's
  bool fixed_lr = false;                // true: base lr * lr_scale, never scheduled (SimSiam predictor)
};

// A method-supplied per-sample transform (pretext tasks such as jigsaw or context prediction):
// it replaces the pipeline's view groups for training.
struct TransformedSample {
  std::vector<cv::Mat> views;    // every sample must produce the same count and sizes
  std::vector<int64_t> targets;  // per-sample targets, collated into Batch::targets
};
class SSL_SDK_API SampleTransform {
 public:
  virtual ~SampleTransform();
  virtual TransformedSample apply(const cv::Mat& image, Rng& rng) const = 0;
};

struct EpochContext {
  int64_t epoch = 0;
  FeatureSource* features = nullptr;  // extract features of a split with the current model
  Comm* comm = nullptr;

  // Set by on_epoch_start (a fresh context every epoch; read by the host before the epoch's
  // first batch is drawn, ignored after on_epoch_end):
  //
  // Per-sample sampling weights for this epoch: [train_size] (BuildContext::train_size, index =
  // Batch::indices), finite and >= 0 with a positive sum, any device and floating dtype. When
  // defined, the epoch's samples are drawn with replacement with probability proportional to
  // the weight (DeepCluster's uniform sampling over pseudo-classes: 1 / |cluster of i|), as
  // many as an unweighted epoch has, in an order fixed by (pipeline seed, epoch) and sharded
  // over ranks like the plain shuffle; rank 0's weights are broadcast, so every rank draws from
  // the same distribution. Undefined: the plain shuffle. A run resumed mid-epoch calls
  // on_epoch_start again: set the same weights (derive them from checkpointed buffers), or the
  // resumed epoch draws a different order.
  at::Tensor sampling_weights;
  // Parameters the method re-initialised in place this epoch (DeepCluster's fresh classifier):
  // the host clears their optimizer state (momentum, Adam moments), so nothing from the old
  // values' updates carries over.
  std::vector<at::Tensor> reinitialized;
};

class SSL_SDK_API Method : public torch::nn::Module {
 public:
  ~Method() override;

  virtual StepOutput training_step(const Batch& batch, const StepInfo& info) = 0;
  // The backbone being trained (the one exported as backbone.pt and evaluated).
  virtual std::shared_ptr<Backbone> backbone() const = 0;
  // The method's embedding (projector output) of images, for collapse diagnostics.
  // Default: the backbone features.
  virtual at::Tensor embed(const at::Tensor& images);
  // A method with a classifier (domain adaptation): its class probabilities of images, [N, K],
  // column k for the dataset label prediction_classes()[k]; what Representation::Predictions
  // extracts. Default: undefined (the method makes no class predictions; the host says so when
  // an evaluator asks for them).
  virtual at::Tensor predict(const at::Tensor& images);
  virtual std::vector<int64_t> prediction_classes() const { return {}; }

  // Default: one group "all" with every parameter that requires grad.
  virtual std::vector<ParamGroup> parameter_groups();
  // After the optimizer step: EMA updates, queue maintenance, prototype normalisation.
  virtual void after_step(const StepInfo& info) { (void)info; }
  virtual void on_epoch_start(EpochContext& ctx) { (void)ctx; }
  virtual void on_epoch_end(EpochContext& ctx) { (void)ctx; }
  // nullptr: the pipeline's view groups are used. A method that returns one declares
  // ViewSpec::own_transform in its static views(), so validation skips the view count.
  virtual std::shared_ptr<const SampleTransform> sample_transform() const { return nullptr; }
};

}  // namespace ssl::sdk
