#include "report/run_data.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace ssl::host::report {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Top-level keys and each section's keys, from the resolved pipeline's simple TOML.
std::map<std::string, std::string> pipeline_facts(const std::string& toml) {
  std::map<std::string, std::string> out;
  std::istringstream in(toml);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(line.find_first_not_of('['));
      section = section.substr(0, section.find(']'));
      continue;
    }
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq), value = line.substr(eq + 3);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    const std::string full = section.empty() ? key : section + "." + key;
    if (!out.count(full)) out[full] = value;  // first [[evaluators]] etc. wins
  }
  return out;
}

void add(std::map<std::string, Series>& m, const std::string& key, double x, double y) {
  Series& s = m[key];
  s.name = key;
  s.x.push_back(x);
  s.y.push_back(y);
}

void read_metrics(const fs::path& file, RunData& c) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    const double step = j.value("step", 0.0), epoch = j.value("epoch", 0.0);
    c.last_step = std::max<int64_t>(c.last_step, int64_t(step));
    if (j.contains("alarm")) { c.alarms.push_back(j); continue; }
    if (j.contains("stopped_by_alarm")) {
      c.stopped_by = j["stopped_by_alarm"].is_string() ? j["stopped_by_alarm"].get<std::string>() : "?";
      c.stopped_step = int64_t(step);
      continue;
    }
    if (j.contains("summary")) {
      const auto& s = j["summary"];
      if (!s.is_object()) continue;
      RunSummary r;
      r.wall_s = s.value("wall_s", 0.0);
      r.train_s = s.value("train_s", 0.0);
      r.eval_s = s.value("eval_s", 0.0);
      r.train_img_per_s = s.value("train_img_per_s", 0.0);
      r.steps = s.value("steps", int64_t(0));
      r.resumed = s.value("resumed", false);
      c.summary = r;
      continue;
    }
    const bool eval = j.contains("final");
    if (eval) c.last_epoch = std::max<int64_t>(c.last_epoch, int64_t(epoch));
    for (const auto& [k, v] : j.items()) {
      if (k == "step" || k == "epoch" || k == "final" || !v.is_number()) continue;
      const double y = v.get<double>();
      if (eval) {
        add(c.by_epoch, k, epoch, y);
        c.final_values[k] = y;
      } else {
        add(c.by_step, k, step, y);
      }
    }
  }
  if (c.by_step.count("loss") && !c.by_step["loss"].y.empty()) c.final_values["loss (last step)"] = c.by_step["loss"].y.back();
}

}  // namespace

std::string RunData::fact(const std::string& key, const std::string& fallback) const {
  const auto it = facts.find(key);
  return it == facts.end() ? fallback : it->second;
}

std::optional<double> RunData::final_value(const std::string& key) const {
  const auto it = final_values.find(key);
  if (it == final_values.end()) return std::nullopt;
  return it->second;
}

RunData read_run(const fs::path& run_dir) {
  RunData d;
  d.pipeline_toml = slurp(run_dir / "pipeline.resolved.toml");
  d.facts = pipeline_facts(d.pipeline_toml);
  read_metrics(run_dir / "metrics.jsonl", d);
  return d;
}

std::vector<std::vector<double>> read_csv(const fs::path& p) {
  std::vector<std::vector<double>> rows;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    bool ok = true;
    while (std::getline(ss, cell, ',')) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str()) { ok = false; break; }
      row.push_back(v);
    }
    if (ok && row.size() >= 2) rows.push_back(std::move(row));
  }
  return rows;
}

std::map<std::string, std::map<int64_t, fs::path>> epoch_files(const fs::path& dir, const std::string& extension) {
  std::map<std::string, std::map<int64_t, fs::path>> out;
  const std::regex kName(R"((.+)_epoch(\d+)\.)" + extension);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, kName)) out[m[1]][std::stoll(m[2])] = e.path();
  }
  return out;
}

Series read_xy(const fs::path& file, const std::string& name) {
  Series s;
  s.name = name;
  for (const auto& row : read_csv(file)) {
    s.x.push_back(row[0]);
    s.y.push_back(row[1]);
  }
  return s;
}

}  // namespace ssl::host::report
