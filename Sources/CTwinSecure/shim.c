// See include/CTwinSecure.h.
#define _GNU_SOURCE
#include <fcntl.h>

#include "CTwinSecure.h"

int twin_secure_o_tmpfile(void) {
#ifdef O_TMPFILE
  return O_TMPFILE;
#else
  return 0;
#endif
}

int twin_secure_at_empty_path(void) {
#ifdef AT_EMPTY_PATH
  return AT_EMPTY_PATH;
#else
  return 0;
#endif
}
