import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Reports
import Storage
import Telemetry

/// Works through the outbox: composes digests that fell due, claims due deliveries, sends each to its channel and
/// records the outcome. Safe after a crash and beside other dispatchers: a claim is a lease, a retry carries the same
/// idempotency key, and a delivery is marked delivered only after the server accepted it.
public struct AlertDispatcher: Sendable {
    /// What the dispatcher needs besides the store.
    public struct Configuration: Sendable {
        /// Nil when mail is not configured: this process then leaves email deliveries in the outbox, unclaimed and
        /// unchanged, for a process that has the settings (`vigil import` run by hand beside `vigil serve`); only a
        /// delivery asked for by id (`vigil alerts test`) is tried, and fails with the reason.
        public var smtp: SMTPConfiguration?
        /// Where the links in messages point.
        public var baseURL: String
        public var policy = DeliveryPolicy()
        /// Deliveries claimed at a time.
        public var batchSize = 200
        /// SMTP sessions at once, and webhook requests at once (each up to this many, side by side); a batch of emails
        /// is shared out among the sessions.
        public var mailConcurrency = 4
        /// Where delivery attempts and their latency are counted (`vigil serve --metrics-port`); nil counts nothing.
        public var metrics: VigilMetrics?
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
        /// Monthly reports queued by this pass (on the first of a month).
        public var reportsQueued = 0
        public init() {}
    }

    let store: any OutboxStore
    let configuration: Configuration
    let composer: AlertMessageComposer
    let webhooks: WebhookSender
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    /// Where monthly reports are made from (the alert log, advisories and assets); nil for a dispatcher given only
    /// an outbox, which leaves report deliveries to be retried by one that can make them.
    let reportSource: (any ComplianceReport.Source)?
    let reportCheck = ReportCheckClock()

