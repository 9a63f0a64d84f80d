#include "llm/quantize.h"

#include <string>

namespace hearth::llm {

Result<std::vector<uint8_t>> quantize_gguf(const GgufFile& in, WeightType type, QuantizeStats* stats) {
  const WeightTypeTraits* to = weight_type_traits(type);
  if (!to) return Error{Code::kUnsupported, "quantize: target type not supported"};
  GgufWriter w;
  for (const GgufKv& kv : in.kvs())
    if (kv.key != "general.alignment") w.add_kv_copy(kv);
  w.set_alignment(in.alignment());
  QuantizeStats st;
  for (const GgufTensor& t : in.tensors()) {
    const WeightType from = static_cast<WeightType>(t.type);
    const uint8_t* src = static_cast<const uint8_t*>(t.data);
    const bool convert = t.n_dims == 2 && t.ne[0] % to->block_elems == 0 && weight_type_traits(from) != nullptr &&
                         from != type;
    std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
    if (!convert) {
      w.add_tensor(std::string(t.name), t.type, ne, std::vector<uint8_t>(src, src + t.n_bytes));
      ++st.n_kept;
      continue;
    }
    const int n = static_cast<int>(t.ne[0]);
    const int64_t rows = static_cast<int64_t>(t.n_elements / static_cast<uint64_t>(n));
    const size_t in_row = weight_row_bytes(from, n), out_row = weight_row_bytes(type, n);
    std::vector<uint8_t> out(out_row * static_cast<size_t>(rows));
    std::vector<float> row(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(from, n, src + static_cast<size_t>(r) * in_row, row.data());
      quantize_row(type, n, row.data(), out.data() + static_cast<size_t>(r) * out_row);
    }
    w.add_tensor(std::string(t.name), static_cast<TensorType>(type), ne, std::move(out));
    ++st.n_quantized;
  }
  if (stats) *stats = st;
  return w.serialize();
}

}  // namespace hearth::llm
