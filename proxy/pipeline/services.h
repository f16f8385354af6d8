// Services: long-lived objects owned by the Server that stages may use (they outlive every
// Runtime snapshot, so a reload keeps them). Passed to build_pipeline; a stage keeps the pointers
// it needs. Each member may be null when its feature is not configured.
#pragma once

#include <memory>

namespace portcullis::audit {
class Auditor;
}
namespace portcullis::rate_limit {
class SharedState;
}

namespace portcullis::pipeline {

struct Services {
  audit::Auditor* auditor = nullptr;  // audit event stream (proxy/audit)
  // GCRA and auto-block tables, Redis counters (proxy/stages/rate_limit/shared_state.h): kept
  // across reloads so a SIGHUP does not hand every client a fresh bucket or lift every block.
  std::shared_ptr<rate_limit::SharedState> rate_limit;
};

}  // namespace portcullis::pipeline
