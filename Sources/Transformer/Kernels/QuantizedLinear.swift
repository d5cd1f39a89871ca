import CKernels

/// A dense layer in int8, y ≈ x·Wᵀ + b: W quantized once at load (symmetric, one scale per
/// output column) and packed for `CKernels_int8_linear`; x quantized per row on each call
/// (asymmetric u8, one scale and zero point per token), sums in int32, dequantized with
/// the bias as the result is stored.
struct QuantizedLinear: Sendable {
    let packed: AlignedBuffer<Int8>
    let scales: Weights
    let sums: AlignedBuffer<Int32>
    let bias: Weights
    let inFeatures: Int
    let outFeatures: Int

    /// Quantizes and packs a PyTorch (out, in) F32 weight.
    init(weight: UnsafePointer<Float>, bias: Weights, inFeatures: Int, outFeatures: Int) {
        let panel = Int(CKERNELS_INT8_PANEL)
        let columns = (outFeatures + panel - 1) / panel * panel
        let packed = AlignedBuffer<Int8>(count: CKernels_int8_packed_size(inFeatures, outFeatures))
        let sums = AlignedBuffer<Int32>(count: columns)
        var scales = [Float](repeating: 0, count: columns)
        CKernels_int8_pack_weight(weight, packed.pointer, &scales, sums.pointer, inFeatures, outFeatures)
        self.packed = packed
        self.sums = sums
        self.scales = Weights(scales)
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    var panels: Int { (outFeatures + Int(CKERNELS_INT8_PANEL) - 1) / Int(CKERNELS_INT8_PANEL) }

    /// out (rows, outFeatures) = activation(input (rows, inFeatures)·Wᵀ + b); the rows are quantized
    /// into `scratch` once, then the output panels are split between the threads of `pool` (the
    /// activation runs in the same pass, on each thread's panels).
    func apply(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, pool: WorkerPool?,
               scratch: QuantizedRows, activation: Activation?) {
        guard rows > 0 else { return }
        let activation = activation?.kernelCode ?? CKERNELS_ACTIVATION_NONE
        let (q, rowScales, rowZeros) = scratch.reserve(rows: rows, inFeatures: inFeatures)
        CKernels_int8_quantize_rows(input, q, rowScales, rowZeros, rows, inFeatures, 0)
        WorkerPool.splitPanels(panels, on: pool) { first, end in
            CKernels_int8_linear(out, q, rowScales, rowZeros, packed.pointer, scales.pointer, sums.pointer, bias.pointer,
                                 rows, inFeatures, outFeatures, first, end, activation, 0)
        }
    }
}

/// One encoder's buffer for quantized activations (u8 rows, per-row scale and zero point),
/// grown to the largest layer input it has seen.
final class QuantizedRows {
    private var bytes = AlignedBuffer<Int8>(count: 0)
    private var scales = FloatBuffer()
    private var zeros = AlignedBuffer<Int32>(count: 0)

    func reserve(rows: Int, inFeatures: Int)
        -> (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>) {
        let size = rows * CKernels_int8_stride(inFeatures)
        if size > bytes.count { bytes = AlignedBuffer<Int8>(count: max(size, bytes.count * 2)) }
        if rows > zeros.count { zeros = AlignedBuffer<Int32>(count: max(rows, zeros.count * 2)) }
        return (UnsafeMutableRawPointer(bytes.pointer).assumingMemoryBound(to: UInt8.self), scales.reserve(rows),
                zeros.pointer)
    }
}

/// Zeroed heap memory of `count` values, 64-byte aligned (whole cache lines per packed group).
final class AlignedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int) {
        self.count = count
        let bytes = max(count * MemoryLayout<Element>.stride, 64)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
