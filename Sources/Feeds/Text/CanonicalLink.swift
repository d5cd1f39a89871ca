import Foundation

/// Links as ids: absolute, tracking parameters dropped, fragment dropped.
public enum CanonicalLink {
    /// Parameters that only say where a click came from; never ones that may select the article.
    static let trackingPrefixes = ["utm_", "mc_", "pk_", "hsa_", "_hs"]
    static let trackingNames: Set<String> = [
        "fbclid", "gclid", "dclid", "msclkid", "igshid", "yclid", "twclid", "cmpid", "ocid", "ncid", "guccounter",
        "guce_referrer", "guce_referrer_sig", "mbid", "smid", "sr_share", "soc_src", "soc_trk",
    ]

    /// Resolves `text` against `base`; nil unless the result is an http(s) URL.
    public static func absolute(_ text: String, base: URL?) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, let url = URL(string: trimmed, relativeTo: base)?.absoluteURL,
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" || scheme == "file"
        else { return nil }
        return url.absoluteString
    }

    /// The link without tracking parameters or fragment, host lower-cased; nil for a non-URL.
    public static func clean(_ link: String) -> String? {
        guard var parts = URLComponents(string: link), let scheme = parts.scheme?.lowercased(), parts.host != nil || scheme == "file"
        else { return nil }
        parts.scheme = scheme
        parts.host = parts.host?.lowercased()
        parts.fragment = nil
        if let items = parts.queryItems {
            let kept = items.filter { item in
                let name = item.name.lowercased()
                return !trackingNames.contains(name) && !trackingPrefixes.contains(where: { name.hasPrefix($0) })
            }
            parts.queryItems = kept.isEmpty ? nil : kept
        }
        if (scheme == "http" && parts.port == 80) || (scheme == "https" && parts.port == 443) { parts.port = nil }
        return parts.string
    }
}
