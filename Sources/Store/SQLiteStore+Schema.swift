import GRDB
import Storage

extension SQLiteStore {
    /// Migrations, in order. A shipped migration is never edited: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-advisories") { db in
            try db.execute(sql: """
                CREATE TABLE documents (
                  id INTEGER PRIMARY KEY,
                  advisory_id TEXT NOT NULL,
                  version TEXT NOT NULL,
                  current_release_date TEXT,
                  current_release_date_raw TEXT NOT NULL,
                  sha256 TEXT NOT NULL,
                  sha512 TEXT NOT NULL,
                  size INTEGER NOT NULL,
                  raw BLOB NOT NULL,
                  origin TEXT NOT NULL,
                  integrity TEXT NOT NULL,
                  integrity_detail TEXT NOT NULL,
                  sha256_sidecar TEXT,
                  sha512_sidecar TEXT,
                  signature BLOB,
                  imported_at TEXT NOT NULL,
                  UNIQUE (advisory_id, sha256)
                );
                CREATE INDEX documents_by_version ON documents(advisory_id, version);

                CREATE TABLE advisories (
                  seq INTEGER PRIMARY KEY,
                  id TEXT NOT NULL UNIQUE,
                  document_id INTEGER NOT NULL REFERENCES documents(id),
                  \(SchemaText.advisoriesColumns)
                  year INTEGER,
                  cvss_score REAL,
                  severity TEXT NOT NULL,
                  severity_rank INTEGER NOT NULL,
                  cvss_vector TEXT,
                  risk_summary TEXT,
                  source_url TEXT,
                  vendors TEXT NOT NULL,
                  cve_count INTEGER NOT NULL
                );
                CREATE INDEX advisories_by_date ON advisories(current_release_date DESC, id DESC);
                CREATE INDEX advisories_by_publisher ON advisories(publisher);
                CREATE INDEX advisories_by_year ON advisories(year);
                CREATE INDEX advisories_by_severity ON advisories(severity);

                CREATE TABLE vulnerabilities (
                  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
                  position INTEGER NOT NULL,
                  cve TEXT,
                  title TEXT,
                  cwe_id TEXT,
                  cwe_name TEXT,
                  cvss_score REAL,
                  severity TEXT,
                  cvss_vector TEXT,
                  summary TEXT,
                  PRIMARY KEY (advisory_seq, position)
                ) WITHOUT ROWID;
                CREATE INDEX vulnerabilities_by_cve ON vulnerabilities(cve);

                CREATE TABLE vendors (
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE,
                  slug TEXT NOT NULL UNIQUE
                );
                CREATE TABLE advisory_vendors (
                  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
                  vendor_id INTEGER NOT NULL REFERENCES vendors(id),
                  PRIMARY KEY (advisory_seq, vendor_id)
                ) WITHOUT ROWID;
                CREATE INDEX advisory_vendors_by_vendor ON advisory_vendors(vendor_id);

                CREATE TABLE products (
                  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
                  position INTEGER NOT NULL,
                  \(SchemaText.productsColumns)
                ) WITHOUT ROWID;

                CREATE TABLE remediations (
                  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
                  position INTEGER NOT NULL,
                  \(SchemaText.remediationsColumns)
                ) WITHOUT ROWID;

                CREATE TABLE sectors (
                  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
                  sector TEXT NOT NULL,
                  PRIMARY KEY (advisory_seq, sector)
                ) WITHOUT ROWID;
                CREATE INDEX sectors_by_name ON sectors(sector);

                CREATE TABLE conflicts (
                  id INTEGER PRIMARY KEY,
                  advisory_id TEXT NOT NULL,
                  version TEXT NOT NULL,
                  stored_sha256 TEXT NOT NULL,
                  incoming_sha256 TEXT NOT NULL,
                  origin TEXT NOT NULL,
                  raw BLOB NOT NULL,
                  detected_at TEXT NOT NULL,
                  UNIQUE (advisory_id, version, incoming_sha256)
                );

                CREATE TABLE quarantine (
                  id INTEGER PRIMARY KEY,
                  origin TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  code TEXT NOT NULL,
                  advisory_id TEXT,
                  sha256 TEXT NOT NULL,
                  size INTEGER,
                  raw BLOB,
                  detected_at TEXT NOT NULL,
                  UNIQUE (origin, sha256)
                );

                -- generation counts changes, so readers (the web page cache) can tell cheaply whether data moved.
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO meta(key, value) VALUES ('generation', 0);

                CREATE VIRTUAL TABLE advisories_fts USING fts5(
                  id UNINDEXED, title, summary, vendors, products, cves,
                  tokenize = 'unicode61 remove_diacritics 2'
                );
                """)
        }
        migrator.registerMigration("v2-document-status") { db in
            // Revision order needs the status: an interim document is sometimes made final without a new version.
            try db.execute(sql: """
                ALTER TABLE documents ADD COLUMN status TEXT;
                UPDATE documents SET status = json_extract(CAST(raw AS TEXT), '$.document.tracking.status')
                WHERE json_valid(CAST(raw AS TEXT));
                """)
        }
        migrator.registerMigration("v3-document-signer") { db in
            // The fingerprint of the key whose OpenPGP signature verified, for the verification badge.
            try db.execute(sql: "ALTER TABLE documents ADD COLUMN signer TEXT")
        }
        migrator.registerMigration("v4-sources") { db in
            // Sources followed over HTTP, the validators for conditional requests, and per listed document what
            // the last sync did with it (so that only what changed is fetched, and failures are retried).
            try db.execute(sql: """
                CREATE TABLE sources (
                  slug TEXT PRIMARY KEY,
                  name TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  url TEXT NOT NULL,
                  enabled INTEGER NOT NULL,
                  poll_interval INTEGER NOT NULL,
                  last_attempt TEXT,
                  last_success TEXT,
                  last_error TEXT,
                  next_poll TEXT
                );
                CREATE TABLE http_cache (
                  url TEXT PRIMARY KEY,
                  etag TEXT,
                  last_modified TEXT,
                  body BLOB NOT NULL,
                  fetched_at TEXT NOT NULL
                );
                \(SchemaText.remoteDocumentsTable)
                );
                CREATE INDEX remote_documents_source ON remote_documents(source, status);
                """)
        }
        migrator.registerMigration("v5-known-exploited") { db in
            // CISA's Known Exploited Vulnerabilities catalogue, joined to advisories through their CVEs.
            try db.execute(sql: """
                \(SchemaText.kevTable)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6-source-policy") { db in
            // Aggregator mirrors, the v3 signature policy, and the environment variable holding credentials.
            try db.execute(sql: """
                ALTER TABLE sources ADD COLUMN mirrors TEXT NOT NULL DEFAULT '';
                ALTER TABLE sources ADD COLUMN accept_v3 INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sources ADD COLUMN credentials_variable TEXT;
                """)
        }
        migrator.registerMigration("v7-assets-exposures") { db in
            // Organisations' asset inventories and what each advisory means for each asset. Exposures are derived
            // data, recomputed when an advisory or the inventory changes; first_seen survives recomputation.
            try db.execute(sql: """
                CREATE TABLE organisations (
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                  created_at TEXT NOT NULL
                );
                CREATE TABLE assets (
                  id INTEGER PRIMARY KEY,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  \(SchemaText.assetsColumns)
                );
                CREATE TABLE exposures (
                  asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
                  advisory_id TEXT NOT NULL,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  status TEXT NOT NULL,
                  status_rank INTEGER NOT NULL,
                  confidence TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  product_ids TEXT NOT NULL,
                  first_seen TEXT NOT NULL,
                  PRIMARY KEY (asset_id, advisory_id)
                ) WITHOUT ROWID;
                CREATE INDEX exposures_by_organisation ON exposures(organisation_id, status_rank);
                CREATE INDEX exposures_by_advisory ON exposures(advisory_id);
                CREATE TABLE vendor_aliases (
                  alias TEXT PRIMARY KEY,
                  canonical TEXT NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO meta(key, value) VALUES ('assets_generation', 0);
                """)
        }
        migrator.registerMigration("v8-watches-alerts") { db in
            // advisory_changes is a journal written in the ingest transaction: every new or newer revision is recorded
            // there, and alert creation works through it, so a crash between storing and alerting loses nothing.
            // alerts.idempotency_key is unique: one alert per organisation and revision, however often it is planned.
            try db.execute(sql: """
                CREATE TABLE advisory_changes (
                  id INTEGER PRIMARY KEY,
                  advisory_id TEXT NOT NULL,
                  document_id INTEGER NOT NULL REFERENCES documents(id),
                  previous_document_id INTEGER REFERENCES documents(id),
                  recorded_at TEXT NOT NULL,
                  processed_at TEXT
                );
                CREATE INDEX advisory_changes_pending ON advisory_changes(processed_at, id);
                CREATE TABLE watches (
                  id INTEGER PRIMARY KEY,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  kind TEXT NOT NULL,
                  value TEXT NOT NULL DEFAULT '',
                  minimum_severity TEXT,
                  notify TEXT NOT NULL DEFAULT '',
                  created_at TEXT NOT NULL
                );
                CREATE INDEX watches_by_organisation ON watches(organisation_id);
                CREATE TABLE alerts (
                  id INTEGER PRIMARY KEY,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  \(SchemaText.alertsColumns)
                );
                CREATE INDEX alerts_by_organisation ON alerts(organisation_id, created_at DESC);
                """)
        }
        migrator.registerMigration("v9-channels-outbox") { db in
            // channels are where an organisation's alerts go. deliveries is the outbox: one row per alert and channel
            // (or per digest, or test message), unique by idempotency key, claimed with a lease so a dispatcher that dies
            // mid-send leaves it to be sent again with the same key. Alert rows for a digest channel wait as 'held'
            // until a digest folds them in ('digested', digest_id set). alert_events is the alert log's history.
            try db.execute(sql: """
                CREATE TABLE channels (
                  id INTEGER PRIMARY KEY,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  \(SchemaText.channelsColumns)
                  enabled INTEGER NOT NULL DEFAULT 1,
                  disabled_reason TEXT,
                  created_at TEXT NOT NULL,
                  UNIQUE (organisation_id, name)
                );
                CREATE TABLE deliveries (
                  id INTEGER PRIMARY KEY,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
                  kind TEXT NOT NULL,
                  alert_id INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
                  digest_id INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
                  idempotency_key TEXT NOT NULL UNIQUE,
                  status TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  \(SchemaText.deliveriesColumns)
                );
                CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
                CREATE INDEX deliveries_by_channel ON deliveries(channel_id, status);
                CREATE INDEX deliveries_by_alert ON deliveries(alert_id);
                CREATE INDEX deliveries_by_digest ON deliveries(digest_id);
                CREATE INDEX deliveries_by_organisation ON deliveries(organisation_id, created_at DESC);
                CREATE TABLE alert_events (
                  id INTEGER PRIMARY KEY,
                  alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                  at TEXT NOT NULL,
                  actor TEXT NOT NULL,
                  field TEXT NOT NULL,
                  old_value TEXT,
                  new_value TEXT
                );
                CREATE INDEX alert_events_by_alert ON alert_events(alert_id, id);
                CREATE INDEX alerts_by_status ON alerts(organisation_id, status);
                """)
        }
        migrator.registerMigration("v10-accounts") { db in
            // People who sign in. Tokens (sessions, one-time links, API tokens) are stored as their SHA-256 only, so a
            // copy of the database grants no access; passwords as bcrypt hashes. Emails are unique ignoring case.
            try db.execute(sql: """
                CREATE TABLE users (
                  id INTEGER PRIMARY KEY,
                  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                  display_name TEXT NOT NULL DEFAULT '',
                  password_hash TEXT,
                  email_verified_at TEXT,
                  created_at TEXT NOT NULL,
                  disabled INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE memberships (
                  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
                  delivery TEXT NOT NULL DEFAULT 'immediate' CHECK (delivery IN ('immediate', 'daily', 'weekly')),
                  created_at TEXT NOT NULL,
                  PRIMARY KEY (user_id, organisation_id)
                );
                CREATE INDEX memberships_by_organisation ON memberships(organisation_id);
                CREATE TABLE sessions (
                  token_hash TEXT PRIMARY KEY,
                  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
                  csrf_token TEXT NOT NULL,
                  created_at TEXT NOT NULL,
                  expires_at TEXT NOT NULL,
                  last_seen_at TEXT NOT NULL
                );
                CREATE INDEX sessions_by_user ON sessions(user_id);
                CREATE TABLE one_time_tokens (
                  token_hash TEXT PRIMARY KEY,
                  purpose TEXT NOT NULL,
                  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  created_at TEXT NOT NULL,
                  expires_at TEXT NOT NULL,
                  used_at TEXT
                );
                CREATE INDEX one_time_tokens_by_user ON one_time_tokens(user_id);
                CREATE TABLE api_tokens (
                  id INTEGER PRIMARY KEY,
                  token_hash TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL,
                  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
                  created_at TEXT NOT NULL,
                  last_used_at TEXT
                );
                CREATE INDEX api_tokens_by_user ON api_tokens(user_id, organisation_id);
                """)
        }
        migrator.registerMigration("v11-known-exploited-changes") { db in
            // A CVE newly listed in CISA's KEV catalogue is news for every advisory naming it, though no revision changed:
            // the KEV sync journals it here (the CVEs, comma-separated) for alert creation.
            try db.execute(sql: "ALTER TABLE advisory_changes ADD COLUMN known_exploited TEXT")
        }
        migrator.registerMigration("v12-source-leases") { db in
            // Which process polls which source, and until when (several `vigil serve` processes may share one file).
            try db.execute(sql: """
                CREATE TABLE source_leases (
                  slug TEXT PRIMARY KEY,
                  holder TEXT NOT NULL,
                  lease_until TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v13-source-backoff") { db in
            // A source that keeps failing backs off across polls: how many syncs in a row failed, since when, and the
            // interval the polling node scheduled it with (`vigil serve --poll-interval`), for every view to show.
            try db.execute(sql: """
                ALTER TABLE sources ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sources ADD COLUMN failing_since TEXT;
                ALTER TABLE sources ADD COLUMN scheduled_interval INTEGER;
                """)
        }
        migrator.registerMigration("v14-password-vouched") { db in
            // A password set by an administrator or through a one-time link signs in before the address is confirmed; one
            // chosen at sign-up does not (a stranger could sign up with someone else's address). Existing passwords are
            // vouched for unless the account came from a sign-up (it has an email-verification link) and no invitation
            // or reset link was ever used: such an account has to confirm its address or get a new link.
            try db.execute(sql: """
                ALTER TABLE users ADD COLUMN password_vouched_at TEXT;
                UPDATE users SET password_vouched_at = created_at
                WHERE password_hash IS NOT NULL AND email_verified_at IS NULL
                  AND (NOT EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.user_id = users.id AND t.purpose = 'email_verification')
                       OR EXISTS (SELECT 1 FROM one_time_tokens t WHERE t.user_id = users.id AND t.used_at IS NOT NULL
                                  AND t.purpose IN ('invitation', 'password_reset')));
                """)
        }
        migrator.registerMigration("v15-private-network") { db in
            // Private-network, link-local and loopback destinations are reached only where an administrator allowed them:
            // per channel (`vigil channel add --allow-private-network`) and per source (`vigil sources add`, same option).
            try db.execute(sql: """
                ALTER TABLE channels ADD COLUMN allow_private_network INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE sources ADD COLUMN allow_private_network INTEGER NOT NULL DEFAULT 0;
                """)
        }
        migrator.registerMigration("v16-documents-by-integrity") { db in
            // `GET /metrics` counts documents by integrity at every scrape: from this index, without reading past each
            // row's verbatim bytes (a column before integrity) into its overflow pages.
            try db.execute(sql: "CREATE INDEX documents_by_integrity ON documents(integrity)")
        }
        migrator.registerMigration("v17-advisory-link-keys") { db in
            // The document keys each advisory is known by (`self`) and its references name (`names`), for linking the
            // same vulnerabilities across publishers (`SQLStore+Links`). A store that holds advisories already is
            // marked for the keys to be written from their documents on first use (`ensureLinkKeys`).
            try db.execute(sql: """
                \(SchemaText.advisoryLinkKeys(seq: "INTEGER"))
                CREATE INDEX advisory_link_keys_by_key ON advisory_link_keys(key, kind);
                \(SchemaText.linkKeysPending);
                """)
        }
        migrator.registerMigration("v18-report-settings") { db in
            // Per organisation: the framework reports are read against, its own deadlines, the monthly report's channel.
            try db.execute(sql: SchemaText.reportSettingsTable(id: "INTEGER"))
        }
        migrator.registerMigration("v19-last-sign-in") { db in
            // When each user last signed in, for the members page (sessions are deleted at sign-out, so not from them).
            try db.execute(sql: SchemaText.lastSignIn)
        }
        migrator.registerMigration("v20-instance-admin") { db in
            // Who administers the installation (its sources): the first user, in a store that has users already.
            try db.execute(sql: """
                ALTER TABLE users ADD COLUMN instance_admin INTEGER NOT NULL DEFAULT 0;
                \(SchemaText.firstUserAdministers);
                """)
        }
        migrator.registerMigration("v21-organisation-settings") { db in
            // Per organisation: the time zone and hour of its digests, the base URL of its messages.
            for statement in SchemaText.organisationSettings { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v22-document-conformance") { db in
            // Per document, its CSAF §6 findings by group, counted at import and sync.
            for statement in SchemaText.documentConformance { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v23-source-quality") { db in
            // Per source, its latest check against CSAF 2.0 §7 (vigil check-provider).
            for statement in SchemaText.sourceQuality { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v24-scale-indexes") { db in
            // Filtered and per-vendor advisory lists read newest first from an index, and the dashboard's months by
            // their dates, at any size of the corpus.
            let statements = SchemaText.scaleIndexes(newestFirst: { date, id in "\(date) DESC, \(id) DESC" },
                                                     releasedFrom: "initial_release_date")
            for statement in statements { try db.execute(sql: statement) }
            // A document's integrity without its row: the row holds the raw bytes first, and reading a column after
            // them walks their overflow pages (a list page of 50 advisories read 1 MB of documents to show 50 badges;
            // the pages of 200 list pages made the server's resident set 430 MB). PostgreSQL keeps large values
            // aside (TOAST), so it has no need of it.
            try db.execute(sql: "CREATE INDEX documents_integrity ON documents(id, integrity)")
        }
        return migrator
    }
}
