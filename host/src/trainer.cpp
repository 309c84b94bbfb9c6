#include "trainer.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <optional>

#include "batch_stream.h"
#include "checkpoint.h"
#include "diagnostics.h"
#include "dist/grad_reducer.h"
#include "dist/process_group.h"
#include "dist/sync_batch_norm.h"
#include "evaluation.h"
#include "loader.h"
#include "observers/standard_observers.h"
#include "optim.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"

namespace ssl::host {

namespace fs = std::filesystem;

LoaderOptions training_loader_options(const Runtime& rt) {
  const Pipeline& p = *rt.pipeline;
  LoaderOptions lo;
  // [data] batch_size is the global batch: each of W processes loads batch_size / W of it, so
  // a pipeline means the same run (schedule, lr scaling, losses) at any process count.
  const int64_t global = p.data.get_int("batch_size"), world = rt.comm->world_size();
  SSL_CHECK(global % world == 0, "[data] batch_size = ", global, " is the global batch and must divide among the ",
            world, " processes of this run");
  lo.batch_size = global / world;
  lo.workers = p.data.get_int("workers");
  lo.prefetch = p.data.get_int("prefetch");
  lo.drop_last = p.data.get_bool("drop_last");
  lo.seed = rt.seed;
  lo.rank = rt.comm->rank();
  lo.world_size = rt.comm->world_size();
  return lo;
}

LoaderOptions target_loader_options(const Runtime& rt) {
  LoaderOptions lo = training_loader_options(rt);
  uint64_t z = rt.seed ^ 0x7461726765745f5fULL;  // "target__"
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  lo.seed = z ^ (z >> 31);
  return lo;
}

namespace {
using Clock = std::chrono::steady_clock;

uint64_t step_seed(uint64_t seed, int64_t step) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(step + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) & 0x7fffffffffffffffULL;
}

std::vector<at::Tensor> views_to_device(std::vector<at::Tensor>& views, const c10::Device& device, bool channels_last) {
  std::vector<at::Tensor> out;
  for (auto& v : views) {
    at::Tensor t = v.to(device, /*non_blocking=*/true);
    if (channels_last && t.dim() == 4) t = t.contiguous(at::MemoryFormat::ChannelsLast);
    out.push_back(t);
  }
  return out;
}

// labels: whether the method trains on them (Runtime::uses_labels); otherwise the batch it
// gets has none. `target`: the target domain's batch of a two-domain run, whose labels never
// reach the method.
sdk::Batch to_device(HostBatch&& hb, std::optional<HostBatch>&& target, const c10::Device& device, bool channels_last,
                     bool labels) {
  sdk::Batch b;
  b.views = views_to_device(hb.views, device, channels_last);
  b.view_group = std::move(hb.view_group);
  if (labels) b.labels = hb.labels.to(device);
  b.indices = hb.indices.to(device);
  if (hb.targets.defined()) b.targets = hb.targets.to(device);
  if (target) {
    b.target_views = views_to_device(target->views, device, channels_last);
    b.target_indices = target->indices.to(device);
  }
  return b;
}

// The epoch hooks' features for a method that does not train on labels: every label -1 and
// no classes, so a self-supervised method cannot read the labels through its hooks either.
class UnlabelledFeatureSource final : public sdk::FeatureSource {
 public:
  explicit UnlabelledFeatureSource(sdk::FeatureSource& inner) : inner_(inner) {}
  sdk::Features extract(const sdk::FeatureRequest& request) override {
    sdk::Features f = inner_.extract(request);
    f.labels = at::full_like(f.labels, -1);
    return f;
  }
  int64_t num_classes(sdk::Split) const override { return 0; }

