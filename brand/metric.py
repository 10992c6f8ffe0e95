"""Vale's `metric` check: a formula over counts of the post, compared with a condition.

    extends: metric
    message: "Try to keep the Flesch-Kincaid grade level (%s) below 8."
    formula: (0.39 * (words / sentences)) + (11.8 * (syllables / words)) - 15.59
    condition: "> 8"

The variables are Vale's (https://vale.sh/docs/checks/metric): `words`, `sentences`, `syllables`,
`characters` (letters and digits), `long_words` (more than 6 characters), `polysyllabic_words` (more than 2
syllables), `complex_words` (polysyllabic once an -es, -ed or -ing ending is set aside), `paragraphs`, and
the markup counts `heading.h1` to `heading.h6`, `list`, `pre`, `blockquote`, which are 0 for a post without
markup. Formulas are evaluated by a small arithmetic parser (numbers, the variables, `+ - * / %`,
parentheses, `math.sqrt|pow|abs|log|log10|log2|floor|ceil`), never by `eval`; the condition is the
formula's value followed by the condition text (`> 8` reads "value > 8", as in Vale). A rule
whose formula or condition does not parse, or names an unknown variable, is refused at load time.

As in Vale, the rule looks at the whole text (its scope is always the summary), reports once at the start
of the text with `%s` the formula's value to two decimals, and says nothing about a text without words.
Syllables are counted by a vowel-group heuristic (like Vale's, an estimate for English).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from brand.checks import Check, format_message
from brand.definitions import RuleDefinition
from brand.document import Document
from brand.findings import Finding

MARKUP_VARIABLES: tuple[str, ...] = ("heading_h1", "heading_h2", "heading_h3", "heading_h4", "heading_h5", "heading_h6")
MARKUP_VARIABLES += ("list", "pre", "blockquote")
COUNT_VARIABLES = (
    "words",
    "sentences",
    "syllables",
    "characters",
    "long_words",
    "polysyllabic_words",
    "complex_words",
    "paragraphs",
)
VARIABLES = frozenset(COUNT_VARIABLES + MARKUP_VARIABLES)
FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt,
    "pow": math.pow,
    "abs": abs,
    "log": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "floor": math.floor,
    "ceil": math.ceil,
}
_RESULT = "result_"  # the formula's value, which the condition's text follows
_WORD = regex.compile(r"(?:[A-Z]\.){2,}|[\p{N}\p{L}']+")
_VOWELS = regex.compile(r"[aeiouy]+")
_TOKEN = regex.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)?)"
    r"|(?P<op>&&|\|\||[<>=!]=|[-+*/%()<>!,]))"
)


@dataclass(frozen=True, kw_only=True)
class MetricDefinition(RuleDefinition):
    formula: str
    condition: str


class FormulaError(ValueError):
    pass


# An expression is a tree of tuples: ("num", value), ("var", name), ("call", name, args), (op, left, right),
# ("neg", operand), ("not", operand).
Node = tuple[Any, ...]


class _Parser:
    """Recursive descent over Tengo's precedence: || < && < comparisons < + - < * / % < unary."""

    def __init__(self, text: str, names: frozenset[str]) -> None:
        self.names = names
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            found = _TOKEN.match(text, position)
            if found is None or found.end() == position:
                raise FormulaError(f"cannot read {text[position:].strip()[:20]!r}")
            kind = found.lastgroup
            assert kind is not None
            self.tokens.append((kind, found.group(kind)))
            position = found.end()
            while position < len(text) and text[position].isspace():
                position += 1
        self.index = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise FormulaError("empty expression")
        node = self._or()
        if self.index < len(self.tokens):
            raise FormulaError(f"unexpected {self.tokens[self.index][1]!r}")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise FormulaError("the expression ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _binary(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self._peek() in operators:
            op = self._take()[1]
            node = (op, node, operand())
        return node

    def _or(self) -> Node:
        return self._binary(("||",), self._and)

    def _and(self) -> Node:
        return self._binary(("&&",), self._compare)

    def _compare(self) -> Node:
        return self._binary(("<", ">", "<=", ">=", "==", "!="), self._sum)

    def _sum(self) -> Node:
        return self._binary(("+", "-"), self._product)

    def _product(self) -> Node:
        return self._binary(("*", "/", "%"), self._unary)

    def _unary(self) -> Node:
        if self._peek() in ("-", "+", "!"):
            op = self._take()[1]
            operand = self._unary()
            return operand if op == "+" else ("neg" if op == "-" else "not", operand)
        return self._primary()

    def _primary(self) -> Node:
        kind, value = self._take()
        if kind == "number":
            return ("num", float(value))
        if kind == "name":
            if self._peek() == "(":
                if not value.startswith("math.") or value[5:] not in FUNCTIONS:
                    raise FormulaError(f"unknown function {value!r}; use math.{', math.'.join(FUNCTIONS)}")
                self._take()
                args = [self._or()]
                while self._peek() == ",":
                    self._take()
                    args.append(self._or())
                if self._peek() != ")":
                    raise FormulaError(f"missing ')' after the arguments of {value}")
                self._take()
                return ("call", value[5:], tuple(args))
            name = value.replace(".", "_")
            if name not in self.names:
                raise FormulaError(f"unknown variable {value!r}; use {', '.join(sorted(VARIABLES))}")
            return ("var", name)
        if value == "(":
            node = self._or()
            if self._peek() != ")":
                raise FormulaError("missing ')'")
            self._take()
            return node
        raise FormulaError(f"unexpected {value!r}")


def parse_formula(text: str) -> Node:
    return _Parser(text, VARIABLES).parse()


def parse_condition(text: str) -> Node:
    """The condition, read after the formula's value (`> 8` is "value > 8")."""
    return _Parser(f"{_RESULT} {text}", VARIABLES | {_RESULT}).parse()


def _divide(left: float, right: float) -> float:
    # Go's float division: x/0 is ±Inf (NaN for 0/0), never an exception.
    if right == 0:
        return math.nan if left == 0 or math.isnan(left) else math.copysign(math.inf, left)
    return left / right


def evaluate(node: Node, values: Mapping[str, float]) -> float | bool:
    op = node[0]
    if op == "num":
        return float(node[1])
    if op == "var":
        return values[node[1]]
    if op == "neg":
        return -float(evaluate(node[1], values))
    if op == "not":
        return not evaluate(node[1], values)
    if op == "call":
        try:
            return float(FUNCTIONS[node[1]](*(float(evaluate(arg, values)) for arg in node[2])))
        except (ValueError, TypeError, OverflowError):
            return math.nan
    if op == "&&":
        return bool(evaluate(node[1], values)) and bool(evaluate(node[2], values))
    if op == "||":
        return bool(evaluate(node[1], values)) or bool(evaluate(node[2], values))
    left, right = float(evaluate(node[1], values)), float(evaluate(node[2], values))
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return _divide(left, right)
    if op == "%":
        return math.fmod(left, right) if right else math.nan
    comparisons: dict[str, Callable[[float, float], bool]] = {
        "<": float.__lt__,
        ">": float.__gt__,
        "<=": float.__le__,
        ">=": float.__ge__,
        "==": float.__eq__,
        "!=": float.__ne__,
    }
    return comparisons[op](left, right)


def syllables(word: str) -> int:
    """An estimate: groups of vowels, less a silent final -e or -es/-ed; short words have one."""
    word = word.lower().strip("'")
    if len(word) < 3:
        return 1 if word else 0
    count = len(_VOWELS.findall(word))
    if (word.endswith("e") and not word.endswith(("le", "ee", "ie", "ye"))) or (
        word.endswith(("es", "ed")) and len(word) > 3 and word[-3] not in "aeiouytdszcgx"
    ):
        count -= 1
    elif word.endswith("le") and len(word) > 2 and word[-3] in "aeiouy":
        count -= 1
    return max(count, 1)


@lru_cache(maxsize=20_000)
def _word_counts(word: str) -> tuple[int, int, bool, bool, bool]:
    """Syllables, letters and digits, long (> 6 characters), polysyllabic, complex (see the docstring)."""
    count = syllables(word)
    letters = sum(1 for char in word if char.isalnum())
    complex_word = (count - word.lower().endswith(("es", "ed", "ing"))) > 2
    return count, letters, len(word) > 6, count > 2, complex_word


def counts(doc: Document) -> dict[str, float]:
    """Vale's variables for one text (see the module docstring); {} when it has no words."""
    words = _WORD.findall(doc.text)
    if not words:
        return {}
    values = dict.fromkeys(MARKUP_VARIABLES, 0.0)
    sentences = sum(1 for start, end in doc.sentences() if _WORD.search(doc.text, start, end))
    total = polysyllabic = complex_words = characters = long_words = 0
    for word in words:
        count, letters, long, poly, complex_word = _word_counts(word)
        total += count
        characters += letters
        long_words += long
        polysyllabic += poly
        complex_words += complex_word
    values.update(
        words=float(len(words)),
        sentences=float(max(sentences, 1)),
        syllables=float(total),
        characters=float(characters),
        long_words=float(long_words),
        polysyllabic_words=float(polysyllabic),
        complex_words=float(complex_words),
        paragraphs=float(len(doc.paragraphs())),
    )
    return values


def parse_metric(reader: Any, header: dict[str, Any]) -> MetricDefinition:
    """Called by `definitions.parse_rule` for `extends: metric`; problems go to the reader."""
    formula, condition = reader.string("formula", required=True), reader.string("condition", required=True)
    for key, text, parse in (("formula", formula, parse_formula), ("condition", condition, parse_condition)):
        if text:
            try:
                parse(text)
            except FormulaError as exc:
                reader.problem(f"'{key}' {text.strip()!r} cannot be evaluated: {exc}")
    return MetricDefinition(**header, formula=formula, condition=condition)


class MetricCheck(Check):
    __slots__ = ("condition", "formula")

    def __init__(self, definition: MetricDefinition) -> None:
        super().__init__(definition)
        self.formula = parse_formula(definition.formula)
        self.condition = parse_condition(definition.condition)

    def run(self, doc: Document) -> list[Finding]:
        values = counts(doc)
        if not values:
            return []
        result = float(evaluate(self.formula, values))
        # Vale prints the value with %f and evaluates "<value> <condition>".
        values[_RESULT] = float(f"{result:f}") if math.isfinite(result) else result
        if not evaluate(self.condition, values):
            return []
        message = format_message(self.definition.message, f"{result:.2f}")
        return [doc.finding(self.id, self.level, message, 0, 0, action=self.fix.action)]
