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
///   cls:     NULL, or (length): adds row 0 of each head's probabilities divided by the head count
void CKernels_attention(const float *qkv, float *context, long length, long hidden, long heads,
                        float scale, float *scratch, float *cls);

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

#endif
