// Services: long-lived objects owned by the Server that stages may use (they outlive every
// Runtime snapshot, so a reload keeps them). Passed to build_pipeline; a stage keeps the pointers
// it needs. Each member may be null when its feature is not configured.
#pragma once

namespace portcullis::audit {
class Auditor;
}

namespace portcullis::pipeline {

struct Services {
  audit::Auditor* auditor = nullptr;  // audit event stream (proxy/audit)
};

}  // namespace portcullis::pipeline
