import CKernels

/// A dense layer, y = x·Wᵀ + b, with W packed once at load for `CKernels_linear`.
///
/// Why not sgemm: a general sgemm repacks the weight matrix on every call. With the
/// few rows of live scoring (one text ≈ 30 tokens) that repacking took 45% of the
/// time in OpenBLAS; packed once, the same product runs 20–25% faster at 30 rows
/// and 5–15% faster at 450 (measured by tools/engine/bench.py and in docs).
struct PackedLinear: Sendable {
    let packed: Weights
    let bias: Weights
    let inFeatures: Int
    let outFeatures: Int

    /// Packs a PyTorch (out, in) weight.
    init(weight: UnsafePointer<Float>, bias: Weights, inFeatures: Int, outFeatures: Int) {
        var packed = [Float](repeating: 0, count: CKernels_packed_size(inFeatures, outFeatures))
        CKernels_pack_weight(weight, &packed, inFeatures, outFeatures)
        self.packed = Weights(packed)
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    var panels: Int { (outFeatures + Int(CKERNELS_PANEL) - 1) / Int(CKERNELS_PANEL) }

    /// out (rows, outFeatures) = input (rows, inFeatures)·Wᵀ + b, the output columns split
    /// between the threads of `pool` (each computes whole panels), or on this thread alone.
    func apply(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, pool: WorkerPool? = nil) {
        guard rows > 0 else { return }
        WorkerPool.splitPanels(panels, on: pool) { first, end in
            CKernels_linear(out, input, packed.pointer, bias.pointer, rows, inFeatures, outFeatures, first, end)
        }
    }
}
