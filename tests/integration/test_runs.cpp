// Short real pipelines end to end: the run folder, resume, interruption, bad losses, exported weights.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include "run_host.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::string smoke() { return shell_quote(source_dir() + "/pipelines/smoke.toml"); }

std::vector<nlohmann::json> metrics(const fs::path& run) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::map<int64_t, double> losses(const fs::path& run) {
  std::map<int64_t, double> out;
  for (const auto& m : metrics(run))
    if (m.contains("loss")) out[m["step"].get<int64_t>()] = m["loss"].get<double>();
  return out;
}

CommandResult run_smoke(const fs::path& out, const std::string& extra = "") {
  return run_host("run " + smoke() + " --output " + shell_quote(out.string()) +
                  " --set trainer.log_every=1 --set data.workers=2 " + extra);
}
}  // namespace

TEST_CASE("the smoke pipeline trains and writes its run folder") {
  const fs::path d = scratch_dir("smoke");
  auto r = run_smoke(d / "run");
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const char* f : {"pipeline.resolved.toml", "metrics.jsonl", "backbone.pt"}) CHECK(fs::exists(d / "run" / f));
  CHECK(fs::exists(d / "run" / "checkpoints"));
  auto m = metrics(d / "run");
  REQUIRE(m.size() == 17);  // 16 steps, then the run's summary
  const auto summary = m.back()["summary"];
  m.pop_back();
  CHECK(summary["steps"] == 16);
  CHECK(summary["train_s"].get<double>() > 0);
  CHECK(summary["wall_s"].get<double>() >= summary["train_s"].get<double>());
  CHECK(summary["train_img_per_s"].get<double>() > 0);
  CHECK(summary["resumed"] == false);
  for (const auto& line : m) {
    for (const char* key : {"step", "epoch", "loss", "lr", "img_per_s"}) CHECK(line.contains(key));
    CHECK(std::isfinite(line["loss"].get<double>()));
  }
  CHECK(m.back()["step"] == 16);
  // The resolved pipeline runs again as it is.
  auto again = run_host("validate " + shell_quote((d / "run" / "pipeline.resolved.toml").string()));
  CHECK(again.code == 0);
  // An existing run is never silently replaced.
  auto refused = run_smoke(d / "run");
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("already holds a run") && Catch::Contains("--resume"));
}

// 64 synthetic 16 px gray images in batches of 16: 4 steps an epoch.
constexpr const char* kSyntheticTrainSet = R"(seed = 0
[data]
batch_size = 16
workers = 1
[data.train]
type = "synthetic"
num_samples = 64
image_size = 16
channels = 1
)";

