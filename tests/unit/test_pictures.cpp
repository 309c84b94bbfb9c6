// The pictures of the pages and the files for other tools: PNG data URIs, the augmentation
// preview (its views are the training loader's), nearest neighbours (from features already
// extracted: no second pass), the report's verdict, the .npy writer.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "config_tree.h"
#include "evaluation.h"
#include "fake_plugin.h"
#include "loader.h"
#include "npy.h"
#include "pipeline.h"
#include "registry.h"
#include "report/images.h"
#include "report/neighbours.h"
#include "report/preview.h"
#include "report/verdict.h"
#include "runtime.h"
#include "trainer.h"

using namespace ssl::host;
namespace sdk = ssl::sdk;
namespace fs = std::filesystem;

namespace {

const char* kPipeline = R"(name = "pictures"
seed = 11
threads = 1

[data]
batch_size = 4

[data.train]
type = "counting"
size = 40
num_classes = 4

[data.test]
type = "counting"
size = 20
num_classes = 4

[[views]]
count = 2

[backbone]
type = "flat"

[method]
type = "pull"

[optimizer]
type = "sgd"
lr = 0.1

[trainer]
epochs = 1
progress = "none"
)";

// A method with its own sample transform (as pretext tasks have): the image turned by 0, 90,
// 180 and 270 degrees, the turn as the target.
class Turns final : public sdk::SampleTransform {
 public:
  sdk::TransformedSample apply(const cv::Mat& image, sdk::Rng&) const override {
    sdk::TransformedSample out;
    out.views.push_back(image.clone());
    for (int code : {cv::ROTATE_90_CLOCKWISE, cv::ROTATE_180, cv::ROTATE_90_COUNTERCLOCKWISE}) {
      cv::Mat turned;
      cv::rotate(image, turned, code);
      out.views.push_back(turned);
    }
    out.targets = {0, 1, 2, 3};
    return out;
  }
};
class TurnMethod final : public sdk::Method {
 public:
  TurnMethod(const sdk::Config&, const sdk::BuildContext& ctx) : backbone_(register_module("backbone", ctx.make_backbone())) {}
  static sdk::Schema schema() { return {}; }
  static sdk::ViewSpec views(const sdk::Config&) { return {4, 4, true}; }
  sdk::StepOutput training_step(const sdk::Batch& b, const sdk::StepInfo&) override {
    return {backbone_->forward(b.views.at(0)).pow(2).mean(), {}};
  }
  std::shared_ptr<sdk::Backbone> backbone() const override { return backbone_; }
  std::shared_ptr<const sdk::SampleTransform> sample_transform() const override { return std::make_shared<Turns>(); }

 private:
  std::shared_ptr<sdk::Backbone> backbone_;
};
void register_turns(sdk::Registrar& r) { r.add_method<TurnMethod>("turns", "predicts the turn"); }
const SslPluginInfo kTurnsPlugin{SSL_SDK_ABI_VERSION, "turns", "1.0.0", SSL_SDK_FINGERPRINT, &register_turns};

struct Fixture {
  fs::path dir;
  Registry registry;
  Pipeline pipeline;
  Runtime runtime;
};

std::unique_ptr<Fixture> fixture(const std::string& name, const std::vector<std::string>& overrides = {},
                                 const std::string& text = kPipeline) {
  auto f = std::make_unique<Fixture>();
  f->dir = fs::temp_directory_path() / ("ssl_pictures_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(f->dir);
  fs::create_directories(f->dir / "run");
  std::ofstream(f->dir / "p.toml") << text;
  f->registry.load_static(ssl::test::fake_plugin_info());
  f->registry.load_static(&kTurnsPlugin);
  Node root = load_document(f->dir / "p.toml");
  for (const auto& o : overrides) apply_override(root, o);
  f->pipeline = resolve_pipeline(root, f->registry, f->dir / "p.toml");
  f->runtime = build_runtime(f->pipeline, f->registry, f->dir / "run");
  return f;
}

cv::Mat decode(const std::string& data_uri) {
  const std::string png = report::decode_data_uri(data_uri);
  cv::Mat bgr = cv::imdecode(std::vector<uchar>(png.begin(), png.end()), cv::IMREAD_UNCHANGED);
  return bgr;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a.reshape(1) != b.reshape(1)) == 0;
}

}  // namespace

