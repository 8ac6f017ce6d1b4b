# The ctests fuzz.config, fuzz.spec and fuzz.npy: run a libFuzzer binary for a bounded time on a scratch copy of a seed
# corpus (the checked-in corpus is never written), with a dictionary; fails on any finding.
#   cmake -DFUZZER=BIN -DCORPUS=DIR -DDICT=FILE -DWORK_DIR=DIR [-DSECONDS=30] [-DSEED=1] -P run_fuzz.cmake
# The seed of libFuzzer's random generator is fixed (default 1): a ctest run replays the same
# sequence of inputs each time, so a test run passes or fails the same way on every machine of the
# same speed. New inputs are searched by scripts/fuzz (random seed, long runs); what it finds is
# kept in the corpus as regress_* seeds, which every ctest run replays first.
# WORK_DIR is emptied first; afterwards it holds corpus/ (seeds plus what the run added), fuzz.log
# and any artifacts (crash-*, leak-*, oom-*, timeout-*), which are the findings.
foreach(var FUZZER CORPUS DICT WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzz.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED SECONDS)
  set(SECONDS 30)
endif()
if(NOT DEFINED SEED)
  set(SEED 1)
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus")
file(GLOB seeds LIST_DIRECTORIES false "${CORPUS}/*")
list(LENGTH seeds nseeds)
if(nseeds EQUAL 0)
  message(FATAL_ERROR "run_fuzz.cmake: no seed in ${CORPUS}")
endif()
file(COPY ${seeds} DESTINATION "${WORK_DIR}/corpus")

execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -seed=${SEED} -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
          "-dict=${DICT}" "-artifact_prefix=${WORK_DIR}/" "${WORK_DIR}/corpus"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)
file(WRITE "${WORK_DIR}/fuzz.log" "${out}")

# The figures: the last status line (#N EVENT cov: C ft: F corp: K/B ... exec/s: E) and the final
# stats. libFuzzer's lines may hold '[', ']' and ';', which CMake lists mangle: dropped first.
string(REPLACE ";" "" clean "${out}")
string(REPLACE "[" "" clean "${clean}")
string(REPLACE "]" "" clean "${clean}")
string(REGEX MATCHALL "#[0-9]+[ \t]+[A-Z]+[ \t]+cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[A-Za-z]*[^\n]*exec/s: [0-9]+"
       status "${clean}")
set(last "")
if(status)
  list(POP_BACK status last)
endif()
message(STATUS "fuzz: ${nseeds} seeds, ${SECONDS} s, seed ${SEED}; last status: ${last}")
string(REGEX MATCHALL "stat::[a-z_]+: +[0-9]+" stats "${out}")
foreach(s IN LISTS stats)
  message(STATUS "  ${s}")
endforeach()

file(GLOB findings LIST_DIRECTORIES false "${WORK_DIR}/crash-*" "${WORK_DIR}/leak-*" "${WORK_DIR}/oom-*"
     "${WORK_DIR}/timeout-*")
if(findings OR NOT rc EQUAL 0)
  string(REGEX MATCH "==[0-9]+==ERROR[^\n]*|fuzz_[a-z]*: FINDING[^\n]*|SUMMARY: [^\n]*" first "${out}")
  string(LENGTH "${out}" n)
  math(EXPR from "${n} - 6000")
  if(from LESS 0)
    set(from 0)
  endif()
  string(SUBSTRING "${out}" ${from} -1 tail)
  message(FATAL_ERROR "fuzz: the fuzzer exited with ${rc}; findings: ${findings}\n${first}\n"
                      "--- end of ${WORK_DIR}/fuzz.log ---\n${tail}")
endif()
