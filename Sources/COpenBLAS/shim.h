// C shim for OpenBLAS's CBLAS interface (pkg-config openblas).
// Only BLASKit imports this module.
#ifndef TWINSIM_COPENBLAS_SHIM_H
#define TWINSIM_COPENBLAS_SHIM_H

#include <cblas.h>

static inline CBLAS_ORDER twin_cblas_row_major(void) { return CblasRowMajor; }
static inline CBLAS_TRANSPOSE twin_cblas_no_trans(void) { return CblasNoTrans; }
static inline CBLAS_TRANSPOSE twin_cblas_trans(void) { return CblasTrans; }

#endif
