import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Store

/// Works through the outbox: composes digests that fell due, claims due deliveries, sends each to its channel and
/// records the outcome. Safe after a crash and beside other dispatchers: a claim is a lease, a retry carries the same
/// idempotency key, and a delivery is marked delivered only after the server accepted it.
public struct AlertDispatcher: Sendable {
    /// What the dispatcher needs besides the store.
    public struct Configuration: Sendable {
        /// Nil when mail is not configured: email deliveries then wait (and fail after `policy.giveUpAfter`).
        public var smtp: SMTPConfiguration?
        /// Where the links in messages point.
        public var baseURL: String
        public var policy = DeliveryPolicy()
        /// Deliveries claimed at a time.
        public var batchSize = 100
        /// Emails sent at once (each over its own connection).
        public var mailConcurrency = 4
        public init(smtp: SMTPConfiguration?, baseURL: String) {
            self.smtp = smtp
            self.baseURL = baseURL
        }
    }

    /// What one pass did.
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var failed = 0
        public var digestsComposed = 0
        public init() {}
    }

    let store: any OutboxStore
    let configuration: Configuration
    let composer: AlertMessageComposer
    let webhooks: WebhookSender
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    public init(store: any OutboxStore, configuration: Configuration, httpClient: HTTPClient,
                eventLoopGroup: any EventLoopGroup, logger: Logger = Logger(label: "vigil.delivery")) {
        self.store = store
        self.configuration = configuration
        composer = AlertMessageComposer(baseURL: configuration.baseURL)
        webhooks = WebhookSender(client: httpClient)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// One pass: digests, then every due delivery, batch after batch, until none is due. `now` is read for each
    /// batch, so a long pass does not stamp late deliveries with its start time.
    public func runOnce(now: @escaping @Sendable () -> Date = { Date() }, only: Int64? = nil) async throws -> Summary {
        var summary = Summary()
        if only == nil { summary.digestsComposed = try await composeDueDigests(now: now()) }
        let cache = AdvisoryCache()
        while true {
            let claimed = try await store.claimDeliveries(now: now(), lease: configuration.policy.lease,
                                                          limit: configuration.batchSize, only: only)
            if claimed.isEmpty { return summary }
            let outcomes = await send(claimed, cache: cache, now: now)
            for (delivery, outcome) in zip(claimed, outcomes) {
                try await record(delivery, outcome: outcome, now: now(), summary: &summary)
            }
            if only != nil { return summary }
        }
    }

    /// Folds held alerts into a digest for each channel whose digest boundary passed since its oldest held alert.
    func composeDueDigests(now: Date) async throws -> Int {
        var composed = 0
        for (channel, oldest) in try await store.channelsWithHeldAlerts() {
            guard let boundary = configuration.policy.digestBoundary(channel.draft.schedule, now: now), oldest < boundary else { continue }
            if try await store.composeDigest(channelID: channel.id, periodEnd: boundary, now: now) > 0 { composed += 1 }
        }
        return composed
    }

    /// Sends claimed deliveries: webhooks and emails side by side, emails a few at a time.
    func send(_ claimed: [ClaimedDelivery], cache: AdvisoryCache, now: @escaping @Sendable () -> Date) async -> [Result<String, DeliveryFailure>] {
        var results = [Result<String, DeliveryFailure>](repeating: .failure(DeliveryFailure("not sent", isTransient: true)), count: claimed.count)
        let limit = max(configuration.mailConcurrency, 1)
        await withTaskGroup(of: (Int, Result<String, DeliveryFailure>).self) { group in
            var running = 0
            for (index, delivery) in claimed.enumerated() {
                if running >= limit, let (finished, result) = await group.next() {
                    results[finished] = result
                    running -= 1
                }
                group.addTask { (index, await self.deliver(delivery, cache: cache, now: now())) }
                running += 1
            }
            for await (finished, result) in group { results[finished] = result }
        }
        return results
    }

    /// Renders and sends one delivery; never throws: every failure is an outcome to record.
    public func deliver(_ delivery: ClaimedDelivery, cache: AdvisoryCache = AdvisoryCache(), now: Date) async -> Result<String, DeliveryFailure> {
        let content: DeliveryContent
        do {
            content = try await store.deliveryContent(delivery, cache: cache)
        } catch {
            return .failure(DeliveryFailure("could not read what to send: \(error)", isTransient: true))
        }
        if delivery.kind != .test, content.notices.isEmpty {
            return .failure(DeliveryFailure("nothing left to send: the alert was removed", isTransient: false))
        }
        let channel = delivery.channel
        switch channel.kind {
        case .email:
            guard let smtp = configuration.smtp else {
                return .failure(DeliveryFailure("email is not configured: set VIGIL_SMTP_URL and VIGIL_MAIL_FROM for vigil serve", isTransient: true))
            }
            let message = composer.mail(delivery, content: content, from: smtp.from, date: now)
            do {
                let receipt = try await SMTPClient.send(message, configuration: smtp, eventLoopGroup: eventLoopGroup, logger: logger)
                if receipt.acceptedRecipients.isEmpty {
                    return .failure(DeliveryFailure("the mail server accepted no recipient", isTransient: false))
                }
                return .success("accepted by \(smtp.host):\(smtp.port) as <\(message.messageID)>: \(receipt.finalReply.code) \(receipt.finalReply.text)")
            } catch {
                return .failure(DeliveryFailure("\(smtp.host):\(smtp.port): \(error.message)", isTransient: error.isTransient))
            }
        case .webhook, .slack, .teams:
            let body: [UInt8]
            var headers: [(String, String)] = []
            switch channel.kind {
            case .slack: body = composer.slackBody(delivery, content: content)
            case .teams: body = composer.teamsBody(delivery, content: content)
            default:
                body = composer.webhookBody(delivery, content: content, date: now)
                let timestamp = Int64(now.timeIntervalSince1970)
                headers = [("Vigil-Delivery", AlertMessageComposer.deliveryID(delivery)), ("Vigil-Event", delivery.kind.rawValue),
                           ("Vigil-Signature", AlertMessageComposer.signature(body: body, secret: channel.secret, timestamp: timestamp))]
            }
            do {
                return .success(try await webhooks.post(channel.target, body: body, headers: headers))
            } catch {
                return .failure(error)
            }
        }
    }

    func record(_ delivery: ClaimedDelivery, outcome: Result<String, DeliveryFailure>, now: Date, summary: inout Summary) async throws {
        switch outcome {
        case .success(let detail):
            try await store.markDelivered(deliveryID: delivery.id, at: now, detail: detail)
            summary.delivered += 1
        case .failure(let failure):
            let retry = failure.isTransient
                ? configuration.policy.retryTime(queuedAt: delivery.createdAt, attempts: delivery.attempts, now: now, jitter: Double.random(in: 0...1))
                : nil
            if let retry {
                try await store.markFailed(deliveryID: delivery.id, error: failure.message, retryAt: retry)
                summary.retrying += 1
                logger.warning("delivery failed; will retry", metadata: ["delivery": "\(delivery.id)", "channel": "\(delivery.channel.name)",
                                                                          "attempt": "\(delivery.attempts)", "error": "\(failure.message)"])
            } else {
                let reason = failure.isTransient
                    ? "gave up after \(delivery.attempts) attempts over \(Int(configuration.policy.giveUpAfter / 3600)) h: \(failure.message)"
                    : failure.message
                try await store.markFailed(deliveryID: delivery.id, error: reason, retryAt: nil)
                summary.failed += 1
                logger.error("delivery failed for good", metadata: ["delivery": "\(delivery.id)", "channel": "\(delivery.channel.name)",
                                                                     "error": "\(reason)"])
            }
        }
    }
}
