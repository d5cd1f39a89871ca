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

    /// True when any `v1,` signature in `header` matches one of `secrets` (what a receiver checks).
    public static func verify(id: String, timestamp: Int64, body: String, header: String, secrets: [WebhookSecret]) -> Bool {
        let expected = Set(sign(id: id, timestamp: timestamp, body: body, secrets: secrets).split(separator: " "))
        return header.split(separator: " ").contains { expected.contains($0) }
    }
}
