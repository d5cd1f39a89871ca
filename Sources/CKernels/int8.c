// Dense layers in int8: weights quantized once at load (symmetric, per output column),
// activations quantized per row as they enter a layer (asymmetric, u8 with a zero point),
// products summed in int32 by AVX-512 VNNI (vpdpbusd: u8 × s8, four per 32-bit lane),
// and dequantized with the bias in the same pass that stores the result.
//
//   x[r][k] ≈ sx[r] · (qx[r][k] − zx[r])      qx ∈ [0, 255]   (per row r)
//   W[c][k] ≈ sw[c] · qw[c][k]                qw ∈ [−127, 127] (per column c)
//   out[r][c] = sx[r]·sw[c] · (Σ_k qx·qw − zx[r]·Σ_k qw[c][k]) + b[c]
//
// The zero-point term zx[r]·Σ_k qw is the accumulator's starting value, so the inner
// loop is only vpdpbusd. Every sum is exact in int32 (255 · 127 · 4 per lane and step,
// far from overflow for any hidden size a BERT has), so the VNNI and the portable
// kernels compute the same integers.
#include "kernels.h"
#include "approximations.h"

#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define QROWS 8
// A row of u8 activations read four at a time (one vpdpbusd operand), without breaking aliasing rules.
typedef int32_t __attribute__((may_alias, aligned(1))) group32;
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

static long round_up(long value, long step) { return (value + step - 1) / step * step; }

// The activation of a layer's output, applied as each row's columns are stored (while in L1).
static inline __attribute__((always_inline)) void activate_row(float *x, long count, int activation) {
    switch (activation) {
    case CKERNELS_ACTIVATION_GELU_ERF:
        for (long i = 0; i < count; i++) x[i] = gelu_erf(x[i]);
        break;
    case CKERNELS_ACTIVATION_GELU_TANH:
        for (long i = 0; i < count; i++) x[i] = gelu_tanh(x[i]);
        break;
    case CKERNELS_ACTIVATION_RELU:
        for (long i = 0; i < count; i++) x[i] = x[i] > 0 ? x[i] : 0;
        break;
    default:
        break;
    }
}

// The activation of a block of rows × one panel. Not inlined: inside the kernel's loop it changed how
// the compiler kept the accumulators in registers (the panel's two column vectors in two passes, 10% slower).
VNNI __attribute__((noinline)) static void activate_block_avx512(float *out, long rows, long stride, long width,
                                                                  int activation) {
    for (long r = 0; r < rows; r++) activate_row(out + r * stride, width, activation);
}

long CKernels_int8_stride(long in) { return round_up(in, 4); }

long CKernels_int8_packed_size(long in, long out) {
    return round_up(in, 4) * round_up(out, CKERNELS_INT8_PANEL);
}

void CKernels_int8_pack_weight(const float *weight, int8_t *packed, float *scales, int32_t *sums, long in, long out) {
    const long stride = round_up(in, 4), columns = round_up(out, CKERNELS_INT8_PANEL);
    memset(packed, 0, (size_t)(stride * columns));
    for (long c = 0; c < columns; c++) {
        scales[c] = 0.0f;
        sums[c] = 0;
        if (c >= out) continue;
        const float *row = weight + c * in;
        float largest = 0.0f;
        for (long k = 0; k < in; k++) largest = fabsf(row[k]) > largest ? fabsf(row[k]) : largest;
        const float scale = largest > 0 ? largest / 127.0f : 1.0f;
        int32_t sum = 0;
        // Panel p = c / PANEL holds, for each group g of 4 inputs, PANEL columns × 4 bytes.
        int8_t *panel = packed + (c / CKERNELS_INT8_PANEL) * stride * CKERNELS_INT8_PANEL;
        const long lane = c % CKERNELS_INT8_PANEL;
        for (long k = 0; k < in; k++) {
            long q = lrintf(row[k] / scale);
            q = q > 127 ? 127 : (q < -127 ? -127 : q);
            panel[(k / 4) * CKERNELS_INT8_PANEL * 4 + lane * 4 + k % 4] = (int8_t)q;
            sum += (int32_t)q;
        }
        scales[c] = scale;
        sums[c] = sum;
    }
}

// One row's range including 0 (so 0 is exact, as padding and ReLU zeros need), as scale and zero point.
static inline __attribute__((always_inline)) void row_parameters(float low, float high, float *scale, int32_t *zero) {
    low = low < 0 ? low : 0;
    high = high > 0 ? high : 0;
    float s = (high - low) / 255.0f;
    if (!(s > 0)) s = 1.0f;  // an all-zero row (or NaN input: the result is garbage either way)
    long z = lrintf(-low / s);
    *scale = s;
    *zero = (int32_t)(z < 0 ? 0 : (z > 255 ? 255 : z));
}

