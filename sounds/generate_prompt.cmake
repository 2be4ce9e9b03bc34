# Speaks TEXT with espeak-ng (VOICE, SPEED words per minute) and converts it with sox to an
# 8 kHz mono 16-bit PCM WAV at OUT. Same inputs, same bytes: no dither (-D), repeatable (-R).
# Writes OUT.tmp first so a failed run leaves no half-written prompt behind.
execute_process(
  COMMAND ${ESPEAK} -v ${VOICE} -s ${SPEED} --stdout ${TEXT}
  COMMAND ${SOX} -R -t wav - -D -r 8000 -c 1 -b 16 -e signed-integer -t wav ${OUT}.tmp
  RESULTS_VARIABLE results
  ERROR_VARIABLE errors)
foreach(r ${results})
  if(NOT r EQUAL 0)
    file(REMOVE ${OUT}.tmp)
    message(FATAL_ERROR "generating ${OUT} failed (exit codes ${results}): ${errors}")
  endif()
endforeach()
file(RENAME ${OUT}.tmp ${OUT})
