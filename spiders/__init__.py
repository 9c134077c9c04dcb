"""One generic spider per source *kind*; a source is config, not code.

Each spider is started with ``-a source=NAME`` and reads that source's entry from the config.
"""
