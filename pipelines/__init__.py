"""The item pipeline, one concern per module, in this order:

normalize (100) → extract (200) → relevance (300) → tag (400) → dedup (500) → store (600)
"""
