# On-device LLM runtime (issue 6): GGUF reader, tokenizers, llama forward
# pass, sampling. Included from nlu/CMakeLists.txt; a library of its own so
# the template grammar (hearth_nlu) does not pull in the runtime.
add_library(hearth_llm
  src/gguf.cc
  src/llm/unicode.cc
  src/llm/tokenizer.cc
  src/llm/model.cc
  src/llm/quantize.cc
  src/llm/random_model.cc
  src/llm/cli.cc
  src/llm/chat.cc
  src/llm/gbnf.cc
  src/llm/engine.cc
  src/arch/llama.cc)
target_include_directories(hearth_llm PUBLIC include PRIVATE src)
target_link_libraries(hearth_llm PUBLIC hearth_common hearth_kernels PRIVATE nlohmann_json::nlohmann_json)

# Standalone driver for `llm` commands (the hearth CLI calls the same
# run_llm_command()).
add_executable(hearth_llm_tool ${PROJECT_SOURCE_DIR}/tools/llm_tool.cc)
target_link_libraries(hearth_llm_tool PRIVATE hearth_llm)
