import Testing

/// Broken configurations and the message each must produce (shared by the
/// library tests and the `monitorctl config check` / `monitord` process tests).
struct BadConfigCase: CustomTestStringConvertible, Sendable {
    let name: String
    let json: String
    let message: String
    var testDescription: String { name }
}

/// A valid configuration with `feeds`, `rules` and `webhooks` replaceable.
func configJSON(database: String = "\"var/monitor.sqlite\"",
                feeds: String = #"[{"id": "fed", "url": "https://example.com/feed.xml", "interval": "10m"}]"#,
                rules: String = #"[{"id": "neg", "metric": "risk", "window": "1h", "above": 0.5, "minItems": 3, "cooldown": "30m"}]"#,
                webhooks: String = "[]", extra: String = "") -> String {
    """
    {
      "database": \(database),
      "model": "\(repositoryRoot.appendingPathComponent("models/finsent-minilm").path)",
      "http": { "userAgent": "FinSentTest/1.0 (test@example.com)", "timeout": "20s", "maxBodyBytes": 10485760 },
      "api": { "listen": "127.0.0.1:0" },
      "feeds": \(feeds),
      "watchlist": [ { "symbol": "AAPL", "names": ["Apple", "Apple Inc."] } ],
      "rules": \(rules),
      "webhooks": \(webhooks)\(extra)
    }
    """
}

let badConfigCases: [BadConfigCase] = [
    BadConfigCase(name: "JSON syntax error", json: "{\n  \"database\": \"x\",\n  \"model\": }\n",
                  message: "invalid JSON at line 3, column 12: unexpected character '}'"),
    BadConfigCase(name: "trailing comma", json: #"{"database": "x", "model": "y",}"#,
                  message: "invalid JSON at line 1, column 32: trailing comma before '}'"),
    BadConfigCase(name: "duplicate key", json: #"{"database": "x", "database": "y", "model": "m"}"#,
                  message: #"invalid JSON at line 1, column 19: duplicate key "database""#),
    BadConfigCase(name: "duration given as a number",
                  json: configJSON(feeds: #"[{"id": "a", "url": "https://example.com/a", "interval": "5m"}, {"id": "b", "url": "https://example.com/b", "interval": "5m"}, {"id": "c", "url": "https://example.com/c", "interval": 5}]"#),
                  message: #"feeds[2].interval: expected a duration like "5m", got 5"#),
    BadConfigCase(name: "misspelt key", json: configJSON(feeds: #"[{"id": "a", "url": "https://example.com/a", "intreval": "5m"}]"#),
                  message: #"feeds[0].intreval: unknown key (did you mean "interval"?)"#),
    BadConfigCase(name: "PostgreSQL URI with an unknown sslmode",
                  json: configJSON(database: #""postgresql://monitor@db.internal/finsent?sslmode=verify-full""#),
                  message: #"database: not a usable PostgreSQL URI: sslmode must be one of disable, prefer, require, got "verify-full""#),
    BadConfigCase(name: "PostgreSQL password given twice",
                  json: configJSON(database: #""postgresql://monitor:hunter2@db.internal/finsent""#, extra: #", "databasePasswordEnv": "PGPASS""#),
                  message: #"database: give the password once: in the URI, "databasePasswordEnv" or "databasePasswordFile""#),
    BadConfigCase(name: "PostgreSQL password variable not set",
                  json: configJSON(database: #""postgresql://monitor@db.internal/finsent""#, extra: #", "databasePasswordEnv": "FINSENT_TEST_UNSET""#),
                  message: "databasePasswordEnv: environment variable FINSENT_TEST_UNSET is not set"),
    BadConfigCase(name: "a database password for an SQLite file",
                  json: configJSON(extra: #", "databasePasswordEnv": "PGPASS""#),
                  message: "databasePasswordEnv: only applies to a postgresql:// database"),
    BadConfigCase(name: "lease shorter than a transfer",
                  json: configJSON(extra: #", "cluster": {"leaseTimeout": "15s"}"#),
                  message: "cluster.leaseTimeout: must be longer than http.timeout (20s), got 15s"),
    BadConfigCase(name: "unknown top-level key", json: configJSON(extra: #", "colour": "blue""#),
                  message: "colour: unknown key"),
    BadConfigCase(name: "duplicate feed id",
                  json: configJSON(feeds: #"[{"id": "a", "url": "https://example.com/a", "interval": "5m"}, {"id": "a", "url": "https://example.com/b", "interval": "5m"}]"#),
                  message: #"feeds[1]: duplicate feed id "a" (also at feeds[0])"#),
    BadConfigCase(name: "invalid URL", json: configJSON(feeds: #"[{"id": "a", "url": "example.com/feed", "interval": "5m"}]"#),
                  message: #"feeds[0].url: expected an absolute URL (file, http, https), got "example.com/feed""#),
    BadConfigCase(name: "missing secret variable",
                  json: configJSON(webhooks: #"[{"id": "desk", "url": "https://hooks.example.com/x", "secretEnv": "FINSENT_TEST_UNSET_SECRET"}]"#),
                  message: "webhooks[0].secretEnv: environment variable FINSENT_TEST_UNSET_SECRET is not set"),
    BadConfigCase(name: "inline secret",
                  json: configJSON(webhooks: #"[{"id": "desk", "url": "https://hooks.example.com/x", "secret": "whsec_abc"}]"#),
                  message: "webhooks[0].secret: unknown key"),
    BadConfigCase(name: "missing required key", json: #"{"model": "m"}"#, message: "database: is required"),
    BadConfigCase(name: "wrong type", json: configJSON(database: "42"), message: "database: expected a string, got 42"),
    BadConfigCase(name: "size as text", json: configJSON().replacingOccurrences(of: "10485760", with: "\"10MB\""),
                  message: #"http.maxBodyBytes: expected a whole number, got "10MB""#),
    BadConfigCase(name: "unknown engine precision",
                  json: configJSON(extra: #", "engine": {"precision": "fp16"}"#),
                  message: #"engine.precision: expected one of auto, int8, f32, got "fp16""#),
    BadConfigCase(name: "unknown metric",
                  json: configJSON(rules: #"[{"id": "r", "metric": "panic", "window": "1h", "above": 1}]"#),
                  message: #"rules[0].metric: expected one of risk, sentiment, negativeShare, burst, volume, itemRisk, got "panic""#),
    BadConfigCase(name: "rule without threshold", json: configJSON(rules: #"[{"id": "r", "metric": "risk", "window": "1h"}]"#),
                  message: #"rules[0]: needs a threshold: "above" or "below""#),
    BadConfigCase(name: "bad listen address", json: configJSON().replacingOccurrences(of: "127.0.0.1:0", with: "localhost"),
                  message: #"api.listen: expected HOST:PORT such as "127.0.0.1:8787", got "localhost""#),
    BadConfigCase(name: "interval below one second",
                  json: configJSON(feeds: #"[{"id": "a", "url": "https://example.com/a", "interval": "500ms"}]"#),
                  message: #"feeds[0].interval: must be at least 1s, got "500ms""#),
    BadConfigCase(name: "not an object", json: "[1, 2]", message: "expected an object, got an array"),
]
