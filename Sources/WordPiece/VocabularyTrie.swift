/// A byte trie over the vocabulary for longest-match WordPiece.
///
/// Two roots share one table: `initialRoot` holds every token as written (a
/// word's first piece is looked up as is), `continuationRoot` holds the tokens
/// that start with the continuing-subword prefix, without it. Edges live in an
/// open-addressing hash table keyed by (node, byte), so a match costs one probe
/// per byte and never builds a `String`.
struct VocabularyTrie: Sendable {
    static let initialRoot: UInt32 = 0
    static let continuationRoot: UInt32 = 1
    static let noToken: Int32 = -1

    private var keys: [UInt32]
    private var children: [UInt32]
    private var mask: Int
    /// The token id that ends at each node, or `noToken`.
    private(set) var tokenAtNode: [Int32]

    private static let emptyKey = UInt32.max

    init(tokens: [(bytes: [UInt8], id: Int32)], continuationPrefix: [UInt8]) {
        let edgeEstimate = tokens.reduce(0) { $0 + $1.bytes.count } * 2 + 16
        var capacity = 1024
        while capacity < edgeEstimate * 2 { capacity <<= 1 }
        keys = [UInt32](repeating: Self.emptyKey, count: capacity)
        children = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
        tokenAtNode = [Self.noToken, Self.noToken]
        for (bytes, id) in tokens {
            insert(bytes[...], id: id, root: Self.initialRoot)
            if !continuationPrefix.isEmpty, bytes.count > continuationPrefix.count, bytes.starts(with: continuationPrefix) {
                insert(bytes[continuationPrefix.count...], id: id, root: Self.continuationRoot)
            }
        }
    }

    /// The node reached from `node` by `byte`, or nil.
    @inline(__always)
    func child(_ node: UInt32, _ byte: UInt8) -> UInt32? {
        let key = node << 8 | UInt32(byte)
        var slot = Self.slot(key, mask)
        while true {
            let found = keys[slot]
            if found == key { return children[slot] }
            if found == Self.emptyKey { return nil }
            slot = (slot + 1) & mask
        }
    }

    /// The longest token that `bytes[start...]` begins with, from `root`: its id and end index.
    @inline(__always)
    func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, root: UInt32) -> (id: Int32, end: Int)? {
        var node = root
        var best: (id: Int32, end: Int)?
        var index = start
        while index < bytes.count, let next = child(node, bytes[index]) {
            node = next
            index += 1
            let id = tokenAtNode[Int(node)]
            if id != Self.noToken { best = (id, index) }
        }
        return best
    }

    private mutating func insert(_ bytes: ArraySlice<UInt8>, id: Int32, root: UInt32) {
        var node = root
        for byte in bytes {
            if let next = child(node, byte) {
                node = next
            } else {
                let next = UInt32(tokenAtNode.count)
                precondition(next < 1 << 24, "vocabulary too large for the trie")
                tokenAtNode.append(Self.noToken)
                let key = node << 8 | UInt32(byte)
                var slot = Self.slot(key, mask)
                while keys[slot] != Self.emptyKey { slot = (slot + 1) & mask }
                keys[slot] = key
                children[slot] = next
                node = next
            }
        }
        // Tokens are unique here: Vocabulary resolves duplicates before building the trie.
        if tokenAtNode[Int(node)] == Self.noToken { tokenAtNode[Int(node)] = id }
    }

    @inline(__always)
    private static func slot(_ key: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }
}
