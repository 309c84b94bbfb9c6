#include "ssl/sdk/backbone.h"

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/log.h"

namespace ssl::sdk {

int64_t input_channels(const Config& cfg, const BuildContext& ctx) {
  const int64_t given = cfg.get_int("in_channels");
  if (given > 0) return given;
  if (ctx.input_channels > 0) return ctx.input_channels;
  log_warning(cfg.context() + ": in_channels = 0 and the input channels are not known yet; assuming 3");
  return 3;
}

}  // namespace ssl::sdk
