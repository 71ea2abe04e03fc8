"""``python -m wildchat.collect.llama_server ARGS``: llama-cpp-python's OpenAI server, made safe here.

llama.cpp built for the local CPU uses AMX tile instructions when the CPU advertises them, through
its "extra buffer types" (weight repacking). Virtual machines may advertise AMX without letting a
process use it, and the server then dies of SIGILL on its first request. Turning the extra buffer
types off keeps llama.cpp on plain AVX code (for a 135M model the difference is small).
Set ``WILDCHAT_LLAMA_EXTRA_BUFTS=1`` to keep them.
"""

from __future__ import annotations

import os
from typing import Any


def _patch_default_params() -> None:
    import llama_cpp
    import llama_cpp.llama

    original = llama_cpp.llama_model_default_params

    def without_extra_bufts() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_model_default_params = without_extra_bufts
    llama_cpp.llama.llama_cpp.llama_model_default_params = without_extra_bufts  # type: ignore[attr-defined]


def main() -> None:
    if os.environ.get("WILDCHAT_LLAMA_EXTRA_BUFTS") != "1":
        _patch_default_params()
    from llama_cpp.server.__main__ import main as server_main

    server_main()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
