import Crypto
import Foundation

/// Lower-case hex of a SHA-256 digest (or its first bytes), without a formatter per byte: item
/// content hashes are computed for every fetched item, alert fingerprints for every rule pass.
public enum SHA256Hex {
    static let digits = Array("0123456789abcdef".utf8)

    /// The hex of the first `bytes` bytes (all 32 by default) of SHA-256 of `text`'s UTF-8.
    public static func of(_ text: String, bytes: Int = 32) -> String {
        let digest = SHA256.hash(data: Data(text.utf8))
        var out = [UInt8]()
        out.reserveCapacity(bytes * 2)
        for byte in digest.prefix(bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
