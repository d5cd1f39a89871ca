/// Why a model folder cannot be loaded; the message names the file and, where it applies,
/// the key or tensor.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    /// A problem with one file.
    public init(file: String, _ reason: String) {
        description = "\(file): \(reason)"
    }

    /// A message that already names its file (from the tokenizer or the safetensors reader).
    public init(_ error: some Error & CustomStringConvertible) {
        description = error.description
    }
}
