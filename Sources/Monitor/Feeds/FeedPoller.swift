import CurlHTTP
import Feeds
import Foundation
import GRDB
import Logging
import ServiceLifecycle

/// Polls every configured feed on its own schedule and stores what is new.
///
/// One lightweight task per feed sleeps until the feed is due; all transfers share one
/// libcurl multi handle on one thread (`CurlMultiClient`), at most `polling.maxPerHost` per
/// host. A reload that changes feeds, HTTP or polling settings restarts the tasks with the
/// new configuration; the stored state (ETag, backoff, next poll) carries over.
public struct FeedPoller: Service {
    let current: CurrentConfig
    let database: DatabasePool
    let logger: Logger
    let itemsStored: PipelineSignal
    let outboxWritten: PipelineSignal
    /// Polls wait while more than this many items await scoring (back-pressure).
    let maxBacklog: Int
    let stats: PipelineStats

    public init(current: CurrentConfig, database: DatabasePool, itemsStored: PipelineSignal = PipelineSignal(),
                outboxWritten: PipelineSignal = PipelineSignal(), maxBacklog: Int = 20_000, stats: PipelineStats = PipelineStats(),
                logger: Logger) {
        self.stats = stats
        self.current = current
        self.database = database
        self.itemsStored = itemsStored
        self.outboxWritten = outboxWritten
        self.maxBacklog = maxBacklog
        self.logger = logger
    }

