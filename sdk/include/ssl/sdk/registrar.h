#pragma once
// What a plugin's register_components() talks to. Every component is listed explicitly,
// one line each: name and one-line doc. There are no self-registering statics.
//
//   void register_components(ssl::sdk::Registrar& r) {
//     r.add_method<SimCLR>("simclr", "SimCLR: NT-Xent over the 2N projected views");
//   }
//
// add_<kind><T> needs of T (a subclass of the kind's interface):
//   T(const sdk::Config& cfg, const sdk::BuildContext& ctx);  // the factory: make_shared<T>
//   static sdk::Schema schema();                              // the keys cfg holds
// and, for methods only, optionally
//   static sdk::ViewSpec views(const sdk::Config& cfg);       // default: ViewSpec{} (2 views)
//   static bool uses_labels(const sdk::Config& cfg);          // default: false (self-supervised)
//   static bool uses_target_domain(const sdk::Config& cfg);   // default: false (one domain)
// A method that declares uses_labels() true trains on Batch::labels (a supervised baseline):
// the host refuses a training split without labels. Every other method gets Batch::labels
// undefined and labels of -1 from the epoch hooks' FeatureSource: it never sees a label.
// A method that declares uses_target_domain() true trains on two domains (domain adaptation):
// the pipeline must pair a labelled [data.source] with an unlabelled [data.target], and every
// Batch carries a target batch (Batch::target_views); any other method refuses [data.target].
// The add_<kind>(name, factory, schema, doc) forms take a hand-written factory instead.
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "ssl/sdk/config.h"
#include "ssl/sdk/context.h"
#include "ssl/sdk/export.h"
#include "ssl/sdk/schema.h"
#include "ssl/sdk/types.h"

namespace ssl::sdk {

class Dataset;
class Augmentation;
class Backbone;
class Method;
class Evaluator;

template <class T>
using FactoryOf = std::function<std::shared_ptr<T>(const Config&, const BuildContext&)>;
using DatasetFactory = FactoryOf<Dataset>;
using AugmentationFactory = FactoryOf<Augmentation>;
using BackboneFactory = FactoryOf<Backbone>;
using MethodFactory = FactoryOf<Method>;
using EvaluatorFactory = FactoryOf<Evaluator>;
// The alternative's index is the component's Kind.
using Factory = std::variant<DatasetFactory, AugmentationFactory, BackboneFactory, MethodFactory,
                             EvaluatorFactory>;

// The views of a method, from its Config (see ViewSpec).
using ViewsFunction = std::function<ViewSpec(const Config&)>;
// A yes/no property of a method, from its Config: uses_labels, uses_target_domain (above).
using ConfigPredicate = std::function<bool(const Config&)>;

struct ComponentSpec {
  std::string name;
  std::string doc;
  Schema schema;
  Factory factory;
  ViewsFunction views;         // methods: empty means ViewSpec{}; other kinds: empty
  ConfigPredicate uses_labels;         // methods: empty means false; other kinds: empty
  ConfigPredicate uses_target_domain;  // methods: empty means false; other kinds: empty
  Kind kind() const { return static_cast<Kind>(factory.index()); }
  ViewSpec views_for(const Config& config) const { return views ? views(config) : ViewSpec{}; }
  bool uses_labels_for(const Config& config) const { return uses_labels && uses_labels(config); }
  bool uses_target_domain_for(const Config& config) const {
    return uses_target_domain && uses_target_domain(config);
  }
};

namespace detail {
template <class T, class = void>
struct HasStaticViews : std::false_type {};
template <class T>
struct HasStaticViews<T, std::void_t<decltype(T::views(std::declval<const Config&>()))>>
    : std::is_convertible<decltype(T::views(std::declval<const Config&>())), ViewSpec> {};
template <class T, class = void>
struct HasStaticUsesLabels : std::false_type {};
template <class T>
struct HasStaticUsesLabels<T, std::void_t<decltype(T::uses_labels(std::declval<const Config&>()))>>
    : std::is_convertible<decltype(T::uses_labels(std::declval<const Config&>())), bool> {};
template <class T, class = void>
struct HasStaticUsesTargetDomain : std::false_type {};
template <class T>
struct HasStaticUsesTargetDomain<T, std::void_t<decltype(T::uses_target_domain(std::declval<const Config&>()))>>
    : std::is_convertible<decltype(T::uses_target_domain(std::declval<const Config&>())), bool> {};
}  // namespace detail

class SSL_SDK_API Registrar {
 public:
  virtual ~Registrar();
  virtual void add(ComponentSpec spec) = 0;

