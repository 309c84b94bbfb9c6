#include "evaluation.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include "report/embedding_pca.h"
#include "report/neighbours.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"

namespace ssl::host {

ModelFeatureSource::ModelFeatureSource(Runtime& runtime, FeatureUse use) : rt_(runtime), use_(use) {}

const std::shared_ptr<DatasetView>& ModelFeatureSource::view(sdk::Split split) const {
  if (split == sdk::Split::Test) return rt_.test;
  return use_ == FeatureUse::Evaluation && rt_.eval_train ? rt_.eval_train : rt_.train;
}

int64_t ModelFeatureSource::num_classes(sdk::Split split) const {
  const auto& view = this->view(split);
  if (!view) return 0;
  int64_t n = view->info().num_classes;
  for (int64_t i = 0; i < view->size() && n == 0; ++i) n = std::max(n, view->label(i) + 1);
  return n;
}

sdk::Features ModelFeatureSource::extract(const sdk::FeatureRequest& request) {
  const auto& data = view(request.split);
  SSL_CHECK(data != nullptr, "features of the ", sdk::split_name(request.split),
            " split were requested but the pipeline has no [data.", sdk::split_name(request.split), "]");
  sdk::FeatureRequest req = request;
  if (req.max_samples >= data->size()) req.max_samples = 0;  // a "subset" as large as the split is the split
  // Un-augmented features of the whole split do not depend on the seed.
  const bool whole_plain = req.max_samples <= 0 && req.augmented_views == 0;
  const auto key = std::make_tuple(int(req.split), int(req.representation), whole_plain ? 0 : req.max_samples,
                                   req.augmented_views, whole_plain ? uint64_t{0} : req.seed);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  LoaderOptions opt;
  opt.batch_size = rt_.pipeline->data.get_int("eval_batch_size");
  opt.workers = rt_.pipeline->data.get_int("workers");
  opt.prefetch = rt_.pipeline->data.get_int("prefetch");
  opt.drop_last = false;
  opt.shuffle = false;
  opt.seed = req.seed ^ rt_.seed;
  if (req.max_samples > 0 && req.max_samples < data->size()) {
    std::vector<int64_t> all(static_cast<size_t>(data->size()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    sdk::Rng rng(opt.seed ^ 0xfea7ULL);
    for (size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[static_cast<size_t>(rng.randint(0, int64_t(i)))]);
    all.resize(static_cast<size_t>(req.max_samples));
    std::sort(all.begin(), all.end());
    opt.subset = std::move(all);
    // A subset of plain features already extracted for the whole split: select its rows
    // (eval mode, so each image's features do not depend on its batch).
    const auto whole = std::make_tuple(int(req.split), int(req.representation), int64_t{0}, int64_t{0}, uint64_t{0});
    if (auto it = cache_.find(whole); req.augmented_views == 0 && it != cache_.end()) {
      const at::Tensor rows = at::tensor(opt.subset, at::kLong);
      sdk::Features out{it->second.values.index_select(0, rows), it->second.labels.index_select(0, rows),
                        it->second.indices.index_select(0, rows), it->second.class_ids};
      cache_.emplace(key, out);
      return out;
    }
  }
  ++extractions_;
  std::vector<ViewChain> chains;
  if (req.augmented_views > 0) {
    SSL_CHECK(!rt_.train_chains.empty(), "augmented features need [[views]] in the pipeline");
    for (int64_t v = 0; v < req.augmented_views; ++v)
      chains.push_back(rt_.train_chains[static_cast<size_t>(v) % rt_.train_chains.size()]);
  } else {
    chains = rt_.eval_chain;
  }
  const bool predictions = req.representation == sdk::Representation::Predictions;
  const std::vector<int64_t> classes = predictions ? rt_.method->prediction_classes() : std::vector<int64_t>{};
  Loader loader(data, chains, nullptr, opt);
  loader.start_epoch(0);

  const bool was_training = rt_.method->is_training();
  rt_.method->eval();
  at::NoGradGuard no_grad;
  std::vector<std::vector<at::Tensor>> per_view(chains.size());
  std::vector<at::Tensor> labels, indices;
  try {
    while (auto batch = loader.next()) {
      sdk::throw_if_stopped(rt_.stop);
      for (size_t v = 0; v < batch->views.size(); ++v) {
        at::Tensor x = batch->views[v].to(rt_.device);
        at::Tensor f = req.representation == sdk::Representation::Embedding ? rt_.method->embed(x)
                       : predictions                                       ? class_predictions(x, classes)
                                                                           : rt_.method->backbone()->forward(x);
        per_view[v].push_back(f.detach().to(at::kCPU, at::kFloat));
      }
      labels.push_back(batch->labels);
      indices.push_back(batch->indices);
    }
  } catch (...) {
    rt_.method->train(was_training);
    throw;
  }
  rt_.method->train(was_training);

  sdk::Features out;
  std::vector<at::Tensor> views;
  for (auto& v : per_view) views.push_back(at::cat(v, 0));
  out.values = req.augmented_views > 0 ? at::stack(views, 0) : views.front();
  out.labels = at::cat(labels, 0);
  out.indices = at::cat(indices, 0);
  if (predictions) out.class_ids = at::tensor(classes, at::kLong);
  cache_.emplace(key, out);
  return out;
}

at::Tensor ModelFeatureSource::class_predictions(const at::Tensor& images, const std::vector<int64_t>& classes) const {
  const std::string who = "method " + rt_.pipeline->method.type();
  at::Tensor p = rt_.method->predict(images);
  SSL_CHECK(p.defined(), who, " makes no class predictions (Method::predict), which an evaluator asked for: use a "
                         "method with a classifier (e.g. dance, source_only)");
  SSL_CHECK(p.dim() == 2 && p.size(0) == images.size(0) && p.size(1) == int64_t(classes.size()) && !classes.empty(),
            who, ": predict() returned ", p.sizes(), " for ", images.size(0), " images and ", classes.size(),
            " prediction_classes()");
  return p;
}

const sdk::Features* ModelFeatureSource::largest_plain(sdk::Split split, sdk::Representation representation) const {
  const sdk::Features* best = nullptr;
  for (const auto& [key, f] : cache_) {
    if (std::get<0>(key) != int(split) || std::get<1>(key) != int(representation) || std::get<3>(key) != 0) continue;
    if (!best || f.values.size(0) > best->values.size(0)) best = &f;
  }
  return best;
}

void write_round_pictures(Runtime& rt, ModelFeatureSource& features, int64_t epochs_done) {
  auto attempt = [](const char* what, const auto& write) {
    try {
      write();
    } catch (const sdk::Interrupted&) {
      throw;
    } catch (const std::exception& e) {
      sdk::log_warning(std::string("no ") + what + " for the report: " + e.what());
    }
  };
  attempt("PCA of the test embeddings", [&] { report::write_test_pca(features, rt.run_dir, epochs_done); });
  const sdk::Features* bank = features.largest_plain(sdk::Split::Train, sdk::Representation::Backbone);
  const sdk::Features* queries = features.largest_plain(sdk::Split::Test, sdk::Representation::Backbone);
  const auto& bank_view = features.view(sdk::Split::Train);
  if (bank && queries && bank_view)
    attempt("nearest neighbours", [&] {
      report::write_neighbours(report::nearest_neighbours(*bank, *queries, *bank_view, *rt.test, epochs_done), rt.run_dir);
    });
}

std::map<std::string, double> run_evaluators(Runtime& rt, int64_t epochs_done, int64_t step, bool final,
                                             const RecordSink& sink, Console& console) {
  std::map<std::string, double> all;
  ModelFeatureSource features(rt, FeatureUse::Evaluation);
  const std::vector<int64_t> train_counts = rt.train->class_counts();
  bool any_due = false;
  // Evaluation is rank 0's alone (observers/evaluation_observer.h): its collectives are local.
  const std::shared_ptr<sdk::Comm> local = sdk::make_local_comm();
  for (auto& e : rt.evaluators) {
    const bool due = final || (e.every > 0 && epochs_done % e.every == 0);
    if (!due) continue;
    any_due = true;
    sdk::EvalContext ctx;
    ctx.features = &features;
    ctx.comm = local.get();
    ctx.device = rt.device;
    ctx.epoch = epochs_done;
    ctx.step = step;
    ctx.final = final;
    ctx.run_dir = rt.run_dir;
    ctx.seed = rt.seed;
    ctx.stop = rt.stop;
    ctx.train_class_counts = train_counts;
    sdk::EvalResult result;
    try {
      result = e.evaluator->evaluate(ctx);
    } catch (...) {
      rethrow_with_context("evaluator " + e.name, "epoch " + std::to_string(epochs_done));
    }
    nlohmann::json record{{"step", step}, {"epoch", epochs_done}, {"final", final}};
    std::string text = fmt::format("[eval {} | epoch {}]", e.name, epochs_done);
    for (const auto& [k, v] : result.metrics) {
      const std::string key = e.name + "/" + k;
      all[key] = v;
      record[key] = v;
      text += fmt::format("  {} {:.4f}", key, v);
    }
    if (sink) sink(record);
    console.line(text);
  }
  if ((any_due || final) && rt.test && !rt.run_dir.empty()) write_round_pictures(rt, features, epochs_done);
  return all;
}

}  // namespace ssl::host
