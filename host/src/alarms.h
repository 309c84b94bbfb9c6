#pragma once
// Alarms: thresholds on the metrics of a run. Every metrics record (training-step lines and
// evaluation lines) is fed to Alarms::observe; a metric that crosses its threshold fires ONE
// alarm (one console line, one metrics.jsonl record) and stays quiet until it recovers, which
// re-arms it.
//
// Watched metrics (numeric keys of a record; NaN values are ignored):
//  - every key whose last '/'-component is `std_sqrt_d` (collapse/embedding/std_sqrt_d,
//    collapse/backbone/std_sqrt_d, batch/std_sqrt_d, <method>/std_sqrt_d): fires when
//    value < std_sqrt_d_below. std * sqrt(D) of L2-normalised features is ~1 for an isotropic
//    embedding and 0 for a complete collapse (SimSiam, Chen & He 2021).
//  - every key whose last component is `rankme` (collapse/<repr>/rankme, batch/rankme,
//    <method>/rankme): fires when value < rankme_fraction_below * D. D is `<prefix>/dim` from
//    the same record when present, else the dimension registered for the last component of
//    the prefix (set_dimension: "backbone", "embedding", "batch"); without a known D the key is
//    not checked. RankMe (Garrido et al. 2023) is at most min(N, D).
//  - `loss` of records that carry a key ending in `/uniform_loss_ref` (a method with a K-way
//    cross-entropy reports ln K there): fires when |loss - ref| <= uniform_loss_tolerance * ref
//    has held for uniform_loss_patience steps (the loss of an untrained model starts at ln K).
#include <nlohmann/json.hpp>

#include <ATen/core/Tensor.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ssl/sdk/config.h"

namespace ssl::sdk {
class Method;
}

namespace ssl::host {

class MetricsLog;
class Console;

struct AlarmOptions {
  double std_sqrt_d_below = 0.1;         // 0: off
  double rankme_fraction_below = 0.05;   // of the feature dimension D; 0: off
  double uniform_loss_tolerance = 0.01;  // relative to ln K; 0: off
  int64_t uniform_loss_patience = 100;   // steps the loss must stay near ln K
  bool stop_on_alarm = false;
  int64_t batch_check_every = 0;         // steps between batch/std_sqrt_d checks; 0: off

  static AlarmOptions from_config(const sdk::Config& alarms);  // the validated [alarms] section
};

struct AlarmEvent {
  std::string metric;  // e.g. "collapse/embedding/std_sqrt_d"
  double value = 0.0;
  double threshold = 0.0;
  std::string comparison;  // "<" or "~=" (near ln K)
  int64_t step = 0;
  int64_t epoch = 0;          // as in the record that fired
  int64_t display_epoch = 0;  // 1-based, for the console line
  std::string meaning;

  // alarm: collapse/embedding/std_sqrt_d = 0.03 < 0.1 at epoch 4 step 80 — the embeddings ...
  std::string line() const;
  // {"step":..,"epoch":..,"alarm":"..","value":..,"threshold":..,"meaning":".."}
  nlohmann::json record() const;
};

class Alarms {
 public:
  explicit Alarms(AlarmOptions options = {});
  const AlarmOptions& options() const { return options_; }

  // D of the features behind "<...>/<name>/rankme" keys (name: backbone, embedding, batch).
  void set_dimension(const std::string& name, int64_t dim) { dims_[name] = dim; }
  bool has_dimension(const std::string& name) const { return dims_.count(name) != 0; }

  // Checks one record; returns the alarms that fire now (each at most once per crossing).
  // `display_epoch` is the 1-based epoch named in the console line.
  std::vector<AlarmEvent> observe(const nlohmann::json& record, int64_t display_epoch);

  // observe + writes each alarm to `log` and prints its line. Returns the alarms fired.
  std::vector<AlarmEvent> check(const nlohmann::json& record, int64_t display_epoch, MetricsLog& log, Console& console);

 private:
  std::optional<AlarmEvent> crossed(const std::string& key, bool bad, double value, double threshold,
                                    const std::string& comparison, const std::string& meaning);
  AlarmOptions options_;
  std::map<std::string, int64_t> dims_;
  std::map<std::string, bool> fired_;  // key -> currently in alarm (not re-armed yet)
  std::optional<int64_t> near_uniform_since_;
};

struct BatchCollapse {
  double std_sqrt_d = 0.0;
  double rankme = 0.0;
  int64_t dim = 0;  // D of the embedding
  int64_t n = 0;    // samples
};

// std * sqrt(D) and RankMe of method.embed(view) [N, C, H, W] -> [N, D], computed in the
// method's current mode (training) without gradients; buffers (batch-norm running
// statistics) are restored afterwards, so the check does not change training.
BatchCollapse batch_collapse(sdk::Method& method, const at::Tensor& view);

// Learns D of the backbone features and of the embedding from one forward pass over two
// samples of `view` in eval mode without gradients and registers them as "backbone" and
// "embedding". A failure is logged as a warning and registers D = 0 (those rankme alarms off).
void learn_dimensions(Alarms& alarms, sdk::Method& method, const at::Tensor& view);

}  // namespace ssl::host
