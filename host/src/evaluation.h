#pragma once
// Feature extraction for evaluators and epoch hooks, and the evaluation round.
#include <functional>
#include <map>
#include <tuple>

#include "metrics.h"
#include "runtime.h"
#include "ssl/sdk/features.h"

namespace ssl::host {

// Who reads the features, which decides what Split::Train is: for evaluators the evaluation's
// train split ([data.eval_train] when the pipeline has one), for the method's epoch hooks and
// `embed` the training split [data.train].
enum class FeatureUse { Evaluation, Training };

// Runs the current model over a split through the evaluation transform (or the training
// views, for positive pairs) in eval mode without gradients. Results are cached until
// clear(), so the evaluators of one round share each extraction.
class ModelFeatureSource final : public sdk::FeatureSource {
 public:
  ModelFeatureSource(Runtime& runtime, FeatureUse use);
  // The dataset behind `split` for this source's use; null when the pipeline has none.
  const std::shared_ptr<DatasetView>& view(sdk::Split split) const;
  sdk::Features extract(const sdk::FeatureRequest& request) override;
  int64_t num_classes(sdk::Split split) const override;
  void clear() { cache_.clear(); }

  // How many times the model ran over data (cache misses) since construction.
  int64_t extractions() const { return extractions_; }
  // Of the un-augmented features already extracted for (split, representation), the ones with
  // the most samples (the whole split when an evaluator asked for it); null when none. The
  // pictures of a round (nearest neighbours) use them instead of extracting again.
  const sdk::Features* largest_plain(sdk::Split split, sdk::Representation representation) const;

 private:
  // The method's predict() of a batch, checked against its prediction_classes().
  at::Tensor class_predictions(const at::Tensor& images, const std::vector<int64_t>& classes) const;

  Runtime& rt_;
  FeatureUse use_;
  int64_t extractions_ = 0;
  std::map<std::tuple<int, int, int64_t, int64_t, uint64_t>, sdk::Features> cache_;
};

// The pictures of an evaluation round for the run report, from features the round's evaluators
// extracted: embeddings/test_pca_epoch<NNN>.csv (report/embedding_pca.h; extracts a test subset
// only if no evaluator did) and, when the round extracted plain backbone features of both
// splits (a kNN or linear evaluator), neighbours/test_knn_epoch<NNN>.json (report/neighbours.h).
// A failure is a warning; sdk::Interrupted passes.
void write_round_pictures(Runtime& runtime, ModelFeatureSource& features, int64_t epochs_done);

// One metrics record per evaluator: {"step", "epoch": epochs done, "final", "<name>/<key>": value, ...}.
using RecordSink = std::function<void(const nlohmann::json& record)>;

// Runs the evaluators due after `epochs_done` epochs (all of them when `final`): hands each
// evaluator's record to `sink` (when set) and prints it as one console line. Returns the
// flattened "<name>/<key>" metrics. When the run's stop flag is set mid-round, the extraction or
// evaluator under way throws sdk::Interrupted between batches: the round ends there (the records
// already handed to `sink` stay) and the exception reaches the trainer, which stops the run.
std::map<std::string, double> run_evaluators(Runtime& runtime, int64_t epochs_done, int64_t step, bool final,
                                             const RecordSink& sink, Console& console);

}  // namespace ssl::host
