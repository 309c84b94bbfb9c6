#pragma once
// NumPy's .npy format (version 1.0) for tensors handed to Python: `numpy.load(path)` reads
// them with no other package. float32, float64, int64, int32 and uint8, C order, little endian.
#include <ATen/core/Tensor.h>

#include <filesystem>
#include <string>

namespace ssl::host {

// The file's bytes: the magic, the header dict padded to a multiple of 64 bytes, the data.
std::string npy_bytes(const at::Tensor& tensor);

// npy_bytes written atomically (write_file_atomic).
void write_npy(const std::filesystem::path& file, const at::Tensor& tensor);

// Reads a file npy_bytes wrote (the same dtypes), for tests and tools; throws sdk::Error
// naming the file on anything else.
at::Tensor read_npy(const std::filesystem::path& file);

}  // namespace ssl::host
