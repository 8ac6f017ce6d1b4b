# Run as: cmake -DPOSENC=<posenc executable> -DCHECK=<name> -DWORK_DIR=<scratch dir> -P posenc_cli_test.cmake
#
# Checks of the posenc command-line tool: exit statuses, CSV layout and digits, atomic --out.
# Expected numbers come from mpmath (sqrt(2) and 0.1 rounded to nearest at the type's precision,
# printed to the tool's number of digits); sqrt is the function used because posenc documents it
# as correctly rounded, so exactly one answer is right.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS POSENC CHECK WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "posenc_cli_test.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# run(<expected exit status> ARGS...): runs posenc, leaves its output in `out`, `err` (parent scope).
function(run expected_rc)
  execute_process(COMMAND "${POSENC}" ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc STREQUAL "${expected_rc}")
    message(FATAL_ERROR "posenc ${ARGN}: exit status ${rc}, expected ${expected_rc}\n"
                        "stdout:\n${stdout}\nstderr:\n${stderr}")
  endif()
  set(out "${stdout}" PARENT_SCOPE)
  set(err "${stderr}" PARENT_SCOPE)
  message(STATUS "posenc ${ARGN}: exit status ${rc} as expected")
endfunction()

function(expect_contains haystack needle what)
  string(FIND "${haystack}" "${needle}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "${what}: expected to find\n  ${needle}\nin\n${haystack}")
  endif()
endfunction()

# Files in WORK_DIR other than the expected ones (a leftover temporary file fails the check).
function(expect_only_files)
  file(GLOB present LIST_DIRECTORIES true RELATIVE "${WORK_DIR}" "${WORK_DIR}/*" "${WORK_DIR}/.*")
  list(SORT present)
  set(expected ${ARGN})
  list(SORT expected)
  if(NOT "${present}" STREQUAL "${expected}")
    message(FATAL_ERROR "files in ${WORK_DIR}: '${present}', expected '${expected}'")
  endif()
endfunction()

if(CHECK STREQUAL "help")
  run(0 --help)
  expect_contains("${out}" "eval" "posenc --help")
  run(0 eval --help)
  expect_contains("${out}" "--function" "posenc eval --help")
  expect_contains("${out}" "--precision" "posenc eval --help")
  run(2)  # no subcommand
  run(0 freqs --help)
  expect_contains("${out}" "--original-max-position-embeddings" "posenc freqs --help")

elseif(CHECK STREQUAL "eval_double")
  run(0 eval --function sqrt --x 2,0.5 --precision double)
  expect_contains("${out}" "# function: sqrt\n" "metadata")
  expect_contains("${out}" "# precision: double\n" "metadata")
  expect_contains("${out}" "# posenc_version: " "metadata")
  expect_contains("${out}" "# command: " "metadata")
  expect_contains("${out}" "\nx,value\n" "CSV header")
  # sqrt(2) rounded to binary64 = 0x1.6a09e667f3bcdp+0, printed with max_digits10 = 17 digits.
  expect_contains("${out}" "\n2.0000000000000000e+00,1.4142135623730951e+00\n" "sqrt(2) at double")
  # sqrt(0.5) = 0x1.6a09e667f3bcdp-1 (exact halving of sqrt(2)'s binary64 value).
  expect_contains("${out}" "\n5.0000000000000000e-01,7.0710678118654757e-01\n" "sqrt(0.5) at double")

elseif(CHECK STREQUAL "eval_50")
  run(0 eval --function sqrt --x 2,0.1 --precision 50)
  expect_contains("${out}" "# precision: 50\n" "metadata")
  expect_contains("${out}" "# significand_bits: 168\n" "metadata")
  # sqrt(2) rounded to 168 bits, 53 significant digits (mpmath).
  expect_contains("${out}"
    "\n2.0000000000000000000000000000000000000000000000000000e+00,1.4142135623730950488016887242096980785696718753769468e+00\n"
    "sqrt(2) at cpp_bin_float_50")
  # 0.1 read at 168 bits (not via double): 1.00...0007e-01 (mpmath).
  expect_contains("${out}" "\n1.0000000000000000000000000000000000000000000000000007e-01," "0.1 read at cpp_bin_float_50")

elseif(CHECK STREQUAL "bad_function")
  run(2 eval --function tan --x 1 --precision double)
  expect_contains("${err}" "--function" "message for an unknown function")
  run(2 eval --function sin --x 1 --precision quad)
  expect_contains("${err}" "--precision" "message for an unknown precision")
  run(2 eval --x 1 --precision double)
  expect_contains("${err}" "--function" "message for a missing --function")

elseif(CHECK STREQUAL "bad_number")
  foreach(bad IN ITEMS "1.2.3" "abc" "1e" "0x10" "1,,2")
    foreach(precision IN ITEMS double 50)
      run(2 eval --function sin --x "${bad}" --precision ${precision})
      expect_contains("${err}" "--x" "message for --x ${bad}")
    endforeach()
  endforeach()
  run(2 eval --function sin --x 1e400 --precision double)
  expect_contains("${err}" "out of range" "message for --x 1e400")

elseif(CHECK STREQUAL "out_file")
  file(WRITE "${WORK_DIR}/sqrt.csv" "old contents\n")
  run(0 eval --function sqrt --x 2 --precision double --out "${WORK_DIR}/sqrt.csv")
  if(NOT out STREQUAL "")
    message(FATAL_ERROR "with --out nothing goes to stdout, got:\n${out}")
  endif()
  file(READ "${WORK_DIR}/sqrt.csv" csv)
  expect_contains("${csv}" "# posenc eval\n" "--out file")
  expect_contains("${csv}" "# out: ${WORK_DIR}/sqrt.csv\n" "--out file")
  expect_contains("${csv}" "\n2.0000000000000000e+00,1.4142135623730951e+00\n" "--out file")
  expect_only_files(sqrt.csv)
  # A failing run leaves the existing file untouched and no temporary file behind.
  run(2 eval --function sqrt --x 2,oops --precision double --out "${WORK_DIR}/sqrt.csv")
  file(READ "${WORK_DIR}/sqrt.csv" csv_after)
  if(NOT csv_after STREQUAL csv)
    message(FATAL_ERROR "a failed run changed ${WORK_DIR}/sqrt.csv")
  endif()
  expect_only_files(sqrt.csv)

elseif(CHECK STREQUAL "freqs_yarn")
  # YaRN, head_dim 16, base 1e4, factor 4, original context 64, beta 32/1, truncate (HF defaults).
  # By hand: correction dims 16 ln(64/(2 pi b)) / (2 ln 1e4) are -0.99 (b = 32) and 2.02 (b = 1),
  # so low = max(floor(-0.99), 0) = 0 and high = ceil(2.02) = 3; ramp_j = j/3 clamped to [0, 1] and
  # theta_j = 1e4^(-j/8) (1 - ramp_j + ramp_j/4). Pair 0: 1; pair 2: 0.1 * (1/3 + 1/6) = 0.05;
  # pair 4: 1e4^(-1/2)/4 = 0.0025. Attention factor 0.1 ln 4 + 1 = 1.13862943611198906...
  # Expected strings: those values rounded to nearest double, printed with 17 significant digits.
  run(0 freqs --dim 16 --variant yarn --factor 4 --original-max-position-embeddings 64)
  expect_contains("${out}" "# variant: yarn\n" "metadata")
  expect_contains("${out}" "# beta_fast: 32\n" "metadata (defaults made explicit)")
  expect_contains("${out}" "# truncate: true\n" "metadata (defaults made explicit)")
  expect_contains("${out}" "# attention_factor: 1.1386294361119891e+00\n" "attention factor")
  expect_contains("${out}" "pair,theta,wavelength\n" "header")
  expect_contains("${out}" "\n0,1.0000000000000000e+00,6.2831853071795862e+00\n" "pair 0")
  expect_contains("${out}" "\n2,5.0000000000000003e-02," "pair 2")
  expect_contains("${out}" "\n4,2.5000000000000001e-03," "pair 4")

elseif(CHECK STREQUAL "freqs_errors")
  run(2 freqs --dim 7)
  expect_contains("${err}" "--dim" "odd dimension")
  run(2 freqs --variant linear --factor 0.5)
  expect_contains("${err}" "--factor" "factor < 1")
  run(2 freqs --base 1)
  expect_contains("${err}" "--base" "base <= 1")
  run(2 freqs --base nan)
  expect_contains("${err}" "--base" "NaN base")
  run(2 freqs --variant yarn --factor 4)
  expect_contains("${err}" "--original-max-position-embeddings" "yarn without original context")
  run(2 freqs --variant longrope --dim 8 --original-max-position-embeddings 4096 --short-factor 1,2,3 --long-factor 1,2,3,4)
  expect_contains("${err}" "--short-factor" "wrong length")
  run(2 freqs --variant nope)
  expect_contains("${err}" "--variant" "unknown variant")
  run(2 freqs --partial-rotary-factor 1.5)
  expect_contains("${err}" "--partial-rotary-factor" "partial rotary > 1")

elseif(CHECK STREQUAL "out_missing_dir")
  run(1 eval --function sqrt --x 2 --precision double --out "${WORK_DIR}/no/such/dir/sqrt.csv")
  expect_contains("${err}" "--out" "message for an unwritable --out")
  expect_only_files()
  # A directory as --out: the rename fails and the temporary file is removed.
  file(MAKE_DIRECTORY "${WORK_DIR}/a_directory/inner")
  run(1 eval --function sqrt --x 2 --precision double --out "${WORK_DIR}/a_directory")
  expect_only_files(a_directory)

else()
  message(FATAL_ERROR "posenc_cli_test.cmake: unknown CHECK '${CHECK}'")
endif()
