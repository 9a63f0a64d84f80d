// common/config_errors.h: collects every problem found while loading and
// validating config and home files, so the user sees all of them at once.
// Each entry names the file, the JSON path and what was expected:
//   demo.json: $.devices[3].area: unknown area 'kitchn' (known: kitchen, ...)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth {

class ConfigErrors {
 public:
  struct Entry {
    std::string file;     // file name as given by the caller ("" if none)
    std::string path;     // JSON path, "$.devices[3].area"
    std::string message;  // what was wrong and what was expected
  };

  // The file name prefixed to entries added from now on.
  void set_file(std::string file) { file_ = std::move(file); }
  const std::string& file() const { return file_; }

  void add(std::string path, std::string message) {
    entries_.push_back(Entry{file_, std::move(path), std::move(message)});
  }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

  // One line per entry: "file: path: message".
  std::string to_string() const;

 private:
  std::string file_;
  std::vector<Entry> entries_;
};

}  // namespace hearth
