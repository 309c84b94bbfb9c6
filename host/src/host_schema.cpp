#include "host_schema.h"

namespace ssl::host {

namespace {
// Epoch counts beyond any real run: with the step counts of any dataset that fits in memory,
// epochs x steps per epoch stays far inside int64 (plan_run checks the product too).
constexpr int64_t kMaxEpochs = 1000000;
}  // namespace

const sdk::Schema& pipeline_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_string("name", "", "run name; the run folder is runs/<name> (default: the file's stem)");
    s.add_string("description", "", "free text shown in the report");
    s.add_int("seed", 0, "seed of every random stream (shuffling, augmentation, initialisation)").min(0);
    s.add_string("device", "auto", "where to train: auto picks cuda when available")
        .choices({"auto", "cpu", "cuda"});
    s.add_int("threads", 0, "intra-op threads for torch (0: all cores)").min(0).max(1024);
    return s;
  }();
  return s;
}

const sdk::Schema& data_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_int("batch_size", 256, "images per training step: the global batch, split evenly over the processes of a distributed run").min(1).max(1 << 20);
    s.add_int("workers", 1, "loader threads decoding and augmenting images").min(1).max(64);
    s.add_int("prefetch", 4, "batches prepared ahead of the trainer").min(1).max(64);
    s.add_bool("drop_last", true, "drop the last incomplete batch of each epoch");
    s.add_int("eval_batch_size", 512, "images per forward pass when extracting features").min(1).max(1 << 20);
    return s;
  }();
  return s;
}

const sdk::Schema& view_group_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_int("count", 1, "views this group produces per image").min(1).max(64);
    s.add_string("name", "", "label for the group (e.g. global, local)");
    return s;
  }();
  return s;
}

const sdk::Schema& optimizer_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_string("type", "sgd", "optimizer").choices({"sgd", "lars", "adamw"});
    s.add_float("lr", 0.1, "base learning rate (before lr_scaling)").greater_than(0);
    s.add_string("lr_scaling", "none", "linear: lr * batch_size * world_size / 256 (Goyal et al. 2017)")
        .choices({"none", "linear"});
    s.add_float("momentum", 0.9, "SGD/LARS momentum").range(0, 1);
    s.add_bool("nesterov", false, "Nesterov momentum (SGD)");
    s.add_float("weight_decay", 1e-4, "L2 weight decay (decoupled for AdamW)").min(0);
    s.add_float_list("betas", {0.9, 0.999}, "AdamW betas").size(2, 2).range(0, 1);
    s.add_float("eps", 1e-8, "AdamW epsilon").greater_than(0);
    s.add_float("lars_eta", 0.02, "LARS trust coefficient (solo-learn: 0.02)").greater_than(0);
    s.add_bool("lars_clip_lr", false,
               "LARS: step by min(trust ratio, lr) instead of lr * trust ratio, so no layer moves "
               "faster than plain SGD would move it (LARC clipping, solo-learn clip_lr)");
    s.add_bool("exclude_bias_and_norm", true,
               "LARS: no adaptation and no weight decay for biases and normalisation parameters");
    s.add_float("grad_clip", 0.0, "clip the global gradient norm to this value (0: off)").min(0);
    return s;
  }();
  return s;
}

const sdk::Schema& schedule_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_string("type", "cosine", "learning-rate schedule after warm-up").choices({"cosine", "constant"});
    s.add_float("warmup_epochs", 0.0, "linear warm-up length in epochs (fractions allowed)").range(0, kMaxEpochs);
    s.add_float("warmup_start_lr", 0.0, "learning rate at step 0 of the warm-up").min(0);
    s.add_float("min_lr", 0.0, "final learning rate of the cosine schedule").min(0);
    return s;
  }();
  return s;
}

