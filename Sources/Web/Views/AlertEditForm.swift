import Foundation
import Store

/// The alert page's form: status, owner, due date and a note, as `OutboxStore.updateAlert` takes them.
struct AlertEditForm {
    struct Option { let value: String; let label: String; let selected: Bool }
    let action: String
    let csrf: String
    let statuses: [Option]
    let owner: String
    let due: String
    let note: String
    let error: String?

    init(alert: StoredAlert, csrf: String, note: String = "", error: String? = nil) {
        action = "/alerts/\(alert.id)"
        self.csrf = csrf
        statuses = AlertStatus.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == alert.alertStatus) }
        owner = alert.owner ?? ""
        due = alert.dueDate ?? ""
        self.note = note
        self.error = error
    }
}
