# On-device LLM runtime (issue 6): GGUF reader, tokenizers, llama forward
# pass, sampling. Included from nlu/CMakeLists.txt; a library of its own so
# the template grammar (hearth_nlu) does not pull in the runtime.
add_library(hearth_llm
  src/gguf.cc
  src/llm/unicode.cc
  src/llm/tokenizer.cc)
target_include_directories(hearth_llm PUBLIC include PRIVATE src)
target_link_libraries(hearth_llm PUBLIC hearth_common PRIVATE hearth_kernels)
