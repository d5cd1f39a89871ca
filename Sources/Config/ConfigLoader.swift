import Feeds
import Foundation
import Logging
import Stories
import Store
import Transformer

/// Reads and validates `config.json` into a `MonitorConfig`.
public enum ConfigLoader {
    /// Where monitord and monitorctl look when `--config` is not given, in order.
    public static let defaultLocations = ["config.json", "/etc/finsent/config.json"]

    /// The configuration file to use: the one given, else the first default location that exists.
    public static func locate(_ given: String?, fileExists: (String) -> Bool = FileManager.default.fileExists(atPath:)) throws(ConfigError) -> String {
        if let given { return given }
        if let found = defaultLocations.first(where: fileExists) { return found }
        throw ConfigError(file: defaultLocations[0], message:
            "no configuration found (looked for \(defaultLocations.joined(separator: " and "))); pass --config PATH")
    }

    /// Loads and validates a configuration file. `environment` supplies secrets named by `secretEnv`.
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            secrets: SecretHandling = .resolve) throws(ConfigError) -> MonitorConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw ConfigError(file: file, message: "cannot read the file: \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
        return try parse(Array(data), file: file, environment: environment, secrets: secrets)
    }

    /// Validates configuration text; relative paths resolve against `file`'s folder.
    public static func parse(_ bytes: [UInt8], file: String, environment: [String: String],
                             secrets: SecretHandling = .resolve) throws(ConfigError) -> MonitorConfig {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw ConfigError(file: file, message: error.description)
        }
        let folder = URL(fileURLWithPath: file).standardizedFileURL.deletingLastPathComponent()
        let builder = ConfigBuilder(folder: folder, environment: environment, secrets: secrets)
        let config = builder.build(document, file: URL(fileURLWithPath: file).standardizedFileURL.path)
        guard let config, builder.reader.issues.isEmpty else {
            throw ConfigError(file: file, issues: builder.reader.issues)
        }
        return config
    }
}

/// Turns the JSON document into typed settings, one section per method.
private struct ConfigBuilder {
    let reader = ConfigReader()
    let folder: URL
    let environment: [String: String]
    let secrets: SecretHandling

    static let topKeys = ["database", "databasePasswordEnv", "databasePasswordFile", "cluster", "model", "engine", "http", "polling", "risk", "delivery", "api", "retention", "stories", "feeds", "feedsFile", "watchlist", "watchlistFile", "rules", "webhooks", "logLevel", "shutdownTimeout"]

    func build(_ document: JSONValue, file: String) -> MonitorConfig? {
        guard let top = reader.object(document, at: "", allowed: Self.topKeys) else { return nil }
        let database = top.required("database").flatMap { self.database($0.value, at: $0.path, top: top) }
        let cluster = self.cluster(top.optional("cluster"))
        let model = top.required("model").flatMap { path($0.value, at: $0.path) }
        let engine = engine(top.optional("engine"))
        let http = http(top.optional("http"))
        let polling = polling(top.optional("polling"))
        let risk = risk(top.optional("risk"))
        let delivery = delivery(top.optional("delivery"))
        let api = api(top.optional("api"))
        let retention = retention(top.optional("retention"))
        let stories = stories(top.optional("stories"))
        let feeds = merged(top, key: "feeds", fileKey: "feedsFile", what: "feed id", element: feed)
        let watchlist = merged(top, key: "watchlist", fileKey: "watchlistFile", what: "symbol", element: watch)
        let rules = list(top.optional("rules"), what: "rule id", element: rule)
        let webhooks = list(top.optional("webhooks"), what: "webhook id", element: webhook)
        var logLevel = Logger.Level.info
        if let (keyPath, value) = top.optional("logLevel"), let text = reader.string(value, at: keyPath) {
            if let level = Logger.Level(rawValue: text) {
                logLevel = level
            } else {
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(keyPath, "expected one of \(names), got \(value.shortDescription)")
            }
        }
        let shutdownTimeout = top.optional("shutdownTimeout")
            .map { reader.duration($0.value, at: $0.path, minimum: .seconds(1)) } ?? .seconds(10)

        if let rules, let webhooks {
            let known = Set(webhooks.map(\.id))
            for (index, rule) in rules.enumerated() {
                for name in rule.webhooks where !known.contains(name) {
                    reader.report("rules[\(index)].webhooks", "no webhook with id \"\(name)\" (known: \(known.sorted().joined(separator: ", ")))")
                }
            }
        }
        if let cluster, let http, let delivery {
            // A lease must outlive the work it covers, or a slow transfer would be taken over mid-way.
            for (name, timeout) in [("http.timeout", http.timeout), ("delivery.timeout", delivery.timeout)] where timeout >= cluster.leaseTimeout {
                reader.report("cluster.leaseTimeout", "must be longer than \(name) (\(DurationText.format(timeout))), "
                              + "got \(DurationText.format(cluster.leaseTimeout))")
            }
        }
        guard reader.issues.isEmpty else { return nil }
        guard let database, let cluster, let model, let engine, let http, let polling, let risk, let delivery, let api, let retention, let stories, let feeds, let watchlist,
              let rules, let webhooks, let shutdownTimeout
        else { return nil }
        return MonitorConfig(file: file, database: database, cluster: cluster, model: model, engine: engine, http: http, polling: polling, risk: risk, delivery: delivery, api: api, retention: retention, stories: stories, feeds: feeds,
                             watchlist: watchlist, rules: rules, webhooks: webhooks, logLevel: logLevel,
                             shutdownTimeout: shutdownTimeout)
    }

