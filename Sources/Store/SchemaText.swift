import Storage
/// Column lists (and whole tables) that SQLite's and PostgreSQL's schemas share to the letter, written once and
/// interpolated into both: the types Vigil uses (TEXT, and the INTEGER/BIGINT, BLOB/BYTEA and key columns each
/// schema spells its own way) stay in the schema files. The resulting DDL is what each migration always ran.
enum SchemaText {
    /// Columns of `advisories` that both schemas spell alike.
    static let advisoriesColumns = """
          title TEXT NOT NULL,
          publisher TEXT NOT NULL,
          publisher_namespace TEXT NOT NULL,
          publisher_category TEXT NOT NULL,
          category TEXT NOT NULL,
          status TEXT NOT NULL,
          tlp TEXT,
          version TEXT NOT NULL,
          initial_release_date TEXT,
          current_release_date TEXT,
        """

    /// Columns of `products` that both schemas spell alike.
    static let productsColumns = """
          product_id TEXT NOT NULL,
          vendor TEXT NOT NULL,
          product TEXT NOT NULL,
          version_text TEXT,
          full_name TEXT NOT NULL,
          status TEXT NOT NULL,
          cpe TEXT,
          purl TEXT,
          model_numbers TEXT,
          PRIMARY KEY (advisory_seq, position)
        """

    /// Columns of `remediations` that both schemas spell alike.
    static let remediationsColumns = """
          category TEXT NOT NULL,
          details TEXT NOT NULL,
          url TEXT,
          product_ids TEXT NOT NULL,
          cves TEXT NOT NULL,
          PRIMARY KEY (advisory_seq, position)
        """

    /// The `remote_documents` table.
    static let remoteDocumentsTable = """
        CREATE TABLE remote_documents (
          url TEXT PRIMARY KEY,
          source TEXT NOT NULL,
          listed_update TEXT NOT NULL,
          status TEXT NOT NULL,
          detail TEXT,
          advisory_id TEXT,
          checked_at TEXT NOT NULL
        """

    /// The `kev` table.
    static let kevTable = """
        CREATE TABLE kev (
          cve TEXT PRIMARY KEY,
          vendor TEXT NOT NULL,
          product TEXT NOT NULL,
          name TEXT NOT NULL,
          date_added TEXT NOT NULL,
          due_date TEXT NOT NULL,
          required_action TEXT NOT NULL,
          ransomware TEXT NOT NULL
        """

    /// Columns of `assets` that both schemas spell alike.
    static let assetsColumns = """
          merge_key TEXT NOT NULL,
          external_id TEXT,
          vendor TEXT NOT NULL,
          product TEXT NOT NULL,
          version TEXT,
          model_number TEXT,
          serial_number TEXT,
          cpe TEXT,
          purl TEXT,
          site TEXT,
          area TEXT,
          owner TEXT,
          criticality TEXT,
          tags TEXT NOT NULL DEFAULT '',
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          UNIQUE (organisation_id, merge_key)
        """

    /// Columns of `alerts` that both schemas spell alike.
    static let alertsColumns = """
          advisory_id TEXT NOT NULL,
          advisory_version TEXT NOT NULL,
          idempotency_key TEXT NOT NULL UNIQUE,
          changes TEXT NOT NULL,
          matches TEXT NOT NULL,
          status TEXT NOT NULL DEFAULT 'new',
          owner TEXT,
          due_date TEXT,
          created_at TEXT NOT NULL
        """

    /// Columns of `channels` that both schemas spell alike.
    static let channelsColumns = """
          name TEXT NOT NULL,
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          secret TEXT NOT NULL DEFAULT '',
          schedule TEXT NOT NULL DEFAULT 'immediate',
          unsubscribe_token TEXT NOT NULL UNIQUE,
        """

    /// Columns of `deliveries` that both schemas spell alike.
    static let deliveriesColumns = """
          next_attempt_at TEXT NOT NULL,
          lease_until TEXT,
          last_error TEXT,
          detail TEXT,
          period_end TEXT,
          created_at TEXT NOT NULL,
          delivered_at TEXT
        """

    /// `advisory_link_keys`: the document keys (`AdvisoryLinkFacts.documentKey`) an advisory is known by (`self`) and
    /// the ones its references name (`names`), replaced with its other rows.
    static func advisoryLinkKeys(seq: String) -> String {
        """
        CREATE TABLE advisory_link_keys (
          advisory_seq \(seq) NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
          kind TEXT NOT NULL CHECK (kind IN ('self', 'names')),
          key TEXT NOT NULL,
          PRIMARY KEY (advisory_seq, kind, key)
        );
        """
    }

    /// Marks a store that holds advisories for their link keys to be written (`SQLStore.ensureLinkKeys`).
    static let linkKeysPending = """
        INSERT INTO meta(key, value) SELECT 'link_keys_pending', CASE WHEN EXISTS (SELECT 1 FROM advisories) THEN 1 ELSE 0 END
        """

