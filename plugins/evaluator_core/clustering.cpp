// clustering: k-means on the test features, scored against the labels (NMI, adjusted Rand
// index, cluster accuracy under the best one-to-one matching) and for balance (the entropy of
// the cluster sizes over log K: 1 balanced, 0 one giant cluster, a collapse signal that needs no
// labels). The DeepCluster and SwAV papers report NMI against the classes; this evaluator gives
// every method the same numbers.
//
// Features: the test split's backbone features (or the method's embedding), through the
// evaluation transform; L2-normalised and clustered by cosine (spherical k-means, as the kNN
// evaluator compares features by cosine) unless spherical = false. k = 0 takes the number of
// classes. Seeded: the same features give the same clusters.
#include <ATen/ATen.h>

#include "ssl/nn/clustering_metrics.h"
#include "ssl/nn/kmeans.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/evaluator.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::evaluator_core {
namespace {

class ClusteringEvaluator final : public sdk::Evaluator {
 public:
  ClusteringEvaluator(const sdk::Config& c, const sdk::BuildContext&)
      : k_(c.get_int("k")),
        iterations_(c.get_int("iterations")),
        max_test_(c.get_int("max_test")),
        spherical_(c.get_bool("spherical")),
        representation_(c.get_string("representation") == "embedding" ? sdk::Representation::Embedding
                                                                      : sdk::Representation::Backbone) {}

  static sdk::Schema schema() {
    sdk::Schema s;
    s.add_int("k", 0, "clusters (0: the number of classes)").min(0);
    s.add_int("iterations", 50, "Lloyd steps at most (stops when no assignment changes)").min(1);
    s.add_int("max_test", 0, "test samples clustered (0: all; else a seeded subset)").min(0);
    s.add_bool("spherical", true, "cluster L2-normalised features by cosine (false: Euclidean k-means)");
    s.add_string("representation", "backbone", "which features: the backbone's or the method's embedding")
        .choices({"backbone", "embedding"});
    return s;
  }

  sdk::EvalResult evaluate(sdk::EvalContext& ctx) override {
    sdk::FeatureRequest req;
    req.split = sdk::Split::Test;
    req.representation = representation_;
    req.max_samples = max_test_;
    req.seed = ctx.seed;
    const sdk::Features f = ctx.features->extract(req);
    const bool labelled = f.labels.numel() > 0 && f.labels.max().item<int64_t>() >= 0;
    int64_t k = k_ > 0 ? k_ : ctx.features->num_classes(sdk::Split::Test);
    SSL_CHECK(k >= 1, "clustering: the test split has no classes to take k from; set k");
    SSL_CHECK(f.values.size(0) >= k, "clustering: ", k, " clusters need at least ", k, " test samples, got ",
              f.values.size(0));
    sdk::throw_if_stopped(ctx.stop);
    nn::KMeansOptions o;
    o.k = k;
    o.iterations = iterations_;
    o.seed = ctx.seed ^ 0xc1a57e5ULL;
    o.spherical = spherical_;
    const nn::KMeansResult km = nn::kmeans(f.values.reshape({f.values.size(0), -1}).to(ctx.device), o);
    if (!labelled) return {{{"size_entropy", nn::size_entropy(km.counts)}}};
    const nn::ClusteringScores s = nn::clustering_scores(km.assignments, f.labels, k);
    return {{{"nmi", s.nmi}, {"ari", s.ari}, {"accuracy", s.accuracy}, {"size_entropy", s.size_entropy}}};
  }

 private:
  int64_t k_, iterations_, max_test_;
  bool spherical_;
  sdk::Representation representation_;
};

}  // namespace

void register_clustering(sdk::Registrar& r) {
  r.add_evaluator<ClusteringEvaluator>("clustering", "k-means on test features: NMI, ARI, cluster accuracy, size entropy");
}

}  // namespace ssl::plugins::evaluator_core