TEST_CASE("a view drawn as PNG comes back byte for byte, normalised views are stretched and flagged") {
  cv::Mat img(5, 7, CV_8UC1);
  for (int i = 0; i < img.rows * img.cols; ++i) img.data[i] = static_cast<uint8_t>(i * 7 % 256);
  at::Tensor chw = at::empty({1, 5, 7}, at::kFloat);
  image_to_chw(img, chw.data_ptr<float>());
  const report::DisplayImage shown = report::view_to_image(chw);
  CHECK_FALSE(shown.rescaled);
  CHECK(same_pixels(shown.image, img));
  const std::string uri = report::png_data_uri(shown.image);
  CHECK(uri.rfind("data:image/png;base64,", 0) == 0);
  CHECK(report::decode_data_uri(uri) == report::encode_png(shown.image));
  CHECK(same_pixels(decode(uri), img));

  cv::Mat rgb(3, 4, CV_8UC3, cv::Scalar(10, 200, 30));  // RGB order in, the same RGB out
  at::Tensor rgb_chw = at::empty({3, 3, 4}, at::kFloat);
  image_to_chw(rgb, rgb_chw.data_ptr<float>());
  const cv::Mat back = decode(report::png_data_uri(report::view_to_image(rgb_chw).image));
  REQUIRE(back.channels() == 3);
  CHECK(back.at<cv::Vec3b>(0, 0) == cv::Vec3b(30, 200, 10));  // OpenCV decodes to BGR

  const report::DisplayImage normalised = report::view_to_image((chw - 0.5) * 4);
  CHECK(normalised.rescaled);
  double lo = 0, hi = 0;
  cv::minMaxLoc(normalised.image, &lo, &hi);
  CHECK(lo == 0);
  CHECK(hi == 255);
  // A common range keeps views comparable: values map linearly from lo..hi, clamped.
  const report::DisplayImage common = report::view_to_image((chw - 0.5) * 4, -4.0, 4.0);
  CHECK(common.rescaled);
  cv::minMaxLoc(common.image, &lo, &hi);
  CHECK(lo >= 64);   // -2 of -4..4 is a quarter up
  CHECK(hi <= 192);  // +2 three quarters
  CHECK_THROWS(report::view_to_image(at::zeros({2, 3, 3})));
}

TEST_CASE("the preview shows the training loader's views of the first batch, for the same seed and index") {
  auto f = fixture("preview");
  const report::Preview preview = report::preview_samples(f->runtime, 3);
  const auto& samples = preview.samples;
  REQUIRE(samples.size() == 3);
  const Loader loader(f->runtime.train, f->runtime.train_chains, nullptr, training_loader_options(f->runtime));
  const auto order = loader.epoch_order(0);
  const HostBatch batch = loader.build_batch(0, {order.begin(), order.begin() + 3});
  for (size_t i = 0; i < samples.size(); ++i) {
    CHECK(samples[i].position == order[i]);
    REQUIRE(samples[i].views.size() == 2);
    for (size_t v = 0; v < 2; ++v) {
      const at::Tensor expected = batch.views[v][int64_t(i)].mul(255).round().to(at::kByte)[0].contiguous();
      const cv::Mat want(8, 8, CV_8UC1, expected.data_ptr<uint8_t>());
      CHECK(same_pixels(decode(report::png_data_uri(samples[i].views[v].picture.image)), want));
    }
  }
  // Another seed shuffles differently: the preview follows the run's seed.
  auto g = fixture("preview_seed", {"seed=12"});
  CHECK(report::preview_samples(g->runtime, 3).samples[0].position != samples[0].position);

  const std::string html = report::render_preview(f->runtime, preview);
  size_t images = 0;
  for (size_t p = html.find("<img "); p != std::string::npos; p = html.find("<img ", p + 1)) ++images;
  CHECK(images == 3 * 3);  // the original and two views of each
  CHECK(html.find("view group 0 · view 2") != std::string::npos);
  CHECK(html.find("stretched") == std::string::npos);

  std::string with_noise = kPipeline;
  with_noise.replace(with_noise.find("count = 2\n"), 10, "count = 2\n[[views.ops]]\ntype = \"noise\"\n");
  auto noisy = fixture("preview_noise", {}, with_noise);
  CHECK(report::render_preview(noisy->runtime, report::preview_samples(noisy->runtime, 1)).find("stretched") !=
        std::string::npos);
  CHECK_THROWS_WITH(report::preview_samples(f->runtime, 0), Catch::Contains("at least 1"));
}

