/// Reports for auditors and pictures for people (issue 17): compliance reports over an organisation's alert log, the
/// PDF and SVG they are drawn with, and the order to patch in. Pure: callers read the store and pass the clock.
public enum Reports {}
