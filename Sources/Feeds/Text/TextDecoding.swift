import Foundation

/// Decodes a fetched body to text. The byte-order mark wins, then the HTTP charset, then the
/// XML prolog's `encoding`, then UTF-8. Every encoding glibc's iconv knows is read (Windows-125x,
/// KOI8, ISO-8859-x, Shift_JIS, EUC-JP/KR, GB18030, Big5, …); Latin-1 and ASCII labels mean
/// Windows-1252 and GB2312/GBK mean GB18030, as in browsers (WHATWG Encoding). A label nobody knows,
/// or one that contradicts the bytes the prolog was read from (EBCDIC, UTF-32 in an ASCII prolog),
/// is ignored. Undeclared bytes that are not UTF-8 are read as Windows-1252, as feedparser and
/// browsers do for legacy feeds. Bytes invalid in the chosen encoding become U+FFFD rather than an
/// error: one bad byte should not cost a feed its items.
public enum TextDecoding {
    public static func decode(_ body: [UInt8], httpCharset: String? = nil) -> String {
        withoutC1Controls(decodeBytes(body, httpCharset: httpCharset))
    }

    /// C1 control characters (U+0080–U+009F) never belong in feed text; where they appear, a Windows-1252
    /// byte was taken for Latin-1 on the way ("don\u{92}t"). They get their Windows-1252 meaning ("don’t").
    static func withoutC1Controls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0x80...0x9F).contains(scalar.value) {
                out.append(Unicode.Scalar(cp1252High[Int(scalar.value) - 0x80])!)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func decodeBytes(_ body: [UInt8], httpCharset: String?) -> String {
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { return String(decoding: body.dropFirst(3), as: UTF8.self) }
        if body.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return Iconv.decode(body.dropFirst(4), from: "UTF-32BE") ?? "" }
        if body.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return Iconv.decode(body.dropFirst(4), from: "UTF-32LE") ?? "" }
        if body.starts(with: [0xFF, 0xFE]) { return utf16(body.dropFirst(2), littleEndian: true) }
        if body.starts(with: [0xFE, 0xFF]) { return utf16(body.dropFirst(2), littleEndian: false) }
        // UTF-32 and UTF-16 without a BOM: "<" with NULs before or after it.
        if body.starts(with: [0, 0, 0, 0x3C]) { return Iconv.decode(body[...], from: "UTF-32BE") ?? "" }
        if body.starts(with: [0x3C, 0, 0, 0]) { return Iconv.decode(body[...], from: "UTF-32LE") ?? "" }
        if body.count >= 4, body[0] == 0x3C, body[1] == 0 { return utf16(body[...], littleEndian: true) }
        if body.count >= 4, body[0] == 0, body[1] == 0x3C { return utf16(body[...], littleEndian: false) }
        let declared = httpCharset.flatMap { $0.isEmpty ? nil : $0 } ?? prologEncoding(body)
        if let declared, let text = decode(body, declared: normalise(declared)) { return text }
        if let text = String(validating: body, as: UTF8.self) { return text }
        return windows1252(body)
    }

    /// The body in a declared encoding; nil when the label is unknown or cannot be what the bytes are.
    static func decode(_ body: [UInt8], declared: String) -> String? {
        switch declared {
        case "utf-8", "utf8", "unicode-1-1-utf-8": return String(decoding: body, as: UTF8.self)
        case "iso-8859-1", "latin1", "l1", "iso8859-1", "iso_8859-1", "windows-1252", "cp1252", "us-ascii", "ascii", "x-cp1252":
            return windows1252(body)
        case "utf-16", "utf-16le": return utf16(body[...], littleEndian: true)
        case "utf-16be": return utf16(body[...], littleEndian: false)
        default:
            // The prolog was read as ASCII: an encoding that reads the document's first ASCII bytes as
            // something else (EBCDIC, UTF-32) is a wrong label.
            guard let text = Iconv.decode(body[...], from: iconvNames[declared] ?? declared) else { return nil }
            let head = body.prefix(5).prefix { $0 < 0x80 }
            return text.unicodeScalars.prefix(head.count).elementsEqual(head.map { Unicode.Scalar($0) }) ? text : nil
        }
    }

    /// Labels in use on the web that glibc spells differently, or whose superset is what servers mean.
    static let iconvNames: [String: String] = [
        "gb2312": "GB18030", "gbk": "GB18030", "x-gbk": "GB18030", "csgb2312": "GB18030", "chinese": "GB18030",
        "x-sjis": "SHIFT_JIS", "shift-jis": "SHIFT_JIS", "ms_kanji": "SHIFT_JIS", "windows-31j": "CP932", "ms932": "CP932",
        "x-euc-jp": "EUC-JP", "ks_c_5601-1987": "CP949", "windows-949": "CP949", "x-mac-roman": "MACINTOSH",
        "iso-8859-8-i": "ISO-8859-8", "big5-hkscs": "BIG5-HKSCS", "x-x-big5": "BIG5", "cn-big5": "BIG5",
    ]

    /// The charset parameter of a Content-Type header value.
    public static func charset(fromContentType value: String?) -> String? {
        guard let value else { return nil }
        for part in value.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "charset" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
        }
        return nil
    }

    static func normalise(_ name: String) -> String { name.trimmingCharacters(in: .whitespaces).lowercased() }

    /// `encoding="…"` from `<?xml …?>` at the start of an ASCII-compatible document.
    static func prologEncoding(_ body: [UInt8]) -> String? {
        let head = String(decoding: body.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml"), let end = head.range(of: "?>") else { return nil }
        let prolog = head[..<end.lowerBound]
        guard let key = prolog.range(of: "encoding") else { return nil }
        let rest = prolog[key.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        return String(rest.dropFirst().prefix { $0 != quote })
    }

    /// Windows-1252: Latin-1 with printable characters in 0x80–0x9F.
    static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func windows1252(_ body: [UInt8]) -> String {
        var out = String.UnicodeScalarView()
        for b in body {
            let code = (0x80..<0xA0).contains(b) ? cp1252High[Int(b) - 0x80] : UInt32(b)
            out.append(Unicode.Scalar(code)!)
        }
        return String(out)
    }

    static func utf16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
            units.append(littleEndian ? a | b << 8 : a << 8 | b)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }
}