 private:
  sdk::FeatureSource& inner_;
};

// Module has no to(MemoryFormat) in C++: converts the 4-D weights in place.
void use_channels_last(sdk::Method& method) {
  at::NoGradGuard no_grad;
  for (auto& param : method.parameters())
    if (param.dim() == 4) param.set_data(param.data().contiguous(at::MemoryFormat::ChannelsLast));
}


// An epoch is one pass over the longest domain; each domain's batches per pass are recorded.
RunState plan_run(const Runtime& rt, const Loader& loader, const Loader* target, const LoaderOptions& lo) {
  const auto& tr = rt.pipeline->trainer;
  RunState run;
  auto domain = [&](const std::string& name, const Loader& l, const DatasetView& data, const std::string& role) {
    const int64_t n = l.batches_per_epoch();
    SSL_CHECK(n > 0, "the ", role, " set (", data.size(), " images) is smaller than one batch of ", lo.batch_size,
              " with drop_last = true: lower [data] batch_size");
    run.domain_batches.emplace_back(name, n);
    run.steps_per_epoch = std::max(run.steps_per_epoch, n);
  };
  domain(target ? "source" : "train", loader, *rt.train, target ? "source" : "training");
  if (target) domain("target", *target, *rt.target, "target");
  run.epochs = tr.get_int("epochs");
  constexpr int64_t kMaxSteps = int64_t{1} << 53;  // steps stay exact as doubles (schedule, metrics)
  SSL_CHECK(run.epochs <= kMaxSteps / run.steps_per_epoch, "[trainer] epochs = ", run.epochs, " with ",
            run.steps_per_epoch, " steps per epoch is more than the ", kMaxSteps, " steps a run can count");
  run.planned_steps = run.epochs * run.steps_per_epoch;
  run.total_steps = run.planned_steps;
  if (tr.get_int("max_steps") > 0) run.total_steps = std::min(run.total_steps, tr.get_int("max_steps"));
  run.images_per_step = lo.batch_size * lo.world_size;
  return run;
}

// A checkpoint's recorded stream positions against the ones this run derives from its position:
// a difference means the data's batches per pass changed, and the resumed run would draw other
// batches than the interrupted one.
void check_streams(const Checkpoint& c, const RunState& run) {
  for (const auto& [domain, at] : c.streams) {
    auto it = std::find_if(run.domain_batches.begin(), run.domain_batches.end(),
                           [&](const auto& d) { return d.first == domain; });
    SSL_CHECK(it != run.domain_batches.end(), "the checkpoint records a ", domain,
              " data stream this pipeline does not have: it was written by a pipeline with other data sections");
    const StreamPosition here = stream_position(c.position, run.steps_per_epoch, it->second);
    SSL_CHECK(here == at, "the checkpoint's ", domain, " data stood at pass ", at.pass + 1, " batch ", at.batch,
              ", but with this pipeline's data (", it->second, " batches per pass, ", run.steps_per_epoch,
              " steps per epoch) it would stand at pass ", here.pass + 1, " batch ", here.batch,
              ": the data changed since the checkpoint was written");
  }
}

std::string error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return error_message(e);
  } catch (...) {
    return "unknown error";
  }
}

// Resume, step, epoch end, finish; every event goes to the observers.
class TrainLoop {
 public:
  TrainLoop(Runtime& rt, Loader& loader, Loader* target, Optimizer& opt, const LrSchedule& schedule,
            ObserverList& observers, const RunRequest& request, const RunState& run, bool channels_last,
            GradReducer* reducer, nn::BatchNormSync* bn_sync)
      : rt_(rt), source_(loader, run.steps_per_epoch), opt_(opt), schedule_(schedule),
        observers_(observers), request_(request), run_(run), channels_last_(channels_last),
        method_name_(rt.pipeline->method.type()), pos_(run.start), reducer_(reducer), bn_sync_(bn_sync) {
    if (target) target_.emplace(*target, run.steps_per_epoch);
  }

  TrainOutcome run() {
    run_.started = Clock::now();
    try {
      observers_.start(run_);
      while (pos_.epoch < run_.epochs && pos_.step < run_.total_steps) {
        if (const auto stopped = run_epoch()) return *stopped;
      }
      finish();
      return TrainOutcome::Finished;
    } catch (const sdk::Interrupted&) {  // a signal during an evaluation round or an epoch hook
      return stop(StopReason::Interrupted, "");
    } catch (...) {
      record_failure(std::current_exception());
      throw;
    }
  }

 private:
  // Context for errors during the step being run: steps count from 1.
  std::string step_context() const { return fmt::format("epoch {} step {}", pos_.epoch + 1, pos_.step + 1); }

