import Alerts
import AsyncHTTPClient
import Foundation
import NIOPosix
import Sources
import Storage
import Store
import Telemetry
import Testing
import VigilTestSupport

/// The alert creator and the dispatcher count into the metrics they are given: alerts by reason with their latency,
/// delivery attempts by channel kind and outcome with the alert→delivery latency, against a real webhook receiver.
@Suite struct DeliveryMetricsTests {
    @Test("webhook, Slack and Teams deliveries are counted by kind and outcome; a retried one's latency is its alert's age", arguments: Backend.allCases)
    func deliveriesCountedByKindAndOutcome(backend: Backend) async throws {
        let receiver = try WebhookReceiver(failFirst: 1)
        defer { receiver.stop() }
        try await DeliveryTests.Fixture.with(channels: [
            .init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/hook"),
            .init(name: "slack", kind: .slack, target: "http://127.0.0.1:\(receiver.port)/slack"),
            .init(name: "teams", kind: .teams, target: "http://127.0.0.1:\(receiver.port)/teams"),
        ], backend: backend) { fixture in
            receiver.secret = try #require(fixture.channels.first?.secret)
            let metrics = VigilMetrics()
            let path = try AlertCreatorTests.freshCopy(in: fixture.folder.url)
            _ = try await LocalImporter().run(paths: [path], into: fixture.store)
            #expect(try await AlertCreator(store: fixture.store, metrics: metrics).processPending().alertsCreated == 1)
            #expect(metrics.alertsCreated.value(["new_advisory"]) == 1)
            #expect(metrics.alertsCreated.value(["revision"]) == 0)
            #expect(metrics.alertLatency.count() == 1)

            let start = Date()
            try await DeliveryTests.withClient { client in
                var configuration = AlertDispatcher.Configuration(smtp: nil, baseURL: "https://vigil.example/")
                configuration.metrics = metrics
                let dispatcher = AlertDispatcher(store: fixture.store, configuration: configuration, httpClient: client,
                                                 eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
                let first = try await dispatcher.runOnce(now: { start })
                #expect(first.delivered == 2 && first.retrying == 1)
                let sentFirst = ["webhook", "slack", "teams"].map { metrics.deliveries.value([$0, "sent"]) }.reduce(0, +)
                let retried = ["webhook", "slack", "teams"].map { metrics.deliveries.value([$0, "retried"]) }.reduce(0, +)
                #expect(sentFirst == 2 && retried == 1)
                _ = try await dispatcher.runOnce(now: { start.addingTimeInterval(3600) })
            }
            for kind in ["webhook", "slack", "teams"] {
                #expect(metrics.deliveries.value([kind, "sent"]) == 1, "\(kind)")
                #expect(metrics.deliveries.value([kind, "failed"]) == 0, "\(kind)")
            }
            #expect(metrics.deliveries.value(["email", "sent"]) == 0)
            // Two sent at once, the retried one an hour (of the dispatcher's clock) after its alert was created.
            #expect(metrics.deliveryLatency.count() == 3)
            let text = metrics.render()
            #expect(text.contains("vigil_delivery_latency_seconds_bucket{le=\"900\"} 2\n"), "\(text)")
            #expect(text.contains("vigil_delivery_latency_seconds_bucket{le=\"21600\"} 3\n"), "\(text)")
        }
    }

    @Test("a delivery refused for good is counted as failed")
    func refusedDeliveryCountedAsFailed() async throws {
        let receiver = try WebhookReceiver(failFirst: 0, status: 404)
        defer { receiver.stop() }
        try await DeliveryTests.Fixture.with(channels: [.init(name: "soc", kind: .webhook, target: "http://127.0.0.1:\(receiver.port)/gone")],
                                             backend: .sqlite) { fixture in
            receiver.secret = try #require(fixture.channels.first?.secret)
            let metrics = VigilMetrics()
            try await fixture.publish()
            try await DeliveryTests.withClient { client in
                var configuration = AlertDispatcher.Configuration(smtp: nil, baseURL: "https://vigil.example/")
                configuration.metrics = metrics
                _ = try await AlertDispatcher(store: fixture.store, configuration: configuration, httpClient: client,
                                              eventLoopGroup: MultiThreadedEventLoopGroup.singleton).runOnce()
            }
            #expect(metrics.deliveries.value(["webhook", "failed"]) == 1)
            #expect(metrics.deliveries.value(["webhook", "sent"]) == 0)
            #expect(metrics.deliveryLatency.count() == 0)
        }
    }
}
