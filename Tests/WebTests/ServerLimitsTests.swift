import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Storage
import Store
import Testing
import VigilTestSupport
@testable import Web

/// The server's limits against clients that hold its resources (issue 13, finding 3), each proved on a real server on
/// loopback with raw sockets: slow and idle clients, the connection limit, oversized bodies, HTTP/1.0, the page cache.
/// Timeouts are set to a second or two so each test ends within a few seconds.
@Suite("Server limits")
struct ServerLimitsTests {
    static let quick = ServerLimits(headerTimeout: .seconds(1), idleTimeout: .seconds(2), bodyTimeout: .seconds(1),
                                    lingerTimeout: .milliseconds(500), maxConnections: 64)

    /// Runs `body` with `vigil serve`'s application (the real server pipeline) on a free loopback port.
    func withServer(_ limits: ServerLimits = quick, _ body: @Sendable (Int) async throws -> Void) async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = WebConfiguration(host: "127.0.0.1", port: 0, logLevel: .warning, limits: limits)
        let app = try await buildApplication(configuration, store: store)
        try await app.test(.live) { client in
            try await body(try #require(client.port))
        }
        await store.close()
    }

    /// `GET /healthz` on a new connection: the status, or nil when no answer came within `timeout`.
    func healthz(port: Int, timeout: Duration = .seconds(3)) async throws -> Int? {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return await connection.readResponse(timeout: timeout)?.status
    }

    @Test("clients that send nothing, or their request head a byte at a time, are closed at the header timeout while /healthz answers")
    func slowAndIdleClientsClosed() async throws {
        // Its deadlines are measured: not beside a test that saturates both cores (a browser session, say).
        try await HeavyLoad.exclusive { try await slowAndIdleClientsClosedAlone() }
    }

