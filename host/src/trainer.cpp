#include "trainer.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <chrono>
#include <cmath>

#include "alarms.h"
#include "checkpoint.h"
#include "evaluation.h"
#include "metrics.h"
#include "optim.h"
#include "report/report.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"
#include "ssl/sdk/log.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {
using Clock = std::chrono::steady_clock;

uint64_t step_seed(uint64_t seed, int64_t step) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(step + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return (z ^ (z >> 31)) & 0x7fffffffffffffffULL;
}

sdk::Batch to_device(HostBatch&& hb, const c10::Device& device, bool channels_last) {
  sdk::Batch b;
  for (auto& v : hb.views) {
    at::Tensor t = v.to(device, /*non_blocking=*/true);
    if (channels_last && t.dim() == 4) t = t.contiguous(at::MemoryFormat::ChannelsLast);
    b.views.push_back(t);
  }
  b.view_group = std::move(hb.view_group);
  b.labels = hb.labels.to(device);
  b.indices = hb.indices.to(device);
  if (hb.targets.defined()) b.targets = hb.targets.to(device);
  return b;
}

void save(Runtime& rt, Optimizer& opt, const TrainPosition& pos, size_t keep) {
  CheckpointDir dir(rt.run_dir / "checkpoints");
  Checkpoint c;
  c.position = pos;
  c.model = module_state(*rt.method);
  c.optimizer = opt.state();
  save_checkpoint(dir.path_for(pos), c);
  dir.prune(keep);
}

// [alarms] stop_on_alarm: checkpoint, a "stopped_by_alarm" record, the report, a clear line.
TrainOutcome stop_by_alarm(Runtime& rt, Optimizer& opt, const TrainPosition& pos, size_t keep, MetricsLog& log,
                           Console& console, const std::string& metric) {
  console.finish_bar();
  save(rt, opt, pos, keep);
  log.write(nlohmann::json{{"step", pos.step}, {"epoch", pos.epoch}, {"stopped_by_alarm", metric}});
  report::refresh_report(rt.run_dir);
  console.line(fmt::format("stopped by the alarm on {} at step {} (stop_on_alarm): checkpoint saved; see {}", metric,
                           pos.step, (rt.run_dir / "report.html").string()));
  return TrainOutcome::StoppedByAlarm;
}

// Evaluator results as one record for the alarms.
nlohmann::json eval_record(const std::map<std::string, double>& metrics, int64_t step, int64_t epoch) {
  nlohmann::json rec{{"step", step}, {"epoch", epoch}};
  for (const auto& [k, v] : metrics) rec[k] = v;
  return rec;
}
}  // namespace

