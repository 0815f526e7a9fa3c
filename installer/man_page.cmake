# Writes a program's man page from its own --help and --version (help2man), gzipped as
# Debian wants man pages. With COMMANDS, each command listed under "Commands:" in --help
# gets a subsection holding its `<command> --help`, so the page documents every option.
#
#   cmake -DPROGRAM=path -DHELP2MAN=path -DNAME="one line" -DINCLUDE=file.h2m
#         -DOUTPUT=prog.1.gz -DWORK_DIR=dir -DDATE_EPOCH=seconds [-DCOMMANDS=ON]
#         -P man_page.cmake

get_filename_component(program_name "${PROGRAM}" NAME)
file(MAKE_DIRECTORY "${WORK_DIR}")
set(includes --include "${INCLUDE}")

# Runs PROGRAM with the given arguments, without a display, and returns its stdout.
function(program_output result)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env --unset=DISPLAY --unset=WAYLAND_DISPLAY "${PROGRAM}" ${ARGN}
    OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${program_name} ${ARGN} failed (${rc}): cannot write its man page")
  endif()
  set(${result} "${out}" PARENT_SCOPE)
endfunction()

if(COMMANDS)
  program_output(help --help)
  string(REGEX REPLACE ".*\nCommands:\n" "" listing "${help}")
  string(REGEX MATCHALL "(^|\n)  [a-z][a-z-]*" names "${listing}")
  set(section "[COMMANDS]\n")
  foreach(entry IN LISTS names)
    string(STRIP "${entry}" command)
    program_output(text ${command} --help)
    # roff: a backslash is \e, and a line may not start with a control character.
    string(REPLACE "\\" "\\e" text "${text}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
    string(APPEND section ".SS \"${program_name} ${command}\"\n.nf\n${text}.fi\n")
  endforeach()
  file(WRITE "${WORK_DIR}/${program_name}-commands.h2m" "${section}")
  list(APPEND includes --include "${WORK_DIR}/${program_name}-commands.h2m")
endif()

set(page "${WORK_DIR}/${program_name}.1")
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env --unset=DISPLAY --unset=WAYLAND_DISPLAY
          SOURCE_DATE_EPOCH=${DATE_EPOCH} LC_ALL=C.UTF-8
          "${HELP2MAN}" --no-info --section 1 --name "${NAME}" ${includes} --output "${page}"
          "${PROGRAM}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man ${program_name} failed (${rc}): ${err}")
endif()
# gzip -9n: no name or time stamp in the header, so the same page gives the same bytes.
execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed")
endif()
file(RENAME "${page}.gz" "${OUTPUT}")
