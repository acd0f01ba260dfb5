#!/usr/bin/env python3
"""The import `vigil-bench import` compares itself with: a plain Python pipeline doing the same work.

Walks a provider folder, recognises CSAF documents by content, checks their .sha512/.sha256 sidecars with hashlib,
normalises them the way Vigil does and stores the same rows in a fresh SQLite database with the same schema
(documents with their raw bytes, advisories, vulnerabilities, vendors, products from the product tree, remediations,
sectors, and the FTS5 index), WAL mode and synchronous=NORMAL. Transactions are batched as Vigil's importer batches
them: up to 64 documents per commit (`--batch`); when one fails, the batch is rolled back and the documents before it
stored again one per transaction, so each is stored whole or not at all. `--batch 1` commits every document (what
this baseline did until 2026-12-07).

It is written the way a competent Python developer would write it: the standard library only (json, hashlib, sqlite3),
one process, one thread, no deliberate slowness and no tricks. Vigil additionally validates every document against
the CSAF schema rules; this pipeline checks only what it needs to build the rows.

    python3 Benchmarks/python_import.py FOLDER [--db PATH] [--batch N]

Prints one JSON line: seconds (opening the fresh database to the last commit), documents, bytes, rejected, files,
peak_kb (VmHWM), cpu_seconds, python_version.
"""

import argparse
import hashlib
import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timezone

SCHEMA = """
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
) WITHOUT ROWID;

CREATE TABLE remediations (
  advisory_seq INTEGER NOT NULL REFERENCES advisories(seq) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  category TEXT NOT NULL,
  details TEXT NOT NULL,
  url TEXT,
  product_ids TEXT NOT NULL,
  cves TEXT NOT NULL,
  PRIMARY KEY (advisory_seq, position)
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

CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('generation', 0);

CREATE VIRTUAL TABLE advisories_fts USING fts5(
  id UNINDEXED, title, summary, vendors, products, cves,
  tokenize = 'unicode61 remove_diacritics 2'
);
"""

SIDECAR_SUFFIXES = (".sha256", ".sha512", ".asc", ".sig")
SEVERITIES = ["none", "low", "medium", "high", "critical"]
# Most urgent first, as Vigil ranks a product's statuses across vulnerabilities.
STATUS_ORDER = ["known_affected", "under_investigation", "fixed", "known_not_affected", "recommended"]
STATUS_LISTS = [
    ("known_affected", "known_affected"), ("first_affected", "known_affected"), ("last_affected", "known_affected"),
    ("under_investigation", "under_investigation"), ("fixed", "fixed"), ("first_fixed", "fixed"),
    ("known_not_affected", "known_not_affected"), ("recommended", "recommended"),
]
CANONICAL_SECTORS = [
    "Chemical", "Commercial Facilities", "Communications", "Critical Manufacturing", "Dams",
    "Defense Industrial Base", "Emergency Services", "Energy", "Financial Services", "Food and Agriculture",
    "Government Facilities", "Healthcare and Public Health", "Information Technology",
    "Nuclear Reactors, Materials, and Waste", "Transportation Systems", "Water and Wastewater Systems",
    "Multiple Sectors",
]
CANONICAL_BY_LOWER = {name.lower(): name for name in CANONICAL_SECTORS}
SECTOR_VARIANTS = {
    "multiple": "Multiple Sectors", "multiple sector": "Multiple Sectors", "multiple sectors": "Multiple Sectors",
    "multiple industries": "Multiple Sectors", "critical infrastructure sector: multiple sectors": "Multiple Sectors",
    "water": "Water and Wastewater Systems", "water and wastewater": "Water and Wastewater Systems",
    "transportation": "Transportation Systems", "transportation services": "Transportation Systems",
    "communication": "Communications", "telecommunications": "Communications",
    "healthcare": "Healthcare and Public Health", "health": "Healthcare and Public Health",
    "public health": "Healthcare and Public Health",
    "government": "Government Facilities", "government services and facilities": "Government Facilities",
    "government facilitates": "Government Facilities",
    "food and agricultural": "Food and Agriculture", "agriculture and food": "Food and Agriculture",
    "critical manufacturer": "Critical Manufacturing", "critical manuacturing": "Critical Manufacturing",
    "manufacturing": "Critical Manufacturing",
    "nuclear reactors, materials and waste": "Nuclear Reactors, Materials, and Waste",
}
NUCLEAR = "\x01NUCLEAR\x01"


