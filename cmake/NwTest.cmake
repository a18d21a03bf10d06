# Label, timeout and the paths every test reads from its environment.
function(nw_test_properties name labels timeout)
  set_tests_properties(${name} PROPERTIES
    TIMEOUT ${timeout} LABELS "${labels}"
    ENVIRONMENT "NW_CORPUS=${NW_SHARED_DIR}/corpus;NW_SOURCE_DIR=${CMAKE_SOURCE_DIR};NW_BUILD_DIR=${CMAKE_BINARY_DIR};NW_BIN=${CMAKE_BINARY_DIR}/services/cli/newswire")
endfunction()

# nw_test(NAME SOURCES src... [LABELS l...] [TIMEOUT s] [LIBS lib...] [ARGS a...])
# One executable per module, registered with ctest under a label, so that
# `ctest -L unit` or `ctest -L integration` selects a layer of the suite.
function(nw_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LABELS;LIBS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE nwcommon ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  nw_test_properties(${name} "${T_LABELS}" ${T_TIMEOUT})
endfunction()

# nw_script_test(NAME SCRIPT [LABELS l...] [TIMEOUT s]): a shell test that
# drives the real executables.
function(nw_script_test name script)
  cmake_parse_arguments(T "" "TIMEOUT" "LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS integration)
  endif()
  add_test(NAME ${name} COMMAND sh ${script})
  nw_test_properties(${name} "${T_LABELS}" ${T_TIMEOUT})
  # exit 77: the test cannot run here and says why; ctest lists it as skipped
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()