    /// In a store with users already, the first of them administers the installation.
    static let firstUserAdministers = "UPDATE users SET instance_admin = (id = (SELECT MIN(id) FROM users))"

    /// `users.last_sign_in_at`, set with each new session.
    static let lastSignIn = "ALTER TABLE users ADD COLUMN last_sign_in_at TEXT"

    /// An organisation's own settings (`OrganisationSettings`): its digests' time zone and hour, its messages' base
    /// URL, and who saved them last. Existing organisations keep what was fixed before: 07:00 UTC.
    static let organisationSettings = [
        "ALTER TABLE organisations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'",
        "ALTER TABLE organisations ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 7",
        "ALTER TABLE organisations ADD COLUMN base_url TEXT",
        "ALTER TABLE organisations ADD COLUMN settings_updated_at TEXT",
        "ALTER TABLE organisations ADD COLUMN settings_updated_by TEXT",
    ]

    /// Per document, how many CSAF §6 findings it has in each group (`ConformanceSummary`); NULL for documents stored
    /// before the tests existed.
    /// Per source, its latest check against CSAF 2.0 §7 (`SourceQuality`).
    static let sourceQuality = [
        "ALTER TABLE sources ADD COLUMN quality_checked_at TEXT",
        "ALTER TABLE sources ADD COLUMN quality_role TEXT",
        "ALTER TABLE sources ADD COLUMN quality_summary TEXT",
        "ALTER TABLE sources ADD COLUMN quality_report TEXT",
    ]

    /// The advisory list filtered by severity, year or publisher, newest first, read from an index in that order:
    /// the single-column indexes made the database sort every advisory of the filter (49 ms for "critical" among
    /// 250,000) to show 25. `newestFirst(date, id)` is each database's spelling of the date index's key.
    ///
    /// A vendor's advisories likewise: `advisory_vendors` keeps each advisory's current release date and ID beside the
    /// vendor (written with the row at every ingest, a revision's replacing the old), so a vendor's page, count and
    /// latest date come from one index range, and the vendor list counts without reading the advisories (36, 31 and
    /// 305 ms for a vendor of 32,000 advisories among 250,000). `sectors` likewise (135 ms for a sector of 70,000).
    ///
    /// `releasedFrom` spells the first release date as the dashboard's range compares it: its monthly counts read
    /// the advisories of its months, not every advisory.
    static func scaleIndexes(newestFirst: (_ date: String, _ id: String) -> String, releasedFrom: String) -> [String] {
        ["severity", "year", "publisher"].flatMap { column in
            ["DROP INDEX IF EXISTS advisories_by_\(column)",
             "CREATE INDEX advisories_by_\(column) ON advisories(\(column), \(newestFirst("current_release_date", "id")))"]
        } + ["CREATE INDEX advisories_by_first_release ON advisories(\(releasedFrom))"]
            + listedByDate(table: "advisory_vendors", index: "advisory_vendors_by_vendor", key: "vendor_id", newestFirst: newestFirst)
            + listedByDate(table: "sectors", index: "sectors_by_name", key: "sector", newestFirst: newestFirst)
    }

    /// `table` (an advisory's vendors or sectors) given each advisory's current release date and ID, filled from
    /// `advisories`, and its index on `key` extended by them in the list's order.
    private static func listedByDate(table: String, index: String, key: String,
                                     newestFirst: (_ date: String, _ id: String) -> String) -> [String] {
        [
            "ALTER TABLE \(table) ADD COLUMN current_release_date TEXT",
            "ALTER TABLE \(table) ADD COLUMN advisory_id TEXT",
            """
            UPDATE \(table) SET
              current_release_date = (SELECT a.current_release_date FROM advisories a WHERE a.seq = \(table).advisory_seq),
              advisory_id = (SELECT a.id FROM advisories a WHERE a.seq = \(table).advisory_seq)
            """,
            "DROP INDEX IF EXISTS \(index)",
            "CREATE INDEX \(index) ON \(table)(\(key), \(newestFirst("current_release_date", "advisory_id")), advisory_seq)",
        ]
    }

    static let documentConformance = [
        "ALTER TABLE documents ADD COLUMN conformance_mandatory INTEGER",
        "ALTER TABLE documents ADD COLUMN conformance_optional INTEGER",
        "ALTER TABLE documents ADD COLUMN conformance_informative INTEGER",
    ]

    /// `report_settings`: an organisation's report framework, deadlines and monthly channel (`ReportSettings`).
    /// `created_at` stays as first saved: a month's report is sent only when the settings existed before it ended.
    static func reportSettingsTable(id: String) -> String {
        """
        CREATE TABLE report_settings (
          organisation_id \(id) PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,
          framework TEXT NOT NULL,
          evaluate_days TEXT,
          remediate_days TEXT,
          monthly_channel_id \(id) REFERENCES channels(id) ON DELETE SET NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          updated_by TEXT NOT NULL
        )
        """
    }
}
