#pragma once
// The plugin contract: one C entry point per plugin library.
//
//   SSL_PLUGIN_DEFINE(models, "0.1.0", register_components)
//
// exports  extern "C" const SslPluginInfo* ssl_plugin_info() noexcept.
//
// The payload is C++ (tensors, modules, vtables, std::function), so compatibility is strict
// equality of SSL_SDK_ABI_VERSION and of the build fingerprint; the host refuses anything
// else with an error naming the file, what it expected and what it found.
#include <torch/version.h>
#include <opencv2/core/version.hpp>

#include <cstdint>

#include "ssl/sdk/export.h"

// ABI bump policy. Increment SSL_SDK_ABI_VERSION in the same commit as any change to:
//  - a class or struct in ssl/sdk/*.h that crosses the boundary (members added, removed,
//    reordered or retyped; virtual functions added, removed, reordered or re-signatured);
//  - an enum's values, the order of sdk::Factory's alternatives, a factory signature;
//  - SslPluginInfo after its first field (abi_version is always first and always uint32_t).
// Adding a free function to libssl_sdk.so, an inline helper that touches no layout, or a
// new header does not need a bump. Toolchain differences (compiler major version, C++11 ABI
// flag, LibTorch and OpenCV versions) are caught by the fingerprint, not the ABI version.
#define SSL_SDK_ABI_VERSION 1u
#define SSL_SDK_VERSION "0.1.0"

#define SSL_DETAIL_STR2(x) #x
#define SSL_DETAIL_STR(x) SSL_DETAIL_STR2(x)
#if defined(__clang__)
#define SSL_DETAIL_COMPILER "clang-" SSL_DETAIL_STR(__clang_major__)
#elif defined(__GNUC__)
#define SSL_DETAIL_COMPILER "gcc-" SSL_DETAIL_STR(__GNUC__)
#else
#define SSL_DETAIL_COMPILER "unknown-compiler"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
#define SSL_DETAIL_CXXABI SSL_DETAIL_STR(_GLIBCXX_USE_CXX11_ABI)
#else
#define SSL_DETAIL_CXXABI "none"
#endif

// The build fingerprint, as seen by the translation unit that expands it.
#define SSL_SDK_FINGERPRINT                                                          \
  SSL_DETAIL_COMPILER ";cxx11abi=" SSL_DETAIL_CXXABI                                 \
  ";torch=" SSL_DETAIL_STR(TORCH_VERSION_MAJOR) "." SSL_DETAIL_STR(TORCH_VERSION_MINOR) \
  ";opencv=" SSL_DETAIL_STR(CV_VERSION_MAJOR) "." SSL_DETAIL_STR(CV_VERSION_MINOR)  \
  ";sdk-abi=" SSL_DETAIL_STR(SSL_SDK_ABI_VERSION)

namespace ssl::sdk {
class Registrar;
}

extern "C" {
struct SslPluginInfo {
  uint32_t abi_version;  // first, always: the host reads it before anything else
  const char* name;
  const char* version;
  const char* fingerprint;
  void (*register_components)(ssl::sdk::Registrar& registrar);
};
}

#define SSL_PLUGIN_ENTRY_SYMBOL "ssl_plugin_info"

#define SSL_DETAIL_PLUGIN_INFO_BODY(NAME, VERSION, REGISTER_FN)                        \
  static const SslPluginInfo info{SSL_SDK_ABI_VERSION, #NAME, VERSION, SSL_SDK_FINGERPRINT, \
                                  &REGISTER_FN};                                        \
  return &info;

#if defined(SSL_PLUGIN_STATIC_TWIN)
// The static twin: plugin.cpp compiled into a static library for unit tests. The entry point
// gets a unique C++ name so several plugins can be linked into one test executable.
#define SSL_PLUGIN_DEFINE(NAME, VERSION, REGISTER_FN)                            \
  const SslPluginInfo* ssl_static_plugin_info_##NAME() noexcept {                 \
    SSL_DETAIL_PLUGIN_INFO_BODY(NAME, VERSION, REGISTER_FN)                      \
  }
#else
#define SSL_PLUGIN_DEFINE(NAME, VERSION, REGISTER_FN)                                    \
  extern "C" SSL_PLUGIN_EXPORT const SslPluginInfo* ssl_plugin_info() noexcept {         \
    SSL_DETAIL_PLUGIN_INFO_BODY(NAME, VERSION, REGISTER_FN)                              \
  }
#endif

// Declares a static twin's entry point for a test: SSL_PLUGIN_DECLARE_STATIC(models);
#define SSL_PLUGIN_DECLARE_STATIC(NAME) const SslPluginInfo* ssl_static_plugin_info_##NAME() noexcept

namespace ssl::sdk {
// The fingerprint libssl_sdk.so itself was built with.
SSL_SDK_API const char* sdk_build_fingerprint() noexcept;
}  // namespace ssl::sdk
