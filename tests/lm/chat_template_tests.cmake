# Chat templates and model-folder metadata: text-side tests that link ember_text only.
ember_add_test(chat_template_golden_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/chat_template_golden_test.cpp
  LIBS ember_text LABELS cpu)
ember_add_test(chat_template_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/chat_template_test.cpp
  LIBS ember_text LABELS cpu)
ember_add_test(model_folder_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/model_folder_test.cpp
  LIBS ember_text LABELS cpu)
# `ember template` through the real `ember` binary.
ember_add_test(chat_template_cli_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/chat_template_cli_test.cpp
  LIBS ember_text LABELS cpu)
add_dependencies(chat_template_cli_test ember_cli)
target_compile_definitions(chat_template_cli_test PRIVATE EMBER_TEMPLATE_CLI="$<TARGET_FILE:ember_cli>")
