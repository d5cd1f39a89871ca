import Crypto
import Foundation

/// Lower-case hex of SHA-256 prefixes, without a formatter per byte.
enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    static func prefix(of text: String, bytes: Int) -> String {
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