TEST_CASE("the preview shows a method's own sample transform: its views and targets") {
  auto f = fixture("preview_turns", {"method.type=turns"});
  const report::Preview preview = report::preview_samples(f->runtime, 2);
  REQUIRE(preview.samples.size() == 2);
  CHECK(preview.samples[0].views.size() == 4);
  CHECK(preview.samples[0].targets == std::vector<int64_t>{0, 1, 2, 3});
  const std::string html = report::render_preview(f->runtime, preview);
  CHECK(html.find("method transform · view 4") != std::string::npos);
  CHECK(html.find("targets<br>0, 1, 2, 3") != std::string::npos);
  CHECK(html.find("own sample transform (turns)") != std::string::npos);
}

TEST_CASE("nearest-neighbour queries cover the classes round-robin") {
  const at::Tensor labels = at::tensor(std::vector<int64_t>{2, 2, 0, 1, 0, 2, 1, 1}, at::kLong);
  CHECK(report::pick_queries(labels, 5) == std::vector<int64_t>{0, 2, 3, 1, 4});
  CHECK(report::pick_queries(labels, 20).size() == 8);
  CHECK(report::pick_queries(at::full({3}, -1, at::kLong), 2) == std::vector<int64_t>{0, 1});
}

TEST_CASE("the round's pictures reuse the evaluators' features: no second extraction") {
  auto f = fixture("neighbours");
  ModelFeatureSource source(f->runtime, FeatureUse::Evaluation);
  sdk::FeatureRequest req;  // what kNN asks for: plain backbone features of both splits
  req.split = sdk::Split::Train;
  const sdk::Features train = source.extract(req);
  req.split = sdk::Split::Test;
  const sdk::Features test = source.extract(req);
  REQUIRE(source.extractions() == 2);
  write_round_pictures(f->runtime, source, 1);
  CHECK(source.extractions() == 2);
  CHECK(fs::exists(f->dir / "run" / "embeddings" / "test_pca_epoch001.csv"));

  const nlohmann::json record = report::read_neighbours(f->dir / "run");
  REQUIRE(!record.is_null());
  CHECK(record["epoch"] == 1);
  CHECK(record["bank_size"] == 40);
  REQUIRE(record["queries"].size() == 12);
  // The features are those extracted: recompute one query's best neighbour by hand.
  const auto& q0 = record["queries"][0];
  const int64_t qi = q0["index"];
  const at::Tensor qf = test.values[qi] / test.values[qi].norm();
  const at::Tensor bank = train.values / train.values.norm(2, {1}, true);
  const at::Tensor sims = at::matmul(bank, qf);
  REQUIRE(q0["neighbours"].size() == 8);
  CHECK(q0["neighbours"][0]["similarity"].get<double>() == Approx(sims.max().item<double>()).epsilon(1e-5));
  CHECK(q0["neighbours"][0]["index"].get<int64_t>() == sims.argmax().item<int64_t>());
  CHECK(q0["label"] == test.labels[qi].item<int64_t>());
  for (const auto& n : q0["neighbours"]) CHECK(n["image"].get<std::string>().rfind("data:image/png;base64,", 0) == 0);

  // Without train features (no kNN or linear evaluator) there is no grid, and still no extraction.
  auto g = fixture("no_neighbours");
  ModelFeatureSource only_test(g->runtime, FeatureUse::Evaluation);
  only_test.extract(req);
  write_round_pictures(g->runtime, only_test, 1);
  CHECK(only_test.extractions() == 1);
  CHECK(report::read_neighbours(g->dir / "run").is_null());

  const std::string grid = report::neighbours_grid(record, 2);
  size_t rows = 0;
  for (size_t p = grid.find("<tr>"); p != std::string::npos; p = grid.find("<tr>", p + 1)) ++rows;
  CHECK(rows == 2);
}

