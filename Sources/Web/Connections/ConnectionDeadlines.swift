import NIOCore

/// The timeouts of one HTTP/1 connection, and whether it stays open after each response, as a state machine: events
/// go in (bytes arrived, request head and end read, response head and end written, timer fired) and actions come out.
/// `ConnectionGuardHandler` performs them; tests drive the machine with sequences of events and no sockets.
///
/// What the connection waits for decides its deadline: the first request head within the header timeout of the
/// connection's start; after a response, the next request within the idle timeout, and once its first byte arrived,
/// its head within the header timeout; a request body within the body timeout of its head. While the server works on
/// a request there is no deadline. A request without keep-alive (HTTP/1.0 by default, or `Connection: close`) is
/// answered and the connection closed; so is one whose body is still arriving when its answer is sent (a 413), after
/// a short linger that lets the client read the answer.
struct ConnectionDeadlines {
    struct Timeouts: Sendable {
        var header: TimeAmount
        var idle: TimeAmount
        var body: TimeAmount
        var linger: TimeAmount

        init(header: TimeAmount, idle: TimeAmount, body: TimeAmount, linger: TimeAmount) {
            self.header = header
            self.idle = idle
            self.body = body
            self.linger = linger
        }

        init(_ limits: ServerLimits) {
            self.init(header: TimeAmount(limits.headerTimeout), idle: TimeAmount(limits.idleTimeout),
                      body: TimeAmount(limits.bodyTimeout), linger: TimeAmount(limits.lingerTimeout))
        }
    }

    /// What the connection waits for.
    enum Waiting: Equatable, Sendable {
        /// A request head: the first on the connection, or one whose first bytes arrived.
        case requestHead
        /// The next request on a kept-alive connection.
        case nextRequest
        /// The rest of a request body.
        case requestBody
        /// The server, to answer.
        case response
        /// The client, to stop sending after its answer; then the connection closes.
        case linger
    }

    /// What the response head needs: the version to answer with, and whether the connection closes after it.
    struct ResponseHead: Equatable {
        var answerWithHTTP10: Bool
        var close: Bool
    }

    enum AfterResponse: Equatable {
        case keepOpen
        case close
        /// Stop sending, discard what the client still sends, close at the linger deadline or when it stops.
        case lingerThenClose
    }

    enum TimerAction: Equatable {
        case none
        case reschedule(NIODeadline)
        case close(Waiting)
    }

    private struct Request {
        let isHTTP10: Bool
        let keepAlive: Bool
    }

    let timeouts: Timeouts
    private(set) var waiting: Waiting = .requestHead
    private(set) var deadline: NIODeadline?
    /// Requests read whose response has not ended, oldest first (HTTP/1 pipelining answers in order).
    private var unanswered: [Request] = []
    private var readingBody = false
    /// Bytes of a request whose head has not been read yet have arrived.
    private var nextRequestStarted = false
    private var closeAfterResponse = false

    init(timeouts: Timeouts, now: NIODeadline) {
        self.timeouts = timeouts
        deadline = now + timeouts.header
    }

    /// Whether the connection can be closed to make room for another without losing work: it waits for a request.
    var isIdle: Bool { waiting == .requestHead || waiting == .nextRequest }

    mutating func bytesReceived(now: NIODeadline) {
        guard !readingBody, !nextRequestStarted, waiting != .linger else { return }
        nextRequestStarted = true
        if waiting == .nextRequest {
            waiting = .requestHead
            deadline = now + timeouts.header
        }
    }

    mutating func headReceived(now: NIODeadline, isHTTP10: Bool, keepAlive: Bool) {
        guard waiting != .linger else { return }
        unanswered.append(Request(isHTTP10: isHTTP10, keepAlive: keepAlive))
        readingBody = true
        nextRequestStarted = false
        waiting = .requestBody
        deadline = now + timeouts.body
    }

    /// The request's end was read; true when the connection should close now (it was lingering for it).
    mutating func endReceived() -> Bool {
        if waiting == .linger { return true }
        readingBody = false
        if !unanswered.isEmpty {
            waiting = .response
            deadline = nil
        }
        return false
    }

    /// `responseSaysClose`: the response carries `Connection: close`; `hasContentLength`: its length is known, which
    /// an HTTP/1.0 client needs to keep the connection.
    mutating func responseHeadWritten(responseSaysClose: Bool, hasContentLength: Bool) -> ResponseHead {
        guard let request = unanswered.first else { return ResponseHead(answerWithHTTP10: false, close: true) }
        let bodyStillArriving = unanswered.count == 1 && readingBody
        let close = responseSaysClose || !request.keepAlive || (request.isHTTP10 && !hasContentLength) || bodyStillArriving
        if close { closeAfterResponse = true }
        return ResponseHead(answerWithHTTP10: request.isHTTP10, close: close)
    }

    mutating func responseEndWritten(now: NIODeadline) -> AfterResponse {
        if !unanswered.isEmpty { unanswered.removeFirst() }
        if closeAfterResponse {
            guard readingBody, unanswered.isEmpty else { return .close }
            waiting = .linger
            deadline = now + timeouts.linger
            return .lingerThenClose
        }
        if !unanswered.isEmpty {
            // A pipelined request: its body, or the server, comes next.
            if !readingBody {
                waiting = .response
                deadline = nil
            }
            return .keepOpen
        }
        if nextRequestStarted {
            waiting = .requestHead
            deadline = now + timeouts.header
        } else {
            waiting = .nextRequest
            deadline = now + timeouts.idle
        }
        return .keepOpen
    }

    func timerFired(now: NIODeadline) -> TimerAction {
        guard let deadline else { return .none }
        return now >= deadline ? .close(waiting) : .reschedule(deadline)
    }
}

extension ConnectionDeadlines.Waiting {
    /// Why a connection waiting for this was closed, for the log.
    var timeoutReason: String {
        switch self {
        case .requestHead: "request head not received within the header timeout"
        case .nextRequest: "no new request within the idle timeout"
        case .requestBody: "request body not received within the body timeout"
        case .response: "no answer"
        case .linger: "linger ended"
        }
    }
}