    /// A file path; relative ones resolve against the configuration's folder.
    func path(_ value: JSONValue, at keyPath: String) -> String? {
        guard let text = reader.string(value, at: keyPath) else { return nil }
        return URL(fileURLWithPath: text, relativeTo: folder).standardizedFileURL.path
    }

    /// `database`: a PostgreSQL URI, else an SQLite file path. A PostgreSQL password comes from the URI,
    /// `databasePasswordEnv` or `databasePasswordFile` (at most one; never printed).
    func database(_ value: JSONValue, at keyPath: String, top: ObjectFields) -> DatabaseLocation? {
        guard let text = reader.string(value, at: keyPath) else { return nil }
        let env = top.optional("databasePasswordEnv"), file = top.optional("databasePasswordFile")
        guard DatabaseLocation.isPostgresURI(text) else {
            for (p, _) in [env, file].compactMap({ $0 }) { reader.report(p, "only applies to a postgresql:// database") }
            return path(value, at: keyPath).map { .sqlite(path: $0) }
        }
        var location: PostgresLocation
        do {
            location = try PostgresLocation(uri: text)
        } catch {
            reader.report(keyPath, "not a usable PostgreSQL URI: \(error)")
            return nil
        }
        let sources = (location.password != nil ? 1 : 0) + (env != nil ? 1 : 0) + (file != nil ? 1 : 0)
        guard sources <= 1 else {
            reader.report(keyPath, "give the password once: in the URI, \"databasePasswordEnv\" or \"databasePasswordFile\"")
            return nil
        }
        if let (p, v) = env, let name = reader.string(v, at: p) {
            guard let password = environment[name] else { reader.report(p, "environment variable \(name) is not set"); return nil }
            location.password = password
        }
        if let (p, v) = file, let path = path(v, at: p) {
            guard let password = try? String(contentsOfFile: path, encoding: .utf8) else {
                reader.report(p, "cannot read password file \(path)")
                return nil
            }
            location.password = password.trimmingCharacters(in: .newlines)
        }
        return .postgres(location)
    }

