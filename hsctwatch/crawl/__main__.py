"""The crawl's child process: `python -m hsctwatch.crawl` (hsctwatch.crawl.runner starts it).

Started as a package's __main__ and not as `-m hsctwatch.crawl.runner`, because a worker process
(hsctwatch.crawl.worker, started by "spawn") imports the main module of the process that started
it again unless that is a package's __main__: the runner's module would bring the store's modules
and SQLAlchemy into every worker, which needs neither.
"""

import sys

from hsctwatch.crawl.runner import _child

if __name__ == "__main__":
    sys.exit(_child())
