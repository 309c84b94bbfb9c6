// Default sanitizer options, compiled into the executables of a -DSSL_SANITIZE build (the
// environment's ASAN_OPTIONS / UBSAN_OPTIONS still override them). Built into the binary so
// that every way of running it agrees: ctest, Catch2 test discovery at build time, by hand.
//   detect_leaks=0      LibTorch keeps its global state (allocators, registries, thread pools)
//                       alive until exit on purpose; LeakSanitizer would report it every run.
//   print_stacktrace=1  a UBSan report says where it came from.
extern "C" {
__attribute__((visibility("default"), used)) const char* __asan_default_options() {
  return "detect_leaks=0:abort_on_error=0";
}
__attribute__((visibility("default"), used)) const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
}
