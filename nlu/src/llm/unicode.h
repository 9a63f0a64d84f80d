// nlu/src/llm/unicode.h: the little Unicode the tokenizers need: UTF-8
// decoding, the \p{L} / \p{N} / \s classes of the BPE pre-tokenizer, and
// GPT-2's byte <-> printable code point mapping. Private to nlu/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::llm {

struct CodepointRange {
  uint32_t first, last;  // inclusive
};

// Length of the UTF-8 sequence that starts with byte `lead` (1 for a stray
// continuation or invalid byte, so callers always make progress).
int utf8_len(uint8_t lead);

// Decodes `s` to code points; an invalid byte decodes to U+FFFD and
// advances by one byte. `offsets` (optional) receives each code point's
// byte offset.
std::vector<uint32_t> utf8_decode(std::string_view s, std::vector<size_t>* offsets = nullptr);
void utf8_append(uint32_t cp, std::string& out);

bool is_letter(uint32_t cp);      // general category L*
bool is_number(uint32_t cp);      // general category N*
bool is_whitespace(uint32_t cp);  // \s as llama.cpp's tables define it

// GPT-2 byte-level BPE: every byte maps to one printable code point
// (bytes 0x21..0x7E, 0xA1..0xAC, 0xAE..0xFF map to themselves, the rest to
// U+0100 upwards).
uint32_t byte_to_codepoint(uint8_t b);
// -1 when cp is not the image of a byte.
int codepoint_to_byte(uint32_t cp);

// GPT-2 pre-tokenizer, the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// implemented by hand (as llama.cpp does) over code points. Returns the
// pieces as byte strings; their concatenation is `text`.
std::vector<std::string> split_gpt2(std::string_view text);

}  // namespace hearth::llm
