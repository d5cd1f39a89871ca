#ifndef FINSENT_COPENBLAS_SHIM_H
#define FINSENT_COPENBLAS_SHIM_H

// Debian's libopenblas-dev installs cblas.h through the alternatives system
// (/usr/include/<triplet>/cblas.h); pkg-config adds the openblas-pthread folder.
#include <cblas.h>

// OpenBLAS's cblas.h declares these, but other CBLAS headers do not; the
// wrappers keep the Swift side independent of which header won the alternative.

/// Number of threads OpenBLAS uses for level-3 calls.
static inline void COpenBLAS_set_num_threads(int threads) { openblas_set_num_threads(threads); }

/// The build configuration string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
static inline const char *COpenBLAS_config(void) { return openblas_get_config(); }

/// The name of the kernel set in use (e.g. "Haswell", "SkylakeX").
static inline const char *COpenBLAS_corename(void) { return openblas_get_corename(); }

#endif
