import CCurl
import Foundation
import Synchronization

/// Runs many HTTP transfers at once on one thread, through libcurl's multi interface.
///
/// `perform` may be called from any task; transfers start in submission order, at most
/// `maxConcurrent` at a time and at most `maxPerHost` to one host (the rest wait here, not
/// in libcurl, so a waiting transfer's timeout does not start early). Connections are
/// reused between transfers to the same host.
public final class CurlMultiClient: Sendable {
    public let maxConcurrent: Int
    public let maxPerHost: Int

    private struct State {
        var waiting = TransferQueue()
        var perHost: [String: Int] = [:]
        var running = 0
        var stopped = false

        /// Takes the waiting transfers that may start now, within both limits, oldest first per host.
        mutating func startable(maxConcurrent: Int, maxPerHost: Int) -> [Transfer] {
            var start: [Transfer] = []
            var hosts = perHost
            while running + start.count < maxConcurrent,
                  let transfer = waiting.popFirst(where: { hosts[$0, default: 0] < maxPerHost }) {
                hosts[transfer.hostKey, default: 0] += 1
                start.append(transfer)
            }
            running += start.count
            perHost = hosts
            return start
        }
    }

    private let state = Mutex(State())
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer
    private let loopDone = Mutex(false)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(maxConcurrent: Int = 64, maxPerHost: Int = 6) {
        _ = Self.globalInit
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerHost = max(1, maxPerHost)
        multi = curl_multi_init()!
        _ = CCurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxPerHost)
        // Keep idle connections for reuse however few transfers run at a time: libcurl's default cache
        // is 4 per transfer in flight, so polls that arrive spread out (one lease at a time) would
        // otherwise close and reopen connections.
        _ = CCurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(self.maxConcurrent, 4 * self.maxPerHost))
        // Named from inside: on Linux, Foundation's `Thread.name` does not reach the kernel's thread name.
        let thread = Thread { [self] in
            CCurl_name_this_thread("curl-multi")
            self.loop()
        }
        thread.start()
    }

    /// Runs `request` and returns its response (any status), or why there is none.
    public func perform(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) in
            let transfer = Transfer(request: request, continuation: continuation)
            let accepted = state.withLock { state in
                guard !state.stopped else { return false }
                state.waiting.append(transfer)
                return true
            }
            if accepted { curl_multi_wakeup(multi) } else { continuation.resume(returning: .failure(.cancelled)) }
        }
        return try result.get()
    }

    /// Fails waiting and running transfers with `.cancelled` and stops the thread.
    /// Call it when done: until then the thread keeps the client alive.
    public func shutdown() {
        guard !state.withLock({ state in defer { state.stopped = true }; return state.stopped }) else { return }
        curl_multi_wakeup(multi)
        while !loopDone.withLock({ $0 }) { usleep(1000) }
    }

    /// The transfer thread holds the client until `shutdown()`, so this runs only after it.
    deinit { curl_multi_cleanup(multi) }

    // MARK: - The transfer thread

    private func loop() {
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        while true {
            let (starting, stopped) = state.withLock { state -> ([Transfer], Bool) in
                if state.stopped { return ([], true) }
                return (state.startable(maxConcurrent: maxConcurrent, maxPerHost: maxPerHost), false)
            }
            if stopped { break }
            for transfer in starting {
                if let easy = transfer.makeHandle() {
                    active[easy] = transfer
                    curl_multi_add_handle(multi, easy)
                } else {
                    finish(transfer, .failure(.unsupportedURL(transfer.request.url.absoluteString)))
                }
            }
            var stillRunning: Int32 = 0
            curl_multi_perform(multi, &stillRunning)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                let transfer = active.removeValue(forKey: easy)
                let result = transfer?.result(code: code, easy: easy)
                curl_easy_cleanup(easy)  // before the transfer (and its error buffer) can go
                if let transfer, let result { finish(transfer, result) }
            }
            // Sleep only when nothing that waits can start: a finished transfer frees a slot, and when
            // every running one finished in this pass there is no socket to wake the poll.
            let canStart = state.withLock { state in
                state.running < maxConcurrent && state.waiting.contains(where: { state.perHost[$0, default: 0] < maxPerHost })
            }
            if !canStart { curl_multi_poll(multi, nil, 0, 1000, nil) }
        }
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            curl_easy_cleanup(easy)
            transfer.release()
            transfer.continuation.resume(returning: .failure(.cancelled))
        }
        let waiting = state.withLock { state in
            defer { state.waiting = TransferQueue() }
            return state.waiting.all
        }
        for transfer in waiting { transfer.continuation.resume(returning: .failure(.cancelled)) }
        loopDone.withLock { $0 = true }
    }

    private func finish(_ transfer: Transfer, _ result: Result<HTTPResponse, HTTPError>) {
        state.withLock { state in
            state.running -= 1
            state.perHost[transfer.hostKey, default: 1] -= 1
            if state.perHost[transfer.hostKey] == 0 { state.perHost[transfer.hostKey] = nil }
        }
        transfer.release()
        transfer.continuation.resume(returning: result)
    }
}
