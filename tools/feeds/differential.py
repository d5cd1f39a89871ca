#!/usr/bin/env python3
"""Differential test of `monitorctl feed parse` against Python's feedparser.

    pip install -r tools/feeds/requirements.txt
    python3 tools/feeds/differential.py assemble       # copy the public test suites into the corpus
    python3 tools/feeds/differential.py expected       # feedparser's output -> expected.jsonl
    python3 tools/feeds/differential.py compare [--monitorctl PATH] [--corpus DIR] [--show N] [--list FILE]

`compare` runs monitorctl on every document of the corpus (or of any folder of feed documents,
e.g. captures you may not redistribute) and prints, per field, the share of documents where the
two agree, plus every difference. The comparison rules (kept identical in
Tests/FeedsTests/DifferentialTests.swift, which enforces the committed figures in CI):

* A document agrees on a field when both give the same number of items and every item's field
  is equal after normalisation. When monitorctl rejects a document, every field disagrees unless
  feedparser found no item either.
* Text (title, summary): feedparser's value is HTML (it sanitises, it does not strip); it is turned
  into text (tags removed, script/style dropped, entities decoded). Both sides are then compared
  in Unicode NFC with all white space removed, so spacing around tags does not count. An absent
  and an empty title are the same.
* Links: scheme and host lower-cased, default port dropped, an empty path is "/".
* Dates: feedparser's published, else updated, to the second in UTC, against monitorctl's
  `published` (it too takes the publication date, else the update date).
* id: feedparser's id (RSS guid, Atom id) against monitorctl's `guid`, trimmed.
"""
import argparse
import html.parser
import json
import pathlib
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTS = ROOT / "Tests/FeedsTests"
CORPUS = TESTS / "Differential"
# The committed corpus: the public suites copied by `assemble`, and our own documents.
COMMITTED = ["Differential/feedparser", "Differential/gofeed", "Corpus"]
FIELDS = ["title", "link", "published", "summary", "id"]
DOCUMENT_URL = "http://feeds.example.org/corpus/feed.xml"

# Public test suites of feed parsers, by licence (see the corpus README):
SOURCES = {
    # feedparser's own tests (BSD-2-Clause): every format, encodings, ill-formed documents.
    "feedparser": ("kurtmckee+feedparser", "tests", ["encoding", "illformed", "wellformed", "entities"], (".xml",)),
    # gofeed's parser tests (MIT).
    "gofeed": ("mmcdole+gofeed", "testdata/parser", ["atom", "rss", "universal"], (".xml",)),
}


def assemble(args):
    """Copies the public suites from their fetched snapshots (the `fetch` tool, /work/.mirror)."""
    mirror = pathlib.Path(args.mirror)
    for name, (repo, base, folders, suffixes) in SOURCES.items():
        git = mirror / repo / "repo"
        files = subprocess.run(["git", "-C", str(git), "ls-tree", "-r", "--name-only", "HEAD", base],
                               capture_output=True, text=True, check=True).stdout.split()
        target = CORPUS / name
        shutil.rmtree(target, ignore_errors=True)
        count = 0
        for path in files:
            rel = path[len(base) + 1:]
            if rel.split("/")[0] not in folders or not path.endswith(suffixes):
                continue
            if name == "feedparser" and rel.startswith("wellformed/sanitize/") and not args.sanitize:
                continue
            data = subprocess.run(["git", "-C", str(git), "show", f"HEAD:{path}"], capture_output=True, check=True).stdout
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            count += 1
        (target / "LICENSE").write_bytes(subprocess.run(["git", "-C", str(git), "show", "HEAD:LICENSE"], capture_output=True,
                                                        check=True).stdout)
        print(f"{name}: {count} documents", file=sys.stderr)


def documents(folder):
    """The XML documents under a folder (feedparser 6.0 reads no JSON: JSON Feed, Mastodon and Reddit
    documents are checked by FeedCorpusTests instead)."""
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".xml", ".rss", ".atom", ".rdf")]


def committed_documents():
    return [p for folder in COMMITTED for p in documents(TESTS / folder)]


def content_type(path):
    """feedparser's tests carry the HTTP Content-Type they were served with in a leading comment."""
    head = path.read_bytes()[:600].decode("latin-1")
    m = re.search(r"Header:\s*Content-type:\s*([^\r\n]+)", head, re.I)
    return m.group(1).strip() if m else None


