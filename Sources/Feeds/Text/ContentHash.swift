import Foundation

/// The content hash of an item: SHA-256 of its title and text, case-folded with white space
/// collapsed, so the same story under another id (syndication, a new guid) is recognised.
enum ContentHash {
    static func of(title: String, text: String) -> String {
        let normalised = HTMLText.collapseWhitespace(title).lowercased() + "\n" + HTMLText.collapseWhitespace(text).lowercased()
        return SHA256Hex.of(normalised)
    }
}
