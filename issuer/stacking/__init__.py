"""Stackable awards: a learner's qualifying credentials found, checked against the award's
stacking rule, and the stacked credential issued with its parts (issue 16, part 2)."""
