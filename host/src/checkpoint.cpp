#include "checkpoint.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/nn/module.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "ssl/sdk/error.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

void write_file_atomic(const fs::path& path, const std::vector<char>& bytes) {
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path tmp = dir / ("." + path.filename().string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SSL_CHECK(fd >= 0, "cannot create ", tmp.string(), ": ", errno_text());
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text();
      ::close(fd);
      fs::remove(tmp, ec);
      SSL_FAIL("cannot write ", path.string(), ": ", why, " (the previous file, if any, is intact)");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = errno_text();
    fs::remove(tmp, ec);
    SSL_FAIL("cannot write ", path.string(), ": ", why, " (the previous file, if any, is intact)");
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    SSL_FAIL("cannot move ", tmp.string(), " to ", path.string(), ": ", ec.message());
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<char> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  SSL_CHECK(in.good(), "cannot open ", path.string());
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void save_tensors(const fs::path& path, const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().cpu().contiguous());
  write_file_atomic(path, torch::jit::pickle_save(c10::IValue(dict)));
}

NamedTensors load_tensors(const fs::path& path) {
  const std::vector<char> bytes = read_file(path);
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    SSL_FAIL(path.string(),
             " is not a readable tensor file (truncated or corrupt?): ", std::string(e.what()).substr(0, 200));
  }
  SSL_CHECK(v.isGenericDict(), path.string(), " does not hold a dict of tensors");
  NamedTensors out;
  for (const auto& item : v.toGenericDict()) {
    SSL_CHECK(item.key().isString() && item.value().isTensor(), path.string(), " holds a non-tensor entry");
    out.emplace_back(item.key().toStringRef(), item.value().toTensor());
  }
  return out;
}

void save_checkpoint(const fs::path& path, const Checkpoint& c) {
  NamedTensors all;
  all.emplace_back("meta/format", at::tensor(int64_t{1}));
  all.emplace_back("meta/epoch", at::tensor(c.position.epoch));
  all.emplace_back("meta/step", at::tensor(c.position.step));
  all.emplace_back("meta/step_in_epoch", at::tensor(c.position.step_in_epoch));
  for (const auto& [n, t] : c.model) all.emplace_back("model/" + n, t);
  for (const auto& [n, t] : c.optimizer) all.emplace_back("optim/" + n, t);
  save_tensors(path, all);
}

Checkpoint load_checkpoint(const fs::path& path) {
  Checkpoint c;
  bool has_format = false;
  for (auto& [name, t] : load_tensors(path)) {
    if (name == "meta/format") has_format = true;
    else if (name == "meta/epoch") c.position.epoch = t.item<int64_t>();
    else if (name == "meta/step") c.position.step = t.item<int64_t>();
    else if (name == "meta/step_in_epoch") c.position.step_in_epoch = t.item<int64_t>();
    else if (name.rfind("model/", 0) == 0) c.model.emplace_back(name.substr(6), t);
    else if (name.rfind("optim/", 0) == 0) c.optimizer.emplace_back(name.substr(6), t);
  }
  SSL_CHECK(has_format, path.string(), " is not an ssl-host checkpoint");
  return c;
}

NamedTensors module_state(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(true)) out.emplace_back(p.key(), p.value().detach().cpu());
  for (const auto& b : module.named_buffers(true)) out.emplace_back(b.key(), b.value().detach().cpu());
  return out;
}

void load_module_state(torch::nn::Module& module, const NamedTensors& state, const std::string& what) {
  at::NoGradGuard no_grad;
  std::map<std::string, at::Tensor> targets;
  for (auto& p : module.named_parameters(true)) targets[p.key()] = p.value();
  for (auto& b : module.named_buffers(true)) targets[b.key()] = b.value();
  std::vector<std::string> problems;
  size_t matched = 0;
  for (const auto& [name, t] : state) {
    auto it = targets.find(name);
    if (it == targets.end()) {
      problems.push_back("unexpected entry '" + name + "'");
      continue;
    }
    if (it->second.sizes() != t.sizes()) {
      problems.push_back("'" + name + "' has shape " + c10::str(t.sizes()) + ", the model has " +
                         c10::str(it->second.sizes()));
      continue;
    }
    it->second.copy_(t);
    ++matched;
  }
  if (matched != targets.size())
    problems.push_back(std::to_string(targets.size() - matched) + " model entries missing");
  if (!problems.empty()) {
    std::string msg = what + " does not match the model:";
    for (size_t i = 0; i < std::min<size_t>(problems.size(), 5); ++i) msg += "\n  " + problems[i];
    SSL_FAIL(msg);
  }
}

fs::path CheckpointDir::path_for(const TrainPosition& p) const {
  char name[64];
  std::snprintf(name, sizeof(name), "step_%09lld.ckpt", static_cast<long long>(p.step));
  return dir_ / name;
}

std::vector<fs::path> CheckpointDir::list() const {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string n = e.path().filename().string();
    if (e.is_regular_file() && n.rfind("step_", 0) == 0 && e.path().extension() == ".ckpt") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path CheckpointDir::latest() const {
  auto all = list();
  return all.empty() ? fs::path() : all.back();
}

void CheckpointDir::prune(size_t keep) const {
  auto all = list();
  std::error_code ec;
  for (size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i], ec);
}

}  // namespace ssl::host
