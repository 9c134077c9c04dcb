"""For scrapyd-deploy, which builds the project's egg with `python setup.py bdist_egg` (and would
write a setup.py of its own without this one). Everything about the package is in pyproject.toml,
including the `scrapy` entry point naming the settings; the build's scratch folders (build/,
*.egg-info) go to a temporary folder, so deploying leaves nothing behind in the checkout."""

import atexit
import shutil
import sys
import tempfile

from setuptools import setup

options = {}
if {"bdist_egg", "clean"} & set(sys.argv[1:]):
    scratch = tempfile.mkdtemp(prefix="hsct-watch-egg-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    options = {"egg_info": {"egg_base": scratch}, "build": {"build_base": f"{scratch}/build"},
               "bdist_egg": {"bdist_dir": f"{scratch}/egg"}}

setup(options=options)
