"""``microcred recognise``: evaluate a recognition rule on one credential or a set.

Exit status: **0** recognised, **1** not recognised, **4** partly recognised, **2** unusable
input (a rule that cannot be read or is not valid, a credential file that cannot be read, a
trust setting that cannot be used: one line on stderr, no traceback).

Every credential is verified first, with the same trust settings and flags as ``microcred
verify`` (:func:`verifier.cli.trust_options`); only verified credentials count.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

import click

from keys.cli import fail
from verifier.cli import read_credential_file, trust_options, verifier_options
from verifier.recognition.evaluate import (
    NOT_RECOGNISED,
    PARTLY_RECOGNISED,
    RECOGNISED,
    Candidate,
    Decision,
    evaluate,
)
from verifier.recognition.rules import (
    RULES_ENV,
    Rule,
    RuleError,
    load_rule_file,
    load_rules_directory,
)
from verifier.recognition.wording import CRITERIA, DECISIONS, STATUSES, english
from verifier.verify import verify_credential

EXIT_CODES: Final = {RECOGNISED: 0, NOT_RECOGNISED: 1, PARTLY_RECOGNISED: 4}
MAX_CREDENTIALS: Final = 50


def find_rule(name: str, directory: str | None) -> Rule:
    """The rule ``name``: a rule file's path, else a rule of ``directory`` (by id or file
    name); :class:`RuleError` otherwise."""
    if Path(name).is_file() or not directory:
        return load_rule_file(name)
    return load_rules_directory(directory).find(name)


def render_text(decision: Decision) -> str:
    """The decision as terminal lines: the decision, each criterion, each credential."""
    headline = english(decision.headline.code, decision.headline.params)
    lines = [
        f"{str(DECISIONS[decision.decision]).upper()}: {headline}",
        f"  rule: {decision.rule.title()} ({decision.rule.institution()})",
    ]
    for result in decision.criteria:
        requirement = "; ".join(english(s.code, s.params) for s in result.requirement)
        outcome = english(result.outcome.code, result.outcome.params)
        lines.append(
            f"  {STATUSES[result.status]!s:<11}{CRITERIA[result.criterion]!s}: "
            f"{requirement} — {outcome}"
        )
        lines += [f"      - {english(f.code, f.params)}" for f in result.findings]
    lines.append("  credentials:")
    for entry in decision.entries:
        mark = "counted" if entry.counted else "left out"
        lines.append(f"  {mark:<11}{entry.candidate.name} [{entry.verdict.value}]")
        lines += [
            f"      - {english(r.code, r.params)}" for r in entry.reasons if r.code != "counted"
        ]
    return "\n".join(lines)


@click.command()
@click.option(
    "--rule",
    "rule_name",
    required=True,
    metavar="RULE",
    help=f"A rule file (JSON or YAML), or a rule's id or file name in ${RULES_ENV}.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@trust_options
@click.argument("paths", metavar="FILE...", nargs=-1, required=True)
def recognise(rule_name: str, as_json: bool, paths: tuple[str, ...], **trust: Any) -> None:
    """Evaluate the recognition rule RULE on the credentials in FILE... (``-``: stdin).

    Each credential is verified first (the trust settings and flags of ``microcred verify``);
    only verified ones count. Exit 0 recognised, 4 partly recognised, 1 not recognised,
    2 unusable input.
    """
    try:
        rule = find_rule(rule_name, os.environ.get(RULES_ENV))
    except RuleError as error:
        fail(f"{error.message} [{error.code}]")
    if len(paths) > MAX_CREDENTIALS:
        fail(
            f"at most {MAX_CREDENTIALS} credentials at once, not {len(paths)} "
            "[too_many_credentials]"
        )
    options = verifier_options(**trust)
    candidates = []
    for path in paths:
        document = read_credential_file(path)
        if not isinstance(document, dict):
            fail(f"{path} is not a JSON object")
        candidates.append(Candidate(path, document, verify_credential(document, options)))
    decision = evaluate(rule, candidates)
    if as_json:
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(decision))
    raise SystemExit(EXIT_CODES[decision.decision])