    func slowAndIdleClientsClosedAlone() async throws {
        try await withServer { port in
            let idle = try (0..<10).map { _ in try RawConnection(port: port) }
            // Slowloris: a header byte every 200 ms, for as long as the server keeps the connection (at most 6 s).
            let slow = Task {
                try await withThrowingTaskGroup(of: Duration?.self) { group in
                    for _ in 0..<3 {
                        group.addTask {
                            let connection = try RawConnection(port: port)
                            defer { connection.close() }
                            let head = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 100)
                            for byte in head {
                                let sent = await connection.send([byte])
                                if !sent || connection.read() == .closed { return ContinuousClock.now - connection.opened }
                                try await Task.sleep(for: .milliseconds(200))
                            }
                            return nil
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await healthz(port: port) == 200)
            for connection in idle {
                #expect(await connection.closedByServer(within: .seconds(4)))
                let held = ContinuousClock.now - connection.opened
                #expect(held >= .milliseconds(900) && held < .seconds(4), "an idle connection was held \(held)")
            }
            for held in try await slow.value {
                let held = try #require(held, "a slow client sent its whole head a byte at a time without being closed")
                #expect(held >= .milliseconds(900) && held < .seconds(4), "a slow client was held \(held)")
            }
            #expect(try await healthz(port: port) == 200)
        }
    }

    @Test("a kept-alive connection stays open past the header timeout and is closed at the idle timeout")
    func keepAliveIdleTimeout() async throws {
        // An idle timeout well past the header timeout, so that this test task being scheduled late on a loaded
        // machine cannot blur the two.
        var limits = Self.quick
        limits.idleTimeout = .seconds(4)
        try await withServer(limits) { port in
            let connection = try RawConnection(port: port)
            await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await connection.readResponse()?.status == 200)
            let answered = ContinuousClock.now
            // The header timeout (1 s) does not apply while no new request has started; the idle timeout (4 s) does.
            #expect(await !connection.closedByServer(within: .milliseconds(2000)))
            #expect(ContinuousClock.now - answered >= .milliseconds(2000))
            #expect(await connection.closedByServer(within: .seconds(5)))
            #expect(ContinuousClock.now - answered < .seconds(8))
        }
    }

    @Test("a request body that stops arriving is cut at the body timeout")
    func stalledBodyClosed() async throws {
        try await withServer { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a")
            #expect(await connection.closedByServer(within: .seconds(4)))
            let held = ContinuousClock.now - connection.opened
            #expect(held >= .milliseconds(900), "closed after \(held), before the body timeout")
            #expect(try await healthz(port: port) == 200)
        }
    }

    @Test("at the connection limit idle connections give way (40 idle sockets, limit 20, /healthz answers at once); busy ones do not")
    func connectionLimit() async throws {
        var limits = Self.quick
        limits.maxConnections = 20
        limits.headerTimeout = .seconds(30)
        limits.bodyTimeout = .seconds(2)
        try await withServer(limits) { port in
            let idle = try (0..<40).map { _ in try RawConnection(port: port) }
            try await Task.sleep(for: .milliseconds(300))
            // Long before any timeout (30 s): the new client takes the place of the connection idle longest. The wait is
            // generous for a loaded machine and returns as soon as the answer comes.
            #expect(try await healthz(port: port, timeout: .seconds(10)) == 200)
            try await Task.sleep(for: .milliseconds(200))
            let stillOpen = idle.filter { $0.read() == .nothingYet }.count
            #expect(stillOpen <= 20, "\(stillOpen) idle connections are open with a limit of 20")
            #expect(stillOpen >= 15, "only \(stillOpen) idle connections were kept")

            // Connections with a request in progress (a body arriving) are never dropped to make room: they push out
            // the idle ones, and then a new client waits in the listen queue until one ends (here at the 2 s body
            // timeout), or is served at once when the listener was already accepting.
            let busy = try (0..<20).map { _ in try RawConnection(port: port) }
            for connection in busy {
                await connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nemail=")
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(busy.filter { $0.read() == .nothingYet }.count == 20)
            #expect(idle.filter { $0.read() == .nothingYet }.isEmpty)
            #expect(try await healthz(port: port, timeout: .seconds(5)) == 200)
        }
    }

    @Test("a Content-Length over a form's limit is answered 413 before the body is sent, and the connection closed")
    func oversizedContentLength() async throws {
        // Timeouts that a machine loaded by the rest of the suite cannot reach: this test is about the 413.
        var limits = Self.quick
        limits.headerTimeout = .seconds(15)
        limits.idleTimeout = .seconds(15)
        limits.bodyTimeout = .seconds(15)
        try await withServer(limits) { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000\r\n\r\n")
            // Waited for generously (it returns as soon as the answer is in): the whole suite shares two cores.
            let answer = try #require(await connection.readResponse(timeout: .seconds(120)))
            #expect(answer.status == 413)
            #expect(String(decoding: answer.body, as: UTF8.self).contains("64 KiB"))
            #expect(answer.headers["connection"] == "close")
            #expect(await connection.closedByServer(within: .seconds(30)))  // returns as soon as it closes

            let api = try RawConnection(port: port)
            await api.send("POST /api/v1/advisories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n")
            #expect(await api.readResponse(timeout: .seconds(120))?.status == 413)
        }
    }

    @Test("a chunked body that passes the limit is cut off with 413; a small form post is read and judged as usual")
    func oversizedChunkedBody() async throws {
        // Header and body timeouts that a machine loaded by the rest of the suite cannot reach: this test is about the
        // 413. The idle timeout stays short: a chunked body read to its end before the 413 was written leaves the
        // connection open, and it is the idle timeout that closes it.
        var limits = Self.quick
        limits.headerTimeout = .seconds(15)
        limits.bodyTimeout = .seconds(15)
        try await withServer(limits) { port in
            let connection = try RawConnection(port: port)
            await connection.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = Array("4000\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 0x4000) + Array("\r\n".utf8)
            for _ in 0..<8 { await connection.send(chunk) }
            await connection.send("0\r\n\r\n")
            #expect(await connection.readResponse(timeout: .seconds(120))?.status == 413)
            #expect(await connection.closedByServer(within: .seconds(30)))  // returns as soon as it closes

            let small = try RawConnection(port: port)
            let form = "email=a%40example.org&password=x"
            await small.send("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
            // No form token: refused by the CSRF check, which read the body.
            #expect(await small.readResponse(timeout: .seconds(120))?.status == 403)
        }
    }

    @Test("an HTTP/1.0 request without keep-alive is answered as HTTP/1.0 and the connection closed; with keep-alive it stays")
    func http10() async throws {
        // Default timeouts (10 s header, 60 s idle): a close well before them is the server ending the exchange (the
        // waits are generous for a loaded machine and return as soon as the server closes).
        try await withServer(ServerLimits()) { port in
            let plain = try RawConnection(port: port)
            await plain.send("GET /healthz HTTP/1.0\r\n\r\n")
            let (bytes, closed) = await plain.readUntilClosed(timeout: .seconds(20))
            #expect(closed)
            let answer = try #require(HTTPAnswer(bytes))
            #expect(answer.version == "HTTP/1.0")
            #expect(answer.status == 200)
            #expect(String(decoding: answer.body, as: UTF8.self) == "ok")

            let kept = try RawConnection(port: port)
            for _ in 0..<2 {
                await kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let answer = await kept.readResponse()
                #expect(answer?.status == 200)
                #expect(answer?.headers["connection"] == "keep-alive")
            }
            #expect(kept.read() == .nothingYet)

            let closing = try RawConnection(port: port)
            await closing.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(await closing.closedByServer(within: .seconds(20)))
        }
    }
}

@Suite("Page cache keys and memory")
struct PageCacheLimitTests {
    func withRouter(cache: PageCache, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let (store, directory) = try await Fixtures.store(importing: [try Fixtures.cisaAdvisory])
        defer { try? FileManager.default.removeItem(at: directory) }
        let router = try await buildRouter(store: store, cacheFreshness: .seconds(60), sourcesWithoutFeed: [], organisation: nil,
                                           accounts: AccountSettings(), limits: ServerLimits(), pageCache: cache)
        try await Application(router: router).test(.router) { client in try await body(client) }
        await store.close()
    }

    @Test("300 requests for one advisory with distinct unused query parameters make one cache entry")
    func unusedParametersShareOneEntry() async throws {
        let cache = PageCache()
        try await withRouter(cache: cache) { client in
            for n in 0..<300 {
                try await client.execute(uri: "/advisories/ICSA-22-172-04?x=\(n)", method: .get) { #expect($0.status == .ok) }
            }
            #expect(cache.count == 1)
            // The list: filters in any order, unknown parameters, values that parse the same: one page.
            for uri in ["/?severity=high&x=1", "/?x=2&severity=high&utm_source=mail", "/?severity=%20high%20", "/?severity=high&page=1"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok) }
            }
            #expect(cache.count == 2)
            try await client.execute(uri: "/?severity=critical", method: .get) { #expect($0.status == .ok) }
            #expect(cache.count == 3)
            // An unknown advisory is not cached, whatever it is called.
            for n in 0..<20 {
                try await client.execute(uri: "/advisories/NOPE-\(n)", method: .get) { #expect($0.status == .notFound) }
            }
            #expect(cache.count == 3)
        }
    }

    @Test("distinct pages beyond the cache's byte budget push out the least recently used; the budget holds")
    func byteBudgetHolds() async throws {
        let cache = PageCache(byteLimit: 200_000)
        try await withRouter(cache: cache) { client in
            for n in 0..<100 {
                try await client.execute(uri: "/vendors?q=filter\(n)", method: .get) { #expect($0.status == .ok) }
                #expect(cache.bytes <= 200_000)
            }
            #expect(cache.count > 1)
            #expect(cache.count < 100)
        }
    }

    @Test("the least recently used page goes first, and a page larger than the whole budget is served but not kept")
    func leastRecentlyUsedGoesFirst() async throws {
        let page = ByteBuffer(repeating: 0x61, count: 1000)
        let cost = 1000 + 2 + PageCache.entryOverhead
        let cache = PageCache(byteLimit: cost * 10)
        for n in 0..<10 { _ = try await cache.body("p\(n)", generation: 1) { page } }
        #expect(cache.count == 10)
        #expect(cache.get("p0", generation: 1) != nil)
        _ = try await cache.body("pA", generation: 1) { page }
        #expect(cache.bytes <= cost * 10)
        #expect(cache.get("p0", generation: 1) != nil, "the page just used was dropped")
        #expect(cache.get("p1", generation: 1) == nil, "the page used longest ago was kept")

        let huge = ByteBuffer(repeating: 0x62, count: cost * 11)
        #expect(try await cache.body("huge", generation: 1) { huge } == huge)
        #expect(cache.get("huge", generation: 1) == nil)
        #expect(cache.bytes <= cost * 10)

        _ = try await cache.body("new", generation: 2) { page }
        #expect(cache.count == 1)
        #expect(cache.bytes == cost + 1)
    }
}

@Suite("Connection deadlines")
struct ConnectionDeadlinesTests {
    typealias Machine = ConnectionDeadlines
    static let timeouts = Machine.Timeouts(header: .seconds(10), idle: .seconds(60), body: .seconds(30), linger: .seconds(2))
    static func at(_ seconds: Int64) -> NIODeadline { .uptimeNanoseconds(UInt64(1_000_000_000 + seconds * 1_000_000_000)) }

    /// Reads the request's end and writes a response to it: what the head said, and what follows the response.
    static func answer(_ machine: inout Machine, saysClose: Bool = false, hasContentLength: Bool = true, at time: Int64)
        -> (head: Machine.ResponseHead, after: Machine.AfterResponse) {
        _ = machine.endReceived()
        let head = machine.responseHeadWritten(responseSaysClose: saysClose, hasContentLength: hasContentLength)
        return (head, machine.responseEndWritten(now: at(time)))
    }

    @Test("first request head within the header timeout of connecting; then idle; a started request gets the header timeout")
    func headerThenIdle() {
        var machine = Machine(timeouts: Self.timeouts, now: Self.at(0))
        #expect(machine.waiting == .requestHead && machine.deadline == Self.at(10))
        machine.bytesReceived(now: Self.at(5))
        #expect(machine.deadline == Self.at(10), "bytes do not extend the first head's deadline")
        #expect(machine.timerFired(now: Self.at(10)) == .close(.requestHead))

        machine.headReceived(now: Self.at(1), isHTTP10: false, keepAlive: true)
        #expect(machine.waiting == .requestBody && machine.deadline == Self.at(31))
        let lingering = machine.endReceived()
        #expect(!lingering)
        #expect(machine.waiting == .response && machine.deadline == nil && !machine.isIdle)
        #expect(machine.timerFired(now: Self.at(500)) == .none)
        let head = machine.responseHeadWritten(responseSaysClose: false, hasContentLength: true)
        #expect(head == .init(answerWithHTTP10: false, close: false))
        let after = machine.responseEndWritten(now: Self.at(40))
        #expect(after == .keepOpen)
        #expect(machine.waiting == .nextRequest && machine.deadline == Self.at(100) && machine.isIdle)
        #expect(machine.timerFired(now: Self.at(50)) == .reschedule(Self.at(100)))
        machine.bytesReceived(now: Self.at(70))
        #expect(machine.waiting == .requestHead && machine.deadline == Self.at(80))
        #expect(machine.timerFired(now: Self.at(80)) == .close(.requestHead))
    }

    @Test("HTTP/1.0 without keep-alive and Connection: close close after the response; HTTP/1.0 keep-alive needs a length")
    func closeAfterResponse() {
        var plain = Machine(timeouts: Self.timeouts, now: Self.at(0))
        plain.headReceived(now: Self.at(0), isHTTP10: true, keepAlive: false)
        let first = Self.answer(&plain, at: 1)
        #expect(first.head == .init(answerWithHTTP10: true, close: true))
        #expect(first.after == .close)

        var kept = Machine(timeouts: Self.timeouts, now: Self.at(0))
        kept.headReceived(now: Self.at(0), isHTTP10: true, keepAlive: true)
        let second = Self.answer(&kept, at: 1)
        #expect(second.head == .init(answerWithHTTP10: true, close: false))
        #expect(second.after == .keepOpen)
        kept.headReceived(now: Self.at(2), isHTTP10: true, keepAlive: true)
        let unknownLength = Self.answer(&kept, hasContentLength: false, at: 3)
        #expect(unknownLength.head.close)
        #expect(unknownLength.after == .close)

        var closing = Machine(timeouts: Self.timeouts, now: Self.at(0))
        closing.headReceived(now: Self.at(0), isHTTP10: false, keepAlive: true)
        let third = Self.answer(&closing, saysClose: true, at: 1)
        #expect(third.head == .init(answerWithHTTP10: false, close: true))
        #expect(third.after == .close)
    }

    @Test("answered while the body still arrives (413): linger, discard, close at the client's end or the linger deadline")
    func lingerAfterEarlyAnswer() {
        var machine = Machine(timeouts: Self.timeouts, now: Self.at(0))
        machine.headReceived(now: Self.at(1), isHTTP10: false, keepAlive: true)
        let head = machine.responseHeadWritten(responseSaysClose: false, hasContentLength: true)
        #expect(head.close)
        let after = machine.responseEndWritten(now: Self.at(2))
        #expect(after == .lingerThenClose)
        #expect(machine.waiting == .linger && machine.deadline == Self.at(4))
        #expect(machine.timerFired(now: Self.at(4)) == .close(.linger))
        let closeNow = machine.endReceived()
        #expect(closeNow)
    }

    @Test("a body that does not arrive within the body timeout closes the connection")
    func bodyTimeout() {
        var machine = Machine(timeouts: Self.timeouts, now: Self.at(0))
        machine.headReceived(now: Self.at(3), isHTTP10: false, keepAlive: true)
        machine.bytesReceived(now: Self.at(20))
        #expect(machine.deadline == Self.at(33))
        #expect(machine.timerFired(now: Self.at(33)) == .close(.requestBody))
    }
}
