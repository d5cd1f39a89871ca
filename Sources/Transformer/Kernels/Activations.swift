import CKernels

/// The feed-forward activations BERT checkpoints name in `hidden_act`.
public enum Activation: String, Sendable {
    /// 0.5·x·(1 + erf(x/√2)), PyTorch's exact GELU (`gelu`).
    case gelu
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    case relu

    /// Parses `hidden_act`; nil for an unsupported name.
    init?(huggingFaceName name: String) {
        switch name {
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        default: return nil
        }
    }

    /// The code `CKernels_int8_linear` applies the same function by.
    var kernelCode: Int32 {
        switch self {
        case .gelu: CKERNELS_ACTIVATION_GELU_ERF
        case .geluTanh: CKERNELS_ACTIVATION_GELU_TANH
        case .relu: CKERNELS_ACTIVATION_RELU
        }
    }

    /// Applies the activation in place.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .gelu: CKernels_gelu_erf(values, count)
        case .geluTanh: CKernels_gelu_tanh(values, count)
        case .relu: CKernels_relu(values, count)
        }
    }
}