static inline __attribute__((always_inline)) uint8_t quantize_one(float v, float inverse, int32_t zero) {
    long q = lrintf(v * inverse) + zero;
    return (uint8_t)(q < 0 ? 0 : (q > 255 ? 255 : q));
}

static void quantize_rows_portable(const float *x, uint8_t *q, float *scales, int32_t *zeros, long rows, long in) {
    const long stride = round_up(in, 4);
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * in;
        float low = row[0], high = row[0];
        for (long k = 1; k < in; k++) {
            low = row[k] < low ? row[k] : low;
            high = row[k] > high ? row[k] : high;
        }
        row_parameters(low, high, &scales[r], &zeros[r]);
        const float inverse = 1.0f / scales[r];
        uint8_t *out = q + r * stride;
        for (long k = 0; k < in; k++) out[k] = quantize_one(row[k], inverse, zeros[r]);
        for (long k = in; k < stride; k++) out[k] = 0;
    }
}

VNNI static void quantize_rows_avx512(const float *x, uint8_t *q, float *scales, int32_t *zeros, long rows, long in) {
    const long stride = round_up(in, 4), body = in / 16 * 16;
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * in;
        __m512 low = _mm512_set1_ps(row[0]), high = low;
        for (long k = 0; k < body; k += 16) {
            __m512 v = _mm512_loadu_ps(row + k);
            low = _mm512_min_ps(low, v);
            high = _mm512_max_ps(high, v);
        }
        float lo = _mm512_reduce_min_ps(low), hi = _mm512_reduce_max_ps(high);
        for (long k = body; k < in; k++) {
            lo = row[k] < lo ? row[k] : lo;
            hi = row[k] > hi ? row[k] : hi;
        }
        row_parameters(lo, hi, &scales[r], &zeros[r]);
        const float inverse = 1.0f / scales[r];
        const __m512 inv = _mm512_set1_ps(inverse);
        const __m512i zero = _mm512_set1_epi32(zeros[r]), top = _mm512_set1_epi32(255), bottom = _mm512_setzero_si512();
        uint8_t *out = q + r * stride;
        for (long k = 0; k < body; k += 16) {
            // cvtps rounds to nearest even, as lrintf does in the tail and the portable path.
            __m512i v = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(row + k), inv)), zero);
            v = _mm512_min_epi32(_mm512_max_epi32(v, bottom), top);
            _mm_storeu_si128((__m128i *)(out + k), _mm512_cvtepi32_epi8(v));
        }
        for (long k = body; k < in; k++) out[k] = quantize_one(row[k], inverse, zeros[r]);
        for (long k = in; k < stride; k++) out[k] = 0;
    }
}

// Up to QROWS rows × one panel of 32 columns (two registers of 16 int32 sums), the panel
// streamed once per block of rows. A short last block repeats its last row.
VNNI static void linear_int8_avx512(float *out, const uint8_t *q, const float *row_scales, const int32_t *row_zeros,
                                    const int8_t *packed, const float *column_scales, const int32_t *sums,
                                    const float *bias, long rows, long in, long out_features, long first_panel,
                                    long end_panel, int activation) {
    const long stride = round_up(in, 4), groups = stride / 4;
    for (long p = first_panel; p < end_panel; p++) {
        const int8_t *panel = packed + p * stride * CKERNELS_INT8_PANEL;
        const long column = p * CKERNELS_INT8_PANEL;
        const long width = out_features - column < CKERNELS_INT8_PANEL ? out_features - column : CKERNELS_INT8_PANEL;
        const __m512i sum0 = _mm512_loadu_si512(sums + column), sum1 = _mm512_loadu_si512(sums + column + 16);
        const __m512 scale0 = _mm512_loadu_ps(column_scales + column), scale1 = _mm512_loadu_ps(column_scales + column + 16);
        __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
        const __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
        const __mmask16 mask1 = width >= 32 ? 0xFFFF : (width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1));
        if (bias) {
            bias0 = _mm512_maskz_loadu_ps(mask0, bias + column);
            bias1 = _mm512_maskz_loadu_ps(mask1, bias + column + 16);
        }
        for (long i = 0; i < rows; i += QROWS) {
            const long count = rows - i < QROWS ? rows - i : QROWS;
            const group32 *row[QROWS];
            __m512i acc0[QROWS], acc1[QROWS];
            for (int r = 0; r < QROWS; r++) {
                const long index = i + (r < count ? r : count - 1);
                row[r] = (const group32 *)(q + index * stride);
                const __m512i zero = _mm512_set1_epi32(-row_zeros[index]);
                acc0[r] = _mm512_mullo_epi32(zero, sum0);
                acc1[r] = _mm512_mullo_epi32(zero, sum1);
            }
            const int8_t *w = panel;
            for (long g = 0; g < groups; g++, w += CKERNELS_INT8_PANEL * 4) {
                const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
                for (int r = 0; r < QROWS; r++) {
                    const __m512i a = _mm512_set1_epi32(row[r][g]);
                    acc0[r] = _mm512_dpbusd_epi32(acc0[r], a, w0);
                    acc1[r] = _mm512_dpbusd_epi32(acc1[r], a, w1);
                }
            }
            for (long r = 0; r < count; r++) {
                const __m512 s = _mm512_set1_ps(row_scales[i + r]);
                float *target = out + (i + r) * out_features + column;
                _mm512_mask_storeu_ps(target, mask0,
                    _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc0[r]), _mm512_mul_ps(s, scale0), bias0));
                _mm512_mask_storeu_ps(target + 16, mask1,
                    _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc1[r]), _mm512_mul_ps(s, scale1), bias1));
            }
            if (activation != CKERNELS_ACTIVATION_NONE)
                activate_block_avx512(out + i * out_features + column, count, out_features, width, activation);
        }
    }
}