class TextOfHTML(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(value):
    if value is None:
        return None
    parser = TextOfHTML()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


def norm_text(value):
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", value))


def norm_link(value):
    if not value:
        return None
    try:
        p = urllib.parse.urlsplit(value.strip())
        port = p.port
    except ValueError:
        return value.strip()
    host = (p.hostname or "").lower()
    port = port if port and not ((p.scheme == "http" and port == 80) or (p.scheme == "https" and port == 443)) else None
    netloc = host + (f":{port}" if port else "")
    if p.username:
        netloc = p.username + "@" + netloc
    path = p.path or ("/" if netloc else "")
    return urllib.parse.urlunsplit((p.scheme.lower(), netloc, path, p.query, p.fragment))


def feedparser_items(path, ctype):
    import feedparser
    headers = {"content-location": DOCUMENT_URL}
    if ctype:
        headers["content-type"] = ctype
    parsed = feedparser.parse(path.read_bytes(), response_headers=headers)
    items = []
    for e in parsed.entries:
        when = e.get("published_parsed") or e.get("updated_parsed")
        items.append({
            "title": norm_text(html_text(e.get("title"))),
            "link": norm_link(e.get("link")),
            "published": time.strftime("%Y-%m-%dT%H:%M:%SZ", when) if when else None,
            "summary": norm_text(html_text(e.get("summary"))),
            "id": (e.get("id") or "").strip() or None,
        })
    return items


def expected(args):
    with open(CORPUS / "expected.jsonl", "w") as out:
        for path in committed_documents():
            ctype = content_type(path)
            line = {"doc": str(path.relative_to(TESTS)), "contentType": ctype, "items": feedparser_items(path, ctype)}
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


def monitorctl_items(binary, path, ctype):
    cmd = [binary, "feed", "parse", str(path), "--url", DOCUMENT_URL]
    if ctype:
        cmd += ["--content-type", ctype]
    run = subprocess.run(cmd, capture_output=True, timeout=30)
    if run.returncode != 0:
        return None, run.stderr.decode(errors="replace").strip()
    items = []
    for line in run.stdout.decode().splitlines():
        o = json.loads(line)
        items.append({"title": norm_text(o["title"]), "link": norm_link(o["link"]), "published": o["published"],
                      "summary": norm_text(o["summary"]), "id": (o.get("guid") or "").strip() or None})
    return items, None


def compare(args):
    if args.corpus:  # any folder of feed documents, against feedparser run now
        corpus = pathlib.Path(args.corpus)
        reference = [{"doc": str(p.relative_to(corpus)), "contentType": content_type(p),
                      "items": feedparser_items(p, content_type(p))} for p in documents(corpus)]
    else:
        corpus = TESTS
        reference = [json.loads(l) for l in (CORPUS / "expected.jsonl").read_text().splitlines()]
    agree = {f: 0 for f in FIELDS}
    errors, differences = [], []
    for ref in reference:
        path = corpus / ref["doc"]
        ours, error = monitorctl_items(args.monitorctl, path, ref["contentType"])
        theirs = ref["items"]
        if ours is None:
            errors.append((ref["doc"], error))
            for f in FIELDS:
                if not theirs:
                    agree[f] += 1
                else:
                    differences.append((ref["doc"], f, f"rejected: {error}", f"{len(theirs)} items"))
            continue
        for f in FIELDS:
            if len(ours) != len(theirs):
                differences.append((ref["doc"], f, f"{len(ours)} items", f"{len(theirs)} items"))
                continue
            bad = next(((a[f], b[f]) for a, b in zip(ours, theirs) if (a[f] or "") != (b[f] or "")), None)
            if bad is None:
                agree[f] += 1
            else:
                differences.append((ref["doc"], f, bad[0], bad[1]))
    n = len(reference)
    with_items = [r["doc"] for r in reference if r["items"]]
    differing = {(d, f) for d, f, _, _ in differences}
    print(f"{n} documents ({len(with_items)} where feedparser finds items); no error on {n - len(errors)} "
          f"({100 * (n - len(errors)) / n:.1f}%)")
    print(f"  {'field':<10} {'all documents':>22} {'documents with items':>26}")
    for f in FIELDS:
        agree_items = sum(1 for d in with_items if (d, f) not in differing)
        print(f"  {f:<10} {agree[f]:>7} ({100 * agree[f] / n:5.1f}%) {agree_items:>14} ({100 * agree_items / max(1, len(with_items)):5.1f}%)")
    if args.show:
        for doc, error in errors[: args.show]:
            print(f"ERROR {doc}: {error}")
        for doc, field, a, b in differences[: args.show]:
            print(f"DIFF  {doc} {field}\n      ours:       {str(a)[:160]!r}\n      feedparser: {str(b)[:160]!r}")
    if args.list:  # "document field reason", keeping the reasons already written for a difference
        listed = pathlib.Path(args.list)
        reasons = {}
        if listed.exists():
            for line in listed.read_text().splitlines():
                parts = line.split(None, 2)
                if len(parts) >= 2:
                    reasons[(parts[0], parts[1])] = parts[2] if len(parts) == 3 else "UNEXPLAINED"
        with open(listed, "w") as out:
            for key in sorted({(d, f) for d, f, _, _ in differences}):
                out.write(f"{key[0]} {key[1]} {reasons.get(key, 'UNEXPLAINED')}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("assemble")
    a.add_argument("--mirror", default="/work/.mirror")
    a.add_argument("--sanitize", action="store_true", help="also copy feedparser's 745 HTML-sanitiser tests")
    sub.add_parser("expected")
    c = sub.add_parser("compare")
    c.add_argument("--corpus", help="a folder of feed documents to compare on instead of the committed corpus "
                                    "(feedparser runs now; e.g. captures you may not redistribute)")
    c.add_argument("--monitorctl", default=str(ROOT / ".build/release/monitorctl"))
    c.add_argument("--show", type=int, default=0, help="print the first N errors and differences")
    c.add_argument("--list", help="write the differing (document, field) pairs to this file")
    args = ap.parse_args()
    {"assemble": assemble, "expected": expected, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
