import Config
import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com/): HMAC-SHA256 over
/// "id.timestamp.body", base64, as `v1,<signature>`; one per secret during rotation,
/// separated by spaces.
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int64, body: String, secrets: [WebhookSecret]) -> String {
        let content = Data("\(id).\(timestamp).\(body)".utf8)
        return secrets.map { secret in
            let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))
            return "v1," + Data(mac).base64EncodedString()
        }.joined(separator: " ")
    }

    /// Standard Webhooks' recommended tolerance for `webhook-timestamp`: older or newer messages are replays or wrong clocks.
    public static let tolerance: Duration = .seconds(300)

    /// What a receiver checks: `timestamp` is within `tolerance` of `now`, and a `v1,` signature in `header`
    /// matches one of `secrets`. Each candidate is checked with `HMAC.isValidAuthenticationCode`, which
    /// compares in constant time (a byte-by-byte comparison that stops early would leak the signature).
    public static func verify(id: String, timestamp: Int64, body: String, header: String, secrets: [WebhookSecret],
                              now: Date = Date(), tolerance: Duration = tolerance) -> Bool {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance.seconds else { return false }
        let content = Data("\(id).\(timestamp).\(body)".utf8)
        for candidate in header.split(separator: " ") where candidate.hasPrefix("v1,") {
            guard let mac = Data(base64Encoded: String(candidate.dropFirst(3))), mac.count == SHA256.byteCount else { continue }
            for secret in secrets where HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: SymmetricKey(data: secret.key)) {
                return true
            }
        }
        return false
    }
}
