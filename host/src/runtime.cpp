#include "runtime.h"

#include <dlfcn.h>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include <opencv2/core/utility.hpp>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "diagnostics.h"
#include "ssl/sdk/backbone.h"
#include "ssl/sdk/error.h"

namespace ssl::host {

namespace fs = std::filesystem;

void rethrow_with_context(const std::string& what, const std::string& stage) {
  const std::string prefix = "[" + what + " | " + stage + "] ";
  try {
    throw;
  } catch (const sdk::Interrupted&) {
    throw;
  } catch (const c10::Error& e) {
    throw sdk::Error(prefix + e.what_without_backtrace());
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    throw sdk::Error(prefix + e.what());
  }
}

c10::Device select_device(const std::string& requested) {
  if (requested == "cpu") return c10::Device(c10::kCPU);
  const bool cuda = at::hasCUDA();
  if (requested == "cuda") {
    SSL_CHECK(cuda, "device = \"cuda\" but this LibTorch build or machine has no CUDA device");
    return c10::Device(c10::kCUDA, 0);
  }
  return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
}

std::string openmp_wait_setting() {
  std::string out;
  for (const char* name : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"}) {
    if (const char* v = std::getenv(name)) out += (out.empty() ? "" : ", ") + std::string(name) + "=" + v;
  }
  return out.empty() ? "libgomp's default" : out;
}

void configure_threads(int64_t threads) {
  // "auto": the cores, shared among the processes of a multi-process run on this host.
  int64_t local_processes = 1;
  if (const char* v = std::getenv("LOCAL_WORLD_SIZE"); v && std::atoll(v) > 1) local_processes = std::atoll(v);
  const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
  const auto n = threads > 0 ? threads : std::max<int64_t>(1, cores / local_processes);
  at::set_num_threads(static_cast<int>(n));
  // Loader threads are the parallelism of the data path; OpenCV's own thread pool inside
  // them would only oversubscribe the cores.
  cv::setNumThreads(1);
  single_threaded_blas();
}

void single_threaded_blas() {
  // Debian's torch calls the system BLAS (OpenBLAS, pthread build) from inside its own OpenMP
  // threads; OpenBLAS then starts threads of its own and the two pools fight over the cores:
  // one BLAS thread measured 13% faster training steps here (bench/RESULTS.md). An explicit
  // OPENBLAS_NUM_THREADS wins; another BLAS without the symbol is left alone.
  if (std::getenv("OPENBLAS_NUM_THREADS") != nullptr) return;
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
}

namespace {
uint64_t role_seed(uint64_t seed, const std::string& role) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : role) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return seed ^ h;
}

template <class T>
std::shared_ptr<T> make(const Registry& registry, const ComponentConfig& c, sdk::BuildContext ctx) {
  ctx.role = c.role;
  const uint64_t base_seed = ctx.seed;
  ctx.seed = role_seed(base_seed, c.role);
  try {
    auto obj = registry.create<T>(*c.entry, c.config, ctx);
    SSL_CHECK(obj != nullptr, "the factory returned nothing");
    return obj;
  } catch (...) {
    rethrow_with_context(std::string(sdk::kind_name(c.entry->kind())) + " " + c.type(), "build " + c.role);
  }
}

// The classes of the training split for a method that trains on labels, and in `present` the
// labels that occur, ascending: refuses a split with no labels or with an unlabelled (-1) or
// out-of-range sample, naming the first one.
int64_t training_classes(const DatasetView& train, const Pipeline& p, std::vector<int64_t>& present) {
  const std::string who = "method " + p.method.type() + " trains on labels (uses_labels)";
  const std::string where = "the training split [" + p.train_data.role + "] (dataset " + p.train_data.type() + ")";
  int64_t classes = train.info().num_classes;
  int64_t unlabelled = 0, first = -1;
  for (int64_t i = 0; i < train.size(); ++i) {
    const int64_t y = train.label(i);
    if (y < 0 && unlabelled++ == 0) first = i;
    if (train.info().num_classes == 0) classes = std::max(classes, y + 1);
  }
  if (classes == 0)
    throw ConfigError({Diagnostic{p.method.pos, who + ", but " + where + " has no labels"}});
  if (unlabelled > 0)
    throw ConfigError({Diagnostic{p.method.pos, who + ", but " + std::to_string(unlabelled) + " of the " +
                                                    std::to_string(train.size()) + " samples of " + where +
                                                    " have no label (the first: sample " + std::to_string(first) + ")"}});
  std::vector<bool> seen(static_cast<size_t>(classes), false);
  for (int64_t i = 0; i < train.size(); ++i) {
    if (train.label(i) >= classes)
      throw ConfigError({Diagnostic{p.method.pos, who + ", but sample " + std::to_string(i) + " of " + where +
                                                      " has label " + std::to_string(train.label(i)) +
                                                      ", outside the dataset's " + std::to_string(classes) +
                                                      " classes"}});
    seen[static_cast<size_t>(train.label(i))] = true;
  }
  present.clear();
  for (int64_t c = 0; c < classes; ++c)
    if (seen[static_cast<size_t>(c)]) present.push_back(c);
  return classes;
}

