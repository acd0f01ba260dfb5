import CSAF

// The Revisions target: what changed between two revisions of an advisory (`AdvisoryDiff`) and which advisories of
// other publishers describe the same vulnerabilities (`AdvisoryLinker`). Pure: values in, values out; no clock, no
// store, no I/O. The store keeps what these compute; the web, the CLI and the alerts show it.
