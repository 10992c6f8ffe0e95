"""Styles from where people keep them: a folder, a zip of one, or a single YAML document.

Every source becomes the same mapping of canonical paths to bytes: `<Style>/<Rule>.yml` for rules and
`config/vocabularies/<Name>/accept.txt|reject.txt` for vocabularies (other files, such as READMEs or
`.vale.ini`, are ignored). The style's version is the SHA-256 of that mapping sorted by path, so the same
rules give the same version wherever they come from, and compiling a version already compiled is a lookup.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import regex
import yaml

from brand.checks import Check
from brand.definitions import RuleDefinition, SkippedRule, StyleError, parse_rule
from brand.patterns import PatternError, compile_pattern
from brand.style import Style, build_check
from brand.vocabulary import TermsCheck, avoid_check, is_phrase, parse_terms

CACHE_SIZE = 64
MAX_ARCHIVE_BYTES = 20 * 1024 * 1024
MAX_ARCHIVE_FILES = 5000

# Vale 3 keeps vocabularies in <StylesPath>/config/vocabularies/<Name>/, Vale 2 in <StylesPath>/Vocab/<Name>/.
_VOCAB = regex.compile(r"(?:^|/)(?:config/vocabularies|Vocab)/([^/]+)/(accept|reject)\.txt$")
_VOCAB_GLOBS = ("config/vocabularies/*/*.txt", "Vocab/*/*.txt", "config/ignore/*")
_IGNORE = regex.compile(r"(?:^|/)config/ignore/([^/]+)$")  # word lists for spelling's `ignore`
_cache: OrderedDict[str, Style] = OrderedDict()


class ValeYamlLoader(yaml.SafeLoader):
    """YAML as Vale (Go's yaml.v2, a libyaml port) reads it: a double-quoted scalar may also escape a single
    quote (`"you\\'re"`, as Vale's Joblint style writes) and a slash, which PyYAML alone refuses."""

    ESCAPE_REPLACEMENTS = {**yaml.SafeLoader.ESCAPE_REPLACEMENTS, "'": "'", "/": "/"}  # type: ignore[misc]


def read_yaml(text: str) -> object:
    return yaml.load(text, Loader=ValeYamlLoader)  # a SafeLoader subclass


_cache_lock = threading.Lock()


def canonical_files(files: Mapping[str, bytes], *, name: str | None = None) -> dict[str, bytes]:
    """Map any layout (a StylesPath, one style folder, a zip with a wrapping folder) to canonical paths.

    A rule's style is the folder it is in; rule files at the top level need `name`.
    """
    canonical: dict[str, bytes] = {}
    problems: list[tuple[str, str]] = []
    sources: dict[str, str] = {}
    for raw_path, data in files.items():
        path = PurePosixPath(raw_path.replace("\\", "/"))
        vocab = _VOCAB.search(path.as_posix())
        ignore = _IGNORE.search(path.as_posix())
        if vocab:
            key = f"config/vocabularies/{vocab.group(1)}/{vocab.group(2)}.txt"
        elif ignore and not ignore.group(1).startswith("."):
            key = f"config/ignore/{ignore.group(1)}"
        elif (
            "config" in path.parts[:-1]
            or "Vocab" in path.parts[:-1]
            or path.suffix not in (".yml", ".yaml")
            or any(part.startswith(".") for part in path.parts)
        ):
            continue
        elif path.suffix == ".yaml":
            problems.append((raw_path, "Vale only reads rule files ending in .yml; rename it"))
            continue
        elif len(path.parts) < 2 and not name:
            problems.append((raw_path, "a rule file must sit in a folder named after its style (Acme/Rule.yml)"))
            continue
        else:
            style = path.parent.name if len(path.parts) >= 2 else str(name)
            key = f"{style}/{path.name}"
        if key in sources:
            problems.append((raw_path, f"same rule or vocabulary file as {sources[key]}; keep one"))
            continue
        sources[key] = raw_path
        canonical[key] = data
    if problems:
        raise StyleError(problems)
    if not canonical:
        raise StyleError([("<style>", "no rule files (<Style>/<Rule>.yml) or vocabularies found")])
    return canonical


def version_of(canonical: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for path in sorted(canonical):
        data = canonical[path]
        digest.update(f"{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def compile_style(files: Mapping[str, bytes], *, name: str | None = None) -> Style:
    """Compile rule and vocabulary files (see `canonical_files`); the same version is compiled once."""
    canonical = canonical_files(files, name=name)
    version = version_of(canonical)
    with _cache_lock:
        cached = _cache.get(version)
        if cached is not None:
            _cache.move_to_end(version)
            return cached
    style = _build(canonical, version)
    with _cache_lock:
        _cache[version] = style
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return style


def _decode(path: str, data: bytes, problems: list[tuple[str, str]]) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append((path, f"not UTF-8 text (byte {exc.start}); save it as UTF-8"))
        return None


def _encodable(value: object) -> bool:
    """YAML's "\\ud800" escape gives a lone surrogate, which no finding, hash or payload can encode."""
    if isinstance(value, str):
        return value.isascii() or not any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def _build(canonical: Mapping[str, bytes], version: str) -> Style:
    problems: list[tuple[str, str]] = []
    accepted: list[str] = []
    rejected: list[str] = []
    definitions: list[RuleDefinition] = []
    word_lists: dict[str, str] = {}
    skipped: list[tuple[str, str, str]] = []
    for path in sorted(canonical):
        text = _decode(path, canonical[path], problems)
        if text is None:
            continue
        if path.startswith("config/ignore/"):
            word_lists[path] = text
            continue
        if path.startswith("config/vocabularies/"):
            terms = parse_terms(text)
            for term in terms:
                try:
                    compile_pattern(term)
                except PatternError as exc:
                    problems.append((path, f"{exc}; fix or escape the term"))
            (accepted if path.endswith("accept.txt") else rejected).extend(terms)
            continue
        try:
            raw = read_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            problems.append((path, f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}"))
            continue
        if not _encodable(raw):
            problems.append((path, "holds text that is not Unicode (an escape such as \\ud800); write the characters"))
            continue
        style, rule = path.split("/")
        rule_id = f"{style}.{rule.removesuffix('.yml')}"
        try:
            definition = parse_rule(rule_id, path, raw, problems)
        except SkippedRule as skip:
            skipped.append((rule_id, path, skip.reason))
            continue
        if definition is not None:
            definitions.append(definition)
    checks: list[Check] = []
    for definition in definitions:
        try:
            checks.append(build_check(definition, accepted, word_lists))
        except PatternError as exc:
            # Report the rule's own pattern, not the combined one the check compiles.
            problems.append((definition.file, f"{_bad_pattern(definition) or exc}; write it in Go RE2 syntax"))
        except ValueError as exc:
            problems.append((definition.file, str(exc)))
    if problems:
        raise StyleError(problems)
    if any(is_phrase(term) for term in accepted):
        checks.append(TermsCheck(accepted))
    if rejected:
        checks.append(avoid_check(rejected))
    names = tuple(sorted({path.split("/")[0] for path in canonical if not path.startswith("config/")}))
    return Style(names=names, version=version, checks=checks, accepted=accepted, rejected=rejected, skipped=skipped)


def rule_patterns(definition: RuleDefinition) -> list[str]:
    """A rule's own regular expressions, as its author wrote them."""
    candidates: list[str] = []
    fields = ("tokens", "exceptions", "either", "swap", "raw", "first", "second", "token", "prefix", "match")
    for field in (*fields, "filters"):  # `filters`: spelling's
        value = getattr(definition, field, ())
        if isinstance(value, str):
            if value and not value.startswith("$"):
                candidates.append(value)
        elif field == "either":
            candidates.extend(side for pair in value for side in pair)
        elif field == "swap":
            candidates.extend(key for key, _ in value)
        elif field == "raw" and value:
            candidates.append("".join(value))
        else:
            candidates.extend(value)
    return candidates


def _bad_pattern(definition: RuleDefinition) -> str | None:
    """The first of a rule's own patterns that does not compile, with the engine's complaint."""
    for candidate in rule_patterns(definition):
        try:
            compile_pattern(candidate)
        except PatternError as exc:
            return str(exc)
    return None


def files_from_directory(path: Path) -> dict[str, bytes]:
    """A style folder (rule files directly inside; its vocabularies in `../config`) or a StylesPath."""
    if not path.is_dir():
        raise StyleError([(str(path), "no such style folder")])
    if any(child.suffix in (".yml", ".yaml") and child.is_file() for child in path.iterdir()):
        root, members = path.parent, list(path.glob("*.y*ml"))
    else:
        root, members = path, list(path.glob("*/*.y*ml"))
    members += [member for pattern in _VOCAB_GLOBS for member in root.glob(pattern)]
    files: dict[str, bytes] = {}
    for member in members:
        try:
            files[member.relative_to(root).as_posix()] = member.read_bytes()
        except OSError as exc:
            raise StyleError([(str(member), f"cannot read it: {exc.strerror}")]) from None
    return files


def files_from_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise StyleError([("<zip>", "not a zip archive; zip the style folder (and its config/vocabularies)")]) from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ARCHIVE_FILES or sum(info.file_size for info in members) > MAX_ARCHIVE_BYTES:
            raise StyleError([("<zip>", f"more than {MAX_ARCHIVE_FILES} files or {MAX_ARCHIVE_BYTES} bytes")])
        try:
            return {info.filename: archive.read(info) for info in members}
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise StyleError([("<zip>", f"cannot read the archive: {exc}")]) from None


def files_from_yaml(text: str) -> dict[str, bytes]:
    """One YAML document holding a whole style:

    styles:
      Acme:
        Hype: {extends: existence, message: "...", tokens: [...]}
    vocabularies:
      Acme: {accept: [GitHub], reject: [synergy]}
    """
    try:
        document = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise StyleError([("<yaml>", f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}")]) from None
    if not isinstance(document, dict) or not isinstance(document.get("styles"), dict):
        raise StyleError([("<yaml>", "expected a mapping with 'styles: {StyleName: {RuleName: {...}}}'")])
    unknown = set(document) - {"styles", "vocabularies"}
    if unknown:
        raise StyleError([("<yaml>", f"unknown top-level key(s) {sorted(unknown)}; use 'styles' and 'vocabularies'")])
    files: dict[str, bytes] = {}
    for style, rules in document["styles"].items():
        if not isinstance(rules, dict):
            raise StyleError([(f"<yaml>/styles/{style}", "expected a mapping of rule names to rules")])
        for rule, body in rules.items():
            files[f"{style}/{rule}.yml"] = yaml.safe_dump(body, sort_keys=True, allow_unicode=True).encode()
    for vocab, lists in (document.get("vocabularies") or {}).items():
        if not isinstance(lists, dict) or set(lists) - {"accept", "reject"}:
            raise StyleError([(f"<yaml>/vocabularies/{vocab}", "expected 'accept' and/or 'reject' lists")])
        for kind, terms in lists.items():
            if not isinstance(terms, list):
                raise StyleError([(f"<yaml>/vocabularies/{vocab}/{kind}", "expected a list of terms")])
            files[f"config/vocabularies/{vocab}/{kind}.txt"] = "\n".join(map(str, terms)).encode()
    return files