TEST_CASE("SwAV, DINO and DeepCluster v2 train end to end on 2 global and 2 local crops, and resume exactly") {
  const fs::path d = scratch_dir("multicrop");
  const std::string common = std::string(kSyntheticTrainSet) + R"([[views]]
count = 2
[[views.ops]]
type = "random_resized_crop"
size = 16
scale = [0.4, 1.0]
[[views]]
count = 2
[[views.ops]]
type = "random_resized_crop"
size = 8
scale = [0.1, 0.4]
[backbone]
type = "tiny_cnn"
width = 8
[optimizer]
type = "sgd"
lr = 0.05
grad_clip = 3.0
[trainer]
epochs = 2
log_every = 1
)";
  const std::map<std::string, std::string> methods = {
      {"swav", "[method]\ntype = \"swav\"\nproj_hidden_dim = 32\nproj_dim = 16\nprototypes = 8\n"
               "freeze_prototypes_epochs = 0.5\nqueue_length = 32\nqueue_start_epoch = 1\n"},
      {"dino", "[method]\ntype = \"dino\"\nproj_hidden_dim = 32\nproj_dim = 16\nout_dim = 8\n"},
      {"deepcluster_v2", "[method]\ntype = \"deepcluster_v2\"\nproj_hidden_dim = 32\nproj_dim = 16\n"
                         "prototypes = [8, 8]\n"}};
  for (const auto& [name, method] : methods) {
    INFO(name);
    std::ofstream(d / (name + ".toml")) << "name = \"" << name << "\"\n" << common << method;
    auto r = run_host("run " + shell_quote((d / (name + ".toml")).string()) + " --output " +
                      shell_quote((d / name).string()));
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto m = metrics(d / name);
    REQUIRE(m.size() == 9);  // 8 steps and the summary
    for (size_t i = 0; i + 1 < m.size(); ++i) {
      CHECK(std::isfinite(m[i]["loss"].get<double>()));
      CHECK(m[i].contains(name + "/assignment_entropy"));
      CHECK(m[i][name + "/uniform_loss_ref"].get<double>() == Approx(std::log(8.0)));
    }
    if (name == "swav") {
      CHECK(m[0]["swav/queue_used"] == 0.0);   // epoch 0: no queue yet
      CHECK(m[7]["swav/queue_used"] == 1.0);   // epoch 1: 4 steps x 16 fill 32 rows after 2
    }
    CHECK(fs::exists(d / name / "backbone.pt"));
    // Stopped in the middle of the second epoch and resumed: the same losses, step for step
    // (queues, teacher and centre, memory bank and the epoch's assignments all restored).
    const std::string file = shell_quote((d / (name + ".toml")).string());
    REQUIRE(run_host("run " + file + " --output " + shell_quote((d / (name + "_split")).string()) +
                     " --stop-at-step 6").code == 0);
    auto resumed = run_host("run " + file + " --output " + shell_quote((d / (name + "_split")).string()) + " --resume");
    INFO(resumed.err);
    REQUIRE(resumed.code == 0);
    const auto a = losses(d / name), b = losses(d / (name + "_split"));
    REQUIRE(b.size() == 8);
    for (const auto& [step, loss] : a) CHECK(b.at(step) == Approx(loss).epsilon(1e-5));
  }
}

TEST_CASE("DeepCluster trains end to end with its sampling weights and resumes exactly, mid-epoch and at an epoch's start") {
  const fs::path d = scratch_dir("deepcluster");
  const fs::path file = d / "deepcluster.toml";
  std::ofstream(file) << "name = \"deepcluster\"\n" << kSyntheticTrainSet << R"([[views]]
count = 1
[[views.ops]]
type = "random_resized_crop"
size = 16
scale = [0.4, 1.0]
[backbone]
type = "tiny_cnn"
width = 8
[method]
type = "deepcluster"
clusters = 4
pca_dim = 8
[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9
[trainer]
epochs = 2
log_every = 1
)";
  const std::string f = shell_quote(file.string());
  auto r = run_host("run " + f + " --output " + shell_quote((d / "full").string()));
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("deepcluster: epoch 2: k-means K = 4 on 64 features") &&
                                Catch::Contains("epoch 2: the method's sampling weights draw"));
  auto m = metrics(d / "full");
  REQUIRE(m.size() == 9);  // 8 steps and the summary
  for (size_t i = 0; i + 1 < m.size(); ++i) {
    CHECK(std::isfinite(m[i]["loss"].get<double>()));
    CHECK(m[i]["deepcluster/uniform_loss_ref"].get<double>() == Approx(std::log(4.0)));
    CHECK(m[i]["deepcluster/largest_cluster"].get<double>() > 0.0);
  }
  // Stopped mid-epoch (pseudo-labels, classifier and the epoch's draws restored) and at the
  // second epoch's start (re-clustered, the classifier drawn from its seed, its momentum
  // forgotten): the same losses, step for step.
  const auto a = losses(d / "full");
  for (const int stop : {6, 4}) {
    INFO("stopped at step " << stop);
    const std::string out = shell_quote((d / ("split" + std::to_string(stop))).string());
    REQUIRE(run_host("run " + f + " --output " + out + " --stop-at-step " + std::to_string(stop)).code == 0);
    auto resumed = run_host("run " + f + " --output " + out + " --resume");
    INFO(resumed.err);
    REQUIRE(resumed.code == 0);
    const auto b = losses(d / ("split" + std::to_string(stop)));
    REQUIRE(b.size() == 8);
    for (const auto& [step, loss] : a) CHECK(b.at(step) == Approx(loss).epsilon(1e-5));
  }
}

