#!/usr/bin/env python3
"""The visible text of an HTML page (Chromium's --dump-dom output on stdin), one block per line, for comparing a
screenshot's text with the page as the current build renders it.

Moments that depend on when the page was made are replaced, so the text of a page made today equals the text of the
same page made next week: dates within 45 days of now (with their times) become <recent>, "3 minutes ago" becomes
<ago>. Dates further away (an advisory's own publication dates) stay.
"""
import datetime, html.parser, re, sys

BLOCK = {"address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
         "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
         "nav", "ol", "option", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
         "ul", "title", "label", "button", "select", "textarea"}
HIDDEN = {"script", "style", "template", "head"}


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.current, self.hidden = [], [], 0

    def flush(self):
        line = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self.hidden_title = True
        if tag in HIDDEN and tag != "head":
            self.hidden += 1
        if tag in BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in HIDDEN and tag != "head":
            self.hidden = max(0, self.hidden - 1)
        if tag in BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.hidden:
            self.current.append(data)


def normalise(line, now):
    def recent(match):
        try:
            day = datetime.date.fromisoformat(match.group(1))
        except ValueError:
            return match.group(0)
        return "<recent>" if abs((day - now).days) <= 45 else match.group(0)
    line = re.sub(r"\b(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:UTC|Z|[+-]\d{2}:?\d{2}))?)?", recent, line)
    line = re.sub(r"\b(?:\d+|an?|one) (?:second|minute|hour|day)s? ago\b", "<ago>", line)
    line = re.sub(r"\bin (?:\d+|an?|one) (?:second|minute|hour|day)s?\b", "in <later>", line)
    return line


def main():
    parser = Text()
    parser.feed(sys.stdin.read())
    parser.flush()
    now = datetime.datetime.now(datetime.timezone.utc).date()
    sys.stdout.write("".join(normalise(line, now) + "\n" for line in parser.lines))


if __name__ == "__main__":
    main()