  void epoch_hook(const char* stage, const std::function<void()>& hook) {
    try {
      hook();
    } catch (...) {
      rethrow_with_context("method " + method_name_, fmt::format("epoch {} {}", pos_.epoch + 1, stage));
    }
  }

  std::optional<TrainOutcome> run_epoch() {
    ModelFeatureSource model_features(rt_, FeatureUse::Training);
    UnlabelledFeatureSource unlabelled(model_features);
    sdk::EpochContext ectx;
    ectx.epoch = pos_.epoch;
    ectx.features = rt_.uses_labels ? static_cast<sdk::FeatureSource*>(&model_features) : &unlabelled;
    ectx.comm = rt_.comm.get();
    epoch_hook("start", [&] {
      rt_.method->on_epoch_start(ectx);
      apply_epoch_requests(ectx);
    });
    source_.seek(pos_);
    if (target_) target_->seek(pos_);
    while (pos_.step < run_.total_steps && pos_.step_in_epoch < run_.steps_per_epoch) {
      if (!distributed()) {
        if (const auto reason = external_stop()) return stop(*reason, "");
      }
      HostBatch batch = next_batch(source_);
      std::optional<HostBatch> target;
      if (target_) target = next_batch(*target_);
      step(std::move(batch), std::move(target));
      if (const auto request = poll_stop()) return stop(request->reason, request->cause);
    }
    epoch_hook("end", [&] { rt_.method->on_epoch_end(ectx); });
    const int64_t done = pos_.epoch + 1;
    const bool last = pos_.step >= run_.total_steps || done == run_.epochs;
    pos_ = TrainPosition{done, pos_.step, 0};
    observers_.epoch_end({done, pos_, last});
    if (!last) {
      if (const auto request = poll_stop()) return stop(request->reason, request->cause);
    }
    return std::nullopt;
  }

  bool distributed() const { return rt_.comm->world_size() > 1; }

  // The stop the observers ask for after a step or an epoch end. A multi-process run stops where
  // every rank stops: each rank's request (rank 0's observers; a signal on any rank) is summed
  // over the ranks, so all of them stop after the same step.
  std::optional<StopRequest> poll_stop() {
    std::optional<StopRequest> mine = observers_.stop_request();
    if (!distributed()) return mine;
    if (!mine)
      if (const auto reason = external_stop()) mine = StopRequest{*reason, ""};
    at::Tensor flags = at::zeros({3}, at::kDouble);
    constexpr StopReason kOrder[] = {StopReason::Requested, StopReason::Interrupted, StopReason::Paused};
    for (int64_t i = 0; i < 3; ++i)
      if (mine && mine->reason == kOrder[i]) flags[i] = 1.0;
    rt_.comm->all_reduce_sum(flags);
    for (int64_t i = 0; i < 3; ++i) {
      if (flags[i].item<double>() == 0.0) continue;
      if (mine && mine->reason == kOrder[i]) return mine;
      return StopRequest{kOrder[i], kOrder[i] == StopReason::Requested ? "a request on another rank" : ""};
    }
    return std::nullopt;
  }

  // What on_epoch_start asked of the host: optimizer state to forget, the epoch's sampling.
  void apply_epoch_requests(const sdk::EpochContext& ectx) {
    opt_.reset_state(ectx.reinitialized);
    if (!ectx.sampling_weights.defined()) {
      source_.loader().set_sampling_weights({});
      return;
    }
    const at::Tensor& w = ectx.sampling_weights;
    SSL_CHECK(w.dim() == 1 && w.is_floating_point(), "sampling_weights must be a 1-D floating tensor, got ",
              w.dim(), "-D of type ", w.scalar_type());
    at::Tensor shared = w.detach().to(rt_.device, at::kDouble).contiguous();
    if (rt_.comm->world_size() > 1) rt_.comm->broadcast(shared, 0);  // every rank draws rank 0's distribution
    shared = shared.cpu();
    const double* p = shared.data_ptr<double>();
    source_.loader().set_sampling_weights(std::vector<double>(p, p + shared.numel()));
    sdk::log_info(fmt::format("epoch {}: the method's sampling weights draw this epoch's samples", pos_.epoch + 1));
  }

