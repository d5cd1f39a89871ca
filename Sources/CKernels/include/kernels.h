#ifndef FINSENT_CKERNELS_H
#define FINSENT_CKERNELS_H

// Element-wise kernels of the transformer encoder (everything that is not a
// matrix product). They live in C because clang vectorises these loops for
// AVX-512/AVX2 through target_clones (picked at load time for the CPU), while
// the same code in Swift compiles to scalar or SSE code several times slower.
// Shapes in comments: (rows, width), row-major.

/// x = 0.5·x·(1 + erf(x/√2)) in place (PyTorch's exact GELU; erf to 1.5e-7).
void CKernels_gelu_erf(float *x, long count);

/// x = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) in place (gelu_new, gelu_pytorch_tanh).
void CKernels_gelu_tanh(float *x, long count);

/// x = max(x, 0) in place.
void CKernels_relu(float *x, long count);

/// x = tanh(x) in place.
void CKernels_tanh(float *x, long count);

/// Softmax of each row of x (rows, width) in place.
void CKernels_softmax_rows(float *x, long rows, long width);

/// x = LayerNorm(x + residual) per row (rows, width); residual may be NULL.
void CKernels_add_layer_norm(float *x, const float *residual, long rows, long width,
                             const float *gamma, const float *beta, float epsilon);

/// Multi-head self-attention of one sequence without padding:
///   qkv:     (length, 3·hidden) rows of [Q | K | V], head h at columns h·headSize of each part
///   context: (length, hidden), row stride `hidden`: softmax(Q·Kᵀ·scale)·V per head
///   scratch: at least (length + headSize)·roundUp(length, 16) floats
///   received: NULL, or (length): adds the attention each token receives from the first `rows` query
///             positions, averaged over those rows and the heads (rows = 1: [CLS]'s attention)
void CKernels_attention(const float *qkv, float *context, long length, long hidden, long heads,
                        float scale, float *scratch, float *received, long rows);

/// Columns per panel of a packed weight matrix.
#define CKERNELS_PANEL 32

/// Packs a PyTorch nn.Linear weight (out, in) for CKernels_linear: panels of
/// CKERNELS_PANEL output columns, each (in, CKERNELS_PANEL) contiguous, the last
/// panel zero-padded. `packed` holds CKernels_packed_size(in, out) floats.
long CKernels_packed_size(long in, long out);
void CKernels_pack_weight(const float *weight, float *packed, long in, long out);

/// out (rows, out) = x (rows, in) · weightᵀ + bias, for output panels [first, end)
/// only (so callers can split the columns between threads). The weights are packed
/// once at load: unlike a general sgemm, nothing is repacked per call, which is
/// what dominates when few rows (one text) are scored.
void CKernels_linear(float *out, const float *x, const float *packed, const float *bias,
                     long rows, long in, long out_features, long first_panel, long end_panel);

// ---- int8 dense layers (int8.c) ----
// x ≈ sx·(qx − zx) per row (u8, asymmetric), W ≈ sw·qw per output column (s8, symmetric),
// summed exactly in int32 (AVX-512 VNNI where the CPU has it, else portable C giving the
// same integers), then out = sx·sw·Σ + bias.

#include <stdint.h>

/// Output columns per int8 panel.
#define CKERNELS_INT8_PANEL 32

/// 1 when the CPU has AVX-512 VNNI (with BW and VL), the int8 kernels' fast path.
int CKernels_int8_has_vnni(void);

/// Bytes per quantized activation row: `in` rounded up to 4 (one vpdpbusd group).
long CKernels_int8_stride(long in);

/// Bytes of a packed int8 weight: stride(in) · `out` rounded up to the panel.
long CKernels_int8_packed_size(long in, long out);

/// Quantizes a PyTorch (out, in) weight per output column, symmetric to [−127, 127], and packs
/// it in panels of CKERNELS_INT8_PANEL columns, groups of 4 inputs. `scales` and `sums` (the
/// sum of each column's int8 weights) hold `out` rounded up to the panel (padding: 0).
void CKernels_int8_pack_weight(const float *weight, int8_t *packed, float *scales, int32_t *sums, long in, long out);

/// Quantizes rows of x (rows, in) to u8 (rows, stride(in)), each row with its own scale and
/// zero point (its range widened to include 0). `portable`: skip the AVX-512 path (tests).
void CKernels_int8_quantize_rows(const float *x, uint8_t *q, float *scales, int32_t *zeros, long rows, long in,
                                 int portable);

/// Activations CKernels_int8_linear applies to its output as it stores it (the same functions
/// as CKernels_gelu_erf, CKernels_gelu_tanh and CKernels_relu).
#define CKERNELS_ACTIVATION_NONE 0
#define CKERNELS_ACTIVATION_GELU_ERF 1
#define CKERNELS_ACTIVATION_GELU_TANH 2
#define CKERNELS_ACTIVATION_RELU 3

/// out (rows, out) = activation(dequantized (q · qwᵀ) + bias), for output panels [first, end) only.
void CKernels_int8_linear(float *out, const uint8_t *q, const float *row_scales, const int32_t *row_zeros,
                          const int8_t *packed, const float *column_scales, const int32_t *sums, const float *bias,
                          long rows, long in, long out_features, long first_panel, long end_panel, int activation,
                          int portable);

/// The peak microbenchmark: `iterations` × 24 independent vpdpbusd on 512-bit registers
/// (24 · 64 multiply-adds = 3,072 integer operations each). −1 without VNNI.
long CKernels_int8_peak_loop(long iterations);

// ---- helper threads for one layer's work (pool.c) ----

typedef void (*CKernelsPartFunction)(void *context, long part);
typedef struct CKernelsPool CKernelsPool;

/// A pool for `threads` threads in all: the caller of CKernels_pool_run and threads − 1 helpers,
/// which spin briefly after each run, then sleep. NULL when out of memory.
CKernelsPool *CKernels_pool_create(long threads);

/// Threads that take part in a run (the caller included).
long CKernels_pool_threads(const CKernelsPool *pool);

/// Calls function(context, part) once for every part in [0, parts), the caller and the helpers
/// taking parts as they finish; returns when all are done. One run at a time per pool.
void CKernels_pool_run(CKernelsPool *pool, CKernelsPartFunction function, void *context, long parts);

/// Stops and joins the helpers, frees the pool.
void CKernels_pool_destroy(CKernelsPool *pool);

#endif
