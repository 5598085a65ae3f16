# LM engine tests (ember/lm/models, ember/lm/engine): golden logits and greedy continuations
# from transformers (fixtures made by scripts/make_lm_fixtures.py), caches, sampling,
# generation, memory bounds and bad input.
file(GLOB EMBER_LM_ENGINE_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/engine_*_test.cpp)
# Binaries over ~5 s in a release build also get the `slow` label.
set(EMBER_LM_ENGINE_SLOW_TESTS engine_memory_test)
foreach(source ${EMBER_LM_ENGINE_TESTS})
  get_filename_component(name ${source} NAME_WE)
  set(labels cpu)
  if(name IN_LIST EMBER_LM_ENGINE_SLOW_TESTS)
    list(APPEND labels slow)
  endif()
  ember_add_test(${name} SOURCES ${source} LIBS ember LABELS ${labels})
endforeach()
# `ember generate` through the real binary.
if(TARGET engine_cli_test AND TARGET ember_cli)
  add_dependencies(engine_cli_test ember_cli)
  target_compile_definitions(engine_cli_test PRIVATE EMBER_CLI="$<TARGET_FILE:ember_cli>")
endif()
