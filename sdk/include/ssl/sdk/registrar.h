#pragma once
// What a plugin's register_components() talks to. Every component is listed explicitly,
// one line each: name, factory, schema, one-line doc. There are no self-registering statics.
//
//   void register_components(ssl::sdk::Registrar& r) {
//     r.add_method("simclr", &make_simclr, simclr_schema(), "SimCLR: NT-Xent over 2N views");
//   }
#include <functional>
#include <memory>
#include <string>
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

struct ComponentSpec {
  std::string name;
  std::string doc;
  Schema schema;
  Factory factory;
  Kind kind() const { return static_cast<Kind>(factory.index()); }
};

class SSL_SDK_API Registrar {
 public:
  virtual ~Registrar();
  virtual void add(ComponentSpec spec) = 0;

  void add_dataset(std::string name, DatasetFactory f, Schema s, std::string doc) {
    add({std::move(name), std::move(doc), std::move(s), Factory(std::in_place_index<0>, std::move(f))});
  }
  void add_augmentation(std::string name, AugmentationFactory f, Schema s, std::string doc) {
    add({std::move(name), std::move(doc), std::move(s), Factory(std::in_place_index<1>, std::move(f))});
  }
  void add_backbone(std::string name, BackboneFactory f, Schema s, std::string doc) {
    add({std::move(name), std::move(doc), std::move(s), Factory(std::in_place_index<2>, std::move(f))});
  }
  void add_method(std::string name, MethodFactory f, Schema s, std::string doc) {
    add({std::move(name), std::move(doc), std::move(s), Factory(std::in_place_index<3>, std::move(f))});
  }
  void add_evaluator(std::string name, EvaluatorFactory f, Schema s, std::string doc) {
    add({std::move(name), std::move(doc), std::move(s), Factory(std::in_place_index<4>, std::move(f))});
  }
};

}  // namespace ssl::sdk
