"""pytest in docs/: the Markdown pages are doctested (``--doctest-glob=*.md``); Sphinx's configuration and
the folders the build generates are not test modules."""

collect_ignore = ["conf.py"]
collect_ignore_glob = ["_build/*", "tutorial/notebooks/*", "reference/generated/*", "jupyter_execute/*"]
