# Runs the refmatch tool and checks its exit code and output (stdout and stderr together).
#   cmake -DEXE=path -DARGS="a|b|c" -DRC=1 -DEXPECT="regex1|regex2" [-DWORKDIR=dir] -P run_cli.cmake
# Arguments and regular expressions are separated by '|'.
string(REPLACE "|" ";" args "${ARGS}")
string(REPLACE "|" ";" expected "${EXPECT}")
if(NOT WORKDIR)
  set(WORKDIR ".")
endif()
execute_process(COMMAND "${EXE}" ${args} WORKING_DIRECTORY "${WORKDIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT rc EQUAL RC)
  message(FATAL_ERROR "exit code ${rc}, expected ${RC}; output:\n${all}")
endif()
foreach(re IN LISTS expected)
  if(NOT all MATCHES "${re}")
    message(FATAL_ERROR "output does not match '${re}':\n${all}")
  endif()
endforeach()
message(STATUS "ok (exit code ${rc})")
