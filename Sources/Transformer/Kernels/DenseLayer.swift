/// One of the encoder's dense layers, in the precision the model was loaded with.
enum DenseLayer: Sendable {
    case f32(PackedLinear)
    case int8(QuantizedLinear)

    /// Packs a PyTorch (out, in) weight for `precision` (`auto`: as decided for this CPU).
    init(weight: UnsafePointer<Float>, bias: Weights, inFeatures: Int, outFeatures: Int, precision: Precision) {
        if precision.resolved == .int8 {
            self = .int8(QuantizedLinear(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures))
        } else {
            self = .f32(PackedLinear(weight: weight, bias: bias, inFeatures: inFeatures, outFeatures: outFeatures))
        }
    }

    /// out (rows, out) = activation(input (rows, in)·Wᵀ + b), on the threads of `pool` (or this one).
    /// int8 applies the activation as it stores each panel; F32 in a pass of its own.
    func apply(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, pool: WorkerPool?,
               scratch: QuantizedRows, activation: Activation? = nil) {
        switch self {
        case .f32(let linear):
            linear.apply(out, input, rows: rows, pool: pool)
            activation?.apply(out, count: rows * linear.outFeatures)
        case .int8(let linear):
            linear.apply(out, input, rows: rows, pool: pool, scratch: scratch, activation: activation)
        }
    }
}
