#include "kernels.h"
#include "approximations.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

CLONES void CKernels_gelu_erf(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = gelu_erf(x[i]);
}

CLONES void CKernels_gelu_tanh(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = gelu_tanh(x[i]);
}

CLONES void CKernels_relu(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = x[i] > 0 ? x[i] : 0;
}

CLONES void CKernels_tanh(float *x, long count) {
    for (long i = 0; i < count; i++) x[i] = tanh_approx(x[i]);
}

// Sums with 16 partial accumulators, so the loop vectorises without -ffast-math.
static inline __attribute__((always_inline)) float sum16(const float *x, long n) {
    float acc[16] = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += x[i + j];
    float total = 0;
    for (int j = 0; j < 16; j++) total += acc[j];
    for (; i < n; i++) total += x[i];
    return total;
}

CLONES void CKernels_softmax_rows(float *x, long rows, long width) {
    for (long r = 0; r < rows; r++) {
        float *row = x + r * width;
        float maximum = -INFINITY;
        for (long i = 0; i < width; i++) maximum = row[i] > maximum ? row[i] : maximum;
        for (long i = 0; i < width; i++) row[i] = exp_approx(row[i] - maximum);
        float inverse = 1.0f / sum16(row, width);
        for (long i = 0; i < width; i++) row[i] *= inverse;
    }
}

CLONES void CKernels_add_layer_norm(float *x, const float *residual, long rows, long width,
                                    const float *gamma, const float *beta, float epsilon) {
    for (long r = 0; r < rows; r++) {
        float *row = x + r * width;
        if (residual) {
            const float *add = residual + r * width;
            for (long i = 0; i < width; i++) row[i] += add[i];
        }
        float mean = sum16(row, width) / (float)width;
        float acc[16] = {0};
        long i = 0;
        for (; i + 16 <= width; i += 16)
            for (int j = 0; j < 16; j++) {
                float centred = row[i + j] - mean;
                acc[j] += centred * centred;
            }
        float squares = 0;
        for (int j = 0; j < 16; j++) squares += acc[j];
        for (; i < width; i++) squares += (row[i] - mean) * (row[i] - mean);
        float scale = 1.0f / sqrtf(squares / (float)width + epsilon);
        for (long k = 0; k < width; k++) row[k] = (row[k] - mean) * scale * gamma[k] + beta[k];
    }
}

CLONES void CKernels_attention(const float *qkv, float *context, long length, long hidden, long heads,
                               float scale, float *scratch, float *received, long rows) {
    const long stride = 3 * hidden, size = hidden / heads;
    // Rows padded to a multiple of 16 so the loops over j vectorise with no scalar tail;
    // the padded columns hold zeros or garbage and are never read back.
    const long padded = (length + 15) & ~15L;
    float *scores = scratch;                  // (length, padded)
    float *keys = scratch + length * padded;  // (size, padded): K of one head, transposed
    for (long h = 0; h < heads; h++) {
        const float *q = qkv + h * size, *k = qkv + hidden + h * size, *v = qkv + 2 * hidden + h * size;
        for (long d = 0; d < size; d++) {
            float *row = keys + d * padded;
            for (long j = 0; j < length; j++) row[j] = k[j * stride + d];
            for (long j = length; j < padded; j++) row[j] = 0.0f;
        }
        // scores[i][j] = scale · q_i · k_j: 16 columns at a time, summed over d in registers.
        for (long i = 0; i < length; i++) {
            float *row = scores + i * padded;
            const float *qi = q + i * stride;
            for (long j0 = 0; j0 < padded; j0 += 16) {
                float acc[16] = {0};
                for (long d = 0; d < size; d++) {
                    const float qd = qi[d], *kd = keys + d * padded + j0;
                    for (int c = 0; c < 16; c++) acc[c] += qd * kd[c];
                }
                for (int c = 0; c < 16; c++) row[j0 + c] = acc[c] * scale;
            }
            CKernels_softmax_rows(row, 1, length);
        }
        if (received) {
            const long counted = rows < length ? rows : length;
            const float share = 1.0f / (float)(heads * counted);
            for (long i = 0; i < counted; i++)
                for (long j = 0; j < length; j++) received[j] += scores[i * padded + j] * share;
        }
        // context_i = Σ_j p_ij · v_j: 16 of the head's columns at a time, summed in registers.
        for (long i = 0; i < length; i++) {
            float *out = context + i * hidden + h * size;
            const float *p = scores + i * padded;
            long d0 = 0;
            for (; d0 + 16 <= size; d0 += 16) {
                float acc[16] = {0};
                for (long j = 0; j < length; j++) {
                    const float pj = p[j], *vj = v + j * stride + d0;
                    for (int c = 0; c < 16; c++) acc[c] += pj * vj[c];
                }
                for (int c = 0; c < 16; c++) out[d0 + c] = acc[c];
            }
            for (; d0 < size; d0++) {
                float sum = 0.0f;
                for (long j = 0; j < length; j++) sum += p[j] * v[j * stride + d0];
                out[d0] = sum;
            }
        }
    }
}

long CKernels_packed_size(long in, long out) {
    return in * ((out + CKERNELS_PANEL - 1) / CKERNELS_PANEL) * CKERNELS_PANEL;
}

void CKernels_pack_weight(const float *weight, float *packed, long in, long out) {
    long panels = (out + CKERNELS_PANEL - 1) / CKERNELS_PANEL;
    for (long p = 0; p < panels; p++)
        for (long k = 0; k < in; k++)
            for (long c = 0; c < CKERNELS_PANEL; c++) {
                long column = p * CKERNELS_PANEL + c;
                packed[(p * in + k) * CKERNELS_PANEL + c] = column < out ? weight[column * in + k] : 0.0f;
            }
}

#define ROWS 8

// Up to ROWS rows × one panel of 32 columns: the accumulators stay in registers
// (16 AVX-512 or 32 AVX2 registers' worth) while the panel streams through once.
// A short final block repeats its last row instead of streaming the panel again per row.
static inline __attribute__((always_inline)) void linear_rows(float *out, const float *x, const float *panel,
                                                              const float *bias, long rows, long in,
                                                              long out_features, long column, long width) {
    const float *row[ROWS];
    for (int r = 0; r < ROWS; r++) row[r] = x + (r < rows ? r : rows - 1) * in;
    float acc[ROWS][CKERNELS_PANEL];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < CKERNELS_PANEL; c++) acc[r][c] = 0.0f;
    for (long k = 0; k < in; k++) {
        const float *w = panel + k * CKERNELS_PANEL;
        for (int r = 0; r < ROWS; r++) {
            float a = row[r][k];
            for (int c = 0; c < CKERNELS_PANEL; c++) acc[r][c] += a * w[c];
        }
    }
    for (long r = 0; r < rows; r++)
        for (long c = 0; c < width; c++) out[r * out_features + column + c] = acc[r][c] + (bias ? bias[column + c] : 0.0f);
}

CLONES void CKernels_linear(float *out, const float *x, const float *packed, const float *bias,
                            long rows, long in, long out_features, long first_panel, long end_panel) {
    for (long p = first_panel; p < end_panel; p++) {
        const float *panel = packed + p * in * CKERNELS_PANEL;
        long column = p * CKERNELS_PANEL;
        long width = out_features - column < CKERNELS_PANEL ? out_features - column : CKERNELS_PANEL;
        for (long i = 0; i < rows; i += ROWS)
            linear_rows(out + i * out_features, x + i * in, panel, bias, rows - i < ROWS ? rows - i : ROWS, in,
                        out_features, column, width);
    }
}
