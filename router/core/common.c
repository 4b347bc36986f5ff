/* common.c - error objects shared by every module. */
#include "common.h"

#include <stdarg.h>
#include <stdio.h>

void lr_err_set(lr_err *err, lr_err_class cls, const char *fmt, ...) {
    if (!err) return;
    err->cls = cls;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}
