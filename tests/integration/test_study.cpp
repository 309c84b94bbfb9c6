// Studies (a pipeline file with [[arms]]): validation, training every arm, make-like reruns,
// the comparison page; and the no-training baselines (epochs = 0, the pixels backbone).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "run_host.h"
#include "screenshot.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {
std::string study_file() { return source_dir() + "/tests/integration/pipelines/study_smoke.toml"; }

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// Writes a study file next to the smoke pipelines (arms name them relative to the study).
fs::path write_study(const fs::path& dir, const std::string& text) {
  fs::create_directories(dir);
  const fs::path p = dir / "study.toml";
  std::ofstream(p) << "include = []\n" << text;
  return p;
}
}  // namespace

TEST_CASE("a study trains every arm, compares them on one page and is up to date when run again") {
  const fs::path d = scratch_dir("study");
  const fs::path study = d / "runs" / "study_smoke";
  const std::string cmd = "run " + shell_quote(study_file()) + " --output " + shell_quote(study.string()) +
                          " --set trainer.progress=plain";
  auto r = run_host(cmd);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  for (const char* arm : {"lr_high", "lr_low", "pixels"}) {
    INFO(arm);
    CHECK(fs::exists(study / arm / "report.html"));
    CHECK(fs::exists(study / arm / "spectra" / "embedding_epoch002.csv") == (std::string(arm) != "pixels"));
  }
  // The arms differ only in what their `set` says; the run name is the arm's folder.
  CHECK(slurp(study / "lr_high" / "pipeline.resolved.toml").find("lr = 0.1") != std::string::npos);
  CHECK(slurp(study / "lr_low" / "pipeline.resolved.toml").find("lr = 0.01") != std::string::npos);
  CHECK(slurp(study / "lr_low" / "pipeline.resolved.toml").find("name = \"study_smoke/lr_low\"") != std::string::npos);

  const auto csv = lines_of(study / "results.csv");
  REQUIRE(csv.size() == 4);
  CHECK(csv[0].rfind("arm,status,method,backbone,epochs,steps,train_s,img_per_s,knn_top1", 0) == 0);
  CHECK(csv[1].rfind("lr_high,finished,simclr,tiny_cnn,2,16,", 0) == 0);
  CHECK(csv[2].rfind("lr_low,finished,simclr,tiny_cnn,2,16,", 0) == 0);
  CHECK(csv[3].rfind("pixels,finished,simclr,pixels,0,0,", 0) == 0);
  const std::string html = slurp(study / "report.html");
  for (const char* part : {"study_smoke", "two learning rates", "lr_high/report.html", "kNN top-1 by epoch",
                           "embedding std_sqrt_d by epoch", "training loss: simclr",
                           "Final metrics against optimizer.lr", "knn/top1 against optimizer.lr",
                           "collapse/embedding/rankme against optimizer.lr", "optimizer.lr (log scale)", "singular-value spectrum: embedding",
                           "singular-value spectrum: backbone", "lr_low (epoch 2)"}) {
    INFO(part);
    CHECK(html.find(part) != std::string::npos);
  }
  for (const char* banned : {"http://", "https://", "<script", "<link"}) CHECK(html.find(banned) == std::string::npos);
  // Nearest neighbours side by side: the best trained arm and the raw-pixel baseline, 4 queries x 9 images each.
  CHECK_THAT(html, Catch::Contains("<h2>Nearest neighbours</h2>") && Catch::Contains("raw pixels, kNN top-1"));
  CHECK(count_of(html, "<img src=\"data:image/png;base64,") == 2 * 4 * 9);
  CHECK(count_of(html, "<img ") == 2 * 4 * 9);
  // The trained arms' reports compare them with the baseline arm (baselines.json).
  CHECK(fs::exists(study / "lr_high" / "baselines.json"));
  CHECK_FALSE(fs::exists(study / "pixels" / "baselines.json"));
  CHECK_THAT(slurp(study / "lr_high" / "report.html"), Catch::Contains("raw pixels (pixels)"));
  CHECK_THAT(slurp(study / "pixels" / "report.html"), Catch::Contains("baseline (raw pixels)"));
  check_images_visible(html, d / "shots");
  CHECK(r.out.find("study page:") != std::string::npos);
  const auto json = nlohmann::json::parse(slurp(study / "study.json"));
  CHECK(json["arms"].size() == 3);
  CHECK(json["against"] == "optimizer.lr");
  CHECK(json["arms"][0]["dir"] == "lr_high");
  CHECK(json["arms"][1]["compare_to"] == "lr_high");
  CHECK(json["columns"] == nlohmann::json::array({"collapse/embedding/rankme", "no/such_metric"}));
  // The selected columns and compare_to: the page's table, results.csv's extra and change columns.
  CHECK_THAT(html, Catch::Contains("<h2>Selected metrics</h2>") && Catch::Contains("<th>compared to</th>") &&
                       Catch::Contains("No arm reports no/such_metric"));
  CHECK_THAT(csv[0], Catch::Contains(",alarms,compare_to,collapse/embedding/rankme,no/such_metric,knn/top1 change,"));
  CHECK_THAT(csv[2], Catch::Contains(",lr_high,"));
  const auto cell = [](const std::string& line, size_t column) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    std::string c;
    while (std::getline(in, c, ',')) cells.push_back(c);
    if (line.back() == ',') cells.emplace_back();
    return column < cells.size() ? cells[column] : std::string("<missing>");
  };
  // knn_top1 is column 8, "knn/top1 change" column 17: lr_low's change is its value minus lr_high's.
  REQUIRE(cell(csv[0], 17) == "knn/top1 change");
  CHECK(std::stod(cell(csv[2], 17)) == Approx(std::stod(cell(csv[2], 8)) - std::stod(cell(csv[1], 8))).margin(1e-5));
  CHECK(cell(csv[1], 17).empty());

  // Again: nothing trains, nothing changes.
  const auto size_before = fs::file_size(study / "lr_high" / "metrics.jsonl");
  const auto time_before = fs::last_write_time(study / "lr_high" / "metrics.jsonl");
  auto again = run_host(cmd);
  INFO(again.out << again.err);
  REQUIRE(again.code == 0);
  CHECK(again.out.find("up to date") != std::string::npos);
  CHECK(again.out.find("== arm") == std::string::npos);
  CHECK(fs::file_size(study / "lr_high" / "metrics.jsonl") == size_before);
  CHECK(fs::last_write_time(study / "lr_high" / "metrics.jsonl") == time_before);

  // A reworded description is not a different experiment.
  auto reworded = run_host(cmd + " --set description=reworded");
  CHECK(reworded.code == 0);
  CHECK(reworded.out.find("== arm") == std::string::npos);
  // Nor is another console mode (the arms ran with progress = "plain").
  auto quiet = run_host(cmd + " --set trainer.progress=none");
  CHECK(quiet.code == 0);
  CHECK(quiet.out.find("== arm") == std::string::npos);

  // A run recorded before a key existed (here: the record lacks `lars_clip_lr`) is the same
  // experiment when the key is at its default now, and a different one when it is not.
  const fs::path record = study / "lr_high" / "pipeline.resolved.toml";
  const std::string recorded = slurp(record);
  const auto key_at = recorded.find("lars_clip_lr = false\n");
  REQUIRE(key_at != std::string::npos);
  std::ofstream(record, std::ios::trunc) << recorded.substr(0, key_at) + recorded.substr(key_at + 21);
  auto upgraded = run_host(cmd);
  INFO(upgraded.out << upgraded.err);
  CHECK(upgraded.code == 0);
  CHECK(upgraded.out.find("== arm") == std::string::npos);
  auto clipped = run_host(cmd + " --set optimizer.lars_clip_lr=true");
  CHECK(clipped.code == 2);
  CHECK(clipped.err.find("holds a run of a different pipeline") != std::string::npos);
  std::ofstream(record, std::ios::trunc) << recorded;

  // A different pipeline in an arm's folder is refused (nothing trains) unless --overwrite.
  auto changed = run_host(cmd + " --set trainer.epochs=1");
  CHECK(changed.code == 2);
  CHECK(changed.err.find("arm 'lr_high'") != std::string::npos);
  CHECK(changed.err.find("holds a run of a different pipeline") != std::string::npos);
  CHECK(fs::file_size(study / "lr_high" / "metrics.jsonl") == size_before);

  // `ssl-host report` redraws the study page.
  fs::remove(study / "report.html");
  auto rep = run_host("report " + shell_quote(study.string()));
  CHECK(rep.code == 0);
  CHECK(fs::exists(study / "report.html"));
}

