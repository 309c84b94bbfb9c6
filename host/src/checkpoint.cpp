#include "checkpoint.h"

#include <ATen/ATen.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/nn/module.h>
#include <fmt/core.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "atomic_file.h"
#include "diagnostics.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace fs = std::filesystem;

namespace {
// Format 2 checkpoints carry meta/crc32: CRC-32 (zlib) over every other entry in file order:
// its name, dtype, shape and bytes. Format 3 adds the file seal below to every tensor file.
constexpr int64_t kFormat = 3;
constexpr const char* kChecksumKey = "meta/crc32";

// The file seal. LibTorch's readers are not safe on damaged bytes: its zip reader reads past
// the end of a truncated buffer, and its unpickler reserves whatever length a damaged opcode
// states (a 27 kB checkpoint asked for 4 GB; both found by the checkpoint fuzzer). So no byte
// reaches LibTorch before it is verified: save_tensors stores the CRC-32 of the archive as the
// zip archive's comment ("ssl-host crc32 xxxxxxxx"; zip readers, torch.load included, skip
// comments), and load_tensors checks it first, then hands LibTorch the archive as it wrote it.
constexpr size_t kEndRecord = 22;  // zip end-of-central-directory record, comment length last
constexpr char kSealPrefix[] = "ssl-host crc32 ";
constexpr size_t kSealSize = sizeof(kSealPrefix) - 1 + 8;

uLong crc_bytes(uLong crc, const void* data, size_t size) {
  const auto* p = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes uInt lengths
    const auto chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = ::crc32(crc, p, chunk);
    p += chunk;
    size -= chunk;
  }
  return crc;
}

int64_t checksum(const NamedTensors& entries) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  for (const auto& [name, t] : entries) {
    if (name == kChecksumKey) continue;
    const at::Tensor c = t.detach().cpu().contiguous();
    crc = crc_bytes(crc, name.data(), name.size());
    const auto dtype = static_cast<int64_t>(c.scalar_type());
    crc = crc_bytes(crc, &dtype, sizeof(dtype));
    for (const int64_t d : c.sizes()) crc = crc_bytes(crc, &d, sizeof(d));
    crc = crc_bytes(crc, c.data_ptr(), c.nbytes());
  }
  return static_cast<int64_t>(crc);
}

StreamPosition stream_entry(const fs::path& path, const std::string& name, const at::Tensor& t) {
  SSL_CHECK(t.dim() == 1 && t.numel() == 2 && t.scalar_type() == at::kLong, path.string(), ": ", name,
            " must hold two integers (pass, batch)");
  const at::Tensor c = t.contiguous();
  return StreamPosition{c[0].item<int64_t>(), c[1].item<int64_t>()};
}
}  // namespace

namespace {
std::vector<char> seal_archive(std::vector<char> zip) {
  const size_t n = zip.size();
  SSL_CHECK(n >= kEndRecord && std::equal(zip.end() - kEndRecord, zip.end() - kEndRecord + 4, "PK\x05\x06") &&
                zip[n - 2] == 0 && zip[n - 1] == 0,
            "LibTorch wrote a tensor archive without a plain zip end record: cannot seal it");
  const auto crc = static_cast<uint32_t>(crc_bytes(::crc32(0L, Z_NULL, 0), zip.data(), n));
  const std::string seal = fmt::format("{}{:08x}", kSealPrefix, crc);
  zip[n - 2] = static_cast<char>(kSealSize & 0xff);
  zip[n - 1] = static_cast<char>(kSealSize >> 8);
  zip.insert(zip.end(), seal.begin(), seal.end());
  return zip;
}

std::vector<char> unseal_archive(std::vector<char> bytes, const std::string& what) {
  const size_t n = bytes.size();
  const bool sealed = n >= kEndRecord + kSealSize &&
                      std::equal(bytes.end() - kSealSize - kEndRecord, bytes.end() - kSealSize - kEndRecord + 4, "PK\x05\x06") &&
                      static_cast<uint8_t>(bytes[n - kSealSize - 2]) == kSealSize && bytes[n - kSealSize - 1] == 0 &&
                      std::equal(bytes.end() - kSealSize, bytes.end() - 8, kSealPrefix);
  SSL_CHECK(sealed, what, " is not a readable tensor file (truncated or corrupt?): it does not end with ssl-host's "
            "checksum record (files written before checkpoint format 3 are not read: their bytes cannot be verified)");
  uint32_t stored = 0;
  for (size_t i = n - 8; i < n; ++i) {
    const char c = bytes[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    SSL_CHECK(digit >= 0, what, " is damaged: its checksum record is not hexadecimal");
    stored = stored << 4 | static_cast<uint32_t>(digit);
  }
  bytes.resize(n - kSealSize);
  bytes[n - kSealSize - 2] = bytes[n - kSealSize - 1] = 0;
  const auto crc = static_cast<uint32_t>(crc_bytes(::crc32(0L, Z_NULL, 0), bytes.data(), bytes.size()));
  SSL_CHECK(crc == stored, what, " is damaged: its contents do not match the checksum stored with it (file checksum)");
  return bytes;
}
}  // namespace

void save_tensors(const fs::path& path, const NamedTensors& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [name, t] : tensors) dict.insert(name, t.detach().cpu().contiguous());
  write_file_atomic(path, seal_archive(torch::jit::pickle_save(c10::IValue(dict))));
}