    /// A dispatcher over a whole store: it sends alerts, digests, tests and monthly reports.
    public init(store: any AlertingStore, configuration: Configuration, httpClient: HTTPClient,
                eventLoopGroup: any EventLoopGroup, logger: Logger = Logger(label: "vigil.delivery")) {
        self.init(outbox: store, reportSource: store, configuration: configuration, httpClient: httpClient,
                  eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// A dispatcher over an outbox alone: report deliveries fail, to be retried, for want of the alert log.
    public init(outbox store: any OutboxStore, reportSource: (any ComplianceReport.Source)? = nil, configuration: Configuration,
                httpClient: HTTPClient, eventLoopGroup: any EventLoopGroup, logger: Logger = Logger(label: "vigil.delivery")) {
        self.store = store
        self.reportSource = reportSource
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
        if only == nil {
            summary.digestsComposed = try await composeDueDigests(now: now())
            summary.reportsQueued = try await enqueueDueReports(now: now())
        }
        let cache = AdvisoryCache()
        while true {
            let claimed = try await store.claimDeliveries(now: now(), lease: configuration.policy.lease,
                                                          limit: configuration.batchSize, only: only,
                                                          kinds: only == nil ? sendableKinds : nil)
            if claimed.isEmpty { return summary }
            let outcomes = await send(claimed, cache: cache, now: now)
            let finished = now()
            try await store.recordOutcomes(zip(claimed, outcomes).map { record($0, outcome: $1, now: finished, summary: &summary) })
            if only != nil { return summary }
        }
    }

    /// The channel kinds this process has the settings to send to: every kind but email without SMTP settings.
    var sendableKinds: Set<NotificationChannel.Kind>? {
        configuration.smtp == nil ? Set(NotificationChannel.Kind.allCases).subtracting([.email]) : nil
    }

    /// Folds held alerts into a digest for each channel whose digest boundary passed since its oldest held alert.
    func composeDueDigests(now: Date) async throws -> Int {
        var composed = 0
        for held in try await store.channelsWithHeldAlerts() {
            // A zone the store holds but this system's time zone data no longer knows falls back to UTC.
            guard let boundary = configuration.policy.digestBoundary(held.channel.draft.schedule, now: now, timeZone: TimeZone(identifier: held.timeZone),
                                                                     hour: held.digestHour),
                  held.oldest < boundary else { continue }
            if try await store.composeDigest(channelID: held.channel.id, periodEnd: boundary, now: now) > 0 { composed += 1 }
        }
        return composed
    }

    /// What one delivery sends, once rendered.
    enum Prepared: Sendable {
        case mail(MailMessage, SMTPConfiguration)
        case post(url: String, body: [UInt8], headers: [(String, String)])
        case failed(DeliveryFailure)
    }

    /// Sends claimed deliveries: emails in a few SMTP sessions (one connection and login for many messages), webhooks
    /// side by side, a few at a time.
    func send(_ claimed: [ClaimedDelivery], cache: AdvisoryCache, now: @escaping @Sendable () -> Date) async -> [Result<String, DeliveryFailure>] {
        var results = [Result<String, DeliveryFailure>](repeating: .failure(DeliveryFailure("not sent", isTransient: true)), count: claimed.count)
        var mail: [(index: Int, message: MailMessage, smtp: SMTPConfiguration)] = []
        var posts: [(index: Int, delivery: ClaimedDelivery, url: String, body: [UInt8], headers: [(String, String)])] = []
        for (index, delivery) in claimed.enumerated() {
            switch await prepare(delivery, cache: cache, now: now()) {
            case .failed(let failure): results[index] = .failure(failure)
            case .mail(let message, let smtp): mail.append((index, message, smtp))
            case .post(let url, let body, let headers): posts.append((index, delivery, url, body, headers))
            }
        }
        let sessions = max(configuration.mailConcurrency, 1)
        let chunkSize = max((mail.count + sessions - 1) / sessions, 1)
        let chunks = stride(from: 0, to: mail.count, by: chunkSize).map { Array(mail[$0..<min($0 + chunkSize, mail.count)]) }
        // Mail and webhooks in groups of their own, side by side: a webhook slot is freed only when a webhook request
        // ends (in one group an SMTP session ending would free one too, and more requests than the limit would run).
        async let mailed = withTaskGroup(of: [(Int, Result<String, DeliveryFailure>)].self) { group in
            for chunk in chunks {
                group.addTask {
                    guard let smtp = chunk.first?.smtp else { return [] }
                    let outcomes = await SMTPClient.send(chunk.map(\.message), configuration: smtp, eventLoopGroup: self.eventLoopGroup,
                                                         logger: self.logger)
                    return zip(chunk, outcomes).map { item, outcome in (item.index, Self.mailOutcome(outcome, message: item.message, smtp: smtp)) }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let posted = await withTaskGroup(of: (Int, Result<String, DeliveryFailure>).self) { group in
            var outcomes: [(Int, Result<String, DeliveryFailure>)] = []
            var running = 0
            for post in posts {
                if running >= sessions, let finished = await group.next() {
                    outcomes.append(finished)
                    running -= 1
                }
                group.addTask {
                    do throws(DeliveryFailure) {
                        return (post.index, .success(try await self.webhooks.post(post.url, body: post.body, headers: post.headers,
                                                                                 allowPrivateNetwork: post.delivery.channel.draft.allowPrivateNetwork)))
                    } catch {
                        return (post.index, .failure(error))
                    }
                }
                running += 1
            }
            for await finished in group { outcomes.append(finished) }
            return outcomes
        }
        for (index, result) in await mailed + posted { results[index] = result }
        return results
    }

    /// Renders and sends one delivery; never throws: every failure is an outcome to record.
    public func deliver(_ delivery: ClaimedDelivery, cache: AdvisoryCache = AdvisoryCache(), now: Date) async -> Result<String, DeliveryFailure> {
        switch await prepare(delivery, cache: cache, now: now) {
        case .failed(let failure):
            return .failure(failure)
        case .mail(let message, let smtp):
            let outcome = await SMTPClient.send([message], configuration: smtp, eventLoopGroup: eventLoopGroup, logger: logger).first
                ?? .failure(SMTPError(.connectionClosed, stage: .connect, isTransient: true, message: "no outcome"))
            return Self.mailOutcome(outcome, message: message, smtp: smtp)
        case .post(let url, let body, let headers):
            do throws(DeliveryFailure) {
                return .success(try await webhooks.post(url, body: body, headers: headers,
                                                         allowPrivateNetwork: delivery.channel.draft.allowPrivateNetwork))
            } catch {
                return .failure(error)
            }
        }
    }

    static func mailOutcome(_ outcome: Result<SMTPDeliveryReceipt, SMTPError>, message: MailMessage, smtp: SMTPConfiguration) -> Result<String, DeliveryFailure> {
        switch outcome {
        case .success(let receipt):
            if receipt.acceptedRecipients.isEmpty {
                return .failure(DeliveryFailure("the mail server accepted no recipient", isTransient: false))
            }
            return .success("accepted by \(smtp.host):\(smtp.port) as <\(message.messageID)>: \(receipt.finalReply.code) \(receipt.finalReply.text)")
        case .failure(let error):
            return .failure(DeliveryFailure("\(smtp.host):\(smtp.port): \(error.message)", isTransient: error.isTransient))
        }
    }

    /// Reads what a delivery is about and renders it for its channel.
    func prepare(_ delivery: ClaimedDelivery, cache: AdvisoryCache, now: Date) async -> Prepared {
        let content: DeliveryContent
        do {
            content = try await store.deliveryContent(delivery, cache: cache)
        } catch {
            return .failed(DeliveryFailure("could not read what to send: \(error)", isTransient: true))
        }
        let composer = composer.linking(to: content.baseURL).inZone(content.timeZone)
        if delivery.kind == .report { return await prepareReport(delivery, content: content, composer: composer, now: now) }
        if delivery.kind != .test, content.notices.isEmpty {
            return .failed(DeliveryFailure("nothing left to send: the alert was removed", isTransient: false))
        }
        return rendered(delivery, now: now,
                        mail: { composer.mail(delivery, content: content, from: $0, date: now) },
                        slack: { composer.slackBody(delivery, content: content) },
                        teams: { composer.teamsBody(delivery, content: content) },
                        webhook: { composer.webhookBody(delivery, content: content, date: now) })
    }

    /// A delivery rendered for its channel's kind: the mail (with this process's sender; a transient failure without
    /// SMTP settings), or the body to post (the generic webhook's signed with the channel's secret).
    func rendered(_ delivery: ClaimedDelivery, now: Date, mail: (MailAddress) -> MailMessage, slack: () -> [UInt8],
                  teams: () -> [UInt8], webhook: () -> [UInt8]) -> Prepared {
        let channel = delivery.channel
        switch channel.kind {
        case .email:
            guard let smtp = configuration.smtp else {
                return .failed(DeliveryFailure("email is not configured: set VIGIL_SMTP_URL and VIGIL_MAIL_FROM for vigil serve", isTransient: true))
            }
            return .mail(mail(smtp.from), smtp)
        case .slack:
            return .post(url: channel.target, body: slack(), headers: [])
        case .teams:
            return .post(url: channel.target, body: teams(), headers: [])
        case .webhook:
            let body = webhook()
            let timestamp = Int64(now.timeIntervalSince1970)
            return .post(url: channel.target, body: body, headers: [
                ("Vigil-Delivery", AlertMessageComposer.deliveryID(delivery)), ("Vigil-Event", delivery.kind.rawValue),
                ("Vigil-Signature", AlertMessageComposer.signature(body: body, secret: channel.secret, timestamp: timestamp)),
            ])
        }
    }

    /// What every log line about a delivery carries: its outbox id, its alert (none for a digest or a test) and its
    /// channel.
    static func logMetadata(_ delivery: ClaimedDelivery) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["delivery": "\(delivery.id)", "channel": "\(delivery.channel.name)", "kind": "\(delivery.kind.rawValue)"]
        if let alert = delivery.alertID { metadata["alert"] = "\(alert)" }
        return metadata
    }

    /// What to store for one attempt, and the summary and log lines it makes.
    func record(_ delivery: ClaimedDelivery, outcome: Result<String, DeliveryFailure>, now: Date, summary: inout Summary) -> DeliveryOutcome {
        switch outcome {
        case .success(let detail):
            summary.delivered += 1
            logger.debug("delivered", metadata: Self.logMetadata(delivery).merging(["attempt": "\(delivery.attempts)", "detail": "\(detail)"]) { _, new in new })
            // The delivery row is queued in the transaction that stores its alert: its age is the alert's.
            configuration.metrics?.deliveryAttempted(channelKind: delivery.channel.kind.rawValue, outcome: .sent,
                                                     latency: delivery.kind == .alert ? now.timeIntervalSince(delivery.createdAt) : nil)
            return .delivered(deliveryID: delivery.id, at: now, detail: detail)
        case .failure(let failure):
            let retry = failure.isTransient
                ? configuration.policy.retryTime(queuedAt: delivery.createdAt, attempts: delivery.attempts, now: now, jitter: Double.random(in: 0...1))
                : nil
            if let retry {
                summary.retrying += 1
                configuration.metrics?.deliveryAttempted(channelKind: delivery.channel.kind.rawValue, outcome: .retried, latency: nil)
                logger.warning("delivery failed; will retry", metadata: Self.logMetadata(delivery).merging([
                    "attempt": "\(delivery.attempts)", "error": "\(failure.message)"]) { _, new in new })
                return .failed(deliveryID: delivery.id, error: failure.message, retryAt: retry)
            }
            let reason = failure.isTransient
                ? "gave up after \(delivery.attempts) attempts over \(Int(configuration.policy.giveUpAfter / 3600)) h: \(failure.message)"
                : failure.message
            summary.failed += 1
            configuration.metrics?.deliveryAttempted(channelKind: delivery.channel.kind.rawValue, outcome: .failed, latency: nil)
            logger.error("delivery failed for good", metadata: Self.logMetadata(delivery).merging(["error": "\(reason)"]) { _, new in new })
            return .failed(deliveryID: delivery.id, error: reason, retryAt: nil)
        }
    }
}