TEST_CASE("an interrupted arm is resumed by the next run of the study") {
  const fs::path d = scratch_dir("study_resume");
  const fs::path study = d / "runs" / "s";
  // Simulate an interruption: train the first arm's folder up to step 5 by hand.
  auto part = run_host("run " + shell_quote(source_dir() + "/tests/integration/pipelines/report_smoke.toml") +
                       " --output " + shell_quote((study / "lr_high").string()) +
                       " --set optimizer.lr=0.1 --set name=s/lr_high --set trainer.progress=plain --stop-at-step 5");
  REQUIRE(part.code == 0);
  auto r = run_host("run " + shell_quote(study_file()) + " --output " + shell_quote(study.string()) +
                    " --set trainer.progress=plain");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("  lr_high resume ") != std::string::npos);  // the name column is as wide as the longest name
  CHECK(r.out.find("resuming at epoch 1 step 5") != std::string::npos);
  CHECK(lines_of(study / "results.csv")[1].rfind("lr_high,finished (resumed)", 0) == 0);
}

TEST_CASE("a malformed study is refused before anything trains, with every problem and its position") {
  const fs::path d = scratch_dir("study_bad");
  const std::string smoke = source_dir() + "/tests/integration/pipelines/report_smoke.toml";
  const fs::path file = write_study(d, "name = \"bad\"\n"
                                       "[[arms]]\nname = \"a\"\npipeline = \"" + smoke + "\"\nsett = [\"x=1\"]\n"
                                       "[[arms]]\nname = \"a\"\npipeline = \"" + smoke + "\"\n"
                                       "[[arms]]\nname = \"c\"\npipeline = \"nowhere.toml\"\n"
                                       "[[arms]]\nname = \"d/e\"\npipeline = \"" + smoke + "\"\n"
                                       "[[arms]]\nname = \"f\"\npipeline = \"" + smoke + "\"\nset = [\"optimizer.lr=fast\"]\n");
  // Absolute arm paths: fs::path / absolute gives the absolute path.
  auto r = run_host("run " + shell_quote(file.string()) + " --output " + shell_quote((d / "out").string()));
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find("study.toml:6:1: unknown key 'sett' in [[arms]] #1; did you mean 'set'?") != std::string::npos);
  CHECK(r.err.find("a second arm named 'a'") != std::string::npos);
  CHECK(r.err.find("no pipeline file") != std::string::npos);
  CHECK(r.err.find("name 'd/e' must be a folder name") != std::string::npos);
  CHECK(r.err.find("4 errors") != std::string::npos);
  CHECK(!fs::exists(d / "out"));

  // Arms are resolved before training: a bad override in one arm names the arm, nothing runs.
  const fs::path file2 = write_study(d / "two", "[[arms]]\nname = \"ok\"\npipeline = \"" + smoke + "\"\n"
                                                "[[arms]]\nname = \"f\"\npipeline = \"" + smoke +
                                                "\"\nset = [\"optimizer.lr=fast\"]\n");
  auto r2 = run_host("run " + shell_quote(file2.string()) + " --output " + shell_quote((d / "out2").string()));
  INFO(r2.err);
  CHECK(r2.code == 2);
  CHECK(r2.err.find("arm 'f'") != std::string::npos);
  CHECK(r2.err.find("expected float, got 'fast'") != std::string::npos);
  CHECK(!fs::exists(d / "out2"));

  auto r3 = run_host("run " + shell_quote(file2.string()) + " --resume");
  CHECK(r3.code == 2);
  CHECK(r3.err.find("a study continues its interrupted arms by itself") != std::string::npos);

  const fs::path compared = write_study(d / "compare", "[[arms]]\nname = \"a\"\npipeline = \"" + smoke +
                                                       "\"\ncompare_to = \"a\"\n[[arms]]\nname = \"b\"\npipeline = \"" +
                                                       smoke + "\"\ncompare_to = \"c\"\n");
  auto r5 = run_host("run " + shell_quote(compared.string()) + " --output " + shell_quote((d / "out5").string()));
  INFO(r5.err);
  CHECK(r5.code == 2);
  CHECK(r5.err.find("arm 'a': compare_to names the arm itself") != std::string::npos);
  CHECK(r5.err.find("arm 'b': compare_to 'c' is not an arm of this study") != std::string::npos);
  CHECK(r5.err.find("study.toml:5:") != std::string::npos);
  CHECK(r5.err.find("study.toml:9:") != std::string::npos);
  CHECK(!fs::exists(d / "out5"));

  const fs::path empty = write_study(d / "empty", "name = \"e\"\nagainst = \"data batch\"\narms = []\n");
  auto r4 = run_host("run " + shell_quote(empty.string()));
  INFO(r4.err);
  CHECK(r4.code == 2);
  CHECK(r4.err.find("a study needs at least one [[arms]] table") != std::string::npos);
  CHECK(r4.err.find("study.toml:3:1: 'against' must be a pipeline key such as \"data.batch_size\", got 'data batch'") !=
        std::string::npos);
}