    func cluster(_ field: (path: String, value: JSONValue)?) -> ClusterSettings? {
        var settings = ClusterSettings()
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["leaseTimeout", "maxConnections"]) else { return nil }
        var valid = true
        if let (p, v) = object.optional("leaseTimeout") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.leaseTimeout = d } else { valid = false }
        }
        if let (p, v) = object.optional("maxConnections") {
            if let n = reader.integer(v, at: p, in: 2...200) { settings.maxConnections = n } else { valid = false }
        }
        return valid ? settings : nil
    }

    /// A list given inline (`key`), in a fragment file (`fileKey`: a JSON object `{"key": [...]}`, as
    /// `monitorctl watchlist import` and `feeds import` write), or both; ids unique across the two.
    func merged<T>(_ top: ObjectFields, key: String, fileKey: String, what: String,
                   element: (JSONValue, String) -> (id: String, value: T)?) -> [T]? {
        var fields: [(path: String, value: JSONValue)] = []
        if let inline = top.optional(key) { fields.append(inline) }
        if let (p, v) = top.optional(fileKey) {
            guard let file = path(v, at: p) else { return nil }
            guard let data = FileManager.default.contents(atPath: file) else {
                reader.report(p, "cannot read \(file)")
                return nil
            }
            let document: JSONValue
            do { document = try JSONParser.parse(Array(data)) } catch {
                reader.report(p, "\(file): \(error.description)")
                return nil
            }
            let name = URL(fileURLWithPath: file).lastPathComponent
            guard let object = reader.object(document, at: name, allowed: [key]) else { return nil }
            guard let list = object.required(key) else { return nil }
            fields.append(list)
        }
        var parsed: [(path: String, entry: (id: String, value: T)?)] = []
        var count = 0
        for field in fields {
            guard let elements = reader.array(field.value, at: field.path) else { return nil }
            count += elements.count
            parsed += elements.map { (path: $0.path, entry: element($0.value, $0.path)) }
        }
        reader.checkUnique(parsed.compactMap { item in item.entry.map { (item.path, $0.id) } }, what: what)
        let values = parsed.compactMap(\.entry?.value)
        return values.count == count ? values : nil
    }

    /// A list whose elements carry an id; duplicates are reported. Absent means empty.
    func list<T>(_ field: (path: String, value: JSONValue)?, what: String,
                 element: (JSONValue, String) -> (id: String, value: T)?) -> [T]? {
        guard let field else { return [] }
        guard let elements = reader.array(field.value, at: field.path) else { return nil }
        let parsed = elements.map { (path: $0.path, entry: element($0.value, $0.path)) }
        reader.checkUnique(parsed.compactMap { item in item.entry.map { (item.path, $0.id) } }, what: what)
        let values = parsed.compactMap(\.entry?.value)
        return values.count == elements.count ? values : nil
    }

    /// `stories`: the window an item may join a story in, and the similarity it takes (README, "Stories").
    func stories(_ field: (path: String, value: JSONValue)?) -> StorySettings? {
        var settings = StorySettings()
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["enabled", "window", "threshold", "embeddingWeight"]) else { return nil }
        var valid = true
        if let (p, v) = object.optional("enabled") {
            if let enabled = reader.bool(v, at: p) { settings.enabled = enabled } else { valid = false }
        }
        if let (p, v) = object.optional("window") {
            if let window = reader.duration(v, at: p, minimum: .seconds(60)) { settings.windowMillis = window.millis } else { valid = false }
        }
        for (key, assign) in [("threshold", { (x: Float) in settings.threshold = x }), ("embeddingWeight", { settings.embeddingWeight = $0 })] {
            guard let (p, v) = object.optional(key) else { continue }
            guard let x = reader.number(v, at: p) else { valid = false; continue }
            if (0...1).contains(x) { assign(Float(x)) } else { reader.report(p, "must be between 0 and 1, got \(v.shortDescription)"); valid = false }
        }
        return valid ? settings : nil
    }

    func engine(_ field: (path: String, value: JSONValue)?) -> EngineSettings? {
        var settings = EngineSettings(threads: min(ProcessInfo.processInfo.activeProcessorCount, 8), maxLength: 128, batchSize: 32,
                                      precision: .auto)
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["threads", "maxLength", "batchSize", "precision"]) else {
            return nil
        }
        var valid = true
        if let (p, v) = object.optional("threads") {
            if let n = reader.integer(v, at: p, in: 1...64) { settings.threads = n } else { valid = false }
        }
        if let (p, v) = object.optional("maxLength") {
            if let n = reader.integer(v, at: p, in: 8...512) { settings.maxLength = n } else { valid = false }
        }
        if let (p, v) = object.optional("batchSize") {
            if let n = reader.integer(v, at: p, in: 1...1024) { settings.batchSize = n } else { valid = false }
        }
        if let (p, v) = object.optional("precision") {
            if let precision = reader.string(v, at: p).flatMap(Precision.init(rawValue:)) {
                settings.precision = precision
            } else {
                let names = Precision.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(p, "expected one of \(names), got \(v.shortDescription)")
                valid = false
            }
        }
        return valid ? settings : nil
    }

    func http(_ field: (path: String, value: JSONValue)?) -> HTTPSettings? {
        var settings = HTTPSettings(userAgent: "FinSentMonitor/0.1", timeout: .seconds(20), connectTimeout: .seconds(10),
                                    maxBodyBytes: 10 * 1024 * 1024, maxRedirects: 5)
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path,
                                         allowed: ["userAgent", "timeout", "connectTimeout", "maxBodyBytes", "maxRedirects"])
        else { return nil }
        var valid = true
        if let (p, v) = object.optional("userAgent") {
            if let text = reader.string(v, at: p) { settings.userAgent = text } else { valid = false }
        }
        if let (p, v) = object.optional("timeout") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.timeout = d } else { valid = false }
        }
        if let (p, v) = object.optional("connectTimeout") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.connectTimeout = d } else { valid = false }
        }
        if let (p, v) = object.optional("maxBodyBytes") {
            if let n = reader.integer(v, at: p, in: 1024...(1 << 30)) { settings.maxBodyBytes = n } else { valid = false }
        }
        if let (p, v) = object.optional("maxRedirects") {
            if let n = reader.integer(v, at: p, in: 0...20) { settings.maxRedirects = n } else { valid = false }
        }
        return valid ? settings : nil
    }

    func polling(_ field: (path: String, value: JSONValue)?) -> PollingSettings? {
        var settings = PollingSettings(maxPerHost: 4, maxBackoff: .seconds(3600), unhealthyAfter: 5)
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["maxPerHost", "maxBackoff", "unhealthyAfter", "staleAfter"]) else {
            return nil
        }
        var valid = true
        if let (p, v) = object.optional("maxPerHost") {
            if let n = reader.integer(v, at: p, in: 1...64) { settings.maxPerHost = n } else { valid = false }
        }
        if let (p, v) = object.optional("maxBackoff") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.maxBackoff = d } else { valid = false }
        }
        if let (p, v) = object.optional("unhealthyAfter") {
            if let n = reader.integer(v, at: p, in: 1...1000) { settings.unhealthyAfter = n } else { valid = false }
        }
        if let (p, v) = object.optional("staleAfter") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.staleAfter = d } else { valid = false }
        }
        return valid ? settings : nil
    }

    func risk(_ field: (path: String, value: JSONValue)?) -> RiskSettings? {
        var settings = RiskSettings(topicSeverity: RiskSettings.defaultTopicSeverity, defaultSeverity: 0.5)
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["topicSeverity", "defaultSeverity"]) else { return nil }
        var valid = true
        if let (p, v) = object.optional("defaultSeverity") {
            if let n = reader.number(v, at: p), (0...1).contains(n) { settings.defaultSeverity = n } else {
                if reader.number(v, at: p) != nil { reader.report(p, "expected a number from 0 to 1") }
                valid = false
            }
        }
        if let (p, v) = object.optional("topicSeverity") {
            guard case let .object(members) = v else {
                reader.report(p, "expected an object of topic names and severities from 0 to 1")
                return nil
            }
            for (topic, value) in members {
                let q = reader.join(p, topic)
                if let n = reader.number(value, at: q), (0...1).contains(n) { settings.topicSeverity[topic] = n } else {
                    if reader.number(value, at: q) != nil { reader.report(q, "expected a number from 0 to 1") }
                    valid = false
                }
            }
        }
        return valid ? settings : nil
    }

    func delivery(_ field: (path: String, value: JSONValue)?) -> DeliverySettings? {
        var settings = DeliverySettings(retrySchedule: DeliverySettings.defaultSchedule, giveUpAfter: .seconds(86_400), timeout: .seconds(10))
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["retrySchedule", "giveUpAfter", "timeout"]) else { return nil }
        var valid = true
        if let (p, v) = object.optional("retrySchedule") {
            let steps = reader.array(v, at: p)?.map { reader.duration($0.value, at: $0.path, minimum: .milliseconds(100)) }
            if let steps, !steps.isEmpty, steps.allSatisfy({ $0 != nil }) { settings.retrySchedule = steps.compactMap { $0 } } else {
                if steps?.isEmpty == true { reader.report(p, "needs at least one duration") }
                valid = false
            }
        }
        if let (p, v) = object.optional("giveUpAfter") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.giveUpAfter = d } else { valid = false }
        }
        if let (p, v) = object.optional("timeout") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.timeout = d } else { valid = false }
        }
        return valid ? settings : nil
    }

    func retention(_ field: (path: String, value: JSONValue)?) -> RetentionSettings? {
        var settings = RetentionSettings()
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path, allowed: ["items", "alertHistory", "deliveryLog", "interval"]) else {
            return nil
        }
        var valid = true
        func keep(_ key: String) -> Duration? {
            guard let (p, v) = object.optional(key) else { return nil }
            guard let d = reader.duration(v, at: p, minimum: .seconds(3600)) else { valid = false; return nil }
            return d
        }
        settings.policy = RetentionPolicy(items: keep("items"), alertHistory: keep("alertHistory"), deliveryLog: keep("deliveryLog"))
        if let (p, v) = object.optional("interval") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.interval = d } else { valid = false }
        }
        return valid ? settings : nil
    }

    func api(_ field: (path: String, value: JSONValue)?) -> APISettings? {
        var settings = APISettings(host: "127.0.0.1", port: 8787)
        guard let field else { return settings }
        guard let object = reader.object(field.value, at: field.path,
                                         allowed: ["listen", "tokenEnv", "tokenFile", "protectMetrics", "metricsEntities", "idleTimeout",
                                                   "maxConnections"]) else { return nil }
        var valid = true
        if let (p, v) = object.optional("listen") {
            guard let text = reader.string(v, at: p) else { return nil }
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                reader.report(p, "expected HOST:PORT such as \"127.0.0.1:8787\", got \(v.shortDescription)")
                return nil
            }
            var host = String(text[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, !host.contains(" ") else {
                reader.report(p, "expected HOST:PORT such as \"127.0.0.1:8787\", got \(v.shortDescription)")
                return nil
            }
            settings.host = host
            settings.port = port
        }
        switch (object.optional("tokenEnv"), object.optional("tokenFile")) {
        case (nil, nil): break
        case (.some, .some):
            reader.report(field.path, "give either \"tokenEnv\" or \"tokenFile\", not both")
            valid = false
        case let (.some((p, v)), nil):
            guard let name = reader.string(v, at: p) else { valid = false; break }
            settings.tokenSource = "env \(name)"
            if secrets == .skip { break }
            guard let text = environment[name] else { reader.report(p, "environment variable \(name) is not set"); valid = false; break }
            settings.token = apiToken(text, at: p, source: "environment variable \(name)")
            valid = valid && settings.token != nil
        case let (nil, .some((p, v))):
            guard let file = path(v, at: p) else { valid = false; break }
            settings.tokenSource = "file \(file)"
            if secrets == .skip { break }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { reader.report(p, "cannot read token file \(file)"); valid = false; break }
            settings.token = apiToken(text, at: p, source: "file \(file)")
            valid = valid && settings.token != nil
        }
        if let (p, v) = object.optional("protectMetrics") {
            if let b = reader.bool(v, at: p) { settings.protectMetrics = b } else { valid = false }
        }
        if let (p, v) = object.optional("metricsEntities") {
            if let n = reader.integer(v, at: p, in: 0...100_000) { settings.metricsEntities = n } else { valid = false }
        }
        if let (p, v) = object.optional("idleTimeout") {
            if let d = reader.duration(v, at: p, minimum: .seconds(1)) { settings.idleTimeout = d } else { valid = false }
        }
        if let (p, v) = object.optional("maxConnections") {
            if let n = reader.integer(v, at: p, in: 4...100_000) { settings.maxConnections = n } else { valid = false }
        }
        return valid ? settings : nil
    }

    /// A bearer token: printable ASCII without spaces, at least 16 characters (a line break at the end of a file is dropped).
    func apiToken(_ text: String, at path: String, source: String) -> String? {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16, token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            // The value is a secret: say where it came from, never what it is.
            reader.report(path, "the token in \(source) must be at least 16 printable ASCII characters without spaces")
            return nil
        }
        return token
    }

    func feed(_ value: JSONValue, _ keyPath: String) -> (id: String, value: FeedConfig)? {
        guard let object = reader.object(value, at: keyPath, allowed: ["id", "url", "interval", "headers", "json", "weight"]) else { return nil }
        let id = object.required("id").flatMap { reader.identifier($0.value, at: $0.path) }
        let url = object.required("url").flatMap { reader.url($0.value, at: $0.path, schemes: ["http", "https", "file"]) }
        let interval = object.required("interval").flatMap { reader.duration($0.value, at: $0.path, minimum: .seconds(1)) }
        var headers: [FeedHeader]? = []
        if let (p, v) = object.optional("headers") { headers = feedHeaders(v, at: p) }
        var mapping: JSONMapping?? = .some(nil)
        if let (p, v) = object.optional("json") { mapping = jsonMapping(v, at: p).map { .some($0) } }
        var weight: Double? = 1
        if let (p, v) = object.optional("weight") {
            weight = reader.number(v, at: p)
            if let w = weight, !(0...1).contains(w) { reader.report(p, "expected a number from 0 to 1"); weight = nil }
        }
        guard let id, let url, let interval, let headers, let mapping, let weight else { return nil }
        return (id, FeedConfig(id: id, url: url, interval: interval, headers: headers, json: mapping, weight: weight))
    }

    /// `{"Authorization": "Bearer ${MASTODON_TOKEN}"}`: names must be HTTP tokens, variables must be set.
    func feedHeaders(_ value: JSONValue, at keyPath: String) -> [FeedHeader]? {
        guard case let .object(members) = value else {
            reader.report(keyPath, "expected an object of header names and values, got \(value.shortDescription)")
            return nil
        }
        let tokenCharacters = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var headers: [FeedHeader] = []
        var valid = true
        for (name, raw) in members {
            let p = reader.join(keyPath, name)
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(tokenCharacters.contains) else {
                reader.report(p, "not a valid HTTP header name"); valid = false; continue
            }
            guard let template = reader.string(raw, at: p, allowEmpty: true) else { valid = false; continue }
            var text = template
            var missing: [String] = []
            if secrets == .skip {  // the value is only sent by monitord; read-only commands never need it
                headers.append(FeedHeader(name: name, value: template))
                continue
            }
            while let start = text.range(of: "${"), let end = text.range(of: "}", range: start.upperBound..<text.endIndex) {
                let variable = String(text[start.upperBound..<end.lowerBound])
                guard let replacement = environment[variable] else { missing.append(variable); text.replaceSubrange(start.lowerBound..<end.upperBound, with: ""); continue }
                text.replaceSubrange(start.lowerBound..<end.upperBound, with: replacement)
            }
            if !missing.isEmpty {
                reader.report(p, "environment variable \(missing.joined(separator: ", ")) is not set"); valid = false; continue
            }
            guard !text.contains("\r"), !text.contains("\n") else { reader.report(p, "a header value cannot contain line breaks"); valid = false; continue }
            headers.append(FeedHeader(name: name, value: text))
        }
        return valid ? headers : nil
    }

    /// `{"items": "data.articles", "id": "uuid", "title": "headline", …}`: dotted paths into a JSON document.
    func jsonMapping(_ value: JSONValue, at keyPath: String) -> JSONMapping? {
        guard let object = reader.object(value, at: keyPath, allowed: JSONMapping.keys) else { return nil }
        var fields: [String: String] = [:]
        var valid = true
        for key in JSONMapping.keys {
            if let (p, v) = object.optional(key) {
                if let text = reader.string(v, at: p, allowEmpty: key == "items") { fields[key] = text } else { valid = false }
            }
        }
        if fields["items"] == nil, valid, object.required("items") == nil { valid = false }
        guard valid, let items = fields["items"] else { return nil }
        return JSONMapping(items: items, id: fields["id"], title: fields["title"], text: fields["text"], url: fields["url"],
                           time: fields["time"], author: fields["author"])
    }

    func watch(_ value: JSONValue, _ keyPath: String) -> (id: String, value: WatchlistEntry)? {
        guard let object = reader.object(value, at: keyPath, allowed: ["symbol", "names", "aliases"]) else { return nil }
        var symbol: String?
        if let (p, v) = object.required("symbol"), let text = reader.string(v, at: p) {
            if let valid = WatchlistEntry.symbol(text) {
                symbol = valid
            } else {
                reader.report(p, "expected a ticker symbol such as \"AAPL\" or \"BRK.B\", got \(v.shortDescription)")
            }
        }
        func strings(_ key: String) -> [String]? {
            guard let (p, v) = object.optional(key) else { return [] }
            let values = reader.array(v, at: p).map { $0.compactMap { reader.string($0.value, at: $0.path) } }
            if case let .array(elements) = v, values?.count != elements.count { return nil }
            return values
        }
        let names = strings("names"), aliases = strings("aliases")
        guard let symbol, let names, let aliases else { return nil }
        return (symbol, WatchlistEntry(symbol: symbol, names: names, aliases: aliases))
    }

    func rule(_ value: JSONValue, _ keyPath: String) -> (id: String, value: AlertRule)? {
        guard let object = reader.object(value, at: keyPath,
                                         allowed: ["id", "metric", "window", "above", "below", "minItems", "cooldown", "for",
                                                   "resolveBelow", "resolveAbove", "entities", "severity", "webhooks", "count"])
        else { return nil }
        let id = object.required("id").flatMap { reader.identifier($0.value, at: $0.path) }
        var metric: RuleMetric?
        if let (p, v) = object.required("metric"), let text = reader.string(v, at: p) {
            metric = RuleMetric(rawValue: text)
            if metric == nil {
                let names = RuleMetric.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(p, "expected one of \(names), got \(v.shortDescription)")
            }
        }
        let window = object.required("window").flatMap { reader.duration($0.value, at: $0.path, minimum: .seconds(1)) }
        let above = object.optional("above").map { reader.number($0.value, at: $0.path) }
        let below = object.optional("below").map { reader.number($0.value, at: $0.path) }
        if above == nil && below == nil {
            reader.report(keyPath, "needs a threshold: \"above\" or \"below\"")
        }
        let minItems = object.optional("minItems").map { reader.integer($0.value, at: $0.path, in: 1...1_000_000) } ?? 1
        let cooldown = object.optional("cooldown").map { reader.duration($0.value, at: $0.path, minimum: .seconds(1)) }
            ?? window
        if above != nil && below != nil { reader.report(keyPath, "give \"above\" or \"below\", not both (use two rules)") }
        let forDuration = object.optional("for").map { reader.duration($0.value, at: $0.path) } ?? .zero
        var resolveAt: Double?? = .some(nil)
        if let (p, v) = object.optional("resolveBelow") {
            resolveAt = reader.number(v, at: p).map { .some($0) }
            if above == nil { reader.report(p, "only for rules with \"above\""); resolveAt = nil }
            else if let r = resolveAt ?? nil, let a = above ?? nil, r > a { reader.report(p, "must not be more than \"above\" (\(a))"); resolveAt = nil }
        }
        if let (p, v) = object.optional("resolveAbove") {
            resolveAt = reader.number(v, at: p).map { .some($0) }
            if below == nil { reader.report(p, "only for rules with \"below\""); resolveAt = nil }
            else if let r = resolveAt ?? nil, let b = below ?? nil, r < b { reader.report(p, "must not be less than \"below\" (\(b))"); resolveAt = nil }
        }
        func ids(_ key: String, upper: Bool) -> [String]? {
            guard let (p, v) = object.optional(key) else { return [] }
            let values = reader.array(v, at: p).map { $0.compactMap { reader.string($0.value, at: $0.path).map { upper ? $0.uppercased() : $0 } } }
            if case let .array(elements) = v, values?.count != elements.count { return nil }
            return values
        }
        let entities = ids("entities", upper: true), webhooks = ids("webhooks", upper: false)
        var severity: Severity? = .warning
        if let (p, v) = object.optional("severity") {
            severity = reader.string(v, at: p).flatMap(Severity.init(rawValue:))
            if severity == nil {
                let names = Severity.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(p, "expected one of \(names), got \(v.shortDescription)")
            }
        }
        var count: RuleCount? = .stories
        if let (p, v) = object.optional("count") {
            count = reader.string(v, at: p).flatMap(RuleCount.init(rawValue:))
            if count == nil {
                let names = RuleCount.allCases.map(\.rawValue).joined(separator: ", ")
                reader.report(p, "expected one of \(names), got \(v.shortDescription)")
            }
        }
        guard let id, let metric, let window, above != nil || below != nil, !(above != nil && below != nil), let minItems, let cooldown,
              above.map({ $0 != nil }) ?? true, below.map({ $0 != nil }) ?? true, let forDuration, let resolveAt, let entities,
              let webhooks, let severity, let count
        else { return nil }
        let threshold: Threshold
        if let limit = above ?? nil { threshold = .above(limit, resolveBelow: resolveAt) }
        else if let limit = below ?? nil { threshold = .below(limit, resolveAbove: resolveAt) }
        else { return nil }
        return (id, AlertRule(id: id, metric: metric, window: window, threshold: threshold,
                              minItems: minItems, cooldown: cooldown, forDuration: forDuration,
                              entities: entities, count: count, severity: severity, webhooks: webhooks))
    }

    func webhook(_ value: JSONValue, _ keyPath: String) -> (id: String, value: WebhookConfig)? {
        guard let object = reader.object(value, at: keyPath, allowed: ["id", "url", "secretEnv", "secretFile"]) else { return nil }
        let id = object.required("id").flatMap { reader.identifier($0.value, at: $0.path) }
        let url = object.required("url").flatMap { reader.url($0.value, at: $0.path, schemes: ["http", "https"]) }
        var resolved: (values: [WebhookSecret], source: String)?
        switch (object.optional("secretEnv"), object.optional("secretFile")) {
        case (nil, nil):
            reader.report(keyPath, "needs \"secretEnv\" (an environment variable) or \"secretFile\" (a file path); secrets are never written in the configuration")
        case (.some, .some):
            reader.report(keyPath, "give either \"secretEnv\" or \"secretFile\", not both")
        case let (.some((p, v)), nil):
            if let name = reader.string(v, at: p) {
                if secrets == .skip {
                    resolved = ([], "env \(name) (not read)")
                } else if let text = environment[name] {
                    resolved = signingSecrets(text, at: p, source: "environment variable \(name)").map { ($0, "env \(name)") }
                } else {
                    reader.report(p, "environment variable \(name) is not set")
                }
            }
        case let (nil, .some((p, v))):
            if let file = path(v, at: p) {
                if secrets == .skip {
                    resolved = ([], "file \(file) (not read)")
                } else if let text = try? String(contentsOfFile: file, encoding: .utf8) {
                    resolved = signingSecrets(text, at: p, source: "file \(file)").map { ($0, "file \(file)") }
                } else {
                    reader.report(p, "cannot read secret file \(file)")
                }
            }
        }
        guard let id, let url, let resolved else { return nil }
        return (id, WebhookConfig(id: id, url: url, secrets: resolved.values, secretSource: resolved.source))
    }

    /// Standard Webhooks secrets: `whsec_` and base64, separated by white space during rotation.
    func signingSecrets(_ text: String, at keyPath: String, source: String) -> [WebhookSecret]? {
        let words = text.split(whereSeparator: \.isWhitespace)
        guard !words.isEmpty else {
            reader.report(keyPath, "\(source) is empty")
            return nil
        }
        var secrets: [WebhookSecret] = []
        for (index, word) in words.enumerated() {
            guard word.hasPrefix("whsec_"), let key = Data(base64Encoded: String(word.dropFirst(6))), key.count >= 16 else {
                // The value itself is a secret: the message says where it came from, never what it is.
                reader.report(keyPath, "secret \(index + 1) in \(source) is not of the form whsec_<base64 of at least 16 bytes>")
                return nil
            }
            secrets.append(WebhookSecret(key: Array(key)))
        }
        return secrets
    }
}