TEST_CASE("the verdict compares the final accuracy with the baselines and names alarms") {
  report::RunData run;
  run.facts["backbone.type"] = "resnet_small";
  run.final_values["knn/top1"] = 0.8734;
  const std::vector<report::Baseline> baselines{{"raw pixels", "raw_pixels", {{"knn/top1", 0.857}}},
                                                {"untrained encoder", "random_encoder", {{"knn/top1", 0.701}}}};
  report::Verdict v = report::verdict(run, baselines);
  CHECK(v.level == report::Verdict::Level::Healthy);
  CHECK(v.sentence == "healthy: no collapse alarm; kNN 0.873 beats raw pixels 0.857 and untrained encoder 0.701");

  run.final_values["knn/top1"] = 0.80;
  v = report::verdict(run, baselines);
  CHECK(v.level == report::Verdict::Level::Problem);
  CHECK(v.sentence == "problem: no collapse alarm; kNN 0.800 beats untrained encoder 0.701 but does not beat raw pixels 0.857");

  run.alarms.push_back({{"alarm", "batch/std_sqrt_d"}});
  v = report::verdict(run, {});
  CHECK(v.level == report::Verdict::Level::Problem);
  CHECK_THAT(v.sentence, Catch::StartsWith("problem: the collapse alarm fired (batch/std_sqrt_d); kNN 0.800 (no raw-pixel"));

  // Both accuracies, each against the baselines that have it.
  run.alarms.clear();
  run.final_values["knn/top1"] = 0.873;
  run.final_values["linear/top1"] = 0.887;
  const std::vector<report::Baseline> both{{"raw pixels", "raw_pixels", {{"knn/top1", 0.857}, {"linear/top1", 0.842}}}};
  CHECK(report::verdict(run, both).sentence ==
        "healthy: no collapse alarm; kNN 0.873 beats raw pixels 0.857; linear 0.887 beats raw pixels 0.842");
  CHECK(report::verdict(run, {}).sentence ==
        "healthy: no collapse alarm; kNN 0.873, linear 0.887 (no raw-pixel or untrained baseline known; a study with "
        "such arms gives them)");

  report::RunData empty;
  CHECK(report::verdict(empty, baselines).level == report::Verdict::Level::Unknown);
  report::RunData pixels;
  pixels.facts["backbone.type"] = "pixels";
  pixels.final_values["knn/top1"] = 0.857;
  CHECK(report::baseline_kind(pixels) == "raw pixels");
  CHECK_THAT(report::verdict(pixels, {}).sentence, Catch::StartsWith("baseline (raw pixels)"));

  const fs::path dir = fs::temp_directory_path() / ("ssl_baselines_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  report::write_baselines(dir, baselines);
  const auto back = report::read_baselines(dir);
  REQUIRE(back.size() == 2);
  CHECK(back[1].arm == "random_encoder");
  CHECK(back[1].metrics.at("knn/top1") == Approx(0.701));
  std::ofstream(dir / "baselines.json") << "{not json";
  CHECK(report::read_baselines(dir).empty());
  fs::remove_all(dir);
}

TEST_CASE(".npy files carry dtype, shape and data, with a 64-byte aligned header") {
  const fs::path dir = fs::temp_directory_path() / ("ssl_npy_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const at::Tensor x = at::arange(12, at::kFloat).reshape({3, 4}) / 3;
  const at::Tensor y = at::tensor(std::vector<int64_t>{-1, 5, 7}, at::kLong);
  write_npy(dir / "x.npy", x);
  write_npy(dir / "y.npy", y);
  CHECK(at::equal(read_npy(dir / "x.npy"), x));
  CHECK(at::equal(read_npy(dir / "y.npy"), y));
  const std::string bytes = npy_bytes(x);
  const size_t header = static_cast<uint8_t>(bytes[8]) | size_t(static_cast<uint8_t>(bytes[9])) << 8;
  CHECK((10 + header) % 64 == 0);
  CHECK(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }") != std::string::npos);
  CHECK(npy_bytes(y).find("'shape': (3,), }") != std::string::npos);
  CHECK(bytes.size() == 10 + header + 12 * 4);
  CHECK_THROWS(npy_bytes(at::zeros({2}, at::kHalf)));
  std::ofstream(dir / "bad.npy") << bytes.substr(0, bytes.size() - 3);
  CHECK_THROWS_WITH(read_npy(dir / "bad.npy"), Catch::Contains("data bytes, expected 48"));
  fs::remove_all(dir);
}