  template <class T>
  void add_dataset(std::string name, std::string doc) {
    add_class<Dataset, T, Kind::Dataset>(std::move(name), std::move(doc));
  }
  template <class T>
  void add_augmentation(std::string name, std::string doc) {
    add_class<Augmentation, T, Kind::Augmentation>(std::move(name), std::move(doc));
  }
  template <class T>
  void add_backbone(std::string name, std::string doc) {
    add_class<Backbone, T, Kind::Backbone>(std::move(name), std::move(doc));
  }
  // Also records T::views, T::uses_labels and T::uses_target_domain when T declares them.
  template <class T>
  void add_method(std::string name, std::string doc) {
    ViewsFunction views;
    if constexpr (detail::HasStaticViews<T>::value) views = [](const Config& c) { return ViewSpec(T::views(c)); };
    ConfigPredicate labels, target;
    if constexpr (detail::HasStaticUsesLabels<T>::value) labels = [](const Config& c) { return bool(T::uses_labels(c)); };
    if constexpr (detail::HasStaticUsesTargetDomain<T>::value)
      target = [](const Config& c) { return bool(T::uses_target_domain(c)); };
    add_class<Method, T, Kind::Method>(std::move(name), std::move(doc), std::move(views), std::move(labels),
                                       std::move(target));
  }
  template <class T>
  void add_evaluator(std::string name, std::string doc) {
    add_class<Evaluator, T, Kind::Evaluator>(std::move(name), std::move(doc));
  }

  void add_dataset(std::string name, DatasetFactory f, Schema s, std::string doc) {
    add_spec<Kind::Dataset>(std::move(name), std::move(doc), std::move(s), std::move(f));
  }
  void add_augmentation(std::string name, AugmentationFactory f, Schema s, std::string doc) {
    add_spec<Kind::Augmentation>(std::move(name), std::move(doc), std::move(s), std::move(f));
  }
  void add_backbone(std::string name, BackboneFactory f, Schema s, std::string doc) {
    add_spec<Kind::Backbone>(std::move(name), std::move(doc), std::move(s), std::move(f));
  }
  void add_method(std::string name, MethodFactory f, Schema s, std::string doc, ViewsFunction views = {},
                  ConfigPredicate uses_labels = {}, ConfigPredicate uses_target_domain = {}) {
    add_spec<Kind::Method>(std::move(name), std::move(doc), std::move(s), std::move(f), std::move(views),
                           std::move(uses_labels), std::move(uses_target_domain));
  }
  void add_evaluator(std::string name, EvaluatorFactory f, Schema s, std::string doc) {
    add_spec<Kind::Evaluator>(std::move(name), std::move(doc), std::move(s), std::move(f));
  }

 private:
  template <Kind K, class F>
  void add_spec(std::string name, std::string doc, Schema schema, F factory, ViewsFunction views = {},
                ConfigPredicate uses_labels = {}, ConfigPredicate uses_target_domain = {}) {
    ComponentSpec spec;
    spec.name = std::move(name);
    spec.doc = std::move(doc);
    spec.schema = std::move(schema);
    spec.factory = Factory(std::in_place_index<static_cast<size_t>(K)>, std::move(factory));
    spec.views = std::move(views);
    spec.uses_labels = std::move(uses_labels);
    spec.uses_target_domain = std::move(uses_target_domain);
    add(std::move(spec));
  }

  template <class Base, class T, Kind K>
  void add_class(std::string name, std::string doc, ViewsFunction views = {}, ConfigPredicate uses_labels = {},
                 ConfigPredicate uses_target_domain = {}) {
    static_assert(std::is_base_of_v<Base, T>, "the component class must derive from its kind's interface");
    static_assert(std::is_constructible_v<T, const Config&, const BuildContext&>,
                  "the component class needs a constructor T(const sdk::Config&, const sdk::BuildContext&)");
    FactoryOf<Base> factory = [](const Config& c, const BuildContext& ctx) -> std::shared_ptr<Base> {
      return std::make_shared<T>(c, ctx);
    };
    add_spec<K>(std::move(name), std::move(doc), T::schema(), std::move(factory), std::move(views),
                std::move(uses_labels), std::move(uses_target_domain));
  }
};

}  // namespace ssl::sdk