TEST_CASE("a resumed run produces the same losses as an uninterrupted one") {
  const fs::path d = scratch_dir("resume");
  REQUIRE(run_smoke(d / "full").code == 0);
  auto first = run_smoke(d / "split", "--stop-at-step 5");
  REQUIRE(first.code == 0);
  CHECK_THAT(first.out, Catch::Contains("stopped as asked at epoch 1 step 5"));
  CHECK(losses(d / "split").size() == 5);
  auto second = run_smoke(d / "split", "--resume");
  INFO(second.err);
  REQUIRE(second.code == 0);
  const auto a = losses(d / "full"), b = losses(d / "split");
  REQUIRE(a.size() == 16);
  REQUIRE(b.size() == 16);
  for (const auto& [step, loss] : a) CHECK(b.at(step) == Approx(loss).epsilon(1e-5));
}

TEST_CASE("SIGINT saves a checkpoint and exits cleanly and --resume finishes the run") {
  const fs::path d = scratch_dir("sigint");
  const std::string cmd = shell_quote(host_binary()) + " run " + smoke() + " --output " +
                          shell_quote((d / "run").string()) +
                          " --set trainer.epochs=200 --set trainer.log_every=1 --set trainer.progress=plain";
  // Interrupt once the first step is logged.
  auto r = run_command("(" + cmd + " & pid=$!; for i in $(seq 600); do grep -q step " +
                       shell_quote((d / "run/metrics.jsonl").string()) +
                       " 2>/dev/null && break; sleep 0.1; done; kill -INT $pid; wait $pid)");
  CHECK(r.code == 130);
  CHECK_THAT(r.out, Catch::Contains("interrupted at epoch") && Catch::Contains("--resume"));
  bool has_checkpoint = false;
  for (const auto& e : fs::directory_iterator(d / "run" / "checkpoints"))
    has_checkpoint |= e.path().extension() == ".ckpt";
  CHECK(has_checkpoint);
  auto resumed = run_host("run " + smoke() + " --output " + shell_quote((d / "run").string()) +
                          " --resume --set trainer.epochs=200 --stop-at-step 3");
  CHECK(resumed.code == 0);
}

TEST_CASE("a non-finite loss stops the run naming epoch and step, keeping the last checkpoint") {
  const fs::path d = scratch_dir("nan");
  auto r = run_smoke(d / "run", "--set optimizer.lr=1e30 --set trainer.epochs=3");
  CHECK(r.code == 4);
  CHECK_THAT(r.err, Catch::Contains("[method simclr | epoch") && Catch::Contains("the loss is") &&
                        Catch::Contains("training stopped"));
}

TEST_CASE("a non-finite loss before the first checkpoint says there is none, is recorded, and the folder restarts") {
  const fs::path d = scratch_dir("nan_early");
  auto r = run_smoke(d / "run", "--set optimizer.lr=1e30");
  REQUIRE(r.code == 4);
  CHECK_THAT(r.err, Catch::Contains("no checkpoint was saved yet") && !Catch::Contains("is intact"));
  // Messages count epochs and steps from 1; metrics.jsonl keeps steps done and 0-based epochs.
  std::smatch where;
  REQUIRE(std::regex_search(r.err, where, std::regex("\\[method simclr \\| epoch (\\d+) step (\\d+)\\]")));
  const auto failure = metrics(d / "run").back();
  CHECK(failure["failed"] == "non-finite loss");
  CHECK(failure["step"].get<int64_t>() + 1 == std::stoll(where[2]));
  CHECK(failure["epoch"].get<int64_t>() + 1 == std::stoll(where[1]));
  // A plain re-run of that folder starts the run again.
  auto again = run_smoke(d / "run", "--stop-at-step 2");
  INFO(again.err);
  CHECK(again.code == 0);
  CHECK_THAT(again.out, Catch::Contains("stopped before its first checkpoint; starting it again"));
  CHECK(losses(d / "run").size() == 2);
  CHECK_FALSE(metrics(d / "run").front().contains("failed"));
  // --resume of such a folder starts from scratch, saying so.
  REQUIRE(run_smoke(d / "other", "--set optimizer.lr=1e30").code == 4);
  auto resumed = run_smoke(d / "other", "--resume --stop-at-step 2");
  CHECK(resumed.code == 0);
  CHECK_THAT(resumed.out, Catch::Contains("has no checkpoint yet; starting the run from scratch"));
}