TEST_CASE("an arm that fails does not cost the other arms their runs") {
  const fs::path d = scratch_dir("study_fail");
  const std::string smoke = source_dir() + "/tests/integration/pipelines/report_smoke.toml";
  const fs::path file = write_study(d, "name = \"f\"\n"
                                       "[[arms]]\nname = \"boom\"\npipeline = \"" + smoke + "\"\nset = [\"optimizer.lr=1e30\"]\n"
                                       "[[arms]]\nname = \"ok\"\npipeline = \"" + smoke + "\"\n");
  const fs::path study = d / "runs" / "f";
  auto r = run_host("run " + shell_quote(file.string()) + " --output " + shell_quote(study.string()) +
                    " --set trainer.progress=plain");
  INFO(r.out << r.err);
  CHECK(r.code == 4);
  CHECK(r.err.find("arm 'boom' failed") != std::string::npos);
  CHECK(r.err.find("the loss is") != std::string::npos);
  CHECK(r.err.find("1 of 2 arm(s) failed") != std::string::npos);
  const auto csv = lines_of(study / "results.csv");
  REQUIRE(csv.size() == 3);
  CHECK(csv[1].rfind("boom,failed: ", 0) == 0);
  CHECK(csv[2].rfind("ok,finished,", 0) == 0);
  CHECK(slurp(study / "report.html").find("failed: ") != std::string::npos);
}
