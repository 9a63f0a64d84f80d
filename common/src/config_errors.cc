#include "hearth/common/config_errors.h"

namespace hearth {

std::string ConfigErrors::to_string() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (!e.file.empty()) out += e.file + ": ";
    out += e.path + ": " + e.message + "\n";
  }
  return out;
}

}  // namespace hearth