TEST_CASE("a non-finite loss after a checkpoint names the checkpoint that is intact") {
  const fs::path d = scratch_dir("nan_late");
  auto first = run_smoke(d / "run", "--stop-at-step 8");
  REQUIRE(first.code == 0);
  auto r = run_smoke(d / "run", "--resume --set optimizer.lr=1e30");
  CHECK(r.code == 4);
  CHECK_THAT(r.out, Catch::Contains("resuming at epoch 1 step 8 (the next step is 9)"));
  CHECK_THAT(r.err, Catch::Contains("step_000000008.ckpt) is intact: --resume continues from it"));
  CHECK(metrics(d / "run").back()["failed"] == "non-finite loss");
  // That folder is worth keeping: a plain re-run is refused.
  auto plain = run_smoke(d / "run");
  CHECK(plain.code == 2);
  CHECK_THAT(plain.err, Catch::Contains("already holds a run"));
}

TEST_CASE("max_steps shorter than the warm-up: the schedule decays and the progress line shows the real total") {
  const fs::path d = scratch_dir("max_steps");
  // 8 steps an epoch, 2 epochs planned; a warm-up of 1 epoch (8 steps) but max_steps = 4.
  auto r =
      run_smoke(d / "run", "--set trainer.max_steps=4 --set schedule.warmup_epochs=1 --set trainer.progress=plain");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.err, Catch::Contains("warning: the warm-up (8 steps") &&
                        Catch::Contains("(4 steps, trainer.max_steps): scaled to 2 steps"));
  CHECK_THAT(r.out, Catch::Contains("ends the run after step 4, in epoch 1 of 2 (16 steps)") &&
                        Catch::Contains("epoch 1/1 step 4/4"));
  CHECK_THAT(r.out, !Catch::Contains("step 4/8"));
  std::map<int64_t, double> lr;
  for (const auto& m : metrics(d / "run"))
    if (m.contains("lr")) lr[m["step"].get<int64_t>()] = m["lr"].get<double>();
  REQUIRE(lr.size() == 4);
  CHECK(lr[2] < lr[3]);  // the warm-up (2 steps) ends,
  CHECK(lr[4] < lr[3]);  // then the rate decays before the run ends
}

TEST_CASE("backbone.pt loads in PyTorch as a dict of tensors") {
  if (!fs::exists("/usr/bin/python3")) return;
  const fs::path d = scratch_dir("export");
  REQUIRE(run_smoke(d / "run", "--stop-at-step 2").code == 0);
  // --stop-at-step does not export; finish the run so backbone.pt exists.
  REQUIRE(run_smoke(d / "run", "--resume").code == 0);
  const std::string script =
      "import torch,sys; sd=torch.load(sys.argv[1]); assert isinstance(sd, dict); "
      "assert all(isinstance(v, torch.Tensor) for v in sd.values()); print(len(sd), sorted(sd)[0])";
  auto py = run_command("/usr/bin/python3 -c " + shell_quote(script) + " " +
                        shell_quote((d / "run" / "backbone.pt").string()));
  INFO(py.err);
  CHECK(py.code == 0);
  CHECK_THAT(py.out, Catch::Contains("features.0.weight"));  // tiny_cnn names
}

TEST_CASE("a resnet18 backbone.pt loads into torchvision's resnet18 with only the classifier missing") {
  if (!fs::exists("/usr/bin/python3")) return;
  const fs::path d = scratch_dir("torchvision");
  auto r = run_host(
      "run " + smoke() + " --output " + shell_quote((d / "run").string()) +
      " --set backbone.type=resnet18 --set backbone.width=64 --set backbone.stem=imagenet --set trainer.max_steps=1 "
      "--set data.batch_size=8 --set data.train.num_samples=16");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string script =
      "import sys, torch, torchvision\n"
      "m = torchvision.models.resnet18()\n"
      "res = m.load_state_dict(torch.load(sys.argv[1]), strict=False)\n"
      "assert sorted(res.missing_keys) == ['fc.bias', 'fc.weight'], res\n"
      "assert not res.unexpected_keys, res\n"
      "m.eval(); y = m(torch.randn(2, 3, 32, 32)); assert torch.isfinite(y).all()\n"
      "print('loaded', len(m.state_dict()))\n";
  auto py = run_command("/usr/bin/python3 -c " + shell_quote(script) + " " +
                        shell_quote((d / "run" / "backbone.pt").string()));
  INFO(py.out + py.err);
  CHECK(py.code == 0);
  CHECK_THAT(py.out, Catch::Contains("loaded"));
}

