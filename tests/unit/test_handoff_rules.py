"""The reason patterns and keyword lists of handoff detection are data, validated on load."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.handoff.detect import public_email_domains, public_phone_prefixes
from bot.handoff.detect.rules import (
    DATA_FILE,
    REQUIRED_PATTERNS,
    RulesError,
    compile_rule,
    load_rules,
    parse_rules,
    rules,
)


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    loaded = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_shipped_file_is_read_once_and_complete() -> None:
    assert rules() is rules()
    assert set(REQUIRED_PATTERNS) <= set(rules().patterns)
    assert rules().emergency_rules and rules().case_rules
    # national service numbers here; the city's own numbers and domains in its city.yml
    assert rules().words["public_phone_prefixes"] == ("0800", "0180")
    assert public_phone_prefixes() == ("02101100", "0800", "0180")
    assert public_email_domains() == ("musterstadt.de",)


def test_fragments_and_alternative_lists_build_one_pattern(data: dict[str, Any]) -> None:
    changed = copy.deepcopy(data)
    changed["fragments"]["who"] = ["ich", "wir"]
    changed["patterns"]["extra"] = ["${who} bin", "xyz\\w*"]
    extra = parse_rules(changed).patterns["extra"]
    assert extra.pattern == "ich|wir bin|xyz\\w{0,40}"
    assert compile_rule(r"a\w+b").pattern == r"a\w{1,40}b"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["patterns"].__setitem__("health", "(unclosed"),
            "patterns.health: not a valid",
        ),
        (lambda d: d["patterns"].pop("crisis"), "patterns without an entry: crisis"),
        (lambda d: d["patterns"].__setitem__("health", "${nope}"), "unknown fragment ${nope}"),
        (lambda d: d["patterns"].__setitem__("health", []), "patterns.health: a pattern is"),
        (lambda d: d["case_rules"][0].__setitem__("also", "nope"), "case_rules[0]: also names"),
        (lambda d: d["emergency_rules"][1].__setitem__("trigger", "Fire!"), "emergency_rules[1]"),
        (lambda d: d.pop("fuzzy_terms"), "fuzzy_terms is missing"),
        (lambda d: d.__setitem__("name_stopwords", ["ok", 3]), "name_stopwords is missing or"),
        (lambda d: d.__setitem__("case_rules", []), "need at least one rule"),
    ],
)
def test_a_broken_entry_is_named(data: dict[str, Any], change: Any, message: str) -> None:
    broken = copy.deepcopy(data)
    change(broken)
    with pytest.raises(RulesError) as err:
        parse_rules(broken)
    assert message in str(err.value)


def test_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "handoff_detection.yml"
    path.write_text("patterns: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"handoff_detection\.yml: cannot be read"):
        load_rules(path)
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "missing.yml")
