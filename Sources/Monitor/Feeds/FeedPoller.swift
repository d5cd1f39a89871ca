import Alerts
import API
import Config
import CurlHTTP
import Feeds
import Foundation
import Logging
import ServiceLifecycle
import Store

/// Polls every configured feed on its own schedule and stores what is new.
///
/// One lightweight task per feed sleeps until the feed is due; all transfers share one
/// libcurl multi handle on one thread (`CurlMultiClient`), at most `polling.maxPerHost` per
/// host. A reload that changes feeds, HTTP or polling settings restarts the tasks with the
/// new configuration; the stored state (ETag, backoff, next poll) carries over.
///
/// Before each poll the feed is leased in the database (`cluster.leaseTimeout`): with several
/// instances on one PostgreSQL database a feed is polled by one of them at a time, from the shared
/// state (validators, backoff, Retry-After), and the feeds of an instance that died are taken
/// over when its leases run out.
public struct FeedPoller: Service {
    let current: CurrentConfig
    let store: any MonitorStore
    let logger: Logger
    let itemsStored: PipelineSignal
    let outboxWritten: PipelineSignal
    let backlog: ScoringBacklog
    /// Polls wait while more than this many items await scoring (back-pressure).
    let maxBacklog: Int
    let stats: PipelineStats
    let time: any TimeSource
    /// This instance's id, the owner of its leases.
    let instanceID: String
    /// Source-health alert changes are logged with the other alert changes.
    let alertLogger = Logger(label: "alerts")
    /// When this poller began: time without a success counts from here at the earliest, so a restart after
    /// a long stop does not make every feed unhealthy at its first failed poll.
    let startedAt: Date

    public init(current: CurrentConfig, store: any MonitorStore, itemsStored: PipelineSignal = PipelineSignal(),
                outboxWritten: PipelineSignal = PipelineSignal(), backlog: ScoringBacklog = ScoringBacklog(), maxBacklog: Int = 20_000,
                stats: PipelineStats = PipelineStats(), time: any TimeSource = SystemTime(), instanceID: String, logger: Logger) {
        self.stats = stats
        self.instanceID = instanceID
        self.current = current
        self.store = store
        self.itemsStored = itemsStored
        self.outboxWritten = outboxWritten
        self.backlog = backlog
        self.maxBacklog = maxBacklog
        self.time = time
        self.logger = logger
        startedAt = time.now
    }

    public func run() async throws {
        // On SIGTERM: stop at once; a transfer in flight is abandoned (its feed is simply polled again next start).
        try await runUntilShutdown {
            while !Task.isCancelled {
                let (config, generation) = current.configAndGeneration
                let client = CurlMultiClient(maxConcurrent: 64, maxPerHost: config.polling.maxPerHost)
                let slots = HostSlots(limit: config.polling.maxPerHost)
                defer { client.shutdown() }
                let states = try await store.syncFeeds(config.feeds.map { FeedSpec(id: $0.id, url: $0.url.absoluteString) }, at: time.now)
                logSummary(states.values)
                await withTaskCancellationHandler {
                    await withTaskGroup(of: Void.self) { group in
                        for feed in config.feeds {
                            guard let state = states[feed.id] else { continue }
                            group.addTask { await pollForever(feed, state: state, config: config, client: client, slots: slots) }
                        }
                        group.addTask { await waitForChange(from: config, generation: generation) }
                        await group.next()  // the watcher returns on a relevant reload, or on cancellation
                        group.cancelAll()
                        client.shutdown()  // fails transfers in flight with .cancelled, so no task waits on one
                    }
                } onCancel: {
                    client.shutdown()
                }
            }
        }
    }

    /// One line at start-up (and after a reload) with how the feeds stand, naming the unhealthy ones.
    func logSummary(_ states: some Collection<FeedRecord>) {
        var counts: [FeedHealth: Int] = [:]
        for state in states { counts[state.health(configured: true), default: 0] += 1 }
        let unhealthy = states.filter { $0.health(configured: true) == .unhealthy }.map(\.id).sorted()
        var metadata: Logger.Metadata = ["configured": "\(states.count)"]
        for health in FeedHealth.allCases where health != .removed { metadata[health.rawValue.replacingOccurrences(of: " ", with: "_")] = "\(counts[health] ?? 0)" }
        if !unhealthy.isEmpty { metadata["unhealthy_feeds"] = "\(unhealthy.prefix(20).joined(separator: ","))\(unhealthy.count > 20 ? ",…" : "")" }
        logger.log(level: unhealthy.isEmpty ? .info : .warning, "feed health", metadata: metadata)
    }

