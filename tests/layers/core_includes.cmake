# core_includes.cmake - fails the build when a file of router/core/ includes a
# header that is not the C library's: the core is pure (docs/design.md), and a
# third-party header there is the first step of a dependency it must not have.
# Run by CMake as `cmake -DDIR=router/core -P core_includes.cmake`.
cmake_policy(SET CMP0057 NEW)
set(allowed
  assert.h ctype.h errno.h float.h inttypes.h limits.h math.h regex.h stdalign.h
  stdarg.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h strings.h
  sys/types.h)
file(GLOB files ${DIR}/*.c ${DIR}/*.h)
set(bad "")
foreach(f ${files})
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*<")
  foreach(l ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*<([^>]*)>.*" "\\1" h "${l}")
    if(NOT h IN_LIST allowed)
      string(APPEND bad "\n  ${f}: <${h}>")
    endif()
  endforeach()
endforeach()
if(bad)
  message(FATAL_ERROR "router/core/ must use the C library only; found:${bad}")
endif()
