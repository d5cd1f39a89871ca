/// Watchlist names and aliases in one trie over Unicode scalars, built once per configuration
/// generation: finding the longest name that starts at a position costs one step per scalar of
/// that name, however many thousand names the watchlist has.
struct NameTrie: Sendable {
    private var children: [[Unicode.Scalar: Int32]] = [[:]]
    /// The symbol whose name ends at each node (the first entry that listed the name).
    private var symbols: [String?] = [nil]

    mutating func insert(_ name: [Unicode.Scalar], symbol: String) {
        var node = 0
        for scalar in name {
            if let next = children[node][scalar] {
                node = Int(next)
            } else {
                children.append([:])
                symbols.append(nil)
                children[node][scalar] = Int32(children.count - 1)
                node = children.count - 1
            }
        }
        if symbols[node] == nil { symbols[node] = symbol }
    }

    /// The longest name in `text` starting at `start` whose end `accept` takes: (end index, symbol).
    func longestMatch(in text: [Unicode.Scalar], from start: Int, where accept: (Int) -> Bool) -> (end: Int, symbol: String)? {
        var node = 0, best: (end: Int, symbol: String)?
        var index = start
        while index < text.count, let next = children[node][text[index]] {
            node = Int(next)
            index += 1
            if let symbol = symbols[node], accept(index) { best = (index, symbol) }
        }
        return best
    }
}