    /// Returns when a reload changes the feeds, HTTP or polling settings (the reload service announces each one).
    func waitForChange(from config: MonitorConfig, generation: Int) async {
        var seen = generation
        while !Task.isCancelled {
            seen = await current.waitForReplacement(after: seen)
            let now = current.config
            if now.feeds != config.feeds || now.http != config.http || now.polling != config.polling {
                logger.info("feed settings changed: restarting the poller")
                return
            }
        }
    }

    func pollForever(_ feed: FeedConfig, state initial: FeedRecord, config: MonitorConfig, client: CurlMultiClient, slots: HostSlots) async {
        var state = initial
        while !Task.isCancelled {
            if let due = state.nextPollAt {
                do { try await time.sleep(until: due) } catch { return }
            }
            // Back-pressure: while scoring is far behind, new polls wait (nothing is dropped).
            while backlog.count > maxBacklog, !Task.isCancelled {
                do { try await time.sleep(for: .milliseconds(500)) } catch { return }
            }
            // While the database refuses writes (disk full), polls wait but for one probe now and then.
            while !stats.storage.mayProbe(at: time.now), !Task.isCancelled {
                do { try await time.sleep(for: .seconds(1)) } catch { return }
            }
            if Task.isCancelled { return }
            let host = URL(string: state.url)?.host ?? feed.url.host ?? ""
            do { try await slots.acquire(host) } catch { return }
            // The poll runs in a child task: the memory its frames need (parsing, the store's async
            // calls) goes back when it ends, instead of staying with this long-lived task until the
            // feed is removed — about 20 KB per feed, 200 MB with 10,000 feeds.
            let polled = state
            state = await withTaskGroup(of: FeedRecord.self) { group in
                group.addTask { await leaseAndPoll(feed, state: polled, config: config, client: client) }
                return await group.next() ?? polled
            }
            await slots.release(host)
        }
    }

    /// Leases the feed and polls it when it is this instance's to poll; returns the state to schedule from.
    func leaseAndPoll(_ feed: FeedConfig, state: FeedRecord, config: MonitorConfig, client: CurlMultiClient) async -> FeedRecord {
        var state = state
        do {
            let now = time.now
            let lease: FeedLease
            do {
                lease = try await store.leaseFeed(id: feed.id, lease: Lease(owner: instanceID, now: now, duration: config.cluster.leaseTimeout))
            } catch is CancellationError {
                return state
            } catch where stats.storage.failed(error, at: now, logger: logger) {
                state.nextPollAt = nil  // polled again as soon as a probe finds the database writable
                return state
            } catch {
                logger.error("cannot lease the feed; retrying: \(error)", metadata: ["feed": "\(feed.id)"])
                state.nextPollAt = now.addingTimeInterval(min(feed.interval.seconds, 5))
                return state
            }
            switch lease {
            case let .leased(shared):
                state = shared  // the shared state: another instance may have polled it last
            case let .notYours(shared):
                // Polled by another instance, or being polled now: look again when it is next due or
                // that instance's lease runs out (a second from now at the soonest).
                state = shared
                state.nextPollAt = max(shared.nextPollAt ?? now, shared.leaseUntil ?? now, now.addingTimeInterval(1))
                return state
            case .unknown:
                state.nextPollAt = now.addingTimeInterval(feed.interval.seconds)  // the row appears with the next sync
                return state
            }
        }
        do {
            let leasedAt = time.now
            let next = try await poll(feed, state: state, config: config, client: client)
            stats.storage.succeeded(at: time.now, logger: logger)
            if time.now.timeIntervalSince(leasedAt) > config.cluster.leaseTimeout.seconds {
                logger.warning("a poll took longer than cluster.leaseTimeout: another instance may have polled the feed too",
                               metadata: ["feed": "\(feed.id)", "lease_timeout": "\(DurationText.format(config.cluster.leaseTimeout))"])
            }
            return next
        } catch is CancellationError {
            return state
        } catch where stats.storage.failed(error, at: time.now, logger: logger) {
            // Nothing of this poll was stored (one transaction) and the validators are the old ones:
            // the next poll, once the database takes writes, fetches the same items again.
            state.nextPollAt = nil
            return state
        } catch {
            // The database refused the write: try again after the interval, keep the old state (the lease runs out).
            logger.error("cannot store poll result: \(error)", metadata: ["feed": "\(feed.id)"])
            state.nextPollAt = time.now.addingTimeInterval(feed.interval.seconds)
            return state
        }
    }

