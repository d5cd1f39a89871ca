/// Why a safetensors file cannot be used. Every case names the file, and the tensor where there is one.
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let tensor: String?
    public let reason: String

    public init(file: String, tensor: String? = nil, _ reason: String) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor { return "\(file): tensor \(tensor): \(reason)" }
        return "\(file): \(reason)"
    }
}
