"""The ``microcred`` shell (:mod:`cli.main`): one command line for every installed part."""
