// configure_threads: torch's thread count and one OpenBLAS thread per torch thread.
#include <ATen/Parallel.h>
#include <catch2/catch.hpp>
#include <dlfcn.h>

#include <cstdlib>

#include "runtime.h"

TEST_CASE("configure_threads sets torch's threads and leaves OpenBLAS one thread of its own") {
  using GetThreads = int (*)();
  auto* get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  ssl::host::configure_threads(2);
  CHECK(at::get_num_threads() == 2);
  // The project's stack is Debian's torch on OpenBLAS (./dev installs libopenblas0-pthread).
  INFO("torch's BLAS here is not OpenBLAS: install libopenblas0-pthread");
  REQUIRE(get != nullptr);
  if (std::getenv("OPENBLAS_NUM_THREADS") == nullptr) CHECK(get() == 1);
}
