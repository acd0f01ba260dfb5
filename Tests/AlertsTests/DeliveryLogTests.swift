import Alerts
import Foundation
import Logging
import NIOPosix
import Storage
import Store
import Synchronization
import Testing
import VigilTestSupport

/// The dispatcher's log lines name the delivery, its alert and its channel as metadata, so a log search finds every
/// line about one delivery (`vigil serve --log-format json`).
@Suite(.serialized) struct DeliveryLogTests {
    @Test("a failed and a delivered webhook are logged with delivery, alert and channel", arguments: Backend.allCases)
    func deliveryLinesCarryTheirIDs(backend: Backend) async throws {
        let dead = try LoopbackPort.refusing()
        defer { withExtendedLifetime(dead) {} }
        let deadPort = dead.port
        let receiver = try WebhookReceiver(failFirst: 0)
        defer { receiver.stop() }
        let channels: [NotificationChannel.Draft] = [.init(name: "down", kind: .webhook, target: "http://127.0.0.1:\(deadPort)/hook"),
                                                     .init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook")]
        try await DeliveryTests.Fixture.with(channels: channels, backend: backend) { fixture in
            receiver.secret = try #require(fixture.channels.first { $0.name == "soc" }?.secret)
            try await fixture.publish()
            let captured = CapturedLog()
            var logger = captured.logger(label: "vigil.delivery")
            logger.logLevel = .debug
            let summary = try await DeliveryTests.withClient { client in
                try await AlertDispatcher(store: fixture.store, configuration: .init(smtp: nil, baseURL: "https://vigil.example/"),
                                          httpClient: client, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger).runOnce()
            }
            #expect(summary.delivered == 1)
            #expect(summary.retrying == 1)
            let outbox = try await fixture.outbox()
            let events = captured.events
            let failed = try #require(events.first { $0.message == "delivery failed; will retry" }, "\(events)")
            let delivered = try #require(events.first { $0.message == "delivered" }, "\(events)")
            #expect(failed.level == .warning)
            #expect(failed.metadata["channel"] == "down")
            #expect(delivered.metadata["channel"] == "soc")
            for event in [failed, delivered] {
                let record = try #require(outbox.first { "\($0.id)" == event.metadata["delivery"] }, "\(event.metadata)")
                #expect(event.metadata["alert"] == record.alertID.map { "\($0)" })
                #expect(event.metadata["alert"] != nil)
                #expect(event.metadata["kind"] == "alert")
            }
        }
    }
}
