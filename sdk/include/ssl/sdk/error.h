#pragma once
// Errors crossing the plugin boundary. Plugin code throws ssl::sdk::Error (or lets a
// c10::Error escape); the host catches both at stage boundaries and adds context such as
// "[method simclr | epoch 3 step 120]".
#include <atomic>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

#include "ssl/sdk/export.h"

namespace ssl::sdk {

class SSL_SDK_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  ~Error() override;
};

// Thrown where long work checks for a stop that SIGINT/SIGTERM requested (throw_if_stopped):
// the host abandons what was under way (an evaluation round, an epoch hook), checkpoints and
// exits as interrupted. Plugin code lets it pass (catch ssl::sdk::Error only to rethrow it).
class SSL_SDK_API Interrupted : public Error {
 public:
  using Error::Error;
  ~Interrupted() override;
};

// Throws Interrupted when `stop` (the host's stop flag; may be null) is set. Cheap: one
// relaxed atomic load, so it can be called once per batch.
inline void throw_if_stopped(const std::atomic<bool>* stop) {
  if (stop && stop->load(std::memory_order_relaxed)) throw Interrupted("stopped by a signal");
}

namespace detail {
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

}  // namespace ssl::sdk

// SSL_CHECK(cond, "message", values...): throws ssl::sdk::Error with the pieces concatenated.
#define SSL_CHECK(cond, ...)                                                        \
  do {                                                                              \
    if (!(cond)) throw ::ssl::sdk::Error(::ssl::sdk::detail::concat(__VA_ARGS__));  \
  } while (false)

// SSL_FAIL("message", values...): unconditional error.
#define SSL_FAIL(...) throw ::ssl::sdk::Error(::ssl::sdk::detail::concat(__VA_ARGS__))