const sdk::Schema& trainer_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_int("epochs", 1, "passes over the training set (0: no training, only the final evaluation of the initial model: a random-encoder or raw-pixel baseline)").range(0, kMaxEpochs);
    s.add_int("max_steps", 0, "stop after this many optimizer steps in total (0: no limit)").min(0);
    s.add_int("log_every", 10, "steps between metrics.jsonl lines").min(1);
    s.add_int("checkpoint_every", 1, "epochs between checkpoints (0: only at the end)").range(0, kMaxEpochs);
    s.add_int("keep_checkpoints", 2, "checkpoints kept in checkpoints/ (oldest removed)").range(1, 1000);
    s.add_bool("sync_batch_norm", false,
               "in a run of several processes, every BatchNorm of the method (backbone, heads, momentum copies) normalises with the statistics of the global batch (SyncBatchNorm); on one process nothing is exchanged, but a layer that cannot synchronise still stops the run");
    s.add_bool("channels_last", true, "channels-last memory format for conv weights and inputs (+16% on resnet_small, bench/RESULTS.md)");
    s.add_string("progress", "auto", "console output: a live bar on a terminal, plain lines otherwise")
        .choices({"auto", "bar", "plain", "none"});
    return s;
  }();
  return s;
}

const sdk::Schema& alarms_schema() {
  static const sdk::Schema s = [] {
    sdk::Schema s;
    s.add_float("std_sqrt_d_below", 0.1,
                "alarm when a metric named */std_sqrt_d drops below this (~1 healthy, 0 collapsed; SimSiam); 0: off")
        .min(0);
    s.add_float("rankme_fraction_below", 0.05,
                "alarm when a metric named */rankme drops below this fraction of the feature dimension D (RankMe); 0: off")
        .range(0, 1);
    s.add_float("uniform_loss_tolerance", 0.01,
                "alarm when the loss stays within this fraction of a method's */uniform_loss_ref (ln K); 0: off")
        .min(0);
    s.add_int("uniform_loss_patience", 100, "steps the loss must stay near ln K before the alarm fires").min(0);
    s.add_bool("stop_on_alarm", false, "on an alarm: save a checkpoint and stop the run (exit code 0)");
    s.add_int("batch_check_every", 0,
              "steps between checks of batch/std_sqrt_d and batch/rankme on the first view's embedding (0: off)")
        .min(0);
    return s;
  }();
  return s;
}

const sdk::Schema& common_component_schema(sdk::Kind kind) {
  static const sdk::Schema none;
  static const sdk::Schema dataset = [] {
    sdk::Schema s;
    s.add_int_list("part", {},
                   "[k, n]: keep part k of n of the images, those whose index i has i mod n = k (disjoint parts "
                   "of one split for two domains; applied first; empty: all)");
    s.add_string("style", "none",
                 "deterministic restyling of every image: sketch (inverted edge magnitude, dark strokes on white), "
                 "inverted (255 - x), none")
        .choices({"none", "sketch", "inverted"});
    s.add_int("subset", 0, "keep a seeded random subset of this many images (0: all)").min(0);
    s.add_float("subset_fraction", 1.0, "keep a seeded random fraction of the images").greater_than(0).max(1);
    s.add_int_list("classes", {}, "keep only these labels (empty: all)");
    s.add_float("imbalance_ratio", 1.0,
                "long-tail subsampling: class c keeps n_max * ratio^(-c/(C-1)) images (1: balanced)")
        .min(1);
    s.add_int("per_class", 0,
              "keep a seeded random subset of at most this many images of each class (0: all); after "
              "imbalance_ratio, before subset")
        .min(0);
    s.add_bool("cache", false, "keep decoded images in memory after first use");
    return s;
  }();
  static const sdk::Schema evaluator = [] {
    sdk::Schema s;
    s.add_int("every", 0, "evaluate every N epochs during training (0: only at the end)").min(0);
    return s;
  }();
  switch (kind) {
    case sdk::Kind::Dataset: return dataset;
    case sdk::Kind::Evaluator: return evaluator;
    default: return none;
  }
}

}  // namespace ssl::host