class Rejected(Exception):
    def __init__(self, reason, code):
        super().__init__(reason)
        self.reason = reason
        self.code = code


# --- discovery and integrity -------------------------------------------------------------------------------------

def candidates(folder):
    """Every file under the folder that might be a document, in path order (hidden entries and sidecars skipped)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith(".") or name.endswith(SIDECAR_SUFFIXES):
                continue
            found.append(os.path.join(root, name))
    return sorted(found)


def looks_like_json(data):
    stripped = data[:64].lstrip(b" \t\r\n\xef\xbb\xbf")
    return stripped[:1] in (b"{", b"[")


def read_optional(path, binary=False):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data if binary else data.decode("utf-8", "replace")


def parse_sidecar(text, length):
    fields = text.split()
    if not fields:
        raise ValueError("it is empty")
    digest = fields[0].lower()
    if len(digest) != length or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f'"{fields[0][:20]}" is not a {length // 2}-byte hex digest')
    name = fields[1].lstrip("*") if len(fields) > 1 else None
    return digest, name


def check_integrity(path, data):
    """Hashes the bytes and checks the sidecars; returns the integrity fields or raises Rejected."""
    sha256 = hashlib.sha256(data).hexdigest()
    sha512 = hashlib.sha512(data).hexdigest()
    sidecar256 = read_optional(path + ".sha256")
    sidecar512 = read_optional(path + ".sha512")
    signature = read_optional(path + ".asc", binary=True)
    file_name = os.path.basename(path)
    matched = []
    for label, sidecar, actual in (("SHA-512", sidecar512, sha512), ("SHA-256", sidecar256, sha256)):
        if sidecar is None:
            continue
        try:
            expected, named = parse_sidecar(sidecar, len(actual))
        except ValueError as problem:
            raise Rejected(f"the {label} sidecar is unreadable: {problem}", "hash-mismatch")
        if named is not None and named.rsplit("/", 1)[-1] != file_name:
            raise Rejected(f'the {label} sidecar names "{named}", not "{file_name}"', "hash-mismatch")
        if expected != actual:
            raise Rejected(f"{label} mismatch: the sidecar says {expected[:16]}…, the file hashes to {actual[:16]}…",
                           "hash-mismatch")
        matched.append(label)
    if matched:
        status = "hash-only"
        detail = " and ".join(matched) + " matched" + (
            "; OpenPGP signature stored, not verified" if signature is not None else "; no OpenPGP signature")
    elif signature is not None:
        status, detail = "signature-unchecked", "no hash published; OpenPGP signature stored, not verified"
    else:
        status, detail = "unsigned", "no hash or signature published"
    return dict(sha256=sha256, sha512=sha512, status=status, detail=detail,
                sha256_sidecar=sidecar256, sha512_sidecar=sidecar512, signature=signature)


# --- normalisation -----------------------------------------------------------------------------------------------

def parse_time(text):
    """An RFC 3339 timestamp (or a bare date) as an aware UTC datetime; None when unreadable."""
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def format_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def highest_score(vulnerabilities):
    best3 = best2 = None
    for vulnerability in vulnerabilities:
        for score in vulnerability.get("scores") or []:
            v3 = score.get("cvss_v3")
            if v3 and v3["baseScore"] > (best3[0] if best3 else -1):
                severity = v3["baseSeverity"].lower()
                if severity not in SEVERITIES:
                    severity = severity_for(v3["baseScore"])
                best3 = (v3["baseScore"], severity, v3["vectorString"])
            v2 = score.get("cvss_v2")
            if v2 and v2["baseScore"] > (best2[0] if best2 else -1):
                base = v2["baseScore"]
                severity = "high" if base >= 7 else "medium" if base >= 4 else "low" if base > 0 else "none"
                best2 = (base, severity, v2["vectorString"])
    return best3 or best2


def severity_for(score):
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score >= 0.1:
        return "low"
    return "none"


def catalogue(tree, publisher):
    """Products from the tree (branches, full product names, relationships), with vendor, product and version."""
    products, index, groups = [], {}, {}
    if not tree:
        return products, index, groups
    fallback_vendor = publisher["name"] if publisher["category"] == "vendor" else ""

    def add(full, vendor, product, version):
        if full["product_id"] in index:
            return
        helper = full.get("product_identification_helper") or {}
        index[full["product_id"]] = len(products)
        products.append(dict(product_id=full["product_id"], vendor=vendor, product=product, version=version,
                             full_name=full["name"], status="unlisted", cpe=helper.get("cpe"),
                             purl=helper.get("purl"), model_numbers=helper.get("model_numbers") or []))

    def walk(branch, vendor, product, family, version):
        name = branch["name"].strip()
        category = branch["category"]
        if category == "vendor":
            vendor = name
        elif category == "product_name":
            product = name
        elif category == "product_family":
            family = name
        elif category in ("product_version", "product_version_range"):
            version = branch["name"]
        leaf = branch.get("product")
        if leaf:
            shown = product if product is not None else family if family is not None else leaf["name"]
            add(leaf, vendor if vendor is not None else fallback_vendor, shown, version)
        for child in branch.get("branches") or []:
            walk(child, vendor, product, family, version)

    for branch in tree.get("branches") or []:
        walk(branch, None, None, None, None)
    for full in tree.get("full_product_names") or []:
        add(full, fallback_vendor, full["name"], None)
    for relationship in tree.get("relationships") or []:
        component = products[index[relationship["product_reference"]]] if relationship["product_reference"] in index else None
        full = relationship["full_product_name"]
        add(full, component["vendor"] if component else fallback_vendor, full["name"],
            component["version"] if component else None)
    for group in tree.get("product_groups") or []:
        groups[group["group_id"]] = group["product_ids"]
    return products, index, groups


def split_sectors(text):
    work = text.replace("\n", " ").replace("\t", " ")
    lowered = work.lower()
    for spelling in ("nuclear reactors, materials, and waste", "nuclear reactors, materials and waste"):
        while spelling in lowered:
            at = lowered.index(spelling)
            work = work[:at] + NUCLEAR + work[at + len(spelling):]
            lowered = work.lower()
    result = []
    for piece in work.replace(";", ",").split(","):
        piece = piece.strip().rstrip(".")
        if piece.lower().startswith("and "):
            piece = piece[4:]
        elif piece.startswith("and") and piece[3:4].isupper():
            piece = piece[3:]
        piece = piece.strip()
        if not piece:
            continue
        if piece == NUCLEAR:
            piece = "Nuclear Reactors, Materials, and Waste"
        sector = canonical_sector(piece)
        if sector not in result:
            result.append(sector)
    return result


def canonical_sector(piece):
    lowered = piece.lower()
    if lowered in CANONICAL_BY_LOWER:
        return CANONICAL_BY_LOWER[lowered]
    if lowered in SECTOR_VARIANTS:
        return SECTOR_VARIANTS[lowered]
    if lowered.endswith(" sector"):
        lowered = lowered[:-7]
        return CANONICAL_BY_LOWER.get(lowered) or SECTOR_VARIANTS.get(lowered) or piece
    return piece


def normalise(csaf):
    """The advisory fields Vigil stores, from a decoded CSAF document."""
    doc = csaf["document"]
    tracking = doc["tracking"]
    publisher = doc["publisher"]
    vulnerabilities = csaf.get("vulnerabilities") or []
    notes = doc.get("notes") or []

    products, index, groups = catalogue(csaf.get("product_tree"), publisher)
    statuses = {}
    for vulnerability in vulnerabilities:
        product_status = vulnerability.get("product_status") or {}
        for key, kind in STATUS_LISTS:
            for product_id in product_status.get(key) or []:
                current = statuses.get(product_id)
                if current is None or STATUS_ORDER.index(kind) < STATUS_ORDER.index(current):
                    statuses[product_id] = kind
    for product in products:
        product["status"] = statuses.get(product["product_id"], "unlisted")

    vendors = []
    for product in products:
        if product["vendor"] and product["vendor"] not in vendors:
            vendors.append(product["vendor"])
    if not vendors and publisher["category"] == "vendor":
        vendors = [publisher["name"]]

    vulnerability_rows = []
    cves = []
    remediations = []
    for vulnerability in vulnerabilities:
        score = highest_score([vulnerability])
        vnotes = vulnerability.get("notes") or []
        summary = next((n["text"] for category in ("summary", "description", "details")
                        for n in vnotes if n["category"] == category), None)
        cwe = vulnerability.get("cwe") or {}
        cve = vulnerability.get("cve")
        if cve:
            cves.append(cve)
        vulnerability_rows.append((cve, vulnerability.get("title"), cwe.get("id"), cwe.get("name"),
                                   score[0] if score else None, score[1] if score else None,
                                   score[2] if score else None, summary))
        for remediation in vulnerability.get("remediations") or []:
            ids = []
            for product_id in (remediation.get("product_ids") or []) + [
                    member for group in remediation.get("group_ids") or [] for member in groups.get(group, [])]:
                if product_id not in ids:
                    ids.append(product_id)
            key = (remediation["category"], remediation["details"], remediation.get("url"), ids)
            existing = next((r for r in remediations if r["key"] == key), None)
            if existing:
                if cve and cve not in existing["cves"]:
                    existing["cves"].append(cve)
                continue
            remediations.append(dict(key=key, cves=[cve] if cve else []))

    consumed = set()

    def note_text(title, category=None):
        for position, note in enumerate(notes):
            if (note.get("title") or "").strip().lower() == title.lower() and category in (None, note["category"]):
                consumed.add(position)
                return note["text"]
        return None

    risk = note_text("risk evaluation", "summary")
    if risk is None:
        risk = next((n["text"] for n in notes if n["category"] == "summary"), None)
    sectors_text = note_text("critical infrastructure sectors")

    self_refs = [r["url"] for r in doc.get("references") or [] if r.get("category") == "self"]
    source_url = next((u for u in self_refs if not u.lower().endswith(".json")), self_refs[0] if self_refs else None)

    initial = parse_time(tracking["initial_release_date"])
    current = parse_time(tracking["current_release_date"])
    best = highest_score(vulnerabilities)
    severity = best[1] if best else "none"
    tlp = (doc.get("distribution") or {}).get("tlp")
    return dict(
        id=tracking["id"], title=doc["title"], publisher=publisher["name"],
        publisher_namespace=publisher["namespace"], publisher_category=publisher["category"],
        category=doc["category"], status=tracking["status"], tlp=tlp["label"] if tlp else None,
        version=tracking["version"], initial=format_time(initial), current=format_time(current),
        current_raw=tracking["current_release_date"], year=(initial or current).year if (initial or current) else None,
        score=best[0] if best else None, severity=severity, severity_rank=SEVERITIES.index(severity),
        vector=best[2] if best else None, risk=risk.strip() if risk is not None else None, source_url=source_url,
        vendors=vendors, products=products, vulnerabilities=vulnerability_rows, cves=cves,
        remediations=[(k["key"][0], k["key"][1], k["key"][2], "\n".join(k["key"][3]), "\n".join(k["cves"]))
                      for k in remediations],
        sectors=split_sectors(sectors_text) if sectors_text else [],
    )


# --- storing -----------------------------------------------------------------------------------------------------

def compare_versions(a, b):
    def parts(text):
        core = text.split("+", 1)[0]
        numbers, _, pre = core.partition("-")
        return [int(n) if n.isdigit() else 0 for n in numbers.split(".")], pre
    (an, ap), (bn, bp) = parts(a), parts(b)
    for i in range(max(len(an), len(bn))):
        x = an[i] if i < len(an) else 0
        y = bn[i] if i < len(bn) else 0
        if x != y:
            return -1 if x < y else 1
    if (ap == "") != (bp == ""):
        return 1 if ap == "" else -1
    return (ap > bp) - (ap < bp)


def compare_revisions(version_a, date_a, version_b, date_b):
    by_version = compare_versions(version_a, version_b)
    if by_version:
        return by_version
    a, b = parse_time(date_a), parse_time(date_b)
    if a and b and a != b:
        return -1 if a < b else 1
    return 0


def slugify(name):
    out, last_dash = [], True
    for ch in name.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            last_dash = False
        elif not last_dash:
            out.append("-")
            last_dash = True
    return "".join(out).rstrip("-") or "vendor"


def vendor_id(db, name):
    row = db.execute("SELECT id FROM vendors WHERE name = ?", (name,)).fetchone()
    if row:
        return row[0]
    base = slug = slugify(name)
    suffix = 2
    while db.execute("SELECT 1 FROM vendors WHERE slug = ?", (slug,)).fetchone():
        slug = f"{base}-{suffix}"
        suffix += 1
    return db.execute("INSERT INTO vendors(name, slug) VALUES (?, ?)", (name, slug)).lastrowid


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def store(db, path, data, advisory, integrity):
    """Stores one document and, when it is the newest revision, its advisory rows. Returns the outcome."""
    outcome = store_rows(db, path, data, advisory, integrity)
    if outcome != "unchanged":
        bump_generation(db)
    return outcome


def bump_generation(db):
    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")


def store_rows(db, path, data, advisory, integrity):
    if db.execute("SELECT 1 FROM documents WHERE advisory_id = ? AND sha256 = ?",
                  (advisory["id"], integrity["sha256"])).fetchone():
        return "unchanged"
    current = db.execute("""
        SELECT a.seq, d.version, d.current_release_date_raw FROM advisories a JOIN documents d ON d.id = a.document_id
        WHERE a.id = ?""", (advisory["id"],)).fetchone()
    clash = db.execute("SELECT sha256 FROM documents WHERE advisory_id = ? AND version = ?",
                       (advisory["id"], advisory["version"])).fetchone()
    if clash:
        newer = current is not None and compare_revisions(advisory["version"], advisory["current_raw"],
                                                          current[1], current[2]) > 0
        if not newer:
            db.execute("""INSERT INTO conflicts(advisory_id, version, stored_sha256, incoming_sha256, origin, raw,
                          detected_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                       (advisory["id"], advisory["version"], clash[0], integrity["sha256"], path, data, now()))
            return "conflict"
    document_id = db.execute("""
        INSERT INTO documents(advisory_id, version, current_release_date, current_release_date_raw, sha256, sha512,
          size, raw, origin, integrity, integrity_detail, sha256_sidecar, sha512_sidecar, signature, imported_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (advisory["id"], advisory["version"], advisory["current"], advisory["current_raw"], integrity["sha256"],
         integrity["sha512"], len(data), data, path, integrity["status"], integrity["detail"],
         integrity["sha256_sidecar"], integrity["sha512_sidecar"], integrity["signature"], now())).lastrowid
    if current is None:
        insert_advisory(db, advisory, document_id, None)
        return "new"
    if compare_revisions(advisory["version"], advisory["current_raw"], current[1], current[2]) > 0:
        for table in ("vulnerabilities", "products", "remediations", "sectors", "advisory_vendors"):
            db.execute(f"DELETE FROM {table} WHERE advisory_seq = ?", (current[0],))
        db.execute("DELETE FROM advisories_fts WHERE rowid = ?", (current[0],))
        insert_advisory(db, advisory, document_id, current[0])
        return "updated"
    return "historical"


def insert_advisory(db, a, document_id, seq):
    values = (a["id"], document_id, a["title"], a["publisher"], a["publisher_namespace"], a["publisher_category"],
              a["category"], a["status"], a["tlp"], a["version"], a["initial"], a["current"], a["year"], a["score"],
              a["severity"], a["severity_rank"], a["vector"], a["risk"], a["source_url"], "\n".join(a["vendors"]),
              len(a["vulnerabilities"]))
    if seq is None:
        seq = db.execute("""
            INSERT INTO advisories(id, document_id, title, publisher, publisher_namespace, publisher_category,
              category, status, tlp, version, initial_release_date, current_release_date, year, cvss_score,
              severity, severity_rank, cvss_vector, risk_summary, source_url, vendors, cve_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", values).lastrowid
    else:
        db.execute("""
            UPDATE advisories SET id = ?, document_id = ?, title = ?, publisher = ?, publisher_namespace = ?,
              publisher_category = ?, category = ?, status = ?, tlp = ?, version = ?, initial_release_date = ?,
              current_release_date = ?, year = ?, cvss_score = ?, severity = ?, severity_rank = ?, cvss_vector = ?,
              risk_summary = ?, source_url = ?, vendors = ?, cve_count = ? WHERE seq = ?""", values + (seq,))
    db.executemany("""
        INSERT INTO vulnerabilities(advisory_seq, position, cve, title, cwe_id, cwe_name, cvss_score, severity,
          cvss_vector, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [(seq, position) + row for position, row in enumerate(a["vulnerabilities"])])
    db.executemany("""
        INSERT INTO products(advisory_seq, position, product_id, vendor, product, version_text, full_name, status,
          cpe, purl, model_numbers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [(seq, position, p["product_id"], p["vendor"], p["product"], p["version"], p["full_name"], p["status"],
          p["cpe"], p["purl"], "\n".join(p["model_numbers"]) or None) for position, p in enumerate(a["products"])])
    db.executemany("""
        INSERT INTO remediations(advisory_seq, position, category, details, url, product_ids, cves)
        VALUES (?, ?, ?, ?, ?, ?, ?)""", [(seq, position) + row for position, row in enumerate(a["remediations"])])
    db.executemany("INSERT OR IGNORE INTO sectors(advisory_seq, sector) VALUES (?, ?)",
                   [(seq, sector) for sector in a["sectors"]])
    db.executemany("INSERT OR IGNORE INTO advisory_vendors(advisory_seq, vendor_id) VALUES (?, ?)",
                   [(seq, vendor_id(db, name)) for name in a["vendors"]])
    product_text = "".join(
        " ".join([p["product"]] + ([p["version"]] if p["version"] is not None else []) + p["model_numbers"]) + "\n"
        for p in a["products"])
    db.execute("INSERT INTO advisories_fts(rowid, id, title, summary, vendors, products, cves) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (seq, a["id"], a["title"], a["risk"] or "", " ".join(a["vendors"]), product_text, " ".join(a["cves"])))


def quarantine(db, batches, path, reason, code, data=None, advisory_id=None):
    def work():
        db.execute("""
            INSERT INTO quarantine(origin, reason, code, advisory_id, sha256, size, raw, detected_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(origin, sha256) DO UPDATE SET reason = excluded.reason, code = excluded.code""",
            (path, reason, code, advisory_id, hashlib.sha256(data).hexdigest() if data is not None else "",
             len(data) if data is not None else None, data, now()))
        bump_generation(db)
    batches.run(work)


class Batches:
    """Commits every `size` documents, as Vigil's store does: no savepoints (SQLite would copy every changed page into
    a sub-journal, and FTS5 flushes at each); when a document fails, the batch is rolled back and the documents before
    it are stored again one per transaction, so every document is either fully stored or absent."""

    def __init__(self, db, size):
        self.db, self.size, self.pending = db, max(1, size), []

    def run(self, work):
        if not self.pending:
            self.db.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            self.db.execute("ROLLBACK")
            earlier, self.pending = self.pending, []
            for done in earlier:
                self.db.execute("BEGIN IMMEDIATE")
                done()
                self.db.execute("COMMIT")
            raise
        self.pending.append(work)
        if len(self.pending) >= self.size:
            self.finish()
        return result

    def finish(self):
        if self.pending:
            self.db.execute("COMMIT")
            self.pending = []


DISTRIBUTION_KEYS = ("aggregator", "canonical_url", "feed", "service", "categories")


def import_folder(folder, db, batch=64):
    """Imports every document under the folder into the open, empty database; returns the counts."""
    counts = dict(documents=0, bytes=0, rejected=0, skipped=0, files=0)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(SCHEMA)
    files = candidates(folder)
    counts["files"] = len(files)
    batches = Batches(db, batch)
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        if not path.endswith(".json") and not looks_like_json(data):
            continue
        try:
            content = json.loads(data)
        except ValueError as error:
            quarantine(db, batches, path, f"not valid JSON: {error}", "syntax", data)
            counts["rejected"] += 1
            continue
        if not isinstance(content, dict) or "document" not in content:
            if isinstance(content, dict) and any(key in content for key in DISTRIBUTION_KEYS):
                counts["skipped"] += 1
            else:
                quarantine(db, batches, path, "not a CSAF document: the top level has no \"document\" object", "notCSAF", data)
                counts["rejected"] += 1
            continue
        advisory = None
        try:
            advisory = normalise(content)
            integrity = check_integrity(path, data)
        except Rejected as rejected:
            quarantine(db, batches, path, rejected.reason, rejected.code, data, advisory["id"] if advisory else None)
            counts["rejected"] += 1
            continue
        except (KeyError, TypeError, AttributeError) as error:
            quarantine(db, batches, path, f"the document does not match the CSAF schema ({error!r})", "schema", data)
            counts["rejected"] += 1
            continue
        batches.run(lambda: store(db, path, data, advisory, integrity))
        counts["documents"] += 1
        counts["bytes"] += len(data)
    batches.finish()
    return counts


def peak_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the provider folder to import")
    parser.add_argument("--db", help="a database file that does not exist yet (default: one in a temporary folder)")
    parser.add_argument("--batch", type=int, default=64,
                        help="documents per transaction (default 64, as Vigil's importer; 1 commits every document)")
    args = parser.parse_args()
    if not os.path.isdir(args.folder):
        sys.exit(f"python_import.py: {args.folder} is not a folder")
    with tempfile.TemporaryDirectory(prefix="vigil-python-bench-") as scratch:
        db_path = args.db or os.path.join(scratch, "python.sqlite")
        if os.path.exists(db_path):
            sys.exit(f"python_import.py: {db_path} already exists; the benchmark needs a fresh database")
        cpu_before = time.process_time()
        started = time.perf_counter()
        # Timed like Vigil's run: from opening the fresh database to the last commit (closing it is not included).
        db = sqlite3.connect(db_path, isolation_level=None)
        counts = import_folder(args.folder, db, args.batch)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        db.close()
    print(json.dumps(dict(seconds=seconds, documents=counts["documents"], bytes=counts["bytes"],
                          rejected=counts["rejected"], files=counts["files"], peak_kb=peak_kb(),
                          cpu_seconds=cpu, batch=args.batch, python_version=platform.python_version())))


if __name__ == "__main__":
    main()
