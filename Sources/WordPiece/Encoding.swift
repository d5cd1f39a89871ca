/// The token ids of one text, with where each token came from.
public struct Encoding: Sendable, Equatable {
    /// Token ids, `[CLS]` first and `[SEP]` last.
    public var ids: [Int32] = []
    /// For each token, the first Unicode scalar of the original text it came from
    /// (scalar offsets, as Hugging Face's `offsets` in Python). 0 for `[CLS]` and `[SEP]`.
    public var starts: [Int32] = []
    /// For each token, one past the last original scalar it came from. 0 for `[CLS]` and `[SEP]`.
    public var ends: [Int32] = []

    public init() {}

    /// The number of tokens.
    public var count: Int { ids.count }

    /// The original-text range of token `index` in scalars (empty for special tokens).
    public func scalarRange(of index: Int) -> Range<Int> { Int(starts[index])..<Int(ends[index]) }

    mutating func removeAll() {
        ids.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func append(_ id: Int32, _ start: Int32, _ end: Int32) {
        ids.append(id)
        starts.append(start)
        ends.append(end)
    }
}

/// Several encodings padded to one length, as a transformer takes them.
public struct BatchEncoding: Sendable {
    /// The encodings, unpadded, in input order.
    public var encodings: [Encoding]
    /// The padded length: the longest encoding.
    public var sequenceLength: Int
    /// Row-major (batch, sequenceLength) token ids, padded with the padding id.
    public var ids: [Int32]
    /// Row-major (batch, sequenceLength): 1 for a real token, 0 for padding.
    public var attentionMask: [Int32]
}