    public func run() async throws {
        // On SIGTERM: stop at once; a transfer in flight is abandoned (its feed is simply polled again next start).
        try await runUntilShutdown {
            while !Task.isCancelled {
                let config = current.config
                let store = FeedStore(database: database, webhooks: config.webhooks.map(\.id))
                let client = CurlMultiClient(maxConcurrent: 64, maxPerHost: config.polling.maxPerHost)
                defer { client.shutdown() }
                let states = try store.sync(config.feeds)
                await withTaskCancellationHandler {
                    await withTaskGroup(of: Void.self) { group in
                        for feed in config.feeds {
                            guard let state = states[feed.id] else { continue }
                            group.addTask { await pollForever(feed, state: state, config: config, client: client, store: store) }
                        }
                        group.addTask { await waitForChange(from: config) }
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

    /// Returns when the feeds, HTTP or polling settings differ from `config`.
    func waitForChange(from config: MonitorConfig) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(500))
            let now = current.config
            if now.feeds != config.feeds || now.http != config.http || now.polling != config.polling {
                logger.info("feed settings changed: restarting the poller")
                return
            }
        }
    }

    func pollForever(_ feed: FeedConfig, state initial: FeedState, config: MonitorConfig, client: CurlMultiClient, store: FeedStore) async {
        var state = initial
        while !Task.isCancelled {
            if let due = state.nextPollAt {
                let wait = due.timeIntervalSinceNow
                if wait > 0 {
                    do { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) } catch { return }
                }
            }
            // Back-pressure: while scoring is far behind, new polls wait (nothing is dropped).
            while itemsStored.backlog.load(ordering: .relaxed) > maxBacklog, !Task.isCancelled {
                do { try await Task.sleep(for: .milliseconds(500)) } catch { return }
            }
            if Task.isCancelled { return }
            do {
                state = try await poll(feed, state: state, config: config, client: client, store: store)
            } catch is CancellationError {
                return
            } catch {
                // The database refused the write: try again after the interval, keep the old state.
                logger.error("cannot store poll result: \(error)", metadata: ["feed": "\(feed.id)"])
                state.nextPollAt = Date().addingTimeInterval(feed.interval.seconds)
            }
        }
    }

    /// One poll: fetch, parse, store; returns the state for the next one.
    func poll(_ feed: FeedConfig, state: FeedState, config: MonitorConfig, client: CurlMultiClient, store: FeedStore) async throws -> FeedState {
        let request = HTTPRequest(
            url: state.url, headers: feed.headers.map { ($0.name, $0.value) }, etag: state.etag, lastModified: state.lastModified,
            userAgent: config.http.userAgent, timeout: config.http.timeout, connectTimeout: config.http.connectTimeout,
            maxBodyBytes: config.http.maxBodyBytes, maxRedirects: config.http.maxRedirects)
        let response: HTTPResponse
        do {
            response = try await client.perform(request)
        } catch .cancelled {
            throw CancellationError()
        } catch {
            stats.recordPoll(feed: feed.id, outcome: "error", errorKind: error.kind)
            return try failed(feed, store: store, state: state, status: 0, message: error.description, retryAfter: nil, config: config)
        }
        let now = Date()
        var next = state
        next.errorStreak = 0
        next.unhealthySince = nil
        if let moved = response.permanentlyMovedTo, moved != state.url {
            logger.notice("feed moved permanently; polling the new URL from now on",
                          metadata: ["feed": "\(feed.id)", "from": "\(state.url)", "to": "\(moved)"])
            next.url = moved
        }
        switch response.status {
        case 304:
            let delay = FeedSchedule.afterSuccess(interval: feed.interval, ttlSeconds: nil,
                                                  maxAgeSeconds: FeedSchedule.maxAge(response.header("cache-control")),
                                                  ceiling: config.polling.maxBackoff)
            next.nextPollAt = now.addingTimeInterval(delay.seconds)
            _ = try store.recordSuccess(feed: state, status: 304, etag: response.header("etag") ?? state.etag,
                                        lastModified: response.header("last-modified") ?? state.lastModified,
                                        movedTo: response.permanentlyMovedTo, items: [], format: nil, nextPoll: next.nextPollAt!, now: now)
            stats.recordPoll(feed: feed.id, outcome: "not_modified")
            logger.debug("not modified", metadata: ["feed": "\(feed.id)"])
        case 200..<300:
            let parsed: ParsedFeed
            do {
                parsed = try FeedParser.parse(response.body, contentType: response.header("content-type"), url: response.effectiveURL,
                                              mapping: feed.json)
            } catch {
                stats.recordPoll(feed: feed.id, outcome: "error", errorKind: "parse")
                return try failed(feed, store: store, state: state, status: response.status, message: "\(error)", retryAfter: nil, config: config)
            }
            let delay = FeedSchedule.afterSuccess(interval: feed.interval, ttlSeconds: parsed.ttlSeconds,
                                                  maxAgeSeconds: FeedSchedule.maxAge(response.header("cache-control")),
                                                  ceiling: config.polling.maxBackoff)
            next.nextPollAt = now.addingTimeInterval(delay.seconds)
            next.etag = response.header("etag")
            next.lastModified = response.header("last-modified")
            let counts = try store.recordSuccess(feed: state, status: response.status, etag: next.etag, lastModified: next.lastModified,
                                                 movedTo: response.permanentlyMovedTo, items: parsed.items, format: parsed.format,
                                                 nextPoll: next.nextPollAt!, now: now)
            stats.recordPoll(feed: feed.id, outcome: "ok", new: counts.new, duplicates: counts.duplicates)
            if counts.new > 0 {
                itemsStored.backlog.add(counts.new, ordering: .relaxed)
                itemsStored.notify()
            }
            logger.log(level: counts.new > 0 ? .info : .debug, "polled", metadata: ["feed": "\(feed.id)", "format": "\(parsed.format.rawValue)", "items": "\(parsed.items.count)",
                                             "new": "\(counts.new)", "duplicates": "\(counts.duplicates)"])
        default:
            stats.recordPoll(feed: feed.id, outcome: "error", errorKind: "http_\(response.status / 100)xx")
            let retryAfter = response.status == 429 || response.status == 503
                ? FeedSchedule.retryAfter(response.header("retry-after"), now: now) : nil
            return try failed(feed, store: store, state: next.url != state.url ? next : state, status: response.status,
                              message: "HTTP \(response.status)", retryAfter: retryAfter, config: config)
        }
        if state.unhealthySince != nil {  // only success paths reach here; failures returned above
            logger.notice("feed healthy again", metadata: ["feed": "\(feed.id)"])
            outboxWritten.notify()  // the source alert's resolution is in the outbox
        }
        return next
    }

    /// Records a failure and schedules the retry with backoff.
    func failed(_ feed: FeedConfig, store: FeedStore, state: FeedState, status: Int, message: String, retryAfter: Duration?,
                config: MonitorConfig) throws -> FeedState {
        let now = Date()
        var next = state
        next.errorStreak = state.errorStreak + 1
        let delay = FeedSchedule.afterFailure(interval: feed.interval, streak: next.errorStreak,
                                              maxBackoff: config.polling.maxBackoff, retryAfter: retryAfter)
        next.nextPollAt = now.addingTimeInterval(delay.seconds)
        let turnedUnhealthy = try store.recordFailure(feed: state, status: status, error: message, streak: next.errorStreak,
                                                      unhealthyAfter: config.polling.unhealthyAfter, nextPoll: next.nextPollAt!, now: now)
        var metadata: Logger.Metadata = ["feed": "\(feed.id)", "error": "\(message)", "streak": "\(next.errorStreak)",
                                         "retry_in": "\(DurationText.format(delay))"]
        if status != 0 { metadata["status"] = "\(status)" }
        if turnedUnhealthy {
            next.unhealthySince = now
            outboxWritten.notify()
            logger.error("feed unhealthy: source-health alert raised", metadata: metadata)
        } else {
            logger.warning("poll failed", metadata: metadata)
        }
        return next
    }
}