std::vector<std::shared_ptr<sdk::Augmentation>> make_ops(const Registry& r, const std::vector<ComponentConfig>& ops,
                                                         const sdk::BuildContext& ctx) {
  std::vector<std::shared_ptr<sdk::Augmentation>> out;
  for (const auto& op : ops) out.push_back(make<sdk::Augmentation>(r, op, ctx));
  return out;
}

// One chain per view of the groups, in order ("view group 1 (local)" in errors; `domain` names
// the target's groups apart).
std::vector<ViewChain> make_chains(const Registry& r, const std::vector<ViewGroup>& groups, const sdk::BuildContext& ctx,
                                   const std::string& domain) {
  std::vector<ViewChain> chains;
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    auto ops = make_ops(r, group.ops, ctx);
    for (int64_t v = 0; v < group.count; ++v) {
      ViewChain chain;
      chain.ops = ops;
      chain.group = static_cast<int64_t>(g);
      chain.label = domain + "view group " + std::to_string(g) + (group.name.empty() ? "" : " (" + group.name + ")");
      chains.push_back(std::move(chain));
    }
  }
  return chains;
}
}  // namespace

Runtime build_runtime(const Pipeline& p, const Registry& registry, const fs::path& run_dir,
                      std::shared_ptr<sdk::Comm> comm) {
  Runtime rt;
  rt.pipeline = &p;
  rt.run_dir = run_dir;
  rt.seed = static_cast<uint64_t>(p.settings.get_int("seed"));
  rt.device = select_device(p.settings.get_string("device"));
  configure_threads(p.settings.get_int("threads"));
  at::manual_seed(rt.seed);  // parameter initialisation is part of the seeded run
  rt.comm = comm ? std::move(comm) : sdk::make_local_comm();

  sdk::BuildContext ctx;
  ctx.base_dir = p.base_dir();
  ctx.run_dir = run_dir;
  ctx.seed = rt.seed;
  ctx.device = rt.device;
  ctx.comm = rt.comm;

  auto make_view = [&](const ComponentConfig& c) {
    auto ds = make<sdk::Dataset>(registry, c, ctx);
    try {
      return std::make_shared<DatasetView>(ds, c.common, role_seed(rt.seed, c.role), "dataset " + c.type() + " [" + c.role + "]");
    } catch (...) {
      rethrow_with_context("dataset " + c.type(), "load " + c.role);
    }
  };
  rt.train = make_view(p.train_data);
  if (p.target_data) rt.target = make_view(*p.target_data);
  if (p.test_data) rt.test = make_view(*p.test_data);
  if (p.eval_train_data) rt.eval_train = make_view(*p.eval_train_data);

  rt.train_chains = make_chains(registry, p.views, ctx, p.two_domains() ? "source " : "");
  if (p.two_domains()) rt.target_chains = make_chains(registry, p.target_view_groups(), ctx, "target ");
  ViewChain eval;
  eval.ops = make_ops(registry, p.eval_ops, ctx);
  eval.label = "the evaluation transform (eval_ops)";
  rt.eval_chain.push_back(std::move(eval));

  // Input geometry for the backbone: channels from the data, size from the first view.
  ctx.input_channels = rt.train->info().channels;
  ctx.train_size = rt.train->size();
  if (rt.target) ctx.target_size = rt.target->size();
  rt.uses_labels = method_uses_labels(p);
  if (rt.uses_labels) ctx.num_classes = training_classes(*rt.train, p, ctx.class_ids);
  try {
    sdk::Rng rng(rt.seed);
    cv::Mat probe = rt.train->get(0).image;
    if (!rt.train_chains.empty())
      for (const auto& op : rt.train_chains.front().ops) probe = op->apply(probe, rng);
    ctx.input_channels = probe.channels();
    ctx.input_size = probe.rows;
  } catch (...) {
    rethrow_with_context("views", "first image");
  }

  const ComponentConfig& backbone_cfg = p.backbone;
  ctx.make_backbone = [&registry, &backbone_cfg, ctx]() { return make<sdk::Backbone>(registry, backbone_cfg, ctx); };
  rt.method = make<sdk::Method>(registry, p.method, ctx);
  ctx.make_backbone = nullptr;
  try {
    SSL_CHECK(rt.method->backbone() != nullptr, "the method has no backbone");
    rt.method->to(rt.device);
  } catch (...) {
    rethrow_with_context("method " + p.method.type(), "build method");
  }

  // resolve_pipeline checked the view count against the method's declared views
  // (check_view_count); a method with its own transform must have declared it there.
  try {
    const bool own = rt.method->sample_transform() != nullptr;
    SSL_CHECK(own == method_views(p).own_transform, "the method ",
              own ? "supplies a sample_transform() but its static views() does not set own_transform"
                  : "declares own_transform in its static views() but supplies no sample_transform()");
  } catch (...) {
    rethrow_with_context("method " + p.method.type(), "build method");
  }

  std::map<std::string, int> seen;
  for (const auto& e : p.evaluators) {
    NamedEvaluator ne;
    const int n = ++seen[e.type()];
    ne.name = n == 1 ? e.type() : e.type() + "_" + std::to_string(n);
    ne.every = e.common.get_int("every");
    ne.evaluator = make<sdk::Evaluator>(registry, e, ctx);
    rt.evaluators.push_back(std::move(ne));
  }
  return rt;
}

}  // namespace ssl::host
