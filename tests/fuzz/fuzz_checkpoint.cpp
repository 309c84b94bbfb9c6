// libFuzzer target: the checkpoint reader (load_checkpoint: the tensor container, the
// format and position entries, the checksum). Input: the bytes of a .ckpt file.
#include "checkpoint.h"
#include "diagnostics.h"
#include "fuzz_util.h"
#include "ssl/sdk/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ssl::fuzz::scratch("checkpoint") / "step_000000001.ckpt";
  ssl::fuzz::write_bytes(path, data, size);
  try {
    const ssl::host::Checkpoint c = ssl::host::load_checkpoint(path);
    (void)c;
  } catch (const ssl::sdk::Error& e) {
    ssl::fuzz::expect_message(e.what());
  }
  return 0;
}
