// libFuzzer target: SMTP reply parsing and the client conversation (Sources/Alerts/SMTPClientStateMachine.swift),
// fed the way SMTPClient's channel handler feeds it: the input is the server's byte stream, split at LF with an
// optional CR dropped. The first byte picks the session's settings (security, credentials, implicit TLS, how many
// messages and recipients, whether the TLS handshake succeeds, how the session ends).
// Checked: no trap, and once the machine says it is finished every queued message has an outcome.
import Alerts

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let settings = bytes[0]
    let securities: [SMTPConfiguration.Security] = [.startTLSOpportunistic, .startTLSRequired, .implicitTLS, .plaintext]
    let security = securities[Int(settings & 0x03)]
    let credentials = settings & 0x04 != 0 ? SMTPConfiguration.Credentials(username: "alerts", password: "secret") : nil
    let tlsActive = security == .implicitTLS
    let recipientCount = 1 + Int((settings >> 3) & 0x01) + Int((settings >> 4) & 0x01)
    let messageCount = settings & 0x20 != 0 ? 2 : 1
    let tlsSucceeds = settings & 0x40 != 0
    let endByTimeout = settings & 0x80 != 0

    let message = Array("Subject: test\r\n\r\nbody\r\n.\r\n..dot\r\n".utf8)
    let transactions = (0..<messageCount).map { index in
        SMTPClientStateMachine.Transaction(sender: "alerts@example.org",
                                           recipients: (0..<recipientCount).map { "r\($0)@example.org" },
                                           messageID: "<m\(index)@example.org>", message: message)
    }
    var machine = SMTPClientStateMachine(security: security, credentials: credentials, clientName: "vigil.example",
                                         transactions: transactions, tlsActive: tlsActive)
    _ = machine.connected()

    var buffer = bytes[1...]
    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")), !machine.isFinished {
        var line = buffer[..<newline]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        buffer = buffer[(newline + 1)...]
        let action = machine.lineReceived(String(decoding: line, as: UTF8.self))
        _ = machine.stage
        if case .startTLS = action {
            if !buffer.isEmpty {
                _ = machine.malformedInput("data before the handshake")
            } else {
                _ = tlsSucceeds ? machine.tlsEstablished() : machine.tlsFailed("fuzz")
            }
        }
    }
    if !machine.isFinished {
        if !buffer.isEmpty { _ = machine.malformedInput("a line without its end") }
        _ = endByTimeout ? machine.timedOut() : machine.connectionClosed()
    }
    precondition(machine.isFinished, "the session did not finish after the connection ended")
    precondition(machine.results.count == messageCount && machine.results.allSatisfy { $0 != nil },
                 "a finished session left a message without an outcome")
    _ = machine.serverCapabilities
    _ = SMTPClientStateMachine.dataBlock(Array(bytes[1...]))
    return 0
}
