import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import Storage
import Telemetry

/// The alert dispatcher with the HTTP client it sends webhooks through, which must be shut down before it is released.
/// The mail settings come in as a value: nothing here reads the environment (`vigil` reads `VIGIL_SMTP_URL` and
/// `VIGIL_MAIL_FROM` once, in its configuration).
public struct DeliveryRuntime: Sendable {
    public let dispatcher: AlertDispatcher
    public let httpClient: HTTPClient

    /// - Parameters:
    ///   - smtp: where email goes; nil leaves email deliveries waiting in the outbox.
    ///   - baseURL: where people reach the web server, for the links in messages.
    ///   - lease: how long a claimed delivery is this process's (`--lease`); nil keeps the policy's default.
    public init(store: any AlertingStore, smtp: SMTPConfiguration?, baseURL: String, lease: TimeInterval? = nil, metrics: VigilMetrics? = nil,
                logger: Logger = Logger(label: "vigil.delivery")) {
        httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: .init(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(15))))
        var configuration = AlertDispatcher.Configuration(smtp: smtp, baseURL: baseURL)
        if let lease { configuration.policy.lease = lease }
        configuration.metrics = metrics
        dispatcher = AlertDispatcher(store: store, configuration: configuration, httpClient: httpClient,
                                     eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// Shuts the HTTP client down; the dispatcher must not be used afterwards.
    public func shutdown() async {
        try? await httpClient.shutdown()
    }

    /// Runs `body` with a runtime and shuts its client down afterwards, whether `body` returned or threw.
    public static func with<T>(store: any AlertingStore, smtp: SMTPConfiguration? = nil, baseURL: String = "http://127.0.0.1:8080",
                               _ body: (DeliveryRuntime) async throws -> T) async throws -> T {
        let runtime = DeliveryRuntime(store: store, smtp: smtp, baseURL: baseURL)
        do {
            let result = try await body(runtime)
            await runtime.shutdown()
            return result
        } catch {
            await runtime.shutdown()
            throw error
        }
    }
}
