// The run report (report.html) and the alarms, end to end with the real binary.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "run_host.h"
#include "screenshot.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::vector<nlohmann::json> records(const fs::path& run) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("a run writes a self-contained report.html that renders in headless Chromium") {
  const fs::path d = scratch_dir("report");
  const fs::path run = d / "run";
  auto r = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/report_smoke.toml") + " --output " +
                    shell_quote(run.string()) + " --set trainer.progress=plain");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(run / "embeddings" / "test_pca_epoch001.csv"));
  CHECK(fs::exists(run / "embeddings" / "test_pca_epoch002.csv"));
  CHECK(fs::exists(run / "spectra" / "embedding_epoch002.csv"));
  const std::string html = slurp(run / "report.html");
  REQUIRE(!html.empty());
  CHECK(count_of(html, "<svg") >= 8);  // loss, lr, terms, accuracy, collapse metrics, 2 spectra, PCA
  for (const char* banned : {"http://", "https://", "<script", "<link", "@import"}) {
    INFO(banned);
    CHECK(html.find(banned) == std::string::npos);
  }
  // Nearest neighbours of 12 test images (8 each) from the kNN's features, images inline only.
  CHECK(fs::exists(run / "neighbours" / "test_knn_epoch002.json"));
  CHECK(count_of(html, "<img ") == 12 * 9);
  CHECK(count_of(html, "<img src=\"data:image/png;base64,") == 12 * 9);
  // The first screen: the verdict, before any table.
  const auto verdict = html.find("<p class=\"verdict");
  CHECK(verdict < html.find("<table"));
  CHECK_THAT(html, Catch::Contains("no collapse alarm; kNN 0.") && Catch::Contains("no raw-pixel or untrained baseline known"));
  // The augmentation preview of the run's first batch, linked from the report.
  CHECK(fs::exists(run / "preview.html"));
  CHECK_THAT(html, Catch::Contains("<a href=\"preview.html\">"));
  for (const char* part : {"report_smoke", "training loss", "learning rate", "knn/top1", "std_sqrt_d by epoch",
                           "singular-value spectrum: embedding", "(log scale)", "test backbone features, PCA",
                           "class 0", "No alarm fired", "[alarms]", "Resolved pipeline", "Nearest neighbours",
                           "most cosine-similar"}) {
    INFO(part);
    CHECK(html.find(part) != std::string::npos);
  }
  // PCA file: x,y,label lines, 256 test images.
  std::ifstream pca(run / "embeddings" / "test_pca_epoch002.csv");
  std::string line;
  int lines = 0;
  while (std::getline(pca, line)) ++lines;
  CHECK(lines == 256);

  // `ssl-host report` regenerates it; a folder that is not a run is a usage error.
  fs::remove(run / "report.html");
  auto again = run_host("report " + shell_quote(run.string()));
  CHECK(again.code == 0);
  CHECK(slurp(run / "report.html") == html);
  auto bad = run_host("report " + shell_quote((d / "nothing").string()));
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("is neither a run folder"));

  if (fs::exists("/usr/bin/chromium")) {
    const fs::path shot = d / "shot.png";
    auto c = run_command("timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                         "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
                         shell_quote((d / "chromium").string()) + " --screenshot=" + shell_quote(shot.string()) +
                         " --window-size=1280,2400 " + shell_quote("file://" + (run / "report.html").string()));
    INFO(c.out << c.err);
    CHECK(c.code == 0);
    REQUIRE(fs::exists(shot));
    CHECK(fs::file_size(shot) > 50000);  // a blank 1280x2400 page compresses to a few kB
  }
  check_images_visible(html, d / "shots");
}

TEST_CASE("an alarm prints one line per crossing, is recorded and stop_on_alarm stops with a checkpoint") {
  const fs::path d = scratch_dir("alarms");
  // std * sqrt(D) of a healthy embedding is ~1, so a threshold of 2 is always crossed.
  const std::string base = "run " + shell_quote(source_dir() + "/pipelines/smoke.toml") +
                           " --set trainer.progress=plain --set alarms.std_sqrt_d_below=2 --set alarms.batch_check_every=1";
  auto r = run_host(base + " --output " + shell_quote((d / "warn").string()));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(count_of(r.out, "alarm: batch/std_sqrt_d = ") == 1);
  CHECK_THAT(r.out, Catch::Contains("< 2 at epoch 1 step 1 — the embeddings are collapsing"));
  size_t alarm_records = 0, batch_checks = 0;
  for (const auto& m : records(d / "warn")) {
    if (m.contains("alarm")) {
      ++alarm_records;
      CHECK(m["alarm"] == "batch/std_sqrt_d");
      CHECK(m["threshold"].get<double>() == Approx(2.0));
      CHECK(m["step"] == 1);
    }
    if (m.contains("batch/std_sqrt_d")) ++batch_checks;
  }
  CHECK(alarm_records == 1);
  CHECK(batch_checks == 16);
  CHECK_THAT(slurp(d / "warn" / "report.html"), Catch::Contains("batch/std_sqrt_d</b>"));

  auto s = run_host(base + " --set alarms.stop_on_alarm=true --output " + shell_quote((d / "stop").string()));
  INFO(s.out << s.err);
  REQUIRE(s.code == 0);
  CHECK_THAT(s.out, Catch::Contains("stopped by the alarm on batch/std_sqrt_d at step 1"));
  CHECK(fs::exists(d / "stop" / "checkpoints" / "step_000000001.ckpt"));
  CHECK(!fs::exists(d / "stop" / "backbone.pt"));
  CHECK(records(d / "stop").back()["stopped_by_alarm"] == "batch/std_sqrt_d");
  CHECK_THAT(slurp(d / "stop" / "report.html"), Catch::Contains("stopped by the alarm"));
}

TEST_CASE("describe pipeline lists the alarm keys") {
  auto r = run_host("describe pipeline");
  REQUIRE(r.code == 0);
  for (const char* key : {"[alarms]", "std_sqrt_d_below", "rankme_fraction_below", "uniform_loss_tolerance",
                          "stop_on_alarm", "batch_check_every"}) {
    INFO(key);
    CHECK_THAT(r.out, Catch::Contains(key));
  }
}
