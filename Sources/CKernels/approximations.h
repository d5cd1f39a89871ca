// Scalar approximations written so that loops over them vectorise (shared by kernels.c and int8.c).
#ifndef FINSENT_CKERNELS_APPROXIMATIONS_H
#define FINSENT_CKERNELS_APPROXIMATIONS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

// e^x for x <= 88.7, relative error about 2e-7 (Cephes' expf polynomial). Rounding
// x·log2(e) by adding 1.5·2^23 keeps the whole function branch-free, so it vectorises.
static inline __attribute__((always_inline)) float exp_approx(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    float shifted = x * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.1665796e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.0000001e-1f;
    float e = p * r * r + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return e * scale;
}

// erf(x), absolute error below 1.5e-7 (Abramowitz & Stegun 7.1.26).
static inline __attribute__((always_inline)) float erf_approx(float x) {
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    float y = 1.0f - p * exp_approx(-a * a);
    return x < 0 ? -y : y;
}

static inline __attribute__((always_inline)) float tanh_approx(float x) {
    return 1.0f - 2.0f / (exp_approx(2.0f * x) + 1.0f);
}

static inline __attribute__((always_inline)) float gelu_erf(float x) {
    return 0.5f * x * (1.0f + erf_approx(x * 0.70710678118654752f));
}

static inline __attribute__((always_inline)) float gelu_tanh(float v) {
    return 0.5f * v * (1.0f + tanh_approx(0.79788456080286536f * (v + 0.044715f * v * v * v)));
}

#endif
