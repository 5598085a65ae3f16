# Tokenizer tests (ember/lm/tokenizer): golden ids from HF `tokenizers`
# (fixtures made by scripts/make_tokenizer_fixtures.py), errors, streaming.
ember_add_test(tokenizer_test
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer_golden_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer_errors_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer_streaming_test.cpp
  LIBS ember_text
  LABELS cpu)
