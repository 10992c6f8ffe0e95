"""Vale's `action` key: what a rule suggests doing with its match, computed into a replacement.

`replace` suggests its params (substitution and capitalization fill them in); `remove` suggests deleting the
match; `edit` rewrites it: `regex PATTERN REPL` (Go `$1` syntax), `trim_right CHARS`, `trim_left CHARS`,
`trim CHARS`, `truncate DELIMITER`, `split DELIMITER INDEX`; `convert simple` suggests the match in lower
case with its words split apart (camel case and punctuation become single spaces: "JavaScript" -> "java
script"), as Vale's `strcase.Simple`; `convert` with another param suggests the match unchanged, as Vale
does. `suggest` needs spelling dictionaries or Tengo scripts, so it yields no replacement (the action is
still reported).
"""

from __future__ import annotations

import regex

from brand.definitions import ActionDefinition
from brand.findings import Action
from brand.patterns import PatternError, UserPattern, compile_pattern, expand_template

_SPACES = regex.compile(" +")
EDIT_OPERATIONS = {"regex": 2, "trim_right": 1, "trim_left": 1, "trim": 1, "truncate": 1, "split": 2}


class Fix:
    """A rule's compiled action: the reported `Action` and how to compute the replacement for a match."""

    __slots__ = ("_edit", "action", "name", "params")

    def __init__(self, definition: ActionDefinition | None) -> None:
        self.name = definition.name if definition else ""
        self.params = list(definition.params) if definition else []
        self.action = Action(name=self.name, params=self.params)
        self._edit: UserPattern | None = None
        if self.name == "edit":
            operation = self.params[0] if self.params else ""
            needed = EDIT_OPERATIONS.get(operation)
            if needed is None:
                raise PatternError(f"edit action needs one of {', '.join(EDIT_OPERATIONS)} as its first param")
            if len(self.params) < needed + 1:
                raise PatternError(f"edit action '{operation}' needs {needed} param(s) after its name")
            if operation == "regex":
                self._edit = compile_pattern(self.params[1])

    def replacement(self, observed: str) -> str | None:
        if self.name == "replace":
            return self.params[0] if self.params else None
        if self.name == "remove":
            return ""
        if self.name == "convert":
            return simple_case(observed) if self.params[:1] == ["simple"] else observed
        if self.name != "edit":
            return None
        operation, *args = self.params
        if operation == "regex" and self._edit is not None:
            template = args[1]
            return self._edit.sub(lambda found: expand_template(template, found), observed)
        if operation == "trim_right":
            return observed.rstrip(args[0])
        if operation == "trim_left":
            return observed.lstrip(args[0])
        if operation == "trim":
            return observed.strip(args[0])
        if operation == "truncate":
            return observed.split(args[0])[0]
        parts = observed.split(args[0])
        index = int(args[1]) if args[1].lstrip("-").isdigit() else 0
        return parts[index] if -len(parts) <= index < len(parts) else None


def simple_case(text: str) -> str:
    """Vale's `convert simple`: letters and digits lower-cased; a space before an upper-case letter that follows a
    lower-case one (not within the first two bytes, as Vale counts) and in place of any other character; runs of
    spaces collapsed and the ends trimmed."""
    out: list[str] = []
    old = " "
    at = 0  # byte offset, as Go's range over a string gives
    for char in text:
        alpha = char.isalpha() or char.isnumeric()
        if (at > 1 and old.islower() and char.isupper()) or not alpha:
            out.append(" ")
        if alpha or char == " ":
            out.append(char.lower())
        old = char
        at += len(char.encode())
    return _SPACES.sub(" ", "".join(out).strip())
