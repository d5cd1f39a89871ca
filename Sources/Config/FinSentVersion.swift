/// FinSent Monitor's own version (`--version`, `monitorctl version`, the User-Agent).
public enum FinSentVersion {
    public static let string = "0.1.0"
}
