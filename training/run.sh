#!/usr/bin/env bash
# Re-runs the default model's training end to end: fetch the base model, train, export.
#   bash training/run.sh              -> models/finsent-minilm      (Twitter + PhraseBank)
#   bash training/run.sh --mit-only   -> models/finsent-minilm-mit  (MIT-licensed data only)
# The log goes to training/logs/<model>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-test-models.sh
name=finsent-minilm
for a in "$@"; do [ "$a" = --mit-only ] && name=finsent-minilm-mit; done
mkdir -p training/logs
python3 training/train.py "$@" 2>&1 | tee "training/logs/$name.log"
