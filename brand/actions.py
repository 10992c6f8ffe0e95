"""Vale's `action` key: what a rule suggests doing with its match, computed into a replacement.

`replace` suggests its params (substitution and capitalization fill them in); `remove` suggests deleting the
match; `edit` rewrites it: `regex PATTERN REPL` (Go `$1` syntax), `trim_right CHARS`, `trim_left CHARS`,
`trim CHARS`, `truncate DELIMITER`, `split DELIMITER INDEX`. `suggest` needs spelling dictionaries or
Tengo scripts, so it yields no replacement (the action is still reported).
"""

from __future__ import annotations

from brand.definitions import ActionDefinition
from brand.findings import Action
from brand.patterns import PatternError, UserPattern, compile_pattern, expand_template

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
