/// A read-only run of `Float`s that stays valid while this value exists:
/// either memory of its own or a view into a mapped safetensors file.
public struct Weights: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let count: Int
    // Keeps the file mapping (or the owned buffer) alive.
    private let owner: AnyObject

    init(pointer: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    /// Takes ownership of an array.
    public init(_ values: [Float]) {
        let buffer = OwnedFloats(values)
        self.init(pointer: UnsafePointer(buffer.pointer), count: values.count, owner: buffer)
    }

    /// The values as an array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Heap memory for owned weights (an array's storage cannot be pinned beyond a closure).
final class OwnedFloats {
    let pointer: UnsafeMutablePointer<Float>

    init(_ values: [Float]) {
        pointer = .allocate(capacity: max(values.count, 1))
        if let source = values.withUnsafeBufferPointer({ $0.baseAddress }), !values.isEmpty {
            pointer.initialize(from: source, count: values.count)
        }
    }

    deinit { pointer.deallocate() }
}