TrainOutcome train(Runtime& rt, const TrainOptions& options) {
  const Pipeline& p = *rt.pipeline;
  const auto& tr = p.trainer;
  const bool channels_last = tr.get_bool("channels_last");
  if (channels_last) {
    // Module has no to(MemoryFormat) in C++: convert the 4-D weights in place.
    at::NoGradGuard no_grad;
    for (auto& param : rt.method->parameters())
      if (param.dim() == 4) param.set_data(param.data().contiguous(at::MemoryFormat::ChannelsLast));
  }

  LoaderOptions lo;
  lo.batch_size = p.data.get_int("batch_size");
  lo.workers = p.data.get_int("workers");
  lo.prefetch = p.data.get_int("prefetch");
  lo.drop_last = p.data.get_bool("drop_last");
  lo.seed = rt.seed;
  lo.rank = rt.comm->rank();
  lo.world_size = rt.comm->world_size();
  Loader loader(rt.train, rt.train_chains, rt.method->sample_transform(), lo);
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  SSL_CHECK(steps_per_epoch > 0, "the training set (", rt.train->size(), " images) is smaller than one batch of ",
            lo.batch_size, " with drop_last = true: lower [data] batch_size");
  const int64_t epochs = tr.get_int("epochs");
  int64_t total_steps = epochs * steps_per_epoch;
  if (tr.get_int("max_steps") > 0) total_steps = std::min(total_steps, tr.get_int("max_steps"));

  const double batch_scale = double(lo.batch_size * lo.world_size) / 256.0;
  Optimizer opt(rt.method->parameter_groups(), p.optimizer, batch_scale);
  LrSchedule schedule(p.schedule, opt.base_lr(), steps_per_epoch, epochs * steps_per_epoch, total_steps);
  if (!schedule.warning().empty()) sdk::log_warning(schedule.warning());

  TrainPosition pos;
  CheckpointDir ckpt_dir(rt.run_dir / "checkpoints");
  if (options.resume) {
    const fs::path latest = ckpt_dir.latest();
    SSL_CHECK(!latest.empty(), "--resume: no checkpoint in ", ckpt_dir.dir().string());
    Checkpoint c = load_checkpoint(latest);
    load_module_state(*rt.method, c.model, latest.string());
    opt.load_state(c.optimizer);
    pos = c.position;
  }
  MetricsLog log(rt.run_dir / "metrics.jsonl", options.resume ? pos.step : -1);
  Console console(tr.get_string("progress"));
  if (options.resume) console.line(fmt::format("resuming at epoch {} step {}", pos.epoch + 1, pos.step));

  const int64_t log_every = tr.get_int("log_every");
  const int64_t ckpt_every = tr.get_int("checkpoint_every");
  const auto keep = static_cast<size_t>(tr.get_int("keep_checkpoints"));
  const int64_t images_per_step = lo.batch_size * lo.world_size;
  const std::string method_name = p.method.type();
  Alarms alarms(AlarmOptions::from_config(p.alarms));
  const int64_t batch_check_every = alarms.options().batch_check_every;

  rt.method->train();
  auto window_start = Clock::now();
  const auto run_start = Clock::now();
  const int64_t first_step = pos.step;
  int64_t window_steps = 0;
  double eval_seconds = 0.0;  // evaluation rounds, kept out of the training time in the summary
  auto evaluate = [&](int64_t epochs_done, int64_t step, bool final) {
    const auto t0 = Clock::now();
    auto results = run_evaluators(rt, epochs_done, step, final, &log, console);
    eval_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return results;
  };

  for (; pos.epoch < epochs && pos.step < total_steps; ++pos.epoch, pos.step_in_epoch = 0) {
    sdk::EpochContext ectx;
    ModelFeatureSource features(rt);
    ectx.epoch = pos.epoch;
    ectx.features = &features;
    ectx.comm = rt.comm.get();
    try {
      rt.method->on_epoch_start(ectx);
    } catch (...) {
      rethrow_with_context("method " + method_name, fmt::format("epoch {} start", pos.epoch + 1));
    }
    loader.start_epoch(pos.epoch, pos.step_in_epoch);
    while (pos.step < total_steps) {
      const bool interrupted = options.stop_requested && options.stop_requested->load();
      const bool paused = options.stop_at_step > 0 && pos.step >= options.stop_at_step;
      if (interrupted || paused) {
        console.finish_bar();
        save(rt, opt, pos, keep);
        console.line(fmt::format("{} at epoch {} step {}: checkpoint saved; continue with --resume",
                                 interrupted ? "interrupted" : "stopped as asked", pos.epoch + 1, pos.step));
        return interrupted ? TrainOutcome::Interrupted : TrainOutcome::Paused;
      }
      std::optional<HostBatch> host_batch;
      try {
        host_batch = loader.next();
      } catch (...) {
        rethrow_with_context("loader", fmt::format("epoch {} step {}", pos.epoch + 1, pos.step));
      }
      if (!host_batch) break;
      sdk::StepInfo info{pos.epoch, pos.step, steps_per_epoch, total_steps};
      const double lr = schedule.at(pos.step);
      double loss_value = 0.0;
      sdk::StepOutput out;
      std::optional<BatchCollapse> batch_check;
      try {
        sdk::Batch batch = to_device(std::move(*host_batch), rt.device, channels_last);
        at::manual_seed(step_seed(rt.seed, pos.step));  // step-level randomness is resumable
        out = rt.method->training_step(batch, info);
        SSL_CHECK(out.loss.defined() && out.loss.numel() == 1, "training_step must return a scalar loss");
        loss_value = out.loss.item<double>();
        if (!std::isfinite(loss_value)) {
          throw NonFiniteLoss(fmt::format("[method {} | epoch {} step {}] the loss is {} — training stopped; the last "
                                          "checkpoint in {} is intact (lower the learning rate or check the data)",
                                          method_name, pos.epoch + 1, pos.step, loss_value,
                                          ckpt_dir.dir().string()));
        }
        opt.zero_grad();
        out.loss.backward();
        opt.step(lr);
        rt.method->after_step(info);
        if (!alarms.has_dimension("embedding")) learn_dimensions(alarms, *rt.method, batch.views.front());
        if (batch_check_every > 0 && (pos.step + 1) % batch_check_every == 0)
          batch_check = batch_collapse(*rt.method, batch.views.front());
      } catch (const NonFiniteLoss&) {
        throw;
      } catch (...) {
        rethrow_with_context("method " + method_name, fmt::format("epoch {} step {}", pos.epoch + 1, pos.step));
      }
      ++pos.step;
      ++pos.step_in_epoch;
      ++window_steps;

      const bool last = pos.step == total_steps || pos.step_in_epoch == steps_per_epoch;
      std::vector<AlarmEvent> fired;
      nlohmann::json checks;
      if (batch_check) {
        alarms.set_dimension("batch", std::min(batch_check->n, batch_check->dim));
        checks = {{"batch/std_sqrt_d", batch_check->std_sqrt_d}, {"batch/rankme", batch_check->rankme}};
      }
      if (pos.step % log_every == 0 || last) {
        const double secs = std::chrono::duration<double>(Clock::now() - window_start).count();
        const double img_s = secs > 0 ? double(window_steps * images_per_step) / secs : 0.0;
        const double elapsed = std::chrono::duration<double>(Clock::now() - run_start).count();
        const double eta = elapsed / double(std::max<int64_t>(pos.step - first_step, 1)) * double(total_steps - pos.step);
        nlohmann::json rec{{"step", pos.step}, {"epoch", pos.epoch}, {"loss", loss_value}, {"lr", lr},
                           {"img_per_s", img_s}, {"data_wait_s", loader.wait_seconds()}};
        for (const auto& [k, v] : out.metrics) rec[method_name + "/" + k] = v.defined() ? v.item<double>() : NAN;
        if (batch_check) rec.update(checks);
        log.write(rec);
        console.progress(pos.epoch, epochs, pos.step_in_epoch, steps_per_epoch, loss_value, lr, img_s, eta, true);
        window_start = Clock::now();
        window_steps = 0;
        fired = alarms.check(rec, pos.epoch + 1, log, console);
      } else if (batch_check) {
        checks["step"] = pos.step;
        checks["epoch"] = pos.epoch;
        log.write(checks);
        fired = alarms.check(checks, pos.epoch + 1, log, console);
      }
      if (!fired.empty() && alarms.options().stop_on_alarm)
        return stop_by_alarm(rt, opt, pos, keep, log, console, fired.front().metric);
    }
    console.finish_bar();
    try {
      rt.method->on_epoch_end(ectx);
    } catch (...) {
      rethrow_with_context("method " + method_name, fmt::format("epoch {} end", pos.epoch + 1));
    }
    const int64_t done = pos.epoch + 1;
    const bool finished = pos.step >= total_steps || done == epochs;
    if (!finished) {
      const auto results = evaluate(done, pos.step, false);
      if (!results.empty()) {
        const auto fired = alarms.check(eval_record(results, pos.step, done), done, log, console);
        report::refresh_report(rt.run_dir);
        if (!fired.empty() && alarms.options().stop_on_alarm)
          return stop_by_alarm(rt, opt, TrainPosition{done, pos.step, 0}, keep, log, console, fired.front().metric);
      }
    }
    if (!finished && ckpt_every > 0 && done % ckpt_every == 0) {
      save(rt, opt, TrainPosition{done, pos.step, 0}, keep);
    }
  }
  // The end: final checkpoint, exported backbone, final evaluation.
  const TrainPosition end{epochs, pos.step, 0};
  save(rt, opt, end, keep);
  save_tensors(rt.run_dir / "backbone.pt", module_state(*rt.method->backbone()));
  const int64_t epochs_done = std::min(pos.epoch, epochs);
  alarms.check(eval_record(evaluate(epochs_done, pos.step, true), pos.step, epochs_done), epochs_done, log, console);
  const double total = std::chrono::duration<double>(Clock::now() - run_start).count();
  // The run's summary (what `ssl-host study` compares): present only when the run finished.
  const double train_s = total - eval_seconds;
  log.write(nlohmann::json{{"step", pos.step},
                           {"epoch", epochs_done},
                           {"summary",
                            {{"wall_s", total},
                             {"train_s", train_s},
                             {"eval_s", eval_seconds},
                             {"steps", pos.step - first_step},
                             {"train_img_per_s", double((pos.step - first_step) * images_per_step) / std::max(train_s, 1e-9)},
                             {"resumed", options.resume}}}});
  report::refresh_report(rt.run_dir);
  console.line(fmt::format("done: {} steps in {}; data wait {:.1f}% of the time; run folder {}", pos.step - first_step,
                           format_duration(total), 100.0 * loader.wait_seconds() / std::max(total, 1e-9),
                           rt.run_dir.string()));
  return TrainOutcome::Finished;
}

}  // namespace ssl::host