TEST_CASE("ssl-host eval runs the evaluators on a checkpoint") {
  const fs::path d = scratch_dir("eval");
  std::ofstream(d / "p.toml") << "include = [\"" << source_dir() << "/pipelines/smoke.toml\"]\n"
                              << "[data.test]\ntype = \"synthetic\"\nnum_samples = 64\nimage_size = 32\nseed = 1\n"
                              << "[[evaluators]]\ntype = \"knn\"\nk = 5\n";
  auto r = run_host("run " + shell_quote((d / "p.toml").string()) + " --output " + shell_quote((d / "run").string()) +
                    " --set trainer.max_steps=2");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("knn/top1"));
  fs::path ckpt;
  for (const auto& e : fs::directory_iterator(d / "run" / "checkpoints")) ckpt = e.path();
  auto ev = run_host("eval " + shell_quote((d / "p.toml").string()) + " --checkpoint " + shell_quote(ckpt.string()));
  INFO(ev.err);
  CHECK(ev.code == 0);
  CHECK_THAT(ev.out, Catch::Contains("knn/top1"));
  CHECK_THAT(slurp(d / "run" / "eval_metrics.jsonl"), Catch::Contains("\"knn/top1\""));
  auto missing = run_host("eval " + shell_quote((d / "p.toml").string()) + " --checkpoint /nonexistent.ckpt");
  CHECK(missing.code == 2);
}

TEST_CASE("the evaluators fit on [data.eval_train] when it is given, and per-class accuracy follows the training counts") {
  const fs::path d = scratch_dir("eval_train");
  // The probe and bank split holds classes 0 and 1 only: no test image of another class can be
  // classified right, which shows where the bank came from. The method still trains on [data.train].
  std::ofstream(d / "p.toml") << "include = [\"" << source_dir() << "/pipelines/smoke.toml\"]\n"
                              << "[data.train]\nimbalance_ratio = 10.0\n"
                              << "[data.eval_train]\ntype = \"synthetic\"\nnum_samples = 200\nimage_size = 32\n"
                              << "seed = 2\nclasses = [0, 1]\n"
                              << "[data.test]\ntype = \"synthetic\"\nnum_samples = 100\nimage_size = 32\nseed = 1\n"
                              << "[[evaluators]]\ntype = \"knn\"\nk = 5\nper_class = true\n"
                              << "[[evaluators]]\ntype = \"linear\"\nepochs = 2\nper_class = true\n"
                              << "[[evaluators]]\ntype = \"balance\"\n";
  auto r = run_host("run " + shell_quote((d / "p.toml").string()) + " --output " + shell_quote((d / "run").string()) +
                    " --set trainer.max_steps=2 --set trainer.progress=plain");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("training images per class (label 0 first): "));
  const auto m = metrics(d / "run");
  const auto record_with = [&](const std::string& key) -> const nlohmann::json* {
    for (const auto& line : m)
      if (line.contains(key)) return &line;
    FAIL("no record in metrics.jsonl has " << key);
    return nullptr;
  };
  for (const char* prefix : {"knn", "linear"}) {
    INFO(prefix);
    const nlohmann::json* eval = record_with(std::string(prefix) + "/class5/top1");
    for (int c = 2; c < 10; ++c) CHECK((*eval)[std::string(prefix) + "/class" + std::to_string(c) + "/top1"] == 0.0);
    CHECK((*eval)[std::string(prefix) + "/tail/top1"] == 0.0);  // the tail (labels 7-9 at ratio 10) is never predicted
    CHECK((*eval)[std::string(prefix) + "/worst_class/top1"] == 0.0);
    CHECK(eval->contains(std::string(prefix) + "/head/top1"));
  }
  CHECK(record_with("balance/tail_over_head/separability") != nullptr);
}

