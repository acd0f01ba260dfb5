import Foundation

/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Vigil API",
        "version": "1.0.0",
        "description": "Read access to the CSAF advisories Vigil stores: the filtered advisory list, one advisory with its integrity, revisions and other publishers' advisories describing the same vulnerabilities, what changed between two revisions, and vendors. Dates are RFC 3339 in UTC; keys are snake_case."
      },
      "paths": {
        "/api/v1/advisories": {
          "get": {
            "operationId": "listAdvisories",
            "summary": "Advisories, newest first (by relevance when q is given)",
            "parameters": [
              {"name": "q", "in": "query", "description": "Full-text search over title, risk summary, vendors, products and CVE IDs; every word must match (as a prefix).", "schema": {"type": "string", "maxLength": 500}},
              {"name": "vendor", "in": "query", "description": "Vendor slug, as in /vendors/{slug}.", "schema": {"type": "string"}},
              {"name": "sector", "in": "query", "description": "Critical infrastructure sector, e.g. Energy.", "schema": {"type": "string"}},
              {"name": "severity", "in": "query", "schema": {"$ref": "#/components/schemas/Severity"}},
              {"name": "year", "in": "query", "description": "Year of first publication.", "schema": {"type": "integer", "minimum": 1990, "maximum": 9999}},
              {"name": "publisher", "in": "query", "description": "Publisher name, e.g. CISA.", "schema": {"type": "string"}},
              {"name": "kev", "in": "query", "description": "true (or 1, as the pages link it): only advisories with a CVE in CISA's Known Exploited Vulnerabilities catalogue.", "schema": {"type": "string", "enum": ["true", "false", "1", "0"]}},
              {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1}},
              {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
              {"name": "after", "in": "query", "description": "Pagination by key: the next_after of the previous response (also in its Link header, rel=next). The list continues after that place, page counting from it; each page then costs the same however deep it lies, and advisories stored meanwhile do not shift the pages. The value is DATE~ID, the current release date as stored and the advisory ID (~ID for an advisory without a date); any such pair is a place in the list. Ignored with q: a search is ranked and pages by page.", "schema": {"type": "string", "pattern": "^[^~]*~.+$", "maxLength": 1000}},
              {"name": "group", "in": "query", "description": "vulnerability: one item per vulnerability. Advisories of this page that are the same advisory published by different publishers (strong links: one names the other in its references, or both list the same CVEs of the same vendor) are folded into the item of the earliest-published one, which names the others in also_published_as. Folding is within the page: total and page_count still count advisories, and a republication on another page keeps its own item there. advisory (the default): one item per advisory.", "schema": {"type": "string", "enum": ["advisory", "vulnerability"], "default": "advisory"}}
            ],
            "responses": {
              "200": {"description": "A page of advisories", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdvisoryList"}}}},
              "400": {"description": "A parameter is invalid", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/v1/advisories/{id}": {
          "get": {
            "operationId": "getAdvisory",
            "summary": "One advisory, normalised from its stored CSAF document, with integrity, stored revisions and other publishers' advisories describing the same vulnerabilities",
            "parameters": [{"name": "id", "in": "path", "required": true, "description": "The CSAF tracking ID, e.g. ICSA-22-172-04.", "schema": {"type": "string"}}],
            "responses": {
              "200": {"description": "The advisory", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdvisoryDetail"}}}},
              "404": {"description": "No advisory with this ID", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/v1/advisories/{id}/changes": {
          "get": {
            "operationId": "getAdvisoryChanges",
            "summary": "What changed between two stored revisions of an advisory: by default the current one against the one before it",
            "parameters": [
              {"name": "id", "in": "path", "required": true, "description": "The CSAF tracking ID.", "schema": {"type": "string"}},
              {"name": "from", "in": "query", "description": "The older revision: its version, or VERSION@DOCUMENT when two stored revisions share a version (an interim document made final). Default: the revision before `to`.", "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
              {"name": "to", "in": "query", "description": "The newer revision, named as `from` is. Default: the current revision.", "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
            ],
            "responses": {
              "200": {"description": "The changes", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AdvisoryChanges"}}}},
              "400": {"description": "A parameter is invalid", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "404": {"description": "No advisory with this ID, no stored revision with that version, or no earlier revision to compare with", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/v1/vendors": {
          "get": {
            "operationId": "listVendors",
            "summary": "Every vendor named in a stored advisory, with counts",
            "responses": {"200": {"description": "Vendors", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Vendor"}}}}}}
          }
        },
        "/api/v1/sources": {
          "get": {
            "operationId": "listSources",
            "summary": "The sources Vigil follows, with their health, schedule and last error",
            "responses": {"200": {"description": "Sources", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Source"}}}}}}
          }
        },
        "/api/v1/alerts": {
          "get": {
            "operationId": "listAlerts",
            "summary": "The alert log of the API token's organisation, newest first",
            "security": [{"token": []}],
            "parameters": [
              {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["new", "investigating", "patched", "mitigated", "not_applicable"]}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 500}}
            ],
            "responses": {
              "200": {"description": "The organisation and its alerts", "content": {"application/json": {"schema": {"type": "object", "required": ["organisation", "alerts"], "properties": {"organisation": {"type": "string"}, "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}}}}}},
              "400": {"description": "A parameter is invalid", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "401": {"description": "No valid personal API token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        },
        "/api/v1/alerts/{id}": {
          "get": {
            "operationId": "getAlert",
            "summary": "One alert of the token's organisation, with its history and deliveries",
            "security": [{"token": []}],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {
              "200": {"description": "The alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AlertDetail"}}}},
              "401": {"description": "No valid personal API token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
              "404": {"description": "The organisation has no such alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
          }
        }
      },
      "components": {
        "securitySchemes": {
          "token": {"type": "http", "scheme": "bearer", "description": "A personal API token (vgl_ and 40 hex characters) from the account page; it acts in one organisation."}
        },
        "schemas": {
          "Alert": {
            "type": "object",
            "required": ["id", "advisory_id", "advisory_version", "title", "status", "severity", "created_at", "changes", "matches"],
            "properties": {
              "id": {"type": "integer"}, "advisory_id": {"type": "string"}, "advisory_version": {"type": "string"}, "title": {"type": "string"},
              "status": {"type": "string", "enum": ["new", "investigating", "patched", "mitigated", "not_applicable"]}, "owner": {"type": ["string", "null"]}, "due_date": {"type": ["string", "null"], "format": "date"},
              "severity": {"$ref": "#/components/schemas/Severity"}, "cvss_score": {"type": ["number", "null"]},
              "created_at": {"type": "string", "format": "date-time"}, "changes": {"type": "array", "items": {"type": "string"}},
              "matches": {"type": "array", "items": {"type": "object", "required": ["watch", "reason"], "properties": {"watch": {"type": "string"}, "reason": {"type": "string"}}}}
            }
          },
          "AlertDetail": {
            "type": "object",
            "required": ["alert", "history", "deliveries"],
            "properties": {
              "alert": {"$ref": "#/components/schemas/Alert"},
              "history": {"type": "array", "description": "Changes to the alert, oldest first", "items": {"type": "object", "required": ["at", "actor", "field"], "properties": {"at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"}, "field": {"type": "string"}, "old_value": {"type": ["string", "null"]}, "new_value": {"type": ["string", "null"]}}}},
              "deliveries": {"type": "array", "description": "The alert's notifications, one per channel", "items": {"type": "object", "required": ["channel", "kind", "status", "attempts"], "properties": {"channel": {"type": "string"}, "kind": {"type": "string"}, "status": {"type": "string"}, "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]}, "delivered_at": {"type": ["string", "null"], "format": "date-time"}}}}
            }
          },
          "Severity": {"type": "string", "enum": ["none", "low", "medium", "high", "critical"]},
          "Integrity": {"type": "string", "enum": ["verified", "hash-only", "signature-unchecked", "unsigned", "hash-mismatch", "bad-signature", "unknown-key"]},
          "Error": {"type": "object", "required": ["error", "status"], "properties": {"error": {"type": "object", "required": ["code", "field", "message"], "properties": {"code": {"type": "string", "description": "invalid, not_found, conflict, unavailable, internal, unauthorized, forbidden, …"}, "field": {"type": ["string", "null"], "description": "The input at fault, when one is"}, "message": {"type": "string"}}}, "status": {"type": "integer"}}},
          "AdvisoryList": {
            "type": "object",
            "required": ["total", "page", "per_page", "page_count", "more_matches", "items"],
            "properties": {
              "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "page_count": {"type": "integer"}, "more_matches": {"type": "boolean", "description": "A full-text search (q) matched more advisories than are ranked (1,000): total is 1,000, the most recently stored matches ranked by relevance, and the others are not listed. Add words or filters to narrow the search."},
              "next_after": {"type": "string", "description": "Where the next page starts: pass it as after. Absent on the last page and for a full-text search (q). total and page_count count the whole list, with after or without."},
              "items": {"type": "array", "items": {"$ref": "#/components/schemas/AdvisorySummary"}}
            }
          },
          "AdvisorySummary": {
            "type": "object",
            "required": ["id", "title", "publisher", "vendors", "version", "severity", "cve_count", "integrity", "known_exploited_count", "url"],
            "properties": {
              "id": {"type": "string"}, "title": {"type": "string"}, "publisher": {"type": "string"},
              "vendors": {"type": "array", "items": {"type": "string"}},
              "initial_release_date": {"type": "string", "format": "date-time"},
              "current_release_date": {"type": "string", "format": "date-time"},
              "version": {"type": "string"},
              "cvss_score": {"type": "number"}, "severity": {"$ref": "#/components/schemas/Severity"}, "cvss_vector": {"type": "string"},
              "cve_count": {"type": "integer"}, "integrity": {"$ref": "#/components/schemas/Integrity"}, "known_exploited_count": {"type": "integer", "description": "CVEs in CISA's Known Exploited Vulnerabilities catalogue"}, "url": {"type": "string"},
              "also_published_as": {"type": "array", "description": "Only with group=vulnerability: the advisories of this page folded into this item (the same advisory published by other publishers), earliest first; empty when none was", "items": {"$ref": "#/components/schemas/Publication"}}
            }
          },
          "Publication": {
            "type": "object",
            "required": ["id", "publisher", "url"],
            "properties": {"id": {"type": "string"}, "publisher": {"type": "string"}, "initial_release_date": {"type": "string", "format": "date-time"}, "url": {"type": "string", "description": "The advisory in this API"}}
          },
          "RelatedAdvisory": {
            "type": "object",
            "description": "Another publisher's advisory describing the same vulnerabilities: a vendor's advisory and a coordinator's republication of it, seen from either side. Advisories of one publisher are never linked, nor advisories for different vendors' products that share a CVE (a third-party component).",
            "required": ["id", "publisher", "reason", "strength", "shared_cves", "url"],
            "properties": {
              "id": {"type": "string"},
              "publisher": {"type": "string"},
              "reason": {"type": "string", "enum": ["reference", "sameCVEs", "overlappingCVEs"], "description": "The strongest that holds. reference: one advisory's references name the other (by its ID or an alias); sameCVEs: the same CVE set, products of the same vendor; overlappingCVEs: some CVEs shared, products of the same vendor"},
              "strength": {"type": "string", "enum": ["strong", "medium", "weak"], "description": "strong: a reference or the same CVEs (the same advisory published twice); medium: the shared CVEs are at least half of those the two list; weak: fewer (related, usually through a common component)"},
              "shared_cves": {"type": "array", "items": {"type": "string"}, "description": "The CVEs both list, sorted; empty only for a reference link without common CVEs"},
              "initial_release_date": {"type": "string", "format": "date-time", "description": "The other advisory's first publication"},
              "reference": {"type": "string", "enum": ["namesOther", "namedByOther", "both"], "description": "For reason reference: whether this advisory names the other, the other names this one, or both"},
              "url": {"type": "string", "description": "The other advisory in this API"}
            }
          },
          "AdvisoryDetail": {
            "type": "object",
            "required": ["advisory", "integrity", "revisions", "validation_warnings", "conformance", "conflicts", "known_exploited", "links", "related"],
            "properties": {
              "advisory": {"type": "object", "description": "The normalised advisory: id, title, publisher, dates, highest_score, risk_summary, vulnerabilities, remediations, vendors, products (vendor, product, version text as published, status), sectors, countries, headquarters, source_url, acknowledgments, references, revisions."},
              "integrity": {"type": "object", "required": ["status", "explanation", "detail", "sha256", "sha512"], "properties": {"status": {"$ref": "#/components/schemas/Integrity"}, "explanation": {"type": "string"}, "detail": {"type": "string"}, "signer": {"type": ["string", "null"], "description": "Primary key fingerprint of the verified OpenPGP signer"}, "sha256": {"type": "string"}, "sha512": {"type": "string"}}},
              "known_exploited": {"type": "array", "description": "Its CVEs in CISA's Known Exploited Vulnerabilities catalogue", "items": {"type": "object", "required": ["cve"], "properties": {"cve": {"type": "string"}, "vendor": {"type": "string"}, "product": {"type": "string"}, "name": {"type": "string"}, "date_added": {"type": "string"}, "due_date": {"type": "string"}, "required_action": {"type": "string"}, "ransomware": {"type": "string"}}}},
              "revisions": {"type": "array", "items": {"type": "object", "required": ["version", "sha256", "size", "current", "imported_at", "raw"], "properties": {"version": {"type": "string"}, "current_release_date": {"type": "string", "format": "date-time"}, "sha256": {"type": "string"}, "size": {"type": "integer"}, "current": {"type": "boolean"}, "imported_at": {"type": "string", "format": "date-time"}, "raw": {"type": "string"}}}},
              "validation_warnings": {"type": "array", "items": {"type": "object", "required": ["severity", "path", "message"], "properties": {"severity": {"type": "string"}, "path": {"type": "string"}, "message": {"type": "string"}}}},
              "conformance": {"type": "object", "description": "The CSAF 2.0 standard's tests (§6) over the current document: findings by group, each with its test number, JSON path and message; mandatory findings mean the document is not valid CSAF 2.0 (it is still shown when authentic and readable)", "required": ["mandatory", "optional", "informative", "findings", "not_run"], "properties": {"mandatory": {"type": "integer"}, "optional": {"type": "integer"}, "informative": {"type": "integer"}, "findings": {"type": "array", "items": {"type": "object", "required": ["test", "group", "path", "message"], "properties": {"test": {"type": "string"}, "group": {"type": "string", "enum": ["mandatory", "optional", "informative"]}, "path": {"type": "string"}, "message": {"type": "string"}}}}, "not_run": {"type": "array", "items": {"type": "object", "required": ["test", "reason"], "properties": {"test": {"type": "string"}, "reason": {"type": "string"}}}}}},
              "conflicts": {"type": "integer"},
              "links": {"type": "object", "required": ["html", "raw"], "properties": {"html": {"type": "string"}, "raw": {"type": "string"}, "source": {"type": ["string", "null"]}}},
              "related": {"type": "array", "description": "Other publishers' advisories describing the same vulnerabilities, strongest link first; empty when none is stored", "items": {"$ref": "#/components/schemas/RelatedAdvisory"}}
            }
          },
          "Change": {"type": "object", "description": "A field's old and new value (absent when there was none)", "properties": {"old": {}, "new": {}}},
          "WordDiff": {
            "type": "object", "required": ["runs", "is_exact"],
            "properties": {
              "runs": {"type": "array", "items": {"type": "object", "required": ["kind", "words"], "properties": {"kind": {"type": "string", "enum": ["equal", "deleted", "inserted"]}, "words": {"type": "array", "items": {"type": "string"}}}}},
              "is_exact": {"type": "boolean", "description": "false when the text was too long to compare word by word: the part that differs is shown as deleted, then inserted"}
            }
          },
          "TextChange": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string", "enum": ["added", "removed", "changed"]}, "text": {"type": "string"}, "words": {"$ref": "#/components/schemas/WordDiff"}}},
          "ProductRef": {"type": "object", "required": ["name", "vendor", "product", "status"], "properties": {"name": {"type": "string"}, "vendor": {"type": "string"}, "product": {"type": "string"}, "version": {"type": "string", "description": "The version text as published"}, "status": {"type": "string"}}},
          "RemediationRef": {"type": "object", "required": ["category", "details", "products", "cves"], "properties": {"category": {"type": "string"}, "details": {"type": "string"}, "url": {"type": "string"}, "date": {"type": "string"}, "products": {"type": "array", "items": {"type": "string"}, "description": "The products it applies to, by name"}, "cves": {"type": "array", "items": {"type": "string"}}}},
          "AdvisoryChanges": {
            "type": "object",
            "required": ["advisory_id", "from", "to", "summary", "diff", "links"],
            "properties": {
              "advisory_id": {"type": "string"},
              "from": {"type": "string", "description": "The older revision, as the from parameter names it"},
              "to": {"type": "string"},
              "summary": {"type": "array", "items": {"type": "string"}, "description": "The changes in sentences, as alert emails and `vigil diff` show them; empty when nothing Vigil reads changed"},
              "links": {"type": "object", "required": ["html", "from_raw", "to_raw"], "properties": {"html": {"type": "string"}, "from_raw": {"type": "string"}, "to_raw": {"type": "string"}}},
              "diff": {
                "type": "object",
                "required": ["advisory", "from", "to", "tracking", "products", "vulnerabilities", "remediations", "notes", "references"],
                "properties": {
                  "advisory": {"type": "string"}, "from": {"type": "string", "description": "tracking.version of the older revision"}, "to": {"type": "string"},
                  "tracking": {"type": "object", "description": "Changed tracking fields, each a Change: status, version, initial_release_date, current_release_date, title, tlp, aggregate_severity, highest_score; risk_summary as a TextChange; revisions_added", "properties": {"status": {"$ref": "#/components/schemas/Change"}, "version": {"$ref": "#/components/schemas/Change"}, "risk_summary": {"$ref": "#/components/schemas/TextChange"}, "revisions_added": {"type": "array", "items": {"type": "object"}}}},
                  "products": {
                    "type": "object", "required": ["added", "removed", "changed"],
                    "properties": {
                      "added": {"type": "array", "items": {"$ref": "#/components/schemas/ProductRef"}},
                      "removed": {"type": "array", "items": {"$ref": "#/components/schemas/ProductRef"}},
                      "changed": {"type": "array", "items": {"type": "object", "required": ["product"], "properties": {
                        "product": {"$ref": "#/components/schemas/ProductRef"},
                        "status": {"$ref": "#/components/schemas/Change"},
                        "range": {"type": "object", "required": ["kind", "old_reading", "new_reading"], "description": "respelled: the text differs but covers the same versions", "properties": {"kind": {"type": "string", "enum": ["respelled", "changed"]}, "old": {"type": "string"}, "new": {"type": "string"}, "old_reading": {"type": "string"}, "new_reading": {"type": "string"}}},
                        "full_name": {"$ref": "#/components/schemas/Change"}, "cpe": {"$ref": "#/components/schemas/Change"}, "purl": {"$ref": "#/components/schemas/Change"}, "model_numbers": {"$ref": "#/components/schemas/Change"}
                      }}}
                    }
                  },
                  "vulnerabilities": {
                    "type": "object", "required": ["added", "removed", "changed"],
                    "properties": {
                      "added": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "cve": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "object"}}}},
                      "removed": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "cve": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "object"}}}},
                      "changed": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "cve": {"type": "string"}, "score": {"$ref": "#/components/schemas/Change"}, "title": {"$ref": "#/components/schemas/Change"}, "cwe": {"$ref": "#/components/schemas/Change"}, "summary": {"$ref": "#/components/schemas/TextChange"}}}}
                    }
                  },
                  "remediations": {
                    "type": "object", "required": ["added", "removed", "changed"],
                    "properties": {
                      "added": {"type": "array", "items": {"$ref": "#/components/schemas/RemediationRef"}},
                      "removed": {"type": "array", "items": {"$ref": "#/components/schemas/RemediationRef"}},
                      "changed": {"type": "array", "items": {"type": "object", "required": ["old", "new"], "properties": {"old": {"$ref": "#/components/schemas/RemediationRef"}, "new": {"$ref": "#/components/schemas/RemediationRef"}, "details": {"$ref": "#/components/schemas/WordDiff"}}}}
                    }
                  },
                  "notes": {"type": "array", "items": {"type": "object", "required": ["category", "change"], "properties": {"category": {"type": "string"}, "title": {"type": "string"}, "change": {"$ref": "#/components/schemas/TextChange"}}}},
                  "references": {"type": "object", "required": ["added", "removed"], "properties": {"added": {"type": "array", "items": {"type": "object"}}, "removed": {"type": "array", "items": {"type": "object"}}}}
                }
              }
            }
          },
          "Source": {
            "type": "object",
            "required": ["slug", "name", "kind", "url", "enabled", "health", "poll_interval", "configured_interval", "consecutive_failures", "documents_held", "documents_quarantined", "documents_failing", "mirrors", "credentials"],
            "properties": {
              "slug": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["provider", "aggregator", "kev"]},
              "url": {"type": "string"}, "enabled": {"type": "boolean"},
              "health": {"type": "string", "enum": ["disabled", "pending", "ok", "degraded", "unreachable"]},
              "poll_interval": {"type": "integer", "description": "Seconds between polls in force"},
              "configured_interval": {"type": "integer"},
              "last_attempt": {"type": "string", "format": "date-time"}, "last_success": {"type": "string", "format": "date-time"},
              "last_error": {"type": "string"}, "next_poll": {"type": "string", "format": "date-time"},
              "consecutive_failures": {"type": "integer"}, "unreachable_since": {"type": "string", "format": "date-time"},
              "documents_held": {"type": "integer"}, "documents_quarantined": {"type": "integer"}, "documents_failing": {"type": "integer"},
              "mirrors": {"type": "integer"}, "credentials": {"type": "boolean"},
              "quality": {
                "type": "object", "description": "The latest check against CSAF 2.0 section 7 (vigil check-provider --source, or Check on /settings/sources)",
                "required": ["checked_at", "summary"],
                "properties": {
                  "checked_at": {"type": "string", "format": "date-time"},
                  "role": {"type": "string", "enum": ["csaf_publisher", "csaf_provider", "csaf_trusted_provider", "csaf_lister", "csaf_aggregator"]},
                  "summary": {"type": "string"},
                  "report": {"type": "object", "description": "As vigil check-provider --json prints it: requirements (number, title, verdict passed|failed|not_applicable, reason, problems, problem_count, advice) and roles (role, met, reason)"}
                }
              }
            }
          },
          "Vendor": {
            "type": "object",
            "required": ["name", "slug", "advisory_count"],
            "properties": {"name": {"type": "string"}, "slug": {"type": "string"}, "advisory_count": {"type": "integer"}, "latest": {"type": "string", "format": "date-time"}}
          }
        }
      }
    }
    """#
}

extension OpenAPIDocument {
    /// One documented path: its template's segments (`{id}` matches any one segment) and the methods it answers.
    struct Operations: Sendable {
        let segments: [String]
        let methods: Set<String>

        func matches(_ path: [Substring]) -> Bool {
            path.count == segments.count && zip(segments, path).allSatisfy { template, segment in
                (template.hasPrefix("{") && template.hasSuffix("}") && !segment.isEmpty) || template == segment
            }
        }
    }

    /// The document's paths and methods (upper case), plus the document itself at `/api/v1/openapi.json`.
    static let operations: [Operations] = {
        var found = [Operations(segments: ["api", "v1", "openapi.json"], methods: ["GET"])]
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        for (path, item) in (object?["paths"] as? [String: Any]) ?? [:] {
            let methods = ((item as? [String: Any]) ?? [:]).keys.map { $0.uppercased() }
            found.append(Operations(segments: path.split(separator: "/").map(String.init), methods: Set(methods)))
        }
        return found
    }()

    /// The methods a request path under `/api/v1` answers, as an `Allow` header lists them (HEAD with every GET);
    /// nil for a path the document does not describe.
    static func allowedMethods(path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard let operations = operations.first(where: { $0.matches(Array(segments)) }) else { return nil }
        var methods = operations.methods
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }
}
