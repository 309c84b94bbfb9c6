// The source-only baseline of DANCE's comparisons: the same backbone and cosine classifier
// (domain_classifier.h), trained with the cross-entropy of the labelled source alone. It takes
// the same two-domain pipeline as dance, so that the two differ in method.type only; the target
// batch is loaded and not used. At test time, like DANCE, a sample whose entropy exceeds
// rho = 0.5 ln K is "unknown" (the open_set evaluator).
//
// Checkpointed state: backbone, classifier.
#include <ATen/ATen.h>

#include "domain_classifier.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/registrar.h"

namespace ssl::plugins::method_adaptation {
namespace {

class SourceOnly final : public DomainClassifier {
 public:
  SourceOnly(const sdk::Config& cfg, const sdk::BuildContext& ctx) : DomainClassifier(cfg, ctx, "source_only") {}

  static sdk::Schema schema() {
    sdk::Schema s;
    add_classifier_keys(s);
    return s;
  }

  // views[0], labels: the source batch -> loss (CE); metrics accuracy (source).
  sdk::StepOutput training_step(const sdk::Batch& batch, const sdk::StepInfo&) override {
    const SourceTerms source = source_terms(batch);
    sdk::StepOutput out;
    out.loss = source.ce;
    out.metrics = {{"loss", out.loss.detach()}, {"accuracy", source.accuracy}};
    return out;
  }
};

}  // namespace

void register_source_only(sdk::Registrar& r) {
  r.add_method<SourceOnly>("source_only",
                           "source-only baseline of domain adaptation: the cosine classifier trained on the "
                           "source labels alone (two domains, the target unused)");
}

}  // namespace ssl::plugins::method_adaptation
