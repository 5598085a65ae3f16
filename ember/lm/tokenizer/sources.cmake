# The tokenizer (tokenizer.json: BPE, byte-level and SentencePiece-style).
target_sources(ember_text PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/added_vocabulary.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bpe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/decoders.cpp
  ${CMAKE_CURRENT_LIST_DIR}/normalizers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pre_tokenizers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/regex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/streaming_detokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/utf8.cpp)
