import COpenBLAS

/// y = x · Wᵀ + b, as PyTorch's `nn.Linear` stores W: one sgemm for all rows.
///
///     out:    (rows, outFeatures)
///     input:  (rows, inFeatures), row stride `inputStride`
///     weight: (outFeatures, inFeatures)
///     bias:   (outFeatures)
@inline(__always)
func linear(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, inputStride: Int? = nil,
            weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, inFeatures: Int, outFeatures: Int) {
    guard rows > 0 else { return }
    // The bias goes in first, and sgemm adds the product to it (beta = 1).
    for row in 0..<rows {
        (out + row * outFeatures).update(from: bias, count: outFeatures)
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outFeatures), Int32(inFeatures),
                1, input, Int32(inputStride ?? inFeatures), weight, Int32(inFeatures), 1, out, Int32(outFeatures))
}