TEST_CASE("the supervised baseline trains on the labels end to end, and an unlabelled training set is refused before any run") {
  const fs::path d = scratch_dir("supervised");
  const std::string model = R"([[views]]
count = 1
[[views.ops]]
type = "random_resized_crop"
size = 16
scale = [0.6, 1.0]
[backbone]
type = "tiny_cnn"
width = 8
[method]
type = "supervised"
[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9
[trainer]
epochs = 2
log_every = 1
)";
  const fs::path file = d / "supervised.toml";
  std::ofstream(file) << "name = \"supervised\"\n" << kSyntheticTrainSet << model;
  auto r = run_host("run " + shell_quote(file.string()) + " --output " + shell_quote((d / "run").string()));
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto m = metrics(d / "run");
  REQUIRE(m.size() == 9);  // 8 steps and the summary
  CHECK(m[0]["supervised/uniform_loss_ref"].get<double>() == Approx(std::log(10.0)));  // synthetic: 10 classes
  CHECK(m[7].contains("supervised/accuracy"));

  // An unlabelled image folder (layout = "flat"): refused as a configuration error naming the
  // method and the dataset, and no run folder is made.
  const fs::path images = d / "images";
  fs::create_directories(images);
  for (int i = 0; i < 4; ++i) {
    std::ofstream pgm(images / ("img" + std::to_string(i) + ".pgm"), std::ios::binary);
    pgm << "P5\n16 16\n255\n" << std::string(256, static_cast<char>(40 * i));
  }
  // A pipeline named `name` training `model_text` on that folder.
  const auto on_folder = [&](const std::string& name, const std::string& model_text) {
    const fs::path file = d / (name + ".toml");
    std::ofstream(file) << "name = \"" << name << "\"\nseed = 0\n[data]\nbatch_size = 2\n[data.train]\n"
                        << "type = \"image_folder\"\nroot = '" << images.string() << "'"
                        << "\nlayout = \"flat\"\nextensions = [\"pgm\"]\nchannels = 1\n" << model_text;
    return file;
  };
  const fs::path unlabelled = on_folder("unlabelled", model);
  auto refused = run_host("run " + shell_quote(unlabelled.string()) + " --output " + shell_quote((d / "refused").string()));
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("method supervised trains on labels (uses_labels), but the training split "
                                          "[data.train] (dataset image_folder) has no labels"));
  CHECK_FALSE(fs::exists(d / "refused" / "metrics.jsonl"));
  // The same folder trains a self-supervised method, which never needs labels.
  const fs::path rotation_file = on_folder("rotation", std::regex_replace(model, std::regex("supervised"), "rotation"));
  auto rotation = run_host("run " + shell_quote(rotation_file.string()) + " --output " +
                           shell_quote((d / "rotation").string()));
  INFO(rotation.err);
  CHECK(rotation.code == 0);
}

TEST_CASE("jigsaw and context prediction train end to end on their own tiles, and a resumed jigsaw run is exact") {
  const fs::path d = scratch_dir("pretext");
  const std::string tail = R"([backbone]
type = "tiny_cnn"
width = 8
[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9
[trainer]
epochs = 2
log_every = 1
)";
  const fs::path jigsaw = d / "jigsaw.toml";
  std::ofstream(jigsaw) << "name = \"jigsaw\"\n" << kSyntheticTrainSet
                        << "[method]\ntype = \"jigsaw\"\npermutations = 10\nimage_size = 30\ntile_size = 8\n" << tail;
  const fs::path context = d / "context.toml";
  std::ofstream(context) << "name = \"context\"\n" << kSyntheticTrainSet
                         << "[method]\ntype = \"context_prediction\"\nimage_size = 30\npatch_size = 6\n"
                            "downsample_probability = 0.5\n" << tail;
  auto c = run_host("run " + shell_quote(context.string()) + " --output " + shell_quote((d / "context").string()));
  INFO(c.err);
  REQUIRE(c.code == 0);
  const auto cm = metrics(d / "context");
  REQUIRE(cm.size() == 9);
  CHECK(cm[0]["context_prediction/uniform_loss_ref"].get<double>() == Approx(std::log(8.0)));

  const std::string f = shell_quote(jigsaw.string());
  auto r = run_host("run " + f + " --output " + shell_quote((d / "full").string()));
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out + r.err, Catch::Contains("jigsaw: 10 permutations of 9 tiles (seed 0): minimum Hamming distance"));
  const auto a = losses(d / "full");
  REQUIRE(a.size() == 8);
  const std::string out = shell_quote((d / "split").string());
  REQUIRE(run_host("run " + f + " --output " + out + " --stop-at-step 3").code == 0);
  auto resumed = run_host("run " + f + " --output " + out + " --resume");
  INFO(resumed.err);
  REQUIRE(resumed.code == 0);
  const auto b = losses(d / "split");
  REQUIRE(b.size() == 8);
  for (const auto& [step, loss] : a) CHECK(b.at(step) == Approx(loss).epsilon(1e-5));
}

