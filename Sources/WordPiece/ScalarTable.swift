/// Per-scalar classes and mappings of Hugging Face's BERT normaliser and
/// pre-tokenizer, read from the generated `UnicodeTables` once per process.
struct ScalarTable: Sendable {
    /// Bits of `flags`.
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let removedByCleanText = Flags(rawValue: 1 << 0)
        static let spaceByCleanText = Flags(rawValue: 1 << 1)
        static let preTokenizerSpace = Flags(rawValue: 1 << 2)
        static let punctuation = Flags(rawValue: 1 << 3)
        static let chinese = Flags(rawValue: 1 << 4)
        static let removedByStripAccents = Flags(rawValue: 1 << 5)
        static let stripMapping = Flags(rawValue: 1 << 6)
        static let lowercaseMapping = Flags(rawValue: 1 << 7)
    }

    /// The process-wide table (about 1.1 MB of flags plus two small dictionaries).
    static let shared = ScalarTable()

    /// One byte of flags per scalar value, U+0000 through U+10FFFF.
    private let flags: [UInt8]
    private let stripAccents: [UInt32: [UInt32]]
    private let lowercase: [UInt32: [UInt32]]

    private init() {
        var flags = [UInt8](repeating: 0, count: 0x110000)
        func mark(_ text: String, _ flag: Flags) {
            for (low, high) in Self.parseRanges(text) {
                for scalar in low...high { flags[Int(scalar)] |= flag.rawValue }
            }
        }
        mark(UnicodeTables.removedByCleanText, .removedByCleanText)
        mark(UnicodeTables.spaceByCleanText, .spaceByCleanText)
        mark(UnicodeTables.preTokenizerSpace, .preTokenizerSpace)
        mark(UnicodeTables.punctuation, .punctuation)
        mark(UnicodeTables.chinese, .chinese)
        mark(UnicodeTables.removedByStripAccents, .removedByStripAccents)
        stripAccents = Self.parseMapping(UnicodeTables.stripAccents)
        lowercase = Self.parseMapping(UnicodeTables.lowercase)
        for key in stripAccents.keys { flags[Int(key)] |= Flags.stripMapping.rawValue }
        for scalar in Self.hangulSyllables { flags[Int(scalar)] |= Flags.stripMapping.rawValue }
        for key in lowercase.keys { flags[Int(key)] |= Flags.lowercaseMapping.rawValue }
        self.flags = flags
    }

    @inline(__always)
    func flags(_ scalar: UInt32) -> Flags { Flags(rawValue: flags[Int(scalar)]) }

    /// Appends what `strip_accents` makes of `scalar` (it has `.stripMapping`).
    func appendStripped(_ scalar: UInt32, to output: inout [UInt32]) {
        if Self.hangulSyllables.contains(scalar) {
            // Unicode 3.12: L V (T) jamo.
            let index = scalar - Self.hangulSyllables.lowerBound
            output.append(0x1100 + index / 588)
            output.append(0x1161 + (index % 588) / 28)
            if index % 28 != 0 { output.append(0x11A7 + index % 28) }
        } else if let mapped = stripAccents[scalar] {
            output.append(contentsOf: mapped)
        } else {
            output.append(scalar)
        }
    }

    /// Appends the lower-case form of `scalar` (it has `.lowercaseMapping`).
    func appendLowercased(_ scalar: UInt32, to output: inout [UInt32]) {
        if let mapped = lowercase[scalar] { output.append(contentsOf: mapped) } else { output.append(scalar) }
    }

    private static let hangulSyllables: ClosedRange<UInt32> = 0xAC00...0xD7A3

    private static func parseRanges(_ text: String) -> [(UInt32, UInt32)] {
        // The generator wraps long lines anywhere, so line breaks are not separators.
        text.filter { $0 != "\n" }.split(separator: ",").map { item in
            let bounds = item.split(separator: "-").map { UInt32($0, radix: 16)! }
            return (bounds[0], bounds.last!)
        }
    }

    private static func parseMapping(_ text: String) -> [UInt32: [UInt32]] {
        var mapping: [UInt32: [UInt32]] = [:]
        let joined = text.filter { $0 != "\n" }
        for entry in joined.split(separator: ";") {
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            mapping[UInt32(parts[0], radix: 16)!] = parts[1].split(separator: " ").map { UInt32($0, radix: 16)! }
        }
        return mapping
    }
}
