#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

#if canImport(Glibc)
private func closeSocket(_ fd: Int32) { _ = Glibc.close(fd) }
private func sendBytes(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int { Glibc.send(fd, pointer, count, Int32(MSG_NOSIGNAL)) }
#else
private func closeSocket(_ fd: Int32) { _ = Darwin.close(fd) }
private func sendBytes(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int { Darwin.send(fd, pointer, count, 0) }
#endif

/// A plain TCP connection to a server on loopback, for the clients an HTTP library will not play: one that sends
/// nothing, a header byte at a time, a body that stops, or headers with no body. Non-blocking: waits are short sleeps
/// of the calling task (never a blocked thread, which the server under test may need), each bounded by a timeout.
final class RawConnection: @unchecked Sendable {
    struct ConnectFailed: Error { let errno: Int32 }

    enum Read: Equatable {
        case bytes([UInt8])
        case nothingYet
        case closed
    }

    private let fd: Int32
    private var isClosed = false
    let opened = ContinuousClock.now

    init(port: Int) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ConnectFailed(errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            // Closed here, and marked so: a class whose initializer throws once every property is set is
            // deinitialised, and `deinit` closing the number again would close whatever another thread opened
            // under it meanwhile (a file an import was reading, a child's stream: EBADF far from here).
            close()
            throw ConnectFailed(errno: error)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        closeSocket(fd)
    }

    /// Sends everything it can; false when the server has closed the connection (or its buffers stay full).
    @discardableResult
    func send(_ text: String) async -> Bool { await send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8], timeout: Duration = .seconds(5)) async -> Bool {
        var sent = 0
        let deadline = ContinuousClock.now + timeout
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { sendBytes(fd, $0.baseAddress, $0.count) }
            if count > 0 { sent += count; continue }
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK, ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// What has arrived, without waiting.
    func read() -> Read {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return .bytes(Array(buffer[..<count])) }
        if count == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .nothingYet : .closed
    }

    /// Everything the server sends until it closes the connection or `timeout` passes; `closed` says which.
    func readUntilClosed(timeout: Duration) async -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch read() {
            case .bytes(let bytes): received += bytes
            case .closed: return (received, true)
            case .nothingYet: try? await Task.sleep(for: .milliseconds(10))
            }
        }
        return (received, false)
    }

    /// One HTTP response with a `Content-Length` body, or nil if none arrives within `timeout` (generous: it returns as
    /// soon as one arrives, and a machine loaded by the rest of the suite may take seconds to answer).
    func readResponse(timeout: Duration = .seconds(30)) async -> HTTPAnswer? {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let answer = HTTPAnswer(received), answer.isComplete { return answer }
            switch read() {
            case .bytes(let bytes): received += bytes
            case .closed: return HTTPAnswer(received)
            case .nothingYet: try? await Task.sleep(for: .milliseconds(5))
            }
        }
        return nil
    }

    /// Whether the server closes the connection within `timeout` (anything it sends first is skipped).
    func closedByServer(within timeout: Duration) async -> Bool {
        await readUntilClosed(timeout: timeout).closed
    }
}

/// The parts of an HTTP/1 response the tests look at.
struct HTTPAnswer {
    let version: String
    let status: Int
    let headers: [String: String]
    let body: [UInt8]
    let isComplete: Bool

    init?(_ bytes: [UInt8]) {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        version = String(statusLine[0])
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        let body = Array(bytes[(end + 4)...])
        self.body = body
        isComplete = Int(headers["content-length"] ?? "").map { body.count >= $0 } ?? false
    }
}
