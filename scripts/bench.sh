#!/usr/bin/env bash
# Runs every benchmark under benchmarks/, one after the other, each printing its figure beside its
# baseline. LiteLLM (the gateway benchmark's baseline) lives in its own .venv-bench so that its many
# pinned dependencies never touch the project's .venv; it is created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ ! -x .venv-bench/bin/litellm ]; then
  say "creating .venv-bench with litellm[proxy] (the gateway benchmark's baseline; once)"
  PYTHON=${PYTHON:-python3.11}
  command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
  "$PYTHON" -m venv .venv-bench
  .venv-bench/bin/pip install --disable-pip-version-check -q "litellm[proxy]" \
    || echo "warning: could not install litellm[proxy]; the gateway benchmark will skip its LiteLLM column" >&2
fi

if ! .venv/bin/python -c "import datatrove" >/dev/null 2>&1; then
  say "installing datatrove (the dedup and build benchmarks' baseline; once)"
  .venv/bin/pip install --disable-pip-version-check -q -e '.[bench]'
fi

status=0
for script in benchmarks/*.py; do
  say "$script"
  .venv/bin/python "$script" || { echo "FAILED: $script" >&2; status=1; }
done
exit $status
