// Two-domain pipelines ([data.source] + [data.target], for a method that declares
// uses_target_domain): validation, the two batch streams (an epoch is the longer domain's pass,
// the shorter one cycles), what the method is given, checkpoints and resume.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "batch_stream.h"
#include "checkpoint.h"
#include "config_tree.h"
#include "diagnostics.h"
#include "fake_plugin.h"
#include "pipeline.h"
#include "registry.h"
#include "run_folder.h"
#include "runtime.h"
#include "trainer.h"

using namespace ssl::host;
namespace fs = std::filesystem;

namespace {

// Source: 64 labelled images (8 batches); target: 24 images (3 batches) with two views each.
const char* kTwo = R"(name = "two"
seed = 7
threads = 1

[data]
batch_size = 8

[data.source]
type = "counting"
size = 64
num_classes = 4

[data.target]
type = "counting"
size = 24

[[views]]
count = 1
[[views.ops]]
type = "noise"

[[target_views]]
count = 2
[[target_views.ops]]
type = "noise"

[backbone]
type = "flat"

[method]
type = "adapt"

[optimizer]
type = "sgd"
lr = 1e-5

[trainer]
epochs = 2
log_every = 4
progress = "none"
)";

struct Folder {
  fs::path dir;
  Registry registry;
  explicit Folder(const std::string& name)
      : dir(fs::temp_directory_path() / ("ssl_two_domains_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    registry.load_static(ssl::test::fake_plugin_info());
  }
  ~Folder() { fs::remove_all(dir); }
  Pipeline pipeline(const std::string& text, const std::vector<std::string>& overrides = {}) {
    std::ofstream(dir / "p.toml") << text;
    Node root = load_document(dir / "p.toml");
    for (const auto& o : overrides) apply_override(root, o);
    return resolve_pipeline(root, registry, dir / "p.toml");
  }
};

// Every problem resolve_pipeline reports for `text` with `overrides`, one per line.
std::string problems(Folder& f, const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    f.pipeline(text, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

struct Seen {
  std::vector<std::vector<int64_t>> source, target;
};

Seen train_and_record(Folder& f, const std::vector<std::string>& overrides = {}) {
  at::manual_seed(0);
  const Pipeline p = f.pipeline(kTwo, overrides);
  Runtime rt = build_runtime(p, f.registry, f.dir / "run");
  fs::create_directories(f.dir / "run");
  REQUIRE(train(rt, RunRequest{}, {}) == TrainOutcome::Finished);
  auto* m = dynamic_cast<ssl::test::AdaptMethod*>(rt.method.get());
  REQUIRE(m != nullptr);
  return {m->source_seen, m->target_seen};
}

// The batches of consecutive passes of `per_pass` batches each cover every index in [0, size) once.
void check_passes(const std::vector<std::vector<int64_t>>& batches, int64_t per_pass, int64_t size) {
  for (size_t start = 0; start + per_pass <= batches.size(); start += per_pass) {
    std::vector<int64_t> all;
    for (int64_t b = 0; b < per_pass; ++b) all.insert(all.end(), batches[start + b].begin(), batches[start + b].end());
    std::sort(all.begin(), all.end());
    std::vector<int64_t> want(size);
    for (int64_t i = 0; i < size; ++i) want[i] = i;
    CHECK(all == want);
  }
}

std::vector<int64_t> flat(const std::vector<std::vector<int64_t>>& batches, size_t from, size_t count) {
  std::vector<int64_t> out;
  for (size_t b = from; b < from + count; ++b) out.insert(out.end(), batches[b].begin(), batches[b].end());
  return out;
}

}  // namespace

TEST_CASE("a two-domain pipeline pairs [data.source] with [data.target] for a method that trains on two domains") {
  Folder f("validate");
  const Pipeline p = f.pipeline(kTwo);
  CHECK(p.two_domains());
  CHECK(p.train_data.role == "data.source");
  CHECK(p.target_view_groups().size() == 1);
  CHECK(p.target_view_groups()[0].count == 2);
  // Without [[target_views]] the target goes through the source's groups.
  const std::string shared =
      replaced(replaced(kTwo, "[[target_views]]\ncount = 2\n[[target_views.ops]]\ntype = \"noise\"\n", ""),
               "[[views]]\ncount = 1", "[[views]]\ncount = 2");
  const Pipeline q = f.pipeline(shared);
  CHECK(q.target_views.empty());
  CHECK(&q.target_view_groups() == &q.views);
  // The resolved pipeline loads back to the same pipeline.
  std::ofstream(f.dir / "resolved.toml") << to_toml(p);
  const Pipeline again = resolve_pipeline(load_document(f.dir / "resolved.toml"), f.registry, f.dir / "resolved.toml");
  auto body = [](const std::string& toml) { return toml.substr(toml.find("\n[data]")); };  // after "Generated from"
  CHECK(body(to_toml(again)) == body(to_toml(p)));
  CHECK(again.two_domains());
  CHECK(again.target_views.size() == 1);

  SECTION("each missing or misplaced half is an error that says what to write") {
    const std::string no_target = replaced(kTwo, "[data.target]\ntype = \"counting\"\nsize = 24\n", "");
    CHECK_THAT(problems(f, no_target), Catch::Contains("[data.source] needs [data.target]"));
    const std::string train_and_target = replaced(kTwo, "[data.source]", "[data.train]");
    CHECK_THAT(problems(f, train_and_target),
               Catch::Contains("[data.target] pairs with a labelled [data.source]: rename [data.train] to [data.source]"));
    const std::string both = replaced(kTwo, "[data.target]", "[data.train]\ntype = \"counting\"\n\n[data.target]");
    CHECK_THAT(problems(f, both), Catch::Contains("[data.train] and [data.source] are both given"));
    // A one-domain method refuses [data.target]; a two-domain method refuses [data.train] alone.
    CHECK_THAT(problems(f, kTwo, {"method.type=\"labelled\""}),
               Catch::Contains("[data.target] is for a method that trains on two domains; method labelled trains on one"));
    const std::string one_domain = replaced(replaced(no_target, "[data.source]", "[data.train]"),
                                            "[[target_views]]\ncount = 2\n[[target_views.ops]]\ntype = \"noise\"\n", "");
    CHECK_THAT(problems(f, one_domain),
               Catch::Contains("method adapt trains on two domains (uses_target_domain): the pipeline needs a labelled "
                               "[data.source] and an unlabelled [data.target]"));
    CHECK_THAT(problems(f, replaced(no_target, "[data.source]", "[data.train]")),
               Catch::Contains("[[target_views]] are the view groups of [data.target], which this pipeline does not have"));
  }
  SECTION("the target's view groups are counted against the method's views, at their own line") {
    const std::string three = replaced(kTwo, "[[target_views]]\ncount = 2", "[[target_views]]\ncount = 3");
    const std::string text = problems(f, three);
    CHECK_THAT(text, Catch::Contains("p.toml:22:") && Catch::Contains("method adapt needs 1..2 views per image, the "
                                                                      "[[target_views]] groups produce 3"));
  }
}

TEST_CASE("every step gets one source and one target batch: an epoch is the longer domain's pass, the shorter cycles") {
  Folder f("streams");
  SECTION("a shorter target restarts with a fresh shuffle each time it ends") {
    const Seen seen = train_and_record(f);
    REQUIRE(seen.source.size() == 16);  // 2 epochs of the source's 8 batches
    REQUIRE(seen.target.size() == 16);  // 5 passes of 3 batches and one batch of the sixth
    for (const auto& b : seen.target) CHECK(b.size() == 8);
    check_passes(seen.source, 8, 64);
    check_passes(seen.target, 3, 24);
    CHECK(flat(seen.target, 0, 3) != flat(seen.target, 3, 3));  // each pass its own order
    CHECK(flat(seen.source, 0, 8) != flat(seen.source, 8, 8));
    // The same pipeline draws the same batches.
    Folder g("streams_again");
    const Seen again = train_and_record(g);
    CHECK(again.source == seen.source);
    CHECK(again.target == seen.target);
  }
  SECTION("a longer target sets the epoch and the source cycles") {
    const Seen seen = train_and_record(f, {"data.target.size=96"});
    REQUIRE(seen.source.size() == 24);  // 2 epochs of the target's 12 batches
    check_passes(seen.source, 8, 64);
    check_passes(seen.target, 12, 96);
  }
}

TEST_CASE("the stream of a domain: batch t of pass t / n, whatever the epoch length") {
  CHECK(stream_position({0, 0, 0}, 8, 3) == StreamPosition{0, 0});
  CHECK(stream_position({0, 5, 5}, 8, 3) == StreamPosition{1, 2});
  CHECK(stream_position({1, 8, 0}, 8, 3) == StreamPosition{2, 2});
  CHECK(stream_position({1, 11, 3}, 8, 8) == StreamPosition{1, 3});  // the longest domain: pass = epoch
  CHECK_THROWS(stream_position({0, 0, 0}, 8, 0));
}

TEST_CASE("a two-domain run checkpoints both streams and resumes to the same weights") {
  Folder f("resume");
  const Pipeline p = f.pipeline(kTwo);
  const fs::path straight = f.dir / "straight", resumed = f.dir / "resumed";
  at::manual_seed(0);
  REQUIRE(train_in_folder(f.registry, p, straight, RunRequest{}) == TrainOutcome::Finished);

  RunRequest pause;
  pause.stop_at_step = 5;
  REQUIRE(train_in_folder(f.registry, p, resumed, pause) == TrainOutcome::Paused);
  const Checkpoint c = load_checkpoint(CheckpointDir(resumed / "checkpoints").latest());
  CHECK(c.position.step == 5);
  REQUIRE(c.streams.size() == 2);
  CHECK(c.streams[0].first == "source");
  CHECK(c.streams[0].second == StreamPosition{0, 5});
  CHECK(c.streams[1].first == "target");
  CHECK(c.streams[1].second == StreamPosition{1, 2});
  RunRequest resume;
  resume.start = RunRequest::Start::Resume;
  REQUIRE(train_in_folder(f.registry, p, resumed, resume) == TrainOutcome::Finished);

  const NamedTensors a = load_tensors(straight / "backbone.pt"), b = load_tensors(resumed / "backbone.pt");
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first);
    CHECK(at::equal(a[i].second, b[i].second));
  }

  SECTION("a checkpoint whose streams this pipeline's data would not reproduce is refused") {
    Checkpoint moved = c;
    moved.streams[1].second = StreamPosition{4, 0};
    Runtime rt = build_runtime(p, f.registry, f.dir / "refused");
    load_module_state(*rt.method, moved.model, "the checkpoint");
    CHECK_THROWS_WITH(train(rt, RunRequest{}, {}, &moved),
                      Catch::Contains("the checkpoint's target data stood at pass 5 batch 0, but with this pipeline's "
                                      "data (3 batches per pass, 8 steps per epoch) it would stand at pass 2 batch 2"));
  }
}
