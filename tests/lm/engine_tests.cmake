# LM engine tests (ember/lm/models, ember/lm/engine): golden logits and greedy continuations
# from transformers (fixtures made by scripts/make_lm_fixtures.py), caches, sampling,
# generation, memory bounds and bad input.
file(GLOB EMBER_LM_ENGINE_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/engine_*_test.cpp)
foreach(source ${EMBER_LM_ENGINE_TESTS})
  get_filename_component(name ${source} NAME_WE)
  ember_add_test(${name} SOURCES ${source} LIBS ember LABELS cpu)
endforeach()
