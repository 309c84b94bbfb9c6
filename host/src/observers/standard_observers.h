#pragma once
// The observers of every `ssl-host run`, added in hook order: checkpoints (saved before the
// final evaluation reads the model), the evaluation schedule, the alarms, metrics.jsonl (after
// the evaluation, so the summary knows its time), the report (after metrics.jsonl is written)
// and the console (its lines come last). Settings come from the pipeline's [trainer] and
// [alarms]. On a rank other than 0 only the all_ranks() observers are kept (train_observer.h).
#include "optim.h"
#include "runtime.h"
#include "train_observer.h"

namespace ssl::host {

void add_standard_observers(ObserverList& list, Runtime& runtime, const Optimizer& optimizer);

}  // namespace ssl::host