    /// One poll: fetch, parse, store; returns the state for the next one.
    func poll(_ feed: FeedConfig, state: FeedRecord, config: MonitorConfig, client: CurlMultiClient) async throws -> FeedRecord {
        let url = URL(string: state.url) ?? feed.url
        let request = HTTPRequest(
            url: url, headers: feed.headers.map { ($0.name, $0.value) }, etag: state.etag, lastModified: state.lastModified,
            userAgent: config.http.userAgent, timeout: config.http.timeout, connectTimeout: config.http.connectTimeout,
            maxBodyBytes: config.http.maxBodyBytes, maxRedirects: config.http.maxRedirects)
        let response: HTTPResponse
        do {
            response = try await client.perform(request)
        } catch .cancelled {
            throw CancellationError()
        } catch {
            stats.recordPoll(feed: feed.id, outcome: .error, errorKind: error.kind)
            return try await failed(feed, state: state, status: 0, message: error.description, retryAfter: nil, config: config)
        }
        let now = time.now
        var next = state
        next.errorStreak = 0
        next.unhealthySince = nil
        if let moved = response.permanentlyMovedTo, moved != url {
            logger.notice("feed moved permanently; polling the new URL from now on",
                          metadata: ["feed": "\(feed.id)", "from": "\(url)", "to": "\(moved)"])
            next.url = moved.absoluteString
        }
        switch response.status {
        case 304:
            let delay = FeedSchedule.afterSuccess(interval: feed.interval, ttlSeconds: nil,
                                                  maxAgeSeconds: FeedSchedule.maxAge(response.header("cache-control")),
                                                  ceiling: config.polling.maxBackoff)
            next.nextPollAt = now.addingTimeInterval(delay.seconds)
            next.lastSuccessAt = now
            _ = try await recordSuccess(state, status: 304, etag: response.header("etag") ?? state.etag,
                                        lastModified: response.header("last-modified") ?? state.lastModified, url: next.url,
                                        items: [], nextPoll: next.nextPollAt!, now: now)
            stats.recordPoll(feed: feed.id, outcome: .notModified)
            logger.debug("not modified", metadata: ["feed": "\(feed.id)"])
        case 200..<300:
            let parsed: ParsedFeed
            do {
                parsed = try FeedParser.parse(response.body, contentType: response.header("content-type"), url: response.effectiveURL,
                                              mapping: feed.json)
            } catch {
                stats.recordPoll(feed: feed.id, outcome: .error, errorKind: "parse")
                return try await failed(feed, state: state, status: response.status, message: "\(error)", retryAfter: nil, config: config)
            }
            let delay = FeedSchedule.afterSuccess(interval: feed.interval, ttlSeconds: parsed.ttlSeconds,
                                                  maxAgeSeconds: FeedSchedule.maxAge(response.header("cache-control")),
                                                  ceiling: config.polling.maxBackoff)
            next.nextPollAt = now.addingTimeInterval(delay.seconds)
            // A document cut off is read up to its last complete item; its validators are not kept,
            // so the next poll fetches it whole rather than being told "not modified".
            next.etag = parsed.cutOff ? nil : response.header("etag")
            next.lastModified = parsed.cutOff ? nil : response.header("last-modified")
            if parsed.cutOff {
                logger.warning("document cut off: read up to its last complete item, the rest at the next poll",
                               metadata: ["feed": "\(feed.id)", "items": "\(parsed.items.count)", "bytes": "\(response.body.count)"])
            }
            next.lastSuccessAt = now
            let items = try parsed.items.map { try NewItem($0, feedID: feed.id, format: parsed.format, fetchedAt: now) }
            let counts = try await recordSuccess(state, status: response.status, etag: next.etag, lastModified: next.lastModified,
                                                 url: next.url, items: items, nextPoll: next.nextPollAt!, now: now)
            stats.recordPoll(feed: feed.id, outcome: .ok, new: counts.new, duplicates: counts.duplicates)
            if counts.new > 0 {
                backlog.add(counts.new)
                itemsStored.notify()
            }
            logger.log(level: counts.new > 0 ? .info : .debug, "polled", metadata: ["feed": "\(feed.id)", "format": "\(parsed.format.rawValue)", "items": "\(parsed.items.count)",
                                             "new": "\(counts.new)", "duplicates": "\(counts.duplicates)"])
        default:
            stats.recordPoll(feed: feed.id, outcome: .error, errorKind: "http_\(response.status / 100)xx")
            let retryAfter = response.status == 429 || response.status == 503
                ? FeedSchedule.retryAfter(response.header("retry-after"), now: now) : nil
            return try await failed(feed, state: next.url != state.url ? next : state, status: response.status,
                                    message: "HTTP \(response.status)", retryAfter: retryAfter, config: config)
        }
        if state.unhealthySince != nil {  // only success paths reach here; failures returned above
            logger.notice("feed healthy again", metadata: ["feed": "\(feed.id)"])
            alertLogger.info("alert resolved", metadata: ["rule": "\(AlertStateMachine.sourceRuleID)", "feed": "\(feed.id)"])
            outboxWritten.notify()  // the source alert's resolution is in the outbox
        }
        return next
    }

