import CKernels

/// How the encoder's dense layers compute (attention, softmax, LayerNorm and the heads are F32 in both).
public enum Precision: String, Sendable, CaseIterable {
    /// int8 where the CPU has AVX-512 VNNI, else F32.
    case auto
    /// Weights quantized at load (per output column), activations per token; int32 sums.
    case int8
    /// The checkpoint's weights as F32 (PyTorch-exact within 1e-4).
    case f32

    /// Whether this CPU has the int8 kernels' fast path (AVX-512 VNNI with BW and VL).
    public static var cpuHasVNNI: Bool { CKernels_int8_has_vnni() != 0 }

    /// What runs: `auto` decided for this CPU. `int8` on a CPU without VNNI runs portable C
    /// (same numbers, several times slower than F32).
    public var resolved: Precision {
        self == .auto ? (Self.cpuHasVNNI ? .int8 : .f32) : self
    }
}
