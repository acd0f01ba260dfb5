import CSAF
import Foundation
import Storage

/// One alert as the alert log lists it.
struct AlertRowView {
    let id: Int64
    let href: String
    let raised: String
    let status: String
    let statusClass: String
    let advisoryID: String
    let advisoryHref: String
    let version: String
    let title: String
    let badge: SeverityBadge
    let changes: String
    let watches: String
    let owner: String?
    let due: String?
    let updated: Bool

    init(_ alert: StoredAlert) {
        id = alert.id
        href = "/alerts/\(alert.id)"
        raised = Format.dateTime(alert.createdAt) ?? ""
        status = alert.alertStatus.label
        statusClass = "alert-status-" + alert.alertStatus.rawValue
        advisoryID = alert.draft.advisoryID
        advisoryHref = Format.advisoryHref(alert.draft.advisoryID)
        version = alert.draft.advisoryVersion
        title = alert.advisoryTitle
        badge = SeverityBadge(severity: Severity(rawValue: alert.severity) ?? .none, score: alert.cvssScore)
        changes = alert.draft.changes.joined(separator: "; ")
        watches = alert.draft.matches.map(\.watch).joined(separator: ", ")
        owner = alert.owner
        due = alert.dueDate
        updated = !alert.isNew
    }
}

/// One delivery as an alert page and the failure list show it.
struct DeliveryRowView {
    let id: Int64
    let kind: String
    let channel: String
    let status: String
    let statusClass: String
    let attempts: Int
    let when: String
    let nextAttempt: String?
    let problem: String?
    let detail: String?
    let alertHref: String?

    init(_ record: DeliveryRecord) {
        id = record.id
        kind = record.kind.rawValue
        channel = record.channelName
        status = record.status.rawValue
        statusClass = "delivery-" + record.status.rawValue
        attempts = record.attempts
        when = Format.dateTime(record.deliveredAt ?? record.createdAt) ?? ""
        nextAttempt = record.attempts > 0 ? Format.dateTime(record.nextAttemptAt) : nil
        problem = record.lastError
        detail = record.status == .delivered ? record.detail : nil
        alertHref = record.alertID.map { "/alerts/\($0)" }
    }
}

/// The alert log page.
struct AlertLogPageView {
    struct Filter { let label: String; let href: String; let current: Bool }
    let pageTitle = "Alerts"
    let text = ""
    let organisation: String?
    let rows: [AlertRowView]
    let hasRows: Bool
    let failures: [DeliveryRowView]
    let hasFailures: Bool
    let filters: [Filter]
    let csvHref: String

    init(organisation: String?, alerts: [StoredAlert], failed: [DeliveryRecord], status: AlertStatus?) {
        self.organisation = organisation
        rows = alerts.map(AlertRowView.init)
        hasRows = !rows.isEmpty
        failures = failed.map(DeliveryRowView.init)
        hasFailures = !failures.isEmpty
        filters = [Filter(label: "All", href: "/alerts", current: status == nil)]
            + AlertStatus.allCases.map { Filter(label: $0.label, href: "/alerts?status=\($0.rawValue)", current: status == $0) }
        csvHref = "/alerts.csv" + (status.map { "?status=\($0.rawValue)" } ?? "")
    }
}

/// One alert: why it was raised, where it went, and how it was worked.
struct AlertPageView {
    struct Match { let watch: String; let reason: String }
    struct Event { let at: String; let actor: String; let change: String }
    let pageTitle: String
    let text = ""
    let organisation: String
    let alert: AlertRowView
    let matches: [Match]
    let deliveries: [DeliveryRowView]
    let hasDeliveries: Bool
    let events: [Event]
    let hasEvents: Bool
    /// The form that works the alert, for members and admins; nil for viewers and without accounts.
    var editor: AlertEditForm?

    init(organisation: String, alert: StoredAlert, deliveries: [DeliveryRecord], events: [AlertEvent]) {
        self.organisation = organisation
        pageTitle = "Alert \(alert.id): \(alert.draft.advisoryID)"
        self.alert = AlertRowView(alert)
        matches = alert.draft.matches.map { Match(watch: $0.watch, reason: $0.reason) }
        self.deliveries = deliveries.map(DeliveryRowView.init)
        hasDeliveries = !deliveries.isEmpty
        self.events = events.map { event in
            let change = event.field == "note" ? "note: \(event.newValue ?? "")"
                : "\(event.field.replacingOccurrences(of: "_", with: " ")): \(event.oldValue ?? "none") → \(event.newValue ?? "none")"
            return Event(at: Format.dateTime(event.at) ?? "", actor: event.actor, change: change)
        }
        hasEvents = !events.isEmpty
    }
}

/// The page an unsubscribe link opens, before and after the click.
struct UnsubscribePageView {
    let pageTitle = "Unsubscribe"
    let text = ""
    let channel: String
    let target: String
    let done: Bool
    let alreadyOff: Bool

    init(channel: NotificationChannel, done: Bool) {
        self.channel = channel.name
        target = channel.kind == .email ? channel.target : channel.kind.rawValue
        self.done = done
        alreadyOff = !channel.enabled && !done
    }
}