  std::optional<StopReason> external_stop() const {
    if (request_.stop_requested && request_.stop_requested->load()) return StopReason::Interrupted;
    if (request_.stop_at_step > 0 && pos_.step >= request_.stop_at_step) return StopReason::Paused;
    return std::nullopt;
  }

  HostBatch next_batch(BatchStream& stream) {
    try {
      return stream.next();
    } catch (...) {
      rethrow_with_context(target_ && &stream == &*target_ ? "target loader" : "loader", step_context());
    }
  }

  double data_wait_seconds() const {
    return source_.loader().wait_seconds() + (target_ ? target_->loader().wait_seconds() : 0.0);
  }

  // One optimizer step: forward, the non-finite check, backward, update, after_step.
  void step(HostBatch&& host_batch, std::optional<HostBatch>&& target) {
    const sdk::StepInfo info{pos_.epoch, pos_.step, run_.steps_per_epoch, run_.total_steps};
    const double lr = schedule_.at(pos_.step);
    sdk::Batch batch;
    sdk::StepOutput out;
    double loss = 0.0;
    try {
      batch = to_device(std::move(host_batch), std::move(target), rt_.device, channels_last_, rt_.uses_labels);
      // Step-level randomness is resumable, and each rank draws its own.
      at::manual_seed(step_seed(rt_.seed + 0x632be59bd9b4e019ULL * static_cast<uint64_t>(rt_.comm->rank()), pos_.step));
      {
        const ActiveBatchNormSync global_statistics(bn_sync_);
        out = rt_.method->training_step(batch, info);
      }
      SSL_CHECK(out.loss.defined() && out.loss.numel() == 1, "training_step must return a scalar loss");
      loss = out.loss.item<double>();  // the loop's one device sync per step
      if (distributed()) {  // the mean over the ranks: what is reported, and non-finite on every rank at once
        at::Tensor all = at::full({1}, loss, at::kDouble);
        rt_.comm->all_reduce_sum(all);
        loss = all.item<double>() / double(rt_.comm->world_size());
      }
      if (!std::isfinite(loss)) {
        throw NonFiniteLoss(
            fmt::format("[method {} | {}] the loss is {} — training stopped (lower the learning rate "
                        "or check the data)",
                        method_name_, step_context(), loss));
      }
      opt_.zero_grad();
      if (reducer_) reducer_->prepare();
      out.loss.backward();
      if (reducer_) reducer_->finish();  // the gradients averaged over the ranks
      opt_.step(lr);
      rt_.method->after_step(info);
    } catch (const NonFiniteLoss&) {
      throw;
    } catch (...) {
      rethrow_with_context("method " + method_name_, step_context());
    }
    ++pos_.step;
    ++pos_.step_in_epoch;
    report_step(batch, out, loss, lr);
  }

  void report_step(const sdk::Batch& batch, const sdk::StepOutput& out, double loss, double lr) {
    StepRecord rec;
    rec.pos = pos_;
    rec.loss = loss;
    rec.lr = lr;
    for (const auto& [name, value] : out.metrics)
      rec.metrics.emplace_back(name, value.defined() ? value.detach() : value);
    rec.batch = &batch;
    rec.epoch_last = pos_.step == run_.total_steps || pos_.step_in_epoch == run_.steps_per_epoch;
    rec.elapsed_s = run_.seconds_since_start();
    rec.data_wait_s = data_wait_seconds();
    observers_.step(rec);
  }

  TrainOutcome stop(StopReason reason, const std::string& cause) {
    observers_.stop({reason, pos_, cause, ""});
    switch (reason) {
      case StopReason::Interrupted: return TrainOutcome::Interrupted;
      case StopReason::Paused: return TrainOutcome::Paused;
      default: return TrainOutcome::StoppedByAlarm;
    }
  }

  void finish() {
    FinishEvent f;
    f.end = TrainPosition{run_.epochs, pos_.step, 0};
    f.epochs_done = std::min(pos_.epoch, run_.epochs);
    f.steps_run = pos_.step - run_.start.step;
    f.data_wait_s = data_wait_seconds();
    pos_ = f.end;  // an interrupted final evaluation stops (and checkpoints) here
    observers_.finish(f);
  }