NamedTensors load_tensors(const fs::path& path) {
  const std::vector<char> bytes = unseal_archive(read_file(path), path.string());
  c10::IValue v;
  try {
    v = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    SSL_FAIL(path.string(), " is not a readable tensor file (truncated or corrupt?): ", error_message(e).substr(0, 200));
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
  all.emplace_back("meta/format", at::tensor(kFormat));
  all.emplace_back("meta/epoch", at::tensor(c.position.epoch));
  all.emplace_back("meta/step", at::tensor(c.position.step));
  all.emplace_back("meta/step_in_epoch", at::tensor(c.position.step_in_epoch));
  for (const auto& [name, at] : c.streams)
    all.emplace_back("meta/stream/" + name, at::tensor(std::vector<int64_t>{at.pass, at.batch}));
  for (const auto& [n, t] : c.model) all.emplace_back("model/" + n, t);
  for (const auto& [n, t] : c.optimizer) all.emplace_back("optim/" + n, t);
  all.emplace_back(kChecksumKey, at::tensor(checksum(all)));
  save_tensors(path, all);
}

Checkpoint load_checkpoint(const fs::path& path) {
  Checkpoint c;
  const NamedTensors entries = load_tensors(path);
  int64_t format = 0;
  std::optional<int64_t> stored_crc;
  for (const auto& [name, t] : entries) {
    if (name == "meta/format") format = t.item<int64_t>();
    else if (name == kChecksumKey) stored_crc = t.item<int64_t>();
    else if (name == "meta/epoch") c.position.epoch = t.item<int64_t>();
    else if (name == "meta/step") c.position.step = t.item<int64_t>();
    else if (name == "meta/step_in_epoch") c.position.step_in_epoch = t.item<int64_t>();
    else if (name.rfind("meta/stream/", 0) == 0) c.streams.emplace_back(name.substr(12), stream_entry(path, name, t));
    else if (name.rfind("model/", 0) == 0) c.model.emplace_back(name.substr(6), t);
    else if (name.rfind("optim/", 0) == 0) c.optimizer.emplace_back(name.substr(6), t);
  }
  SSL_CHECK(format > 0, path.string(), " is not an ssl-host checkpoint");
  SSL_CHECK(format <= kFormat, path.string(), " is a checkpoint of format ", format, ", newer than this ssl-host's (",
            kFormat, ")");
  if (format >= 2) {
    SSL_CHECK(stored_crc.has_value(), path.string(), " is damaged: its checksum entry is missing");
    const int64_t crc = checksum(entries);
    SSL_CHECK(crc == *stored_crc, path.string(), " is damaged: its contents do not match the checksum stored with it");
  }
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

CheckpointDir::Intact CheckpointDir::load_newest_intact() const {
  const auto all = list();
  SSL_CHECK(!all.empty(), "no checkpoint in ", dir_.string());
  Intact out;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      out.checkpoint = load_checkpoint(*it);
      out.path = *it;
      break;
    } catch (const std::exception& e) {
      out.damaged.push_back({*it, error_message(e)});
    }
  }
  if (out.path.empty()) {
    std::string msg = "no intact checkpoint in " + dir_.string() + ":";
    for (const auto& d : out.damaged) msg += "\n  " + d.why;
    SSL_FAIL(msg);
  }
  // The damaged files leave the rotation (kept beside it for inspection, never loaded again).
  std::error_code ec;
  for (const auto& d : out.damaged) fs::rename(d.path, fs::path(d.path.string() + ".damaged"), ec);
  return out;
}

void CheckpointDir::prune(size_t keep) const {
  auto all = list();
  std::error_code ec;
  for (size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i], ec);
}

}  // namespace ssl::host
