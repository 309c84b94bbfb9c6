#include "npy.h"

#include <ATen/ATen.h>
#include <fmt/core.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "atomic_file.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace {
constexpr char kMagic[] = "\x93NUMPY";  // 6 bytes, then version 1.0

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the .npy writer assumes a little-endian machine");

const char* descr_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "<f4";
    case at::kDouble: return "<f8";
    case at::kLong: return "<i8";
    case at::kInt: return "<i4";
    case at::kByte: return "|u1";
    default: return nullptr;
  }
}

at::ScalarType type_of(const std::string& descr) {
  for (at::ScalarType t : {at::kFloat, at::kDouble, at::kLong, at::kInt, at::kByte})
    if (descr == descr_of(t)) return t;
  return at::ScalarType::Undefined;
}
}  // namespace

std::string npy_bytes(const at::Tensor& tensor) {
  const char* descr = descr_of(tensor.scalar_type());
  SSL_CHECK(descr != nullptr, "no .npy type for a ", tensor.scalar_type(), " tensor");
  const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
  std::string shape;
  for (int64_t d : t.sizes()) shape += std::to_string(d) + ", ";
  if (t.dim() > 1) shape.resize(shape.size() - 2);  // (N, D); a 1-D shape keeps its comma: (N,)
  else if (t.dim() == 1) shape.pop_back();
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, shape);
  const size_t prefix = 6 + 2 + 2;
  header.append(63 - (prefix + header.size()) % 64, ' ');  // ends on a 64-byte boundary with the '\n'
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  out.append(static_cast<const char*>(t.data_ptr()), bytes);
  return out;
}

void write_npy(const std::filesystem::path& file, const at::Tensor& tensor) {
  const std::string bytes = npy_bytes(tensor);
  write_file_atomic(file, std::vector<char>(bytes.begin(), bytes.end()));
}

at::Tensor read_npy(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  SSL_CHECK(in.good(), "cannot open ", file.string());
  const std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SSL_CHECK(s.size() >= 10 && s.compare(0, 6, kMagic, 6) == 0 && s[6] == 1, file.string(), ": not a version-1 .npy file");
  const size_t len = static_cast<uint8_t>(s[8]) | size_t(static_cast<uint8_t>(s[9])) << 8;
  SSL_CHECK(s.size() >= 10 + len, file.string(), ": truncated header");
  const std::string header = s.substr(10, len);
  auto field = [&](const std::string& key, char open, char close) {
    const size_t k = header.find("'" + key + "': ");
    SSL_CHECK(k != std::string::npos, file.string(), ": no '", key, "' in the header");
    const size_t a = header.find(open, k + key.size() + 4), b = header.find(close, a + 1);
    SSL_CHECK(a != std::string::npos && b != std::string::npos, file.string(), ": malformed '", key, "'");
    return header.substr(a + 1, b - a - 1);
  };
  const at::ScalarType type = type_of(field("descr", '\'', '\''));
  SSL_CHECK(type != at::ScalarType::Undefined, file.string(), ": unsupported dtype ", field("descr", '\'', '\''));
  SSL_CHECK(header.find("'fortran_order': False") != std::string::npos, file.string(), ": only C order is read");
  std::vector<int64_t> shape;
  const std::string dims = field("shape", '(', ')');
  for (size_t p = 0; p < dims.size();) {
    const size_t q = dims.find(',', p);
    const std::string d = dims.substr(p, q == std::string::npos ? std::string::npos : q - p);
    if (d.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(d));
    if (q == std::string::npos) break;
    p = q + 1;
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  const size_t bytes = static_cast<size_t>(t.numel()) * t.element_size();
  SSL_CHECK(s.size() == 10 + len + bytes, file.string(), ": ", s.size() - 10 - len, " data bytes, expected ", bytes);
  std::memcpy(t.data_ptr(), s.data() + 10 + len, bytes);
  return t;
}

}  // namespace ssl::host
