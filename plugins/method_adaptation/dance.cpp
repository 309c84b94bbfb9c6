// DANCE (Saito, Kim, Sclaroff, Saenko, "Universal Domain Adaptation through Self-Supervision",
// NeurIPS 2020): a labelled source, an unlabelled target from another distribution, no
// constraint on their label sets. Each step takes one source and one target batch (a
// two-domain pipeline: [data.source] + [data.target]):
//
//   loss = CE(source) + eta * (NC + ES)
//
// - CE: cross-entropy of the cosine classifier (domain_classifier.h, T = 0.05) on the source.
// - NC, neighbourhood clustering: for each target feature the entropy of the softmax over
//   [the K class prototypes, the memory bank of target features, the batch's other target
//   features], all as cosines / T, with the batch's own memory slots and each row's own column
//   masked (dance_losses.h). Low entropy = close to a prototype or to a few target neighbours.
// - ES, entropy separation on the target's classifier output: -mean max(|H(p) - rho|, m),
//   rho = rho_scale * ln K (0.5 ln K), m = 0.5. A target sample is pushed towards a known class
//   (low entropy) or towards "unknown" (high entropy); within m of rho it is left alone.
// - The memory bank [target size, D] holds L2-normalised target features, initialised to random
//   unit vectors and updated by index after every step with that step's features:
//   m_i = normalise(momentum * m_i + (1 - momentum) * f_i), momentum 0 (the authors' setting:
//   the slot is replaced). With several processes the batch is the global one (NC compares
//   with every rank's features) and every rank writes the whole global batch into its bank, so
//   the banks stay identical and the run matches a single process's.
// At test time a sample whose entropy exceeds rho is "unknown" (the open_set evaluator).
//
// Checkpointed state: backbone, classifier, memory bank.
#include <ATen/ATen.h>

#include <cmath>

#include "dance_losses.h"
#include "domain_classifier.h"
#include "ssl/nn/losses.h"
#include "ssl/nn/method_support.h"
#include "ssl/sdk/comm.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_adaptation {
namespace {

class Dance final : public DomainClassifier {
 public:
  Dance(const sdk::Config& cfg, const sdk::BuildContext& ctx)
      : DomainClassifier(cfg, ctx, "dance"),
        eta_(cfg.get_float("eta")),
        margin_(cfg.get_float("margin")),
        rho_(cfg.get_float("rho_scale") * std::log(double(num_known()))),
        momentum_(cfg.get_float("memory_momentum")),
        comm_(nn::resolve_comm(ctx)) {
    SSL_CHECK(ctx.target_size > 0, "dance: the target split has no samples (BuildContext::target_size)");
    memory_ = register_buffer("memory", nn::l2_normalize(at::randn({ctx.target_size, backbone()->num_features()})));
  }

  static sdk::Schema schema() {
    sdk::Schema s;
    add_classifier_keys(s);
    s.add_float("eta", 0.05, "weight eta of the two target terms: loss = CE + eta (NC + ES)").min(0);
    s.add_float("margin", 0.5, "entropy separation margin m: no gradient while |H - rho| < m").min(0);
    s.add_float("rho_scale", 0.5, "rho = rho_scale * ln K, the entropy that separates known from unknown")
        .greater_than(0)
        .max(1);
    s.add_float("memory_momentum", 0.0, "memory bank update m_i = normalise(momentum m_i + (1 - momentum) f_i)")
        .range(0, 0.999);
    return s;
  }

  // views[0]: the source batch, labels; target_views[0], target_indices: the target batch ->
  // loss; metrics source_ce, nc, es, accuracy (source), target_entropy (mean H of the target
  // predictions), target_unknown (the fraction above rho).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    SSL_CHECK(!batch.target_views.empty() && batch.target_indices.defined(),
              "dance: the batch has no target views (a two-domain pipeline gives them)");
    const SourceTerms source = source_terms(batch);
    const at::Tensor& ce = source.ce;
    const at::Tensor ft = features(batch.target_views[0]);
    const at::Tensor target_logits = logits(ft);
    const at::Tensor nc =
        neighbourhood_clustering(ft, batch.target_indices, memory_, target_logits, temperature(), comm_.get());
    const at::Tensor es = entropy_separation(target_logits, rho_, margin_);
    // The global batch's features, so that every rank's memory bank stays the same.
    pending_features_ = comm_->all_gather(ft.detach());
    pending_indices_ = comm_->all_gather(batch.target_indices);

    sdk::StepOutput out;
    out.loss = ce + eta_ * (nc + es);
    const at::Tensor h = row_entropy(target_logits.detach());
    out.metrics = {{"loss", out.loss.detach()},
                   {"source_ce", ce.detach()},
                   {"nc", nc.detach()},
                   {"es", es.detach()},
                   {"accuracy", source.accuracy},
                   {"target_entropy", h.mean()},
                   {"target_unknown", (h > rho_).to(at::kFloat).mean()}};
    return out;
  }

  void after_step(const sdk::StepInfo& info) override {
    if (pending_features_.defined()) update_memory(memory_, pending_indices_, pending_features_, momentum_);
    pending_features_ = at::Tensor();
    pending_indices_ = at::Tensor();
    DomainClassifier::after_step(info);
  }

 private:
  double eta_, margin_, rho_, momentum_;
  std::shared_ptr<sdk::Comm> comm_;
  at::Tensor memory_;
  at::Tensor pending_features_, pending_indices_;  // the step's target features, stored after the update
};

}  // namespace

void register_dance(sdk::Registrar& r) {
  r.add_method<Dance>("dance",
                      "DANCE universal domain adaptation: source CE + eta (neighbourhood clustering + entropy "
                      "separation) on the target (two domains)");
}

}  // namespace ssl::plugins::method_adaptation
