#!/usr/bin/env bash
# Puts the genuine Llama-2 tokenizer vocabulary where `wildchat report` looks for it
# (.venv/share/wildchat/ggml-vocab-llama-spm.gguf, plus llama.cpp's reference tokenizations .inp/.out).
#
# The file ships inside llama-cpp-python's source distribution on PyPI (vendor/llama.cpp/models/),
# which llama.cpp builds from meta-llama/Llama-2-7b-hf; nothing is fetched from a model hub. Without it
# the report counts tokens with a named substitute (MiniLM WordPiece) and says so.
# Set LLAMA_CPP_SDIST=/path/to/llama_cpp_python-X.tar.gz to use a copy already on disk.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=.venv/share/wildchat
NAME=ggml-vocab-llama-spm.gguf
if [ -f "$DEST/$NAME" ]; then
  exit 0
fi
VERSION=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SDIST=${LLAMA_CPP_SDIST:-}
if [ -z "$SDIST" ]; then
  echo "==> fetching llama-cpp-python $VERSION's source distribution for the Llama-2 vocabulary (once)"
  .venv/bin/pip download --disable-pip-version-check -q --no-deps --no-binary :all: -d "$TMP" \
    "llama-cpp-python==$VERSION" 2>&1 | grep -v "^WARNING: Location" || true
  SDIST=$(ls "$TMP"/llama_cpp_python-*.tar.gz 2>/dev/null | head -n1 || true)
fi
if [ -z "$SDIST" ] || [ ! -f "$SDIST" ]; then
  echo "warning: could not get llama-cpp-python's sdist; reports will use the MiniLM WordPiece substitute" >&2
  exit 0
fi
tar -xzf "$SDIST" -C "$TMP" --wildcards "*/vendor/llama.cpp/models/$NAME" "*/vendor/llama.cpp/models/$NAME.inp" \
  "*/vendor/llama.cpp/models/$NAME.out"
mkdir -p "$DEST"
for f in "$TMP"/*/vendor/llama.cpp/models/"$NAME"*; do
  cp "$f" "$DEST/"
done
echo "==> Llama-2 vocabulary installed in $DEST"
