#!/usr/bin/env bash
# Sets up everything `make demo` and `make test` need on a fresh Debian machine: services, system
# packages, the virtual environment and its packages. Safe to run again: each step skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Loopback must be up for Ray and for the local services.
if command -v ip >/dev/null 2>&1 && ! ip -brief link show lo 2>/dev/null | grep -q UP; then
  ip link set lo up 2>/dev/null || true
fi

# Debian packages: Chromium for the browser tests (Playwright drives the system build; it cannot
# download its own here).
if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and this user cannot apt-get install it; browser tests will skip" >&2
  fi
fi

# PostgreSQL: the tests use the local server; start it if it is installed but stopped.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/pip install --disable-pip-version-check)
"${PIP[@]}" -q -U pip wheel setuptools

# torch is pinned to the CPU build that lies on this machine's disk: a bare `torch` would pull a
# multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  say "installing torch 2.13.0 (CPU build)"
  "${PIP[@]}" -q "torch==2.13.0"
fi

if ! .venv/bin/python -c "import llama_cpp" >/dev/null 2>&1; then
  say "building llama-cpp-python from source: this takes about 5 minutes on 2 cores, once (pip caches the wheel)"
fi
say "installing wildchat and its dependencies"
"${PIP[@]}" -e '.[all]' 2>&1 | grep -v -E "^(WARNING: Location|Requirement already satisfied)" || true
.venv/bin/python -c "import wildchat, llama_cpp, lingua, presidio_analyzer, ray, duckdb" \
  || { echo "error: the virtual environment is incomplete (see pip's output above)" >&2; exit 1; }
# The genuine Llama-2 tokenizer vocabulary for the report's token counts (from llama-cpp-python's sdist).
bash scripts/fetch_llama2_vocab.sh
say "setup done"
