#!/usr/bin/env python3
"""Assembles sample/, the offline sample the quick start imports, byte for byte from published files.

    python3 scripts/assemble_sample.py CISA_CSAF_GIT_CLONE SHARED_DATA_PROVIDERS

CISA_CSAF_GIT_CLONE is a clone of https://github.com/cisagov/CSAF (its history holds earlier revisions with their
sidecars); SHARED_DATA_PROVIDERS is a folder with CISA's provider metadata and key (cisa/), NI's (ni/) and
Stackable's (stackable/) published trees. Every file is copied unchanged; only which files sit side by side is chosen
(see sample/README.md). Re-running it reproduces sample/ exactly.
"""
import hashlib, json, os, shutil, subprocess, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample")

# Current revisions, as CISA published them on 2024-10-24 (commit 6960219f of cisagov/CSAF): every section of the
# advisory page, twenty vendors, three medical advisories, one to thirty-seven CVEs, CVSS 4.3 to 10.0; the last nine
# meet the test inventory (Tests/MatchingTests/Fixtures/plant-inventory.csv) as affected, fixed, unknown and not
# affected, for the exposure dashboard.
CURRENT = """2024/icsa-24-067-01 2023/icsa-23-208-03 2022/icsa-22-356-03 2022/icsa-22-172-04 2024/icsa-24-165-04
2024/icsa-24-284-16 2022/icsa-22-046-01 2024/icsa-24-074-12 2024/icsa-24-205-02 2024/icsa-24-270-02
2024/icsma-24-200-01 2024/icsa-24-177-01 2022/icsa-22-090-06 2023/icsa-23-108-01 2024/icsa-24-268-05
2024/icsa-24-030-01 2024/icsa-24-151-02 2023/icsa-23-075-06 2022/icsa-22-249-02 2023/icsma-23-331-01
2024/icsa-24-179-03 2022/icsa-22-165-01 2023/icsma-23-180-01 2024/icsa-24-228-11 2024/icsa-24-074-05
2024/icsa-24-165-13 2024/icsa-24-256-01 2024/icsma-24-254-01
2023/icsa-23-143-02 2024/icsa-24-284-20 2024/icsa-24-116-01 2023/icsa-23-348-09 2023/icsa-23-257-01
2024/icsa-24-256-18 2022/icsa-22-242-04 2020/icsa-20-016-01 2024/icsa-24-284-18""".split()
CURRENT_COMMIT = "6960219f"

# Earlier revisions (advisory, version, the cisagov/CSAF commit that published it with its .sha512 and .asc).
EARLIER = [
    ("2024/icsa-24-067-01", "1", "56810744eb"), ("2024/icsa-24-067-01", "2", "5aff6e9348"),
    ("2024/icsa-24-067-01", "3", "06236d22ba"),
    ("2022/icsa-22-356-03", "2", "95bdec97b3"), ("2022/icsa-22-356-03", "3", "3fc5d9fa22"),
    ("2022/icsa-22-356-03", "4", "98802b4f20"), ("2022/icsa-22-356-03", "5", "f84dff6fa6"),
    ("2023/icsa-23-143-02", "2", "a18dfb4b97"),
]

# Integrity examples: real files, paired as a careless mirror pairs them.
#   hash-mismatch: CISA edited icsa-24-074-07 without raising its version; the document of one publication beside the
#                  sidecars of the next.
#   bad-signature: icsa-24-179-04's document and hash of one publication, the signature of the next.
HASH_MISMATCH = ("2024/icsa-24-074-07", "5f50fb3f68a5", "ad21b8928542")
BAD_SIGNATURE = ("2024/icsa-24-179-04", "265226bcd9c5", "a15e33f0b590")
# Stackable GmbH (CC-BY-4.0): signed by Stackable's key, placed under CISA's metadata -> unknown-key; another with its
# signature and no key or hash -> signature-unchecked.
UNKNOWN_KEY = "csaf/v2/advisories/2024/stacksa_2024_0089_0001.json"
UNCHECKED = "csaf/v2/advisories/2024/stacksa_2024_0101_0001.json"
# National Instruments (CC-BY-4.0): published with .sha512 only -> hash-only; one without its sidecar -> unsigned.
NI_HASH_ONLY = ["2024/ni_cve-2024-10494.json", "2024/ni_cve-2024-23608.json", "2024/ni_cve-2024-1155.json"]
NI_UNSIGNED = "2024/ni_cve-2024-12740.json"


