"""The bottom floor: pure text code, no Django and nothing of ours above it.

Sentences with exact offsets, language, pasted-text cleaning, quantities, dates and entities, the
ranking features, and the numpy MiniLM encoder. `sources` (passages, search) and `claims` (scoring,
stance, matching) build on it; it imports neither, and a test imports it with Django unconfigured.
"""
