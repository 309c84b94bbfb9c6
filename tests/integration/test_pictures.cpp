// What users look at and take away: `ssl-host preview` (the augmentations' views), `ssl-host
// embed` (features for Python), and that the pages' pictures are visible in a browser.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "run_host.h"
#include "screenshot.h"

using namespace ssl::test;
namespace fs = std::filesystem;

namespace {

fs::path newest_checkpoint(const fs::path& run) {
  std::vector<fs::path> all;
  for (const auto& e : fs::directory_iterator(run / "checkpoints"))
    if (e.path().extension() == ".ckpt") all.push_back(e.path());
  REQUIRE(!all.empty());
  return *std::max_element(all.begin(), all.end());
}

double final_metric(const fs::path& run, const std::string& key) {
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  double value = -1;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j.value("final", false) && j.contains(key)) value = j[key].get<double>();
  }
  return value;
}

}  // namespace

TEST_CASE("preview writes the views of the first training images, inline, visible in Chromium") {
  const fs::path d = scratch_dir("preview");
  const fs::path page = d / "smoke_preview.html";
  auto r = run_host("preview " + shell_quote(source_dir() + "/pipelines/smoke.toml") + " --images 3 --output " +
                    shell_quote(page.string()));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains(page.string()));
  const std::string html = slurp(page);
  CHECK(count_of(html, "<img ") == 3 * 3);  // each image and its two views
  CHECK(count_of(html, "<img src=\"data:image/png;base64,") == 3 * 3);
  for (const char* banned : {"http://", "https://", "<script", "<link"}) CHECK(html.find(banned) == std::string::npos);
  CHECK_THAT(html, Catch::Contains("view group 0 · view 2"));
  CHECK_THAT(html, Catch::Contains("random_resized_crop -&gt; horizontal_flip -&gt; color_jitter"));
  check_images_visible(html, d / "shots");

  // The default file name, and bad requests.
  auto dflt = run_host("preview " + shell_quote(source_dir() + "/pipelines/smoke.toml") + " --images 1", d);
  CHECK(dflt.code == 0);
  CHECK(fs::exists(d / "smoke_preview.html"));
  CHECK(run_host("preview " + shell_quote(source_dir() + "/pipelines/smoke.toml") + " --images 0", d).code == 2);
  auto bad = run_host("preview " + shell_quote(source_dir() + "/pipelines/smoke.toml") + " --set views.0.count=0", d);
  CHECK(bad.code == 2);
  auto study = run_host("preview " + shell_quote(source_dir() + "/tests/integration/pipelines/study_smoke.toml"), d);
  CHECK(study.code == 2);
  CHECK_THAT(study.err, Catch::Contains("is a study ([[arms]]); this verb takes one pipeline"));
}

TEST_CASE("embed writes .npy features that Python loads, and they are the features the kNN evaluator scored") {
  const fs::path d = scratch_dir("embed");
  const fs::path run = d / "run";
  const std::string pipeline = shell_quote(source_dir() + "/tests/integration/pipelines/report_smoke.toml");
  auto r = run_host("run " + pipeline + " --output " + shell_quote(run.string()) + " --set trainer.progress=none");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const std::string ckpt = shell_quote(newest_checkpoint(run).string());
  for (const char* split : {"train", "test"}) {
    auto e = run_host("embed " + pipeline + " --checkpoint " + ckpt + " --split " + split + " --output " +
                      shell_quote((d / (std::string(split) + ".npy")).string()));
    INFO(e.out << e.err);
    REQUIRE(e.code == 0);
    CHECK_THAT(e.out, Catch::Contains("256 " + std::string(split) + " images"));
  }
  CHECK(fs::exists(d / "test.labels.npy"));
  CHECK(fs::exists(d / "test.indices.npy"));
  CHECK(count_of(slurp(d / "test.pca.csv"), "\n") == 256);

  // Python with NumPy only: load, check, and score the weighted kNN of report_smoke.toml (k 20, T 0.1).
  const std::string script = R"(
import json, sys, numpy as np
d = sys.argv[1]
X, y = np.load(d + "/train.npy"), np.load(d + "/train.labels.npy")
Q, yq, iq = np.load(d + "/test.npy"), np.load(d + "/test.labels.npy"), np.load(d + "/test.indices.npy")
assert X.dtype == np.float32 and y.dtype == np.int64 and X.ndim == 2 and len(X) == len(y)
unit = lambda a: a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
sim = unit(Q) @ unit(X).T
top = np.argsort(-sim, axis=1, kind="stable")[:, :20]
w = np.exp(np.take_along_axis(sim, top, 1) / 0.1)
C = int(max(y.max(), yq.max())) + 1
scores = np.stack([(w * (y[top] == c)).sum(1) for c in range(C)], 1)
print(json.dumps({"top1": float((scores.argmax(1) == yq).mean()), "n": len(Q), "dim": X.shape[1],
                  "rows": bool((iq == np.arange(len(Q))).all())}))
)";
  std::ofstream(d / "knn.py") << script;
  auto py = run_command("/usr/bin/python3 " + shell_quote((d / "knn.py").string()) + " " + shell_quote(d.string()));
  INFO(py.out << py.err);
  REQUIRE(py.code == 0);
  const auto got = nlohmann::json::parse(py.out);
  CHECK(got["n"] == 256);
  CHECK(got["rows"] == true);
  const double knn = final_metric(run, "knn/top1");
  REQUIRE(knn >= 0);
  CHECK(std::abs(got["top1"].get<double>() - knn) <= 1.0 / 256 + 1e-9);  // at most one near-tie apart

  auto txt = run_host("embed " + pipeline + " --checkpoint " + ckpt + " --output " + shell_quote((d / "x.txt").string()));
  CHECK(txt.code == 2);
  CHECK_THAT(txt.err, Catch::Contains("must name a .npy file"));
  auto none = run_host("embed " + pipeline + " --checkpoint " + shell_quote((d / "nope.ckpt").string()) + " --output " +
                       shell_quote((d / "x.npy").string()));
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Catch::Contains("no such file"));
}
