import Foundation

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Buffered standard output for commands that print many lines.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 16) }

    mutating func write(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        if bytes.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Standard input as lines. Invalid UTF-8 becomes U+FFFD; a CR before the LF is dropped.
func standardInputLines() -> AnySequence<String> {
    AnySequence {
        AnyIterator {
            guard var line = readLine(strippingNewline: true) else { return nil }
            if line.hasSuffix("\r") { line.removeLast() }
            return line
        }
    }
}

/// A JSON string literal for `text` (RFC 8259 escaping).
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// Feed text is untrusted: nothing from it may drive the terminal.
enum Terminal {
    /// Removes control characters (escape sequences start with ESC or CSI) and collapses line breaks.
    static func sanitise(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09: out.append(" ")
            case 0..<0x20, 0x7F, 0x80..<0xA0, 0x202A...0x202E, 0x2066...0x2069: continue  // C0, DEL, C1, bidi overrides
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}

extension Terminal {
    /// Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
    static var colourEnabled: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true
            && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }
}