def git_show(repo, commit, path):
    return subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], check=True, capture_output=True).stdout


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def copy(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)


def main(repo, providers):
    for sub in ("cisa", "ni", "integrity-examples"):
        shutil.rmtree(os.path.join(ROOT, sub), ignore_errors=True)
    cisa = os.path.join(ROOT, "cisa")
    for name in ("provider-metadata.json", "cisacsafsigning_public.asc"):
        copy(os.path.join(providers, "cisa", name), os.path.join(cisa, name))
    for stem in CURRENT:
        path = f"csaf_files/OT/white/{stem}.json"
        for suffix in ("", ".sha512", ".asc"):
            write(os.path.join(cisa, path + suffix), git_show(repo, CURRENT_COMMIT, path + suffix))
    for stem, version, commit in EARLIER:
        path = f"csaf_files/OT/white/{stem}.json"
        body = git_show(repo, commit, path)
        assert json.loads(body)["document"]["tracking"]["version"] == version, (stem, version)
        folder = os.path.join(cisa, "earlier-revisions", os.path.basename(stem) + "-v" + version)
        for suffix in ("", ".sha512", ".asc"):
            write(os.path.join(folder, os.path.basename(path) + suffix), git_show(repo, commit, path + suffix))
    examples = os.path.join(ROOT, "integrity-examples")
    keyed = os.path.join(examples, "under-cisa-key")
    for name in ("provider-metadata.json", "cisacsafsigning_public.asc"):
        copy(os.path.join(providers, "cisa", name), os.path.join(keyed, name))
    stem, document_commit, sidecar_commit = HASH_MISMATCH
    path = f"csaf_files/OT/white/{stem}.json"
    name = os.path.basename(path)
    write(os.path.join(keyed, "hash-mismatch", name), git_show(repo, document_commit, path))
    for suffix in (".sha512", ".asc"):
        write(os.path.join(keyed, "hash-mismatch", name + suffix), git_show(repo, sidecar_commit, path + suffix))
    stem, document_commit, signature_commit = BAD_SIGNATURE
    path = f"csaf_files/OT/white/{stem}.json"
    name = os.path.basename(path)
    write(os.path.join(keyed, "bad-signature", name), git_show(repo, document_commit, path))
    write(os.path.join(keyed, "bad-signature", name + ".sha512"), git_show(repo, document_commit, path + ".sha512"))
    write(os.path.join(keyed, "bad-signature", name + ".asc"), git_show(repo, signature_commit, path + ".asc"))
    stackable = os.path.join(providers, "stackable")
    for suffix in ("", ".sha512", ".asc"):
        copy(os.path.join(stackable, UNKNOWN_KEY + suffix),
             os.path.join(keyed, "unknown-key", os.path.basename(UNKNOWN_KEY) + suffix))
    keyless = os.path.join(examples, "without-key")
    for suffix in ("", ".asc"):
        copy(os.path.join(stackable, UNCHECKED + suffix),
             os.path.join(keyless, "signature-unchecked", os.path.basename(UNCHECKED) + suffix))
    ni = os.path.join(providers, "ni", "csaf")
    copy(os.path.join(providers, "ni", "LICENSE.md"), os.path.join(ROOT, "ni", "LICENSE.md"))
    copy(os.path.join(ni, "provider-metadata.json"), os.path.join(ROOT, "ni", "provider-metadata.json"))
    for relative in NI_HASH_ONLY:
        for suffix in ("", ".sha512"):
            copy(os.path.join(ni, "advisories", relative + suffix), os.path.join(ROOT, "ni", "advisories", relative + suffix))
    copy(os.path.join(ni, "advisories", NI_UNSIGNED), os.path.join(keyless, "unsigned", os.path.basename(NI_UNSIGNED)))
    copy(os.path.join(providers, "ni", "LICENSE.md"), os.path.join(keyless, "unsigned", "LICENSE.md"))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(ROOT) for f in fs)
    print(f"sample/: {total:,} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