    /// Stores a usable answer's items and the feed's state; resolves the feed's source alert if it was unhealthy.
    func recordSuccess(_ state: FeedRecord, status: Int, etag: String?, lastModified: String?, url: String, items: [NewItem],
                       nextPoll: Date, now: Date) async throws -> IngestCounts {
        var sourceAlert: AlertWrite?
        if state.unhealthySince != nil {
            sourceAlert = try await sourceAlertWrite(feed: state.id, turnsUnhealthy: false, details: ["feed": state.id], streak: 0, now: now)
        }
        let update = FeedPollUpdate(feedID: state.id, status: status, outcome: .success(etag: etag, lastModified: lastModified, url: url),
                                    nextPollAt: nextPoll, at: now)
        return try await uncancelled { [store, sourceAlert] in try await store.recordPoll(update, items: items, sourceAlert: sourceAlert) }
    }

    /// The source-health alert change of a poll, with its messages to every webhook.
    func sourceAlertWrite(feed: String, turnsUnhealthy: Bool, details: [String: Any], streak: Int, now: Date) async throws -> AlertWrite? {
        let fingerprint = AlertStateMachine.sourceFingerprint(feed: feed)
        let existing = try await store.alerts(fingerprints: [fingerprint])[fingerprint]
        guard let transition = AlertStateMachine.sourceHealth(current: existing, feed: feed, turnsUnhealthy: turnsUnhealthy,
                                                              recovered: !turnsUnhealthy, streak: streak, now: now)
        else { return nil }
        let data = AlertPayload.source(transition, details: details)
        let webhooks = current.config.webhooks.map(\.id)
        let messages = try transition.notification.map { try OutboxMessages.make($0, data: data, webhooks: webhooks, now: now) } ?? []
        return AlertWrite(alert: transition.alert, event: transition.event, details: try JSONText.encode(details), notifications: messages)
    }

    /// Records a failure and schedules the retry with backoff.
    func failed(_ feed: FeedConfig, state: FeedRecord, status: Int, message: String, retryAfter: Duration?,
                config: MonitorConfig) async throws -> FeedRecord {
        let now = time.now
        var next = state
        next.errorStreak = state.errorStreak + 1
        // Unhealthy after `unhealthyAfter` failures in a row, or a failure once no poll has succeeded for `staleAfter`.
        let staleAt = max(state.lastSuccessAt ?? state.createdAt, startedAt).addingTimeInterval(config.polling.staleAfter(interval: feed.interval).seconds)
        let turnedUnhealthy = state.unhealthySince == nil && (next.errorStreak >= config.polling.unhealthyAfter || now >= staleAt)
        var delay = FeedSchedule.afterFailure(interval: feed.interval, streak: next.errorStreak,
                                              maxBackoff: config.polling.maxBackoff, retryAfter: retryAfter)
        if state.unhealthySince == nil, !turnedUnhealthy, retryAfter == nil {
            // Backoff must not hide a dead feed: retry by the time it would count as stale.
            delay = min(delay, max(.seconds(1), .milliseconds(Int64((staleAt.timeIntervalSince(now) * 1000).rounded(.up)))))
        }
        next.nextPollAt = now.addingTimeInterval(delay.seconds)
        var sourceAlert: AlertWrite?
        if turnedUnhealthy {
            let details: [String: Any] = ["feed": feed.id, "url": state.url, "error": message, "lastStatus": status,
                                          "errorStreak": next.errorStreak]
            sourceAlert = try await sourceAlertWrite(feed: feed.id, turnsUnhealthy: true, details: details, streak: next.errorStreak, now: now)
        }
        let update = FeedPollUpdate(feedID: feed.id, status: status,
                                    outcome: .failure(error: message, streak: next.errorStreak, turnsUnhealthy: turnedUnhealthy),
                                    nextPollAt: next.nextPollAt!, at: now)
        _ = try await uncancelled { [store, sourceAlert] in try await store.recordPoll(update, items: [], sourceAlert: sourceAlert) }
        var metadata: Logger.Metadata = ["feed": "\(feed.id)", "error": "\(message)", "streak": "\(next.errorStreak)",
                                         "retry_in": "\(DurationText.format(delay))"]
        if status != 0 { metadata["status"] = "\(status)" }
        if turnedUnhealthy {
            next.unhealthySince = now
            outboxWritten.notify()
            logger.error("feed unhealthy: source-health alert raised", metadata: metadata)
            alertLogger.warning("alert firing", metadata: ["rule": "\(AlertStateMachine.sourceRuleID)", "feed": "\(feed.id)",
                                                           "streak": "\(next.errorStreak)"])
        } else {
            logger.warning("poll failed", metadata: metadata)
        }
        return next
    }
}
