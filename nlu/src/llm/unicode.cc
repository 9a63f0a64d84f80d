#include "llm/unicode.h"

#include <algorithm>
#include <array>

namespace hearth::llm {
namespace {

#include "llm/unicode_tables.inc"

template <size_t N>
bool in_ranges(const CodepointRange (&r)[N], uint32_t cp) {
  // binary search over sorted, disjoint ranges
  size_t lo = 0, hi = N;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (cp < r[mid].first) hi = mid;
    else if (cp > r[mid].last) lo = mid + 1;
    else return true;
  }
  return false;
}

struct ByteMap {
  std::array<uint32_t, 256> to_cp{};
  std::array<int, 512> from_cp{};  // images are all < 0x200
  ByteMap() {
    from_cp.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      to_cp[b] = printable ? static_cast<uint32_t>(b) : next++;
      from_cp[to_cp[b]] = b;
    }
  }
};
const ByteMap& byte_map() {
  static const ByteMap m;
  return m;
}

}  // namespace

int utf8_len(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xe0) == 0xc0) return 2;
  if ((lead & 0xf0) == 0xe0) return 3;
  if ((lead & 0xf8) == 0xf0) return 4;
  return 1;
}

std::vector<uint32_t> utf8_decode(std::string_view s, std::vector<size_t>* offsets) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    const int n = utf8_len(c);
    uint32_t cp = 0xfffd;
    int used = 1;
    if (n == 1) {
      cp = c < 0x80 ? c : 0xfffd;
    } else if (i + static_cast<size_t>(n) <= s.size()) {
      uint32_t v = c & (0xff >> (n + 1));
      bool ok = true;
      for (int k = 1; k < n; ++k) {
        const uint8_t cc = static_cast<uint8_t>(s[i + static_cast<size_t>(k)]);
        if ((cc & 0xc0) != 0x80) { ok = false; break; }
        v = (v << 6) | (cc & 0x3f);
      }
      if (ok) { cp = v; used = n; }
    }
    if (offsets) offsets->push_back(i);
    out.push_back(cp);
    i += static_cast<size_t>(used);
  }
  return out;
}

void utf8_append(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool is_letter(uint32_t cp) { return in_ranges(kLetterRanges, cp); }
bool is_number(uint32_t cp) { return in_ranges(kNumberRanges, cp); }
bool is_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
         cp == 0x3000;
}

uint32_t byte_to_codepoint(uint8_t b) { return byte_map().to_cp[b]; }
int codepoint_to_byte(uint32_t cp) { return cp < 512 ? byte_map().from_cp[cp] : -1; }

std::vector<std::string> split_gpt2(std::string_view text) {
  std::vector<size_t> offs;
  const std::vector<uint32_t> cpts = utf8_decode(text, &offs);
  const size_t n = cpts.size();
  offs.push_back(text.size());
  std::vector<std::string> pieces;
  size_t prev = 0;
  auto add = [&](size_t end) {
    if (end > prev) pieces.emplace_back(text.substr(offs[prev], offs[end] - offs[prev]));
    prev = end;
  };
  // Character classes at a position; positions past the end are "none".
  enum : int { kNone = 0, kLetter = 1, kNumber = 2, kSpace = 4, kOther = 8 };
  auto cls = [&](size_t p) -> int {
    if (p >= n) return kNone;
    const uint32_t c = cpts[p];
    if (is_whitespace(c)) return kSpace;
    if (is_letter(c)) return kLetter;
    if (is_number(c)) return kNumber;
    return kOther;
  };
  size_t pos = 0;
  while (pos < n) {
    const uint32_t c = cpts[pos];
    // 's|'t|'re|'ve|'m|'ll|'d
    if (c == '\'' && pos + 1 < n) {
      const uint32_t c1 = cpts[pos + 1];
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        pos += 2;
        add(pos);
        continue;
      }
      if (pos + 2 < n) {
        const uint32_t c2 = cpts[pos + 2];
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          pos += 3;
          add(pos);
          continue;
        }
      }
    }
    // ' ?X+' for X in letters, numbers, others: the optional space binds to
    // the run after it
    const int k = c == ' ' ? cls(pos + 1) : cls(pos);
    if (k == kLetter || k == kNumber || k == kOther) {
      if (c == ' ') ++pos;
      while (cls(pos) == k) ++pos;
      add(pos);
      continue;
    }
    size_t ws = 0;
    while (cls(pos + ws) == kSpace) ++ws;
    if (ws > 1 && pos + ws < n) {  // \s+(?!\S): leave the last space for the next word
      pos += ws - 1;
      add(pos);
      continue;
    }
    if (ws > 0) {  // \s+
      pos += ws;
      add(pos);
      continue;
    }
    add(++pos);
  }
  return pieces;
}

}  // namespace hearth::llm
