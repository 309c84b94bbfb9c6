#pragma once
// Schemas of the pipeline sections the host owns. They use the same sdk::Schema mechanism
// as components, so validation, `describe` and the resolved pipeline treat both alike.
#include "ssl/sdk/schema.h"
#include "ssl/sdk/types.h"

namespace ssl::host {

const sdk::Schema& pipeline_schema();   // top-level keys: name, seed, device, threads
const sdk::Schema& data_schema();       // [data]: batch size, workers, prefetch
const sdk::Schema& view_group_schema(); // [[views]]: count, name
const sdk::Schema& optimizer_schema();  // [optimizer]
const sdk::Schema& schedule_schema();   // [schedule]
const sdk::Schema& trainer_schema();    // [trainer]
const sdk::Schema& alarms_schema();     // [alarms] (see alarms.h for the watched metrics)
// Keys the host adds to every component table of a kind (dataset subsetting, evaluator
// cadence); empty for the other kinds.
const sdk::Schema& common_component_schema(sdk::Kind kind);

}  // namespace ssl::host
