"""`wildchat demo`: the whole system end to end on embedded defaults (sits above the stages)."""
