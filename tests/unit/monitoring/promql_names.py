"""Metric names in PromQL expressions, and the expressions monitoring/ holds (for the tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

__all__ = ["MONITORING", "dashboard_queries", "promql_metric_names", "rule_list"]

MONITORING = Path(__file__).resolve().parents[3] / "monitoring"
RULE_FILES = (MONITORING / "rules" / "recording.yml", MONITORING / "rules" / "alerts.yml")
DASHBOARD = MONITORING / "grafana" / "arb-appliance-fleet.json"


def _words(text: str) -> set[str]:
    return set(text.split())


_FUNCTIONS = _words(
    """abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes
    clamp clamp_max clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year
    days_in_month deg delta deriv exp floor histogram_count histogram_fraction
    histogram_quantile histogram_sum holt_winters hour idelta increase irate label_join
    label_replace last_over_time ln log10 log2 max_over_time min_over_time minute month pi
    predict_linear present_over_time quantile_over_time rad rate resets round scalar sgn sin
    sinh sort sort_desc sqrt stddev_over_time stdvar_over_time sum_over_time tan tanh time
    timestamp vector year label_values query_result"""
)
_AGGREGATIONS = _words(
    "sum min max avg group stddev stdvar count count_values bottomk topk quantile"
)
_KEYWORDS = _words("by without on ignoring group_left group_right bool and or unless offset")
_KEYWORDS |= {"inf", "nan"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_OFFSET = re.compile(r"\boffset\s+-?[0-9a-z]+|@\s*(?:start\(\)|end\(\)|[0-9.]+)", re.IGNORECASE)
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.*),)?\s*\w+\s*\)\s*$", re.DOTALL)
_GRAFANA_VARS = re.compile(r"\$\{?\w+\}?")
_NUMBER = re.compile(r"(?<![\w:.])(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:e[+-]?\d+)?|\.\d+)", re.I)
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression reads: identifiers that are not functions, aggregations,
    keywords, label names (in matchers and grouping clauses), strings, durations or numbers."""
    m = _LABEL_VALUES.match(expr)  # Grafana's label_values(metric, label) and label_values(label)
    text = _STRING.sub(" ", (m.group(1) or "") if m else expr)
    text = _GRAFANA_VARS.sub(" ", text)
    text = _OFFSET.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    names = set()
    for m in _IDENT.finditer(text):
        word = m.group(0)
        rest = text[m.end() :].lstrip()
        if word.lower() in _KEYWORDS or word in _AGGREGATIONS:
            continue
        if word in _FUNCTIONS and rest.startswith("("):
            continue
        names.add(word)
    return names


def rule_list() -> list[dict]:
    """Every rule of the shipped rule files, recording rules first (file order)."""
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(group["rules"])
    return rules


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title or variable, expression) of every query of the dashboard."""
    dash = json.loads(DASHBOARD.read_text())
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                found.append((panel["title"], target["expr"]))
            walk(panel.get("panels", []))

    walk(dash["panels"])
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            found.append((f"variable {var['name']}", var["query"]["query"]))
    return found
