import Alerts
import CSAF
import Foundation
import Hummingbird
import Storage

/// `/settings/channels`, for an organisation's admins: where its alerts go. Add email, webhook, Slack and Teams
/// channels; send a test message and see how it went; turn a channel on or off, change its schedule, remove it; a
/// webhook's signing secret shown once, and rotated on request; failed deliveries with their reasons, and "retry now".
/// What `vigil channel` does on the command line. The organisation always comes from the session.
struct ChannelsController<Context: ViewerRequestContext>: Sendable {
    let store: any ServedStore
    let renderer: TemplateRenderer
    let scope: OrganisationScope
    /// How long "send a test message" waits for the alert service (this node's, or another's) to send it.
    var testWait: Duration = .seconds(10)

    var routes: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/settings/channels", use: page)
        routes.post("/settings/channels", use: add)
        routes.post("/settings/channels/{id}/{action}", use: act)
        routes.post("/settings/deliveries/{id}/retry", use: retry)
        return routes
    }

    /// The signed-in admin's organisation; 403 for every other role.
    func administered(_ request: Request, _ context: Context) async throws -> (Organisation, Viewer) {
        try await scope.administered(request, viewer: context.viewer, nothing: "no channels", managed: "The channels of")
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        let notice: String? = switch request.uri.queryParameters.get("done") {
        case "added": "The channel is added."
        case "removed": "The channel is removed; what was waiting for it is not sent."
        case "enabled": "The channel is on again: new alerts go to it."
        case "disabled": "The channel is off: nothing more is sent to it, including what was waiting."
        case "schedule": "The schedule is changed."
        case "retried": "The delivery is queued again and goes out within seconds."
        default: nil
        }
        return try await render(organisation, viewer: viewer, notice: notice)
    }

    func render(_ organisation: Organisation, viewer: Viewer, form: ChannelForm = ChannelForm(), errors: [String: String] = [:],
                notice: String? = nil, outcome: ChannelsPageView.Outcome? = nil, secret: (channel: String, value: String)? = nil,
                status: HTTPResponse.Status = .ok) async throws -> Response {
        let channels = try await store.channels(organisationID: organisation.id)
        let failed = try await store.deliveries(organisationID: organisation.id, status: .failed, limit: 500)
        let settings = try await store.organisationSettings(organisationID: organisation.id) ?? OrganisationSettings(name: organisation.name)
        let view = ChannelsPageView(organisation: organisation.name, csrf: viewer.csrfToken ?? "", channels: channels, failed: failed,
                                    form: form, errors: errors, notice: notice, outcome: outcome, secret: secret,
                                    schedules: ChannelsPageView.scheduleLabels(settings))
        return HTMLResponse.make(try renderer.render(view, template: "channels"), status: status)
    }

    @Sendable func add(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        let fields = context.form ?? FormFields()
        let form = ChannelForm(name: (fields["name"] ?? "").trimmingCharacters(in: .whitespaces), kind: fields["kind"] ?? "",
                               target: (fields["target"] ?? "").trimmingCharacters(in: .whitespaces), schedule: fields["schedule"] ?? "immediate",
                               allowPrivateNetwork: fields["allow_private_network"] == "on")
        var errors: [String: String] = [:]
        if form.name.isEmpty { errors["name"] = "Give the channel a name, such as ops-mail or soc-webhook." }
        if form.name.count > 100 { errors["name"] = "A name of at most 100 characters." }
        let kind = NotificationChannel.Kind(rawValue: form.kind)
        if kind == nil { errors["kind"] = "Choose email, webhook, Slack or Teams." }
        if let kind {
            if form.target.isEmpty {
                errors["target"] = kind == .email ? "Give the address to mail." : "Give the URL to post to."
            } else if let problem = ChannelTarget.problem(kind: kind, target: form.target, allowPrivateNetwork: form.allowPrivateNetwork) {
                // The command line's flag has a box on this form.
                let privateOnly = !form.allowPrivateNetwork && ChannelTarget.problem(kind: kind, target: form.target, allowPrivateNetwork: true) == nil
                errors["target"] = privateOnly
                    ? "\(form.target) is on a private network (or this machine's): tick “Allow a private-network address” below to send to it."
                    : problem
            }
        }
        let schedule = NotificationChannel.Schedule(rawValue: form.schedule)
        if schedule == nil { errors["schedule"] = "Choose immediate, daily or weekly." }
        guard errors.isEmpty, let kind, let schedule else {
            return try await render(organisation, viewer: viewer, form: form, errors: errors, status: .badRequest)
        }
        let channel: NotificationChannel
        do {
            channel = try await store.addChannel(.init(name: form.name, kind: kind, target: form.target, schedule: schedule,
                                                       allowPrivateNetwork: form.allowPrivateNetwork && kind != .email),
                                                 organisationID: organisation.id)
        } catch let error as StoreError {
            return try await render(organisation, viewer: viewer, form: form, errors: ["name": "\(error)"], status: .badRequest)
        }
        guard channel.kind == .webhook else { return Redirect.to("/settings/channels?done=added") }
        // Shown on this response only: never in a URL, a log line or another page.
        return try await render(organisation, viewer: viewer, notice: "The channel is added.", secret: (channel.name, channel.secret))
    }

    /// `POST /settings/channels/{id}/enable|disable|remove|schedule|rotate-secret|test`.
    @Sendable func act(_ request: Request, context: Context) async throws -> Response {
        let (organisation, viewer) = try await administered(request, context)
        guard let id = Int64(try context.parameters.require("id")),
              let channel = try await store.channels(organisationID: organisation.id).first(where: { $0.id == id }) else {
            throw HTTPError(.notFound, message: "\(organisation.name) has no such channel.")
        }
        let fields = context.form ?? FormFields()
        switch try context.parameters.require("action") {
        case "enable":
            _ = try await store.setChannelEnabled(id: id, organisationID: organisation.id, enabled: true, reason: nil)
            return Redirect.to("/settings/channels?done=enabled")
        case "disable":
            _ = try await store.setChannelEnabled(id: id, organisationID: organisation.id, enabled: false,
                                                  reason: "turned off by \(viewer.user.email)")
            return Redirect.to("/settings/channels?done=disabled")
        case "remove":
            _ = try await store.removeChannel(id: id, organisationID: organisation.id)
            return Redirect.to("/settings/channels?done=removed")
        case "schedule":
            guard let schedule = NotificationChannel.Schedule(rawValue: fields["schedule"] ?? "") else {
                throw HTTPError(.badRequest, message: "The schedule is immediate, daily or weekly.")
            }
            _ = try await store.setChannelSchedule(id: id, organisationID: organisation.id, schedule: schedule)
            return Redirect.to("/settings/channels?done=schedule")
        case "rotate-secret":
            guard let secret = try await store.rotateChannelSecret(id: id, organisationID: organisation.id) else {
                throw HTTPError(.badRequest, message: "Only a webhook channel has a signing secret.")
            }
            return try await render(organisation, viewer: viewer, notice: "The signing secret is replaced: messages from now on are signed with the new one.",
                                    secret: (channel.name, secret))
        case "test":
            guard channel.enabled else {
                throw HTTPError(.badRequest, message: "\(channel.name) is turned off; turn it on to send it a test message.")
            }
            let delivery = try await store.enqueueTest(channelID: id, organisationID: organisation.id, now: Date())
            return try await render(organisation, viewer: viewer, outcome: try await outcome(of: delivery, channel: channel, organisation: organisation))
        default:
            throw HTTPError(.notFound, message: "There is no such thing to do with a channel.")
        }
    }

    /// Waits up to `testWait` for the test message to be sent (or to fail), looking every quarter second.
    func outcome(of delivery: Int64, channel: NotificationChannel, organisation: Organisation) async throws -> ChannelsPageView.Outcome {
        let deadline = ContinuousClock.now + testWait
        while true {
            let record = try await store.deliveries(organisationID: organisation.id, status: nil, limit: 50).first { $0.id == delivery }
            switch record?.status {
            case .delivered?:
                return .init(ok: true, text: "The test message to \(channel.name) was delivered: \(record?.detail ?? "accepted").")
            case .failed?:
                return .init(ok: false, text: "The test message to \(channel.name) failed: \(record?.lastError ?? "no reason given").")
            case .pending? where record?.lastError != nil && (record?.attempts ?? 0) > 0:
                return .init(ok: false, text: "The test message to \(channel.name) failed, and is retried: \(record?.lastError ?? "").")
            default:
                guard ContinuousClock.now < deadline else {
                    return .init(ok: false, text: "The test message to \(channel.name) is queued but was not sent within \(Self.seconds(testWait)) seconds: "
                                 + "is an alert service running (vigil serve, or a worker node)? It goes out when one runs.")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// `10`, `0.3`: a wait in seconds as people write it.
    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%g", value)
    }

    @Sendable func retry(_ request: Request, context: Context) async throws -> Response {
        let (organisation, _) = try await administered(request, context)
        guard let id = Int64(try context.parameters.require("id")),
              try await store.retryDelivery(id: id, organisationID: organisation.id, now: Date()) else {
            throw HTTPError(.notFound, message: "\(organisation.name) has no such failed delivery to a channel that is on.")
        }
        return Redirect.to("/settings/channels?done=retried")
    }
}

/// What an admin typed into the add form, shown again when it is refused.
struct ChannelForm: Sendable {
    var name = ""
    var kind = "email"
    var target = ""
    var schedule = "immediate"
    var allowPrivateNetwork = false
}

/// The channels page.
struct ChannelsPageView {
    struct Outcome: Sendable {
        let ok: Bool
        let text: String
    }

    struct Choice {
        let value: String
        let label: String
        let selected: Bool
    }

    struct Failure {
        let id: Int64
        let kind: String
        let attempts: Int
        let when: String
        let problem: String
        let canRetry: Bool
    }

    struct Row {
        let id: Int64
        let name: String
        let kind: String
        let target: String
        let schedules: [Choice]
        let enabled: Bool
        let disabledReason: String?
        let isWebhook: Bool
        let privateNetwork: Bool
        let failures: [Failure]
        let moreFailures: Int
        let hasMoreFailures: Bool
        let hasFailures: Bool
    }

    let pageTitle = "Channels"
    let organisation: String
    let csrf: String
    let rows: [Row]
    let hasRows: Bool
    let kinds: [Choice]
    let schedules: [Choice]
    let name: String
    let target: String
    let allowPrivateNetwork: Bool
    let nameError: String?
    let kindError: String?
    let targetError: String?
    let scheduleError: String?
    let hasErrors: Bool
    let notice: String?
    let outcome: Outcome?
    let secretChannel: String?
    let secret: String?

    static let kindLabels: [(NotificationChannel.Kind, String)] = [
        (.email, "Email"), (.webhook, "Webhook (signed JSON)"), (.slack, "Slack (incoming webhook URL)"),
        (.teams, "Microsoft Teams (Workflows webhook URL)"),
    ]
    /// The schedules, with the hour and time zone of the organisation's digests (`/settings/organisation`).
    static func scheduleLabels(_ settings: OrganisationSettings) -> [(NotificationChannel.Schedule, String)] {
        let clock = String(format: "%02d:00 ", settings.digestHour) + settings.timeZone.replacingOccurrences(of: "_", with: " ")
        return [(.immediate, "Each alert at once"), (.daily, "Daily digest (\(clock))"), (.weekly, "Weekly digest (Mondays, \(clock))")]
    }

    init(organisation: String, csrf: String, channels: [NotificationChannel], failed: [DeliveryRecord], form: ChannelForm,
         errors: [String: String], notice: String?, outcome: Outcome?, secret: (channel: String, value: String)?,
         schedules scheduleLabels: [(NotificationChannel.Schedule, String)]) {
        self.organisation = organisation
        self.csrf = csrf
        let enabled = Set(channels.filter(\.enabled).map(\.name))
        rows = channels.map { channel in
            let failures = failed.filter { $0.channelName == channel.name }
            return Row(id: channel.id, name: channel.name, kind: Self.kindLabels.first { $0.0 == channel.kind }?.1 ?? channel.kind.rawValue,
                       target: ChannelTarget.redacted(channel).split(separator: ":", maxSplits: 1).last.map(String.init) ?? "",
                       schedules: scheduleLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0 == channel.draft.schedule) },
                       enabled: channel.enabled, disabledReason: channel.disabledReason, isWebhook: channel.kind == .webhook,
                       privateNetwork: channel.draft.allowPrivateNetwork,
                       failures: failures.prefix(5).map { record in
                           Failure(id: record.id, kind: record.kind.rawValue, attempts: record.attempts,
                                   when: Format.dateTime(record.createdAt) ?? "", problem: record.lastError ?? "no reason recorded",
                                   canRetry: enabled.contains(channel.name))
                       },
                       moreFailures: max(failures.count - 5, 0), hasMoreFailures: failures.count > 5, hasFailures: !failures.isEmpty)
        }
        hasRows = !rows.isEmpty
        kinds = Self.kindLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0.rawValue == form.kind) }
        schedules = scheduleLabels.map { Choice(value: $0.0.rawValue, label: $0.1, selected: $0.0.rawValue == form.schedule) }
        name = form.name
        target = form.target
        allowPrivateNetwork = form.allowPrivateNetwork
        nameError = errors["name"]
        kindError = errors["kind"]
        targetError = errors["target"]
        scheduleError = errors["schedule"]
        hasErrors = !errors.isEmpty
        self.notice = notice
        self.outcome = outcome
        secretChannel = secret?.channel
        self.secret = secret?.value
    }
}
