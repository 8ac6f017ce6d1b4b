# Run as: cmake -DPOSENC_BINARY_DIR=... -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... [-DCONFIG=...]
#               [-DGENERATOR=...] [-DCXX_COMPILER=...] [-DCXX_FLAGS=...] [-DBUILD_TYPE=...]
#               -P posenc_consumer_test.cmake
#
# Checks that an installed posenc is usable from an outside project:
#   1. cmake --install <POSENC_BINARY_DIR> --prefix <WORK_DIR>/consumer-prefix
#   2. configure CONSUMER_SOURCE_DIR with CMAKE_PREFIX_PATH=<prefix> and the same compiler
#   3. build it
#   4. run the consumer binary (it checks sin(1) and exp(1) and exits non-zero on a mismatch)
# Any failing step fails the test.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS POSENC_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "posenc_consumer_test.cmake: -D${var}=... is required")
  endif()
endforeach()

set(prefix "${WORK_DIR}/consumer-prefix")
set(build "${WORK_DIR}/consumer-build")
# Start from nothing, so that a stale install or cache can never make this pass.
file(REMOVE_RECURSE "${prefix}" "${build}")

set(config_args "")
if(DEFINED CONFIG AND NOT CONFIG STREQUAL "")
  set(config_args --config "${CONFIG}")
endif()

function(run_step what)
  message(STATUS "consumer: ${what}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${rc})")
  endif()
endfunction()

run_step("install posenc" "${CMAKE_COMMAND}" --install "${POSENC_BINARY_DIR}" --prefix "${prefix}" ${config_args})

if(NOT EXISTS "${prefix}/share/cmake/posenc/posencConfig.cmake")
  message(FATAL_ERROR "consumer: ${prefix}/share/cmake/posenc/posencConfig.cmake was not installed")
endif()

set(configure_args -S "${CONSUMER_SOURCE_DIR}" -B "${build}" "-DCMAKE_PREFIX_PATH=${prefix}")
if(DEFINED GENERATOR AND NOT GENERATOR STREQUAL "")
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(DEFINED CXX_COMPILER AND NOT CXX_COMPILER STREQUAL "")
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(DEFINED CXX_FLAGS AND NOT CXX_FLAGS STREQUAL "")
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()
if(DEFINED BUILD_TYPE AND NOT BUILD_TYPE STREQUAL "")
  list(APPEND configure_args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
endif()

run_step("configure consumer" "${CMAKE_COMMAND}" ${configure_args})
# The package must come from the fresh install, not from the source or build tree.
file(STRINGS "${build}/CMakeCache.txt" posenc_dir_line REGEX "^posenc_DIR:")
string(REGEX REPLACE "^posenc_DIR:[A-Z]+=" "" posenc_dir "${posenc_dir_line}")
cmake_path(IS_PREFIX prefix "${posenc_dir}" NORMALIZE from_prefix)
if(NOT from_prefix)
  message(FATAL_ERROR "consumer: found posenc in '${posenc_dir}', not under ${prefix}")
endif()
message(STATUS "consumer: posenc_DIR = ${posenc_dir}")

run_step("build consumer" "${CMAKE_COMMAND}" --build "${build}" ${config_args})

set(exe "${build}/posenc_consumer")
if(DEFINED CONFIG AND NOT CONFIG STREQUAL "" AND EXISTS "${build}/${CONFIG}/posenc_consumer")
  set(exe "${build}/${CONFIG}/posenc_consumer")
endif()
run_step("run consumer" "${exe}")
message(STATUS "consumer: find_package(posenc) from ${prefix} works")