static void linear_int8_portable(float *out, const uint8_t *q, const float *row_scales, const int32_t *row_zeros,
                                 const int8_t *packed, const float *column_scales, const int32_t *sums,
                                 const float *bias, long rows, long in, long out_features, long first_panel,
                                 long end_panel, int activation) {
    const long stride = round_up(in, 4);
    for (long p = first_panel; p < end_panel; p++) {
        const int8_t *panel = packed + p * stride * CKERNELS_INT8_PANEL;
        for (long r = 0; r < rows; r++) {
            const uint8_t *x = q + r * stride;
            int32_t acc[CKERNELS_INT8_PANEL];
            for (int c = 0; c < CKERNELS_INT8_PANEL; c++) acc[c] = -row_zeros[r] * sums[p * CKERNELS_INT8_PANEL + c];
            for (long k = 0; k < stride; k++) {
                const int8_t *w = panel + (k / 4) * CKERNELS_INT8_PANEL * 4 + k % 4;
                for (int c = 0; c < CKERNELS_INT8_PANEL; c++) acc[c] += (int32_t)x[k] * (int32_t)w[c * 4];
            }
            for (int c = 0; c < CKERNELS_INT8_PANEL; c++) {
                const long column = p * CKERNELS_INT8_PANEL + c;
                if (column >= out_features) break;
                out[r * out_features + column] =
                    (float)acc[c] * (row_scales[r] * column_scales[column]) + (bias ? bias[column] : 0.0f);
            }
            const long column = p * CKERNELS_INT8_PANEL;
            const long width = out_features - column < CKERNELS_INT8_PANEL ? out_features - column : CKERNELS_INT8_PANEL;
            activate_row(out + r * out_features + column, width, activation);
        }
    }
}

int CKernels_int8_has_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

void CKernels_int8_quantize_rows(const float *x, uint8_t *q, float *scales, int32_t *zeros, long rows, long in,
                                 int portable) {
    if (!portable && CKernels_int8_has_vnni())
        quantize_rows_avx512(x, q, scales, zeros, rows, in);
    else
        quantize_rows_portable(x, q, scales, zeros, rows, in);
}

void CKernels_int8_linear(float *out, const uint8_t *q, const float *row_scales, const int32_t *row_zeros,
                          const int8_t *packed, const float *column_scales, const int32_t *sums, const float *bias,
                          long rows, long in, long out_features, long first_panel, long end_panel, int activation,
                          int portable) {
    if (rows <= 0) return;
    if (!portable && CKernels_int8_has_vnni())
        linear_int8_avx512(out, q, row_scales, row_zeros, packed, column_scales, sums, bias, rows, in, out_features,
                           first_panel, end_panel, activation);
    else
        linear_int8_portable(out, q, row_scales, row_zeros, packed, column_scales, sums, bias, rows, in, out_features,
                             first_panel, end_panel, activation);
}

// 24 independent accumulators, so the loop runs at the instruction's throughput, not its latency.
VNNI static double peak_avx512(long iterations) {
    __m512i acc[24];
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_epi32(i);
    const __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x05060708);
    for (long n = 0; n < iterations; n++) {
        for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                              "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
        __asm__ volatile("" : "+v"(acc[12]), "+v"(acc[13]), "+v"(acc[14]), "+v"(acc[15]), "+v"(acc[16]),
                              "+v"(acc[17]), "+v"(acc[18]), "+v"(acc[19]), "+v"(acc[20]), "+v"(acc[21]),
                              "+v"(acc[22]), "+v"(acc[23]));
    }
    __m512i total = acc[0];
    for (int i = 1; i < 24; i++) total = _mm512_add_epi32(total, acc[i]);
    return (double)_mm512_reduce_add_epi32(total);
}

long CKernels_int8_peak_loop(long iterations) {
    if (!CKernels_int8_has_vnni()) return -1;
    return (long)peak_avx512(iterations) & 1;  // used, so the loop is not removed
}
