#include "hearth/common/result.h"

namespace hearth {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kBadInput: return "bad_input";
    case Code::kNotFound: return "not_found";
    case Code::kAmbiguous: return "ambiguous";
    case Code::kUnsupported: return "unsupported";
    case Code::kTimeout: return "timeout";
    case Code::kUnavailable: return "unavailable";
    case Code::kIo: return "io_error";
    case Code::kCorrupt: return "corrupt";
    case Code::kReadOnly: return "read_only";
    case Code::kBusy: return "busy";
    case Code::kTooLarge: return "too_large";
    case Code::kConflict: return "conflict";
    case Code::kCancelled: return "cancelled";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace hearth
