import CCurl
import Foundation

/// One request in flight: its easy handle's options, and what the callbacks collect.
/// Touched only by the client's transfer thread once submitted.
final class Transfer: @unchecked Sendable {
    let request: HTTPRequest
    let continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>
    let hostKey: String
    var body: [UInt8] = []
    var overLimit = false
    /// Headers of the response being received (reset at each new status line).
    var headers: [String: String] = [:]
    var statuses: [Int] = []
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl writes its message here; it must stay at one address for the handle's life.
    private let errorBuffer: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        p.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return p
    }()
    private var retained: Unmanaged<Transfer>?
    private var started = ContinuousClock.now

    init(request: HTTPRequest, continuation: CheckedContinuation<Result<HTTPResponse, HTTPError>, Never>) {
        self.request = request
        self.continuation = continuation
        hostKey = (request.url.host?.lowercased() ?? request.url.scheme ?? "") + ":\(request.url.port ?? 0)"
    }

    /// A configured easy handle, or nil when libcurl refuses the URL.
    func makeHandle() -> UnsafeMutableRawPointer? {
        guard let easy = curl_easy_init() else { return nil }
        let me = Unmanaged.passRetained(self)
        retained = me
        let context = me.toOpaque()
        var ok = true
        func set(_ option: CURLoption, _ value: Int) { ok = ok && CCurl_easy_setopt_long(easy, option, value) == CURLE_OK }
        func set(_ option: CURLoption, _ value: String) { ok = ok && CCurl_easy_setopt_string(easy, option, value) == CURLE_OK }

        set(CURLOPT_URL, request.url.absoluteString)
        set(CURLOPT_PROTOCOLS_STR, "http,https,file")
        set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        set(CURLOPT_FOLLOWLOCATION, request.maxRedirects > 0 ? 1 : 0)
        set(CURLOPT_MAXREDIRS, request.maxRedirects)
        set(CURLOPT_ACCEPT_ENCODING, "")  // every encoding this libcurl supports, decoded for us
        set(CURLOPT_USERAGENT, request.userAgent)
        set(CURLOPT_TIMEOUT_MS, Int(request.timeout.milliseconds))
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.milliseconds))
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        ok = ok && CCurl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxBodyBytes)) == CURLE_OK
        ok = ok && CCurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer) == CURLE_OK
        ok = ok && CCurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context) == CURLE_OK
        ok = ok && CCurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context) == CURLE_OK
        ok = ok && CCurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context) == CURLE_OK
        ok = ok && CCurl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            if transfer.body.count + n > transfer.request.maxBodyBytes {
                transfer.overLimit = true
                return 0  // aborts the transfer (CURLE_WRITE_ERROR)
            }
            data.map { transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: $0, count: n).bindMemory(to: UInt8.self)) }
            return n
        }) == CURLE_OK
        ok = ok && CCurl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let n = size * count
            guard let data else { return n }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n).bindMemory(to: UInt8.self), as: UTF8.self)
            transfer.headerLine(line)
            return n
        }) == CURLE_OK

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
        if let etag = request.etag { list = curl_slist_append(list, "If-None-Match: \(etag)") }
        if let lastModified = request.lastModified { list = curl_slist_append(list, "If-Modified-Since: \(lastModified)") }
        if let payload = request.body {
            set(CURLOPT_POST, 1)
            set(CURLOPT_POSTFIELDSIZE, payload.count)
            ok = ok && payload.withUnsafeBufferPointer { CCurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) } == CURLE_OK
            list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
        }
        if request.method == "HEAD" {
            set(CURLOPT_NOBODY, 1)  // the answer has headers only: do not wait for the body its Content-Length announces
        } else if request.method != "GET" && request.method != "POST" {
            set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        headerList = list
        if let list { ok = ok && CCurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, list) == CURLE_OK }
        started = .now
        guard ok else {
            curl_easy_cleanup(easy)
            release()
            return nil
        }
        return easy
    }

    deinit { errorBuffer.deallocate() }

    func headerLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            let parts = trimmed.split(separator: " ")
            let status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            guard status >= 200 else { return }  // 100 Continue and other interim responses
            statuses.append(status)
            headers = [:]
        } else if let colon = trimmed.firstIndex(of: ":") {
            let name = trimmed[..<colon].lowercased()
            headers[name] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    func result(code: CURLcode, easy: UnsafeMutableRawPointer) -> Result<HTTPResponse, HTTPError> {
        let message = String(cString: errorBuffer).isEmpty ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
        switch code {
        case CURLE_OK: break
        case CURLE_OPERATION_TIMEDOUT: return .failure(.timedOut(request.timeout))
        case CURLE_WRITE_ERROR where overLimit, CURLE_FILESIZE_EXCEEDED: return .failure(.bodyTooLarge(limit: request.maxBodyBytes))
        case CURLE_TOO_MANY_REDIRECTS: return .failure(.tooManyRedirects(request.maxRedirects))
        case CURLE_UNSUPPORTED_PROTOCOL where !statuses.isEmpty: return .failure(.redirectRefused(message))
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: return .failure(.unsupportedURL(message))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .failure(.couldNotResolve(message))
        case CURLE_COULDNT_CONNECT: return .failure(.couldNotConnect(message))
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE:
            return .failure(.tls(message))
        default: return .failure(.transfer(code: Int(code.rawValue), message: message))
        }
        var status = 0
        _ = CCurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var effective: UnsafeMutablePointer<CChar>?
        _ = CCurl_easy_getinfo_string(easy, CURLINFO_EFFECTIVE_URL, &effective)
        let effectiveURL = effective.flatMap { URL(string: String(cString: $0)) } ?? request.url
        if request.url.isFileURL && status == 0 { status = 200 }
        return .success(HTTPResponse(status: status, headers: headers, body: body, effectiveURL: effectiveURL,
                                     redirects: Array(statuses.dropLast().filter { (300..<400).contains($0) }),
                                     duration: ContinuousClock.now - started))
    }

    /// Frees the header list and the reference the handle held.
    func release() {
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        retained?.release()
        retained = nil
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
