#!/usr/bin/env python3
"""Generates Sources/WordPiece/UnicodeTables.swift by asking Hugging Face
`tokenizers` itself how it treats every Unicode scalar value.

BERT normalisation in `tokenizers` relies on Rust crates with their own, older,
Unicode tables (e.g. an unassigned code point is not "control", a recent emoji
is not punctuation). Reading the behaviour off the library, code point by code
point, makes the Swift tokenizer agree with it on every input instead of on the
inputs someone thought of testing.

Usage: pip install -r tools/tokenizer/requirements.txt
       python3 tools/tokenizer/generate_unicode_tables.py
"""
import pathlib

import tokenizers
from tokenizers import normalizers as N
from tokenizers import pre_tokenizers as P

OUT = pathlib.Path(__file__).resolve().parents[2] / "Sources/WordPiece/UnicodeTables.swift"

# The CJK blocks of tokenizers' BertNormalizer (normalizers/bert.rs, is_chinese_char).
CJK = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
       (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def scalars():
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue  # surrogates are not scalar values: no Swift or Rust string holds one
        yield c


def ranges(points):
    out, start, prev = [], None, None
    for p in points:
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            out.append((start, prev))
            start = prev = p
    if start is not None:
        out.append((start, prev))
    return out


def main():
    clean = N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    chinese = N.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    strip = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = N.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    pre = P.BertPreTokenizer()

    removed, clean_space, pre_space, punct, cjk = [], [], [], [], []
    strip_map, lower_map = {}, {}
    for c in scalars():
        ch = chr(c)
        cleaned = clean.normalize_str(ch)
        if cleaned == "":
            removed.append(c)
        elif cleaned == " " and ch != " ":
            clean_space.append(c)
        elif cleaned != ch:
            raise SystemExit(f"unexpected clean_text result for U+{c:04X}: {cleaned!r}")
        if chinese.normalize_str(ch) == f" {ch} ":
            cjk.append(c)
        pieces = pre.pre_tokenize_str("a" + ch + "b")
        if len(pieces) == 2:
            pre_space.append(c)
        elif len(pieces) == 3:
            punct.append(c)
        s = strip.normalize_str(ch)
        if s != ch:
            strip_map[c] = [ord(x) for x in s]
        lo = lower.normalize_str(ch)
        if lo != ch:
            lower_map[c] = [ord(x) for x in lo]

    # Hangul syllables decompose by formula (Unicode 3.12); ScalarTable computes them.
    for c in range(0xAC00, 0xD7A4):
        s_index = c - 0xAC00
        jamo = [0x1100 + s_index // 588, 0x1161 + (s_index % 588) // 28] + ([0x11A7 + s_index % 28] if s_index % 28 else [])
        if strip_map.pop(c, None) != jamo:
            raise SystemExit(f"Hangul U+{c:04X} does not decompose by the formula")
    strip_removed = sorted(c for c, vs in strip_map.items() if not vs)
    strip_map = {c: vs for c, vs in strip_map.items() if vs}

    expected_cjk = [c for lo, hi in CJK for c in range(lo, hi + 1)]
    if sorted(cjk) != sorted(expected_cjk):
        raise SystemExit("tokenizers' CJK ranges changed: update CJK in this script")
    # The space itself: clean_text keeps it, the pre-tokenizer splits on it.
    assert 0x20 in pre_space

    def range_text(points):
        return ",".join(f"{a:X}" if a == b else f"{a:X}-{b:X}" for a, b in ranges(points))

    def map_text(mapping):
        return ";".join(f"{k:X}:" + " ".join(f"{v:X}" for v in vs) for k, vs in sorted(mapping.items()))

    def literal(text, width=110):
        lines = [text[i:i + width] for i in range(0, len(text), width)]
        return "\n".join(lines)

    tables = [
        ("removedByCleanText", "Scalars `clean_text` removes (control and format characters, NUL, U+FFFD).", range_text(removed)),
        ("spaceByCleanText", "Scalars `clean_text` turns into a space (white space other than U+0020).", range_text(clean_space)),
        ("preTokenizerSpace", "Scalars the pre-tokenizer splits on and drops (Rust `char::is_whitespace`).", range_text(pre_space)),
        ("punctuation", "Scalars the pre-tokenizer isolates (ASCII symbols and Unicode P* categories, as tokenizers' tables have them).", range_text(punct)),
        ("chinese", "CJK ideographs that `handle_chinese_chars` surrounds with spaces.", range_text(cjk)),
        ("removedByStripAccents", "Scalars `strip_accents` removes (non-spacing marks).", range_text(strip_removed)),
        ("stripAccents", "`strip_accents` per scalar: NFD without non-spacing marks, Hangul syllables aside.", map_text(strip_map)),
        ("lowercase", "`lowercase` per scalar (Rust `char::to_lowercase`, possibly several scalars).", map_text(lower_map)),
    ]
    with OUT.open("w", encoding="utf-8") as f:
        f.write("// Generated by tools/tokenizer/generate_unicode_tables.py from Hugging Face tokenizers "
                f"{tokenizers.__version__}. Do not edit.\n\n")
        f.write("/// How Hugging Face's BERT normaliser and pre-tokenizer classify each Unicode scalar,\n")
        f.write("/// as text: ranges `A-B,C` and mappings `K:V V;K:V` in hexadecimal. Parsed once by `ScalarTable`.\n")
        f.write("enum UnicodeTables {\n")
        f.write(f"    static let tokenizersVersion = \"{tokenizers.__version__}\"\n")
        for name, doc, text in tables:
            f.write(f"\n    /// {doc}\n    static let {name} = \"\"\"\n{literal(text)}\n\"\"\"\n")
        f.write("}\n")
    print(f"wrote {OUT}: removed {len(removed)}, space {len(clean_space)}, pre-space {len(pre_space)}, "
          f"punctuation {len(punct)}, cjk {len(cjk)}, strip-removed {len(strip_removed)}, strip {len(strip_map)}, lowercase {len(lower_map)}")


if __name__ == "__main__":
    main()