  void record_failure(const std::exception_ptr& error) noexcept {
    StopEvent ev{StopReason::Failed, pos_, "error", ""};
    try {
      std::rethrow_exception(error);
    } catch (const NonFiniteLoss&) {
      ev.cause = "non-finite loss";
    } catch (...) {  // NOLINT(bugprone-empty-catch): only the cause is decided here
    }
    try {
      ev.message = error_text(error);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a record without its message
    }
    observers_.stop_after_failure(ev);
  }

  Runtime& rt_;
  BatchStream source_;
  std::optional<BatchStream> target_;
  Optimizer& opt_;
  const LrSchedule& schedule_;
  ObserverList& observers_;
  const RunRequest& request_;
  RunState run_;
  const bool channels_last_;
  const std::string method_name_;
  TrainPosition pos_;
  GradReducer* reducer_;  // null in a single-process run
  nn::BatchNormSync* bn_sync_;  // null unless trainer.sync_batch_norm
};

// Trained parameters once each, in the optimizer's order.
std::vector<at::Tensor> trained_parameters(const Optimizer& opt) {
  std::vector<at::Tensor> out;
  for (const auto& g : opt.groups())
    for (const auto& t : g.params)
      if (t.requires_grad() &&
          std::none_of(out.begin(), out.end(), [&](const at::Tensor& o) { return o.is_same(t); }))
        out.push_back(t);
  return out;
}

// Every rank starts from rank 0's parameters and buffers (after a resume too).
void broadcast_method_state(sdk::Method& method, sdk::Comm& comm) {
  at::NoGradGuard no_grad;
  for (auto& t : method.parameters()) comm.broadcast(t, 0);
  for (auto& t : method.buffers()) comm.broadcast(t, 0);
}
}  // namespace

TrainOutcome train(Runtime& rt, const RunRequest& request, std::vector<std::shared_ptr<TrainObserver>> extra_observers,
                   const Checkpoint* resume_from) {
  const Pipeline& p = *rt.pipeline;
  const bool channels_last = p.trainer.get_bool("channels_last");
  if (channels_last) use_channels_last(*rt.method);
  const LoaderOptions lo = training_loader_options(rt);
  Loader loader(rt.train, rt.train_chains, rt.method->sample_transform(), lo);
  std::optional<Loader> target;
  if (rt.target) target.emplace(rt.target, rt.target_chains, nullptr, target_loader_options(rt));
  RunState run = plan_run(rt, loader, target ? &*target : nullptr, lo);

  Optimizer opt(rt.method->parameter_groups(), p.optimizer, double(run.images_per_step) / 256.0);
  const LrSchedule schedule(p.schedule, opt.base_lr(), run.steps_per_epoch, run.planned_steps, run.total_steps);
  if (!schedule.warning().empty()) sdk::log_warning(schedule.warning());
  if (resume_from) {  // the method's state is loaded (train_in_folder checked it fits)
    opt.load_state(resume_from->optimizer);
    run.start = resume_from->position;
    check_streams(*resume_from, run);
  }
  run.resumed = resume_from != nullptr;

  std::unique_ptr<GradReducer> reducer;
  if (const auto group = std::dynamic_pointer_cast<ProcessGroupComm>(rt.comm)) {
    broadcast_method_state(*rt.method, *group);
    reducer = std::make_unique<GradReducer>(trained_parameters(opt), *group);
  }
  std::shared_ptr<nn::BatchNormSync> bn_sync;
  if (p.trainer.get_bool("sync_batch_norm")) bn_sync = enable_sync_batch_norm(*rt.method, *rt.comm, "method");

  ObserverList observers(rt.comm->rank());
  add_standard_observers(observers, rt, opt);
  for (auto& o : extra_observers) observers.add(std::move(o));
  rt.method->train();
  rt.stop = request.stop_requested;
  struct ClearStop {
    Runtime& rt;
    ~ClearStop() { rt.stop = nullptr; }
  } clear_stop{rt};
  return TrainLoop(rt, loader, target ? &*target : nullptr, opt, schedule, observers, request, run, channels_last,
                   reducer.get(), bn_sync.get())
      .run();
}

}  // namespace ssl::host
