import Foundation
import Storage

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
    /// The store's refusal of the due date, shown next to that field (with the date as typed, to correct it).
    let dueError: String?

    init(alert: StoredAlert, csrf: String, note: String = "", error: String? = nil) {
        self.init(alert: alert, csrf: csrf, note: note, error: error, fieldError: nil)
    }

    /// The form refused by the store: an `.invalid` error naming one of its fields is shown next to that field.
    init(alert: StoredAlert, csrf: String, note: String, error: String?, fieldError: (field: String, message: String, typed: String)?) {
        action = "/alerts/\(alert.id)"
        self.csrf = csrf
        statuses = AlertStatus.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == alert.alertStatus) }
        owner = alert.owner ?? ""
        self.note = note
        if let fieldError, fieldError.field == "due" {
            due = fieldError.typed
            dueError = fieldError.message
            self.error = error
        } else {
            due = alert.dueDate ?? ""
            dueError = nil
            self.error = error ?? fieldError?.message
        }
    }
}