TEST_CASE("DANCE trains on two domains end to end, open_set scores the target, and a resumed run is exact") {
  const fs::path d = scratch_dir("dance");
  // Source: the synthetic shapes of classes 0-5; target: other images (another seed) of classes
  // 0-2, 6 and 7, sketched. 40 source images are 2 batches, 48 target images 3: an epoch is 3
  // steps and the source cycles. The test split has 21 known and 12 target-private images.
  const std::string pipeline = R"(name = "dance"
seed = 0
[data]
batch_size = 16
workers = 1
[data.source]
type = "synthetic"
num_samples = 64
image_size = 16
channels = 1
classes = [0, 1, 2, 3, 4, 5]
[data.target]
type = "synthetic"
num_samples = 96
image_size = 16
channels = 1
seed = 1
classes = [0, 1, 2, 6, 7]
style = "sketch"
[data.test]
type = "synthetic"
num_samples = 64
image_size = 16
channels = 1
seed = 2
classes = [0, 1, 2, 6, 7]
style = "sketch"
[[views]]
count = 1
[[views.ops]]
type = "random_resized_crop"
size = 16
scale = [0.6, 1.0]
[backbone]
type = "tiny_cnn"
width = 8
[method]
type = "dance"
[optimizer]
type = "sgd"
lr = 0.05
momentum = 0.9
[trainer]
epochs = 2
log_every = 1
[[evaluators]]
type = "open_set"
)";
  const fs::path file = d / "dance.toml";
  std::ofstream(file) << pipeline;
  const auto run = [&](const std::string& out, const std::string& extra = "") {
    return run_host("run " + shell_quote(file.string()) + " --output " + shell_quote((d / out).string()) + " " + extra);
  };
  auto full = run("full");
  INFO(full.err);
  REQUIRE(full.code == 0);
  const auto m = metrics(d / "full");
  REQUIRE(losses(d / "full").size() == 6);
  CHECK(m[0].contains("dance/nc"));
  CHECK(m[0].contains("dance/target_unknown"));
  nlohmann::json last;
  for (const auto& r : m)
    if (r.contains("open_set/h_score")) last = r;  // the final evaluation's record
  REQUIRE(last.is_object());
  CHECK(last["open_set/known_samples"] == 21);
  CHECK(last["open_set/unknown_samples"] == 12);

  auto first = run("split", "--stop-at-step 4");
  REQUIRE(first.code == 0);
  auto second = run("split", "--resume");
  INFO(second.err);
  REQUIRE(second.code == 0);
  const auto a = losses(d / "full"), b = losses(d / "split");
  REQUIRE(b.size() == 6);
  for (const auto& [step, loss] : a) CHECK(b.at(step) == Approx(loss).epsilon(1e-5));

  // The baseline takes the same pipeline; a one-domain pipeline is refused for either.
  auto baseline = run("source_only", "--set method.type=source_only");
  INFO(baseline.err);
  CHECK(baseline.code == 0);
  const fs::path one = d / "one_domain.toml";
  std::string one_domain = pipeline;
  const size_t target = one_domain.find("[data.target]");
  one_domain.erase(target, one_domain.find("[data.test]") - target);
  std::ofstream(one) << std::regex_replace(one_domain, std::regex("data\\.source"), "data.train");
  auto refused = run_host("validate " + shell_quote(one.string()));
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("method dance trains on two domains (uses_target_domain)"));
}
