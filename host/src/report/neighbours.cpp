#include "report/neighbours.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <fstream>
#include <map>

#include "atomic_file.h"
#include "report/images.h"
#include "report/run_data.h"
#include "report/svg_plot.h"
#include "ssl/sdk/error.h"

namespace ssl::host::report {

namespace fs = std::filesystem;

namespace {

nlohmann::json picture(const DatasetView& data, int64_t position, int64_t label) {
  const cv::Mat thumb = thumbnail(data.get(position).image, kThumbnailSide);
  return {{"index", position}, {"label", label}, {"label_name", data.class_name(label)}, {"image", png_data_uri(thumb)}};
}
}  // namespace

std::vector<int64_t> pick_queries(const at::Tensor& labels, int64_t count) {
  const at::Tensor l = labels.to(at::kCPU, at::kLong).contiguous();
  const int64_t n = l.numel();
  const auto* lab = l.data_ptr<int64_t>();
  std::vector<int64_t> order;                        // classes by first appearance
  std::map<int64_t, std::vector<int64_t>> rows;      // class -> its rows, in order
  for (int64_t i = 0; i < n; ++i) {
    auto& r = rows[lab[i]];
    if (r.empty()) order.push_back(lab[i]);
    if (static_cast<int64_t>(r.size()) < count) r.push_back(i);
  }
  std::vector<int64_t> out;
  for (size_t round = 0; static_cast<int64_t>(out.size()) < std::min(count, n); ++round)
    for (int64_t c : order)
      if (round < rows[c].size() && static_cast<int64_t>(out.size()) < count) out.push_back(rows[c][round]);
  return out;
}

nlohmann::json nearest_neighbours(const sdk::Features& bank, const sdk::Features& queries, const DatasetView& train,
                                  const DatasetView& test, int64_t epoch) {
  SSL_CHECK(bank.values.size(0) > 0 && queries.values.size(0) > 0, "nearest neighbours need features of both splits");
  auto unit = [](const at::Tensor& x) {
    const at::Tensor f = x.reshape({x.size(0), -1}).to(at::kFloat);
    return f / f.norm(2, {1}, true).clamp_min(1e-12);
  };
  const std::vector<int64_t> rows = pick_queries(queries.labels, kNeighbourQueries);
  const at::Tensor q = unit(queries.values.index_select(0, at::tensor(rows, at::kLong)));
  const at::Tensor sim = at::matmul(q, unit(bank.values).t());  // [Q, Nb]
  const int64_t k = std::min<int64_t>(kNeighboursShown, bank.values.size(0));
  const auto top = sim.topk(k, 1);
  const at::Tensor values = std::get<0>(top).contiguous(), which = std::get<1>(top).contiguous();
  const at::Tensor bank_index = bank.indices.to(at::kLong).contiguous(), bank_label = bank.labels.to(at::kLong).contiguous();
  const at::Tensor query_index = queries.indices.to(at::kLong).contiguous(), query_label = queries.labels.to(at::kLong).contiguous();

  nlohmann::json record{{"epoch", epoch}, {"bank_size", bank.values.size(0)}, {"dim", q.size(1)},
                        {"queries", nlohmann::json::array()}};
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t r = rows[i];
    nlohmann::json entry = picture(test, query_index[r].item<int64_t>(), query_label[r].item<int64_t>());
    entry["neighbours"] = nlohmann::json::array();
    for (int64_t j = 0; j < k; ++j) {
      const int64_t b = which[static_cast<int64_t>(i)][j].item<int64_t>();
      nlohmann::json n = picture(train, bank_index[b].item<int64_t>(), bank_label[b].item<int64_t>());
      n["similarity"] = values[static_cast<int64_t>(i)][j].item<double>();
      entry["neighbours"].push_back(std::move(n));
    }
    record["queries"].push_back(std::move(entry));
  }
  return record;
}

fs::path write_neighbours(const nlohmann::json& record, const fs::path& run_dir) {
  const fs::path path = run_dir / "neighbours" / fmt::format("test_knn_epoch{:03}.json", record.value("epoch", 0));
  const std::string text = record.dump();
  write_file_atomic(path, std::vector<char>(text.begin(), text.end()));
  return path;
}

nlohmann::json read_neighbours(const fs::path& run_dir) {
  const auto files = epoch_files(run_dir / "neighbours", "json");
  const auto it = files.find("test_knn");
  if (it == files.end() || it->second.empty()) return nullptr;
  std::ifstream in(it->second.rbegin()->second, std::ios::binary);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.contains("queries") || !j["queries"].is_array()) return nullptr;
  return j;
}

std::string neighbours_grid(const nlohmann::json& record, int64_t top) {
  auto cell = [](const nlohmann::json& p, const std::string& extra, bool mismatch) {
    const std::string uri = p.value("image", "");
    const std::string name = p.value("label_name", "");
    std::string img;
    if (uri.rfind("data:image/png;base64,", 0) == 0)  // only inline images: the page stays self-contained
      img = fmt::format("<img src=\"{}\" width=\"56\" height=\"56\" alt=\"{}\" title=\"{}\">", uri, xml_escape(name),
                        xml_escape(name + " #" + std::to_string(p.value("index", -1))));
    return std::string(mismatch ? "<td class=\"mismatch\">" : "<td>") + img + xml_escape(name) + extra + "</td>";
  };
  std::string h = "<table class=\"pics\">\n";
  int64_t shown = 0;
  for (const auto& q : record.value("queries", nlohmann::json::array())) {
    if (top > 0 && shown++ >= top) break;
    const int64_t label = q.value("label", int64_t{-1});
    h += "<tr>" + cell(q, "<br><b>test query</b>", false) + "<td></td>";
    for (const auto& n : q.value("neighbours", nlohmann::json::array())) {
      const int64_t nl = n.value("label", int64_t{-1});
      h += cell(n, fmt::format("<br>{:.3f}", n.value("similarity", 0.0)), label >= 0 && nl >= 0 && nl != label);
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace ssl::host::report
