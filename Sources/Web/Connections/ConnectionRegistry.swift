import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The open client connections and the connection limit.
///
/// At the limit, a new connection takes the place of the connection that has waited longest for a request (an idle
/// keep-alive connection, a client that connected and sent nothing, a slow client still sending its request head):
/// those hold a file descriptor and nothing else, and a client that wants an answer sends its request at once. When
/// every connection is busy (a request being read or answered), the server stops accepting and new connections wait
/// in the listen queue until one closes; a connection that turns idle meanwhile is closed to make that room. The
/// listening socket may already be reading when the last idle connection turns busy: the few connections it accepts
/// then are served over the limit (never more than one accept batch, as the server then stops accepting) rather than
/// reset. So neither idle nor slow clients can keep `/healthz` or anyone else from being answered, and the number of
/// open connections (and file descriptors) stays at the limit.
final class ConnectionRegistry: Sendable {
    private struct Connection {
        let channel: any Channel
        /// When it became idle (a sequence number, for "waited longest"); nil while busy.
        var idleSince: UInt64?
    }
    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var idle = 0
        var sequence: UInt64 = 0
        /// The server asked whether to accept and was told no: it waits for a connection to close.
        var refusing = false
        var evicted = 0
        var lastNotice: ContinuousClock.Instant?
    }

    let maximum: Int
    private let logger: Logger
    private let state = Mutex(State())

    init(maximum: Int, logger: Logger) {
        self.maximum = max(1, maximum)
        self.logger = logger
    }

    /// Connections open now, and how many were closed to make room for others so far.
    var counts: (open: Int, idle: Int, evicted: Int) {
        state.withLock { ($0.connections.count, $0.idle, $0.evicted) }
    }

    /// Asked by the listening socket before each accept.
    func acceptsNewConnection() -> Bool {
        let (accepts, notify) = state.withLock { state -> (Bool, Bool) in
            let open = state.connections.count
            let accepts = open < maximum || (open == maximum && state.idle > 0)
            state.refusing = !accepts
            return (accepts, !accepts && Self.dueForNotice(&state))
        }
        if notify {
            logger.notice("connection limit reached: every one of \(maximum) connections is busy; new connections wait until one closes")
        }
        return accepts
    }

    /// A connection set up; it starts idle (it has sent no request yet). Over the limit, the connection idle longest
    /// is closed; when no other is idle, this one is served over the limit.
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let victim = state.withLock { state -> (any Channel)? in
            state.sequence += 1
            state.connections[id] = Connection(channel: channel, idleSince: state.sequence)
            state.idle += 1
            guard state.connections.count > maximum else { return nil }
            guard let oldest = state.connections.filter({ $0.key != id && $0.value.idleSince != nil })
                .min(by: { $0.value.idleSince! < $1.value.idleSince! }) else { return nil }
            Self.forget(oldest.key, in: &state)
            state.evicted += 1
            return oldest.value.channel
        }
        channel.closeFuture.whenComplete { [self] _ in state.withLock { Self.forget(id, in: &$0) } }
        if let victim {
            logger.debug("connection limit reached: closing the connection idle longest", metadata: ["limit": "\(maximum)"])
            victim.close(promise: nil)
        }
    }

    /// The connection started or finished waiting for a request. Returns true when it should close now: the server is
    /// refusing new connections at the limit, and this idle one makes room for a waiting client.
    func setIdle(_ channel: any Channel, _ idle: Bool) -> Bool {
        let id = ObjectIdentifier(channel)
        return state.withLock { state in
            guard var connection = state.connections[id], (connection.idleSince != nil) != idle else { return false }
            if idle, state.refusing, state.connections.count >= maximum {
                Self.forget(id, in: &state)
                state.evicted += 1
                return true
            }
            state.sequence += 1
            connection.idleSince = idle ? state.sequence : nil
            state.idle += idle ? 1 : -1
            state.connections[id] = connection
            return false
        }
    }

    /// The connection closed. Its handler says so when it goes inactive, before the close future completes: the
    /// listening socket's handler asks `acceptsNewConnection` from that future, and must not count this one.
    func closed(_ channel: any Channel) {
        state.withLock { Self.forget(ObjectIdentifier(channel), in: &$0) }
    }

    private static func forget(_ id: ObjectIdentifier, in state: inout State) {
        guard let connection = state.connections.removeValue(forKey: id) else { return }
        if connection.idleSince != nil { state.idle -= 1 }
    }

    private static func dueForNotice(_ state: inout State) -> Bool {
        let now = ContinuousClock.now
        if let last = state.lastNotice, now - last < .seconds(60) { return false }
        state.lastNotice = now
        return true
    }
}

/// Hummingbird's hook on the listening socket: pauses accepting while every connection is busy at the limit. The
/// registry counts connections itself (from their setup to their close), so the limit holds even where this hook is
/// missing: `ApplicationConfiguration.with(address:)`, which Hummingbird's live tests use, drops it.
struct ConnectionLimitDelegate: AvailableConnectionsDelegate {
    let registry: ConnectionRegistry

    mutating func connectionOpened() {}
    mutating func connectionClosed() {}
    func isAcceptingNewConnections() -> Bool { registry.acceptsNewConnection() }
}
