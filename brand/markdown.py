"""A Markdown document as Vale lints it: prose without markup, split into the blocks scopes select.

Vale renders Markdown to HTML and lints the text of each block element: headings (`heading.h1`-`h6`), list
items (`list`), block quotes (`blockquote`), table cells (`table.cell`), paragraphs (each giving
`paragraph`, its sentences `sentence` and `text`), image alt text (`alt`); code (blocks and inline) is not
prose, and link syntax is not text: `[Acme Cloud](https://x)` reads "Acme Cloud". `markdown_prose` does
the same without an HTML round trip: it returns the prose (markup removed, inline code replaced by `*` as
Vale does, line breaks kept), for each prose character the offset in the source it came from (so findings
point into the file as written), and the blocks as (sections, start, end) in prose offsets. Image alt texts
are appended after the document's prose, each its own `alt` block, so no other block contains them.

Covered: front matter (skipped), ATX and setext headings, fenced and indented code blocks, lists, block
quotes, pipe tables, link reference definitions, inline code, links, images, autolinks, emphasis, inline
HTML tags and backslash escapes. It is not a full CommonMark parser (nested containers are read line by line).
"""

from __future__ import annotations

import regex

_FENCE = regex.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = regex.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
_ATX_CLOSE = regex.compile(r"[ \t]+#+[ \t]*$|[ \t]+$")
_SETEXT = regex.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK_LINE = regex.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST = regex.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_QUOTE = regex.compile(r"^ {0,3}>[ \t]?")
_TABLE_DELIMITER = regex.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_LINK_DEFINITION = regex.compile(r"^ {0,3}\[[^\]\n]+\]:")
_HTML_BLOCK = regex.compile(r"^ {0,3}<(?:!--|/?[A-Za-z][\w-]*(?:\s[^>]*)?/?>)")

# Inline: code spans, images, links (inline or reference), autolinks, HTML tags, escapes, emphasis runs.
_INLINE = regex.compile(
    r"(?P<code>(?P<ticks>`+)(?P<codetext>.+?)(?P=ticks))"
    r"|(?P<image>!\[(?P<alt>[^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])?)"
    r"|(?P<linkopen>\[)(?=[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\]))"
    r"|(?P<linkclose>\](?:\([^)\n]*\)|\[[^\]\n]*\]))"
    r"|(?P<autolink><(?:https?|mailto|ftp):[^>\s]*>)"
    r"|(?P<tag></?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>)"
    r"|(?P<escape>\\(?P<escaped>[!-/:-@\[-`{-~]))"
    r"|(?P<emphasis>\*+|~~|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}]))"
)

Block = tuple[tuple[str, ...], int, int]


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.origin: list[int] = []
        self.blocks: list[Block] = []
        self.alts: list[tuple[int, int]] = []  # source spans of image alt texts

    @property
    def size(self) -> int:
        return len(self.origin)

    def emit(self, text: str, at: int, *, same: bool = False) -> None:
        """Append `text` copied from the source at `at` (or, with `same`, every character mapped to `at`)."""
        self.out.append(text)
        self.origin.extend([at] * len(text) if same else range(at, at + len(text)))

    def inline(self, start: int, end: int) -> tuple[int, int]:
        """The prose of the source span [start, end); returns its prose span."""
        first = self.size
        source = self.source
        cursor = start
        for found in _INLINE.finditer(source, start, end):
            if found.start() > cursor:
                self.emit(source[cursor : found.start()], cursor)
            if found.group("code") is not None:
                text_start = found.start("codetext")
                self.emit("*" * len(found.group("codetext")), text_start)
            elif found.group("image") is not None:
                if found.group("alt"):
                    self.alts.append(found.span("alt"))
            elif found.group("escape") is not None:
                self.emit(found.group("escaped"), found.start("escaped"))
            cursor = found.end()
        if cursor < end:
            self.emit(source[cursor:end], cursor)
        return first, self.size

    def newline(self, at: int) -> None:
        self.emit("\n", at, same=True)


def markdown_prose(source: str) -> tuple[str, list[int], list[Block]]:
    builder = _Builder(source)
    lines = source.splitlines(keepends=True)
    offsets: list[int] = []
    at = 0
    for line in lines:
        offsets.append(at)
        at += len(line)
    fence: str | None = None
    paragraph: tuple[int, int] | None = None  # prose span of the open paragraph
    previous_blank = True
    index = 0
    if lines and lines[0].rstrip("\r\n") in ("---", "+++"):
        # Front matter (YAML or TOML) is metadata, not prose, as Vale skips it.
        fence_line = lines[0].rstrip("\r\n")
        last = next((i for i in range(1, len(lines)) if lines[i].rstrip("\r\n") == fence_line), None)
        if last is not None:
            for skipped in range(last + 1):
                builder.newline(offsets[skipped] + len(lines[skipped].rstrip("\r\n")))
            index = last + 1

    def close_paragraph() -> None:
        nonlocal paragraph
        if paragraph is not None and paragraph[1] > paragraph[0]:
            builder.blocks.append((("paragraph", "md"), *paragraph))
        paragraph = None

    while index < len(lines):
        raw = lines[index]
        start = offsets[index]
        body = raw.rstrip("\r\n")
        end = start + len(body)
        newline_at = end
        index += 1
        if fence is not None:
            if body.strip().startswith(fence) and not body.strip().strip(fence[0]):
                fence = None
            builder.newline(newline_at)
            continue
        opened = _FENCE.match(body)
        if opened:
            close_paragraph()
            fence = opened.group(1)
            builder.newline(newline_at)
            previous_blank = False
            continue
        if not body.strip():
            close_paragraph()
            builder.newline(newline_at)
            previous_blank = True
            continue
        if (previous_blank and paragraph is None and (body.startswith("    ") or body.startswith("\t"))) or (
            _LINK_DEFINITION.match(body) or (_HTML_BLOCK.match(body) and paragraph is None)
        ):
            builder.newline(newline_at)  # indented code, a link definition or an HTML block: not prose
            previous_blank = False
            continue
        previous_blank = False
        heading = _ATX.match(body)
        underline = _SETEXT.match(lines[index].rstrip("\r\n")) if index < len(lines) else None
        if heading:
            close_paragraph()
            closing = _ATX_CLOSE.search(body, heading.end())
            content_end = start + (closing.start() if closing else len(body))
            span = builder.inline(start + heading.end(), max(content_end, start + heading.end()))
            builder.blocks.append((("text", "heading", f"h{len(heading.group(1))}", "md"), *span))
            builder.newline(newline_at)
            continue
        if underline and paragraph is None and not _LIST.match(body) and not _QUOTE.match(body):
            level = "h1" if underline.group(1).startswith("=") else "h2"
            span = builder.inline(start + len(body) - len(body.lstrip()), start + len(body.rstrip()))
            builder.blocks.append((("text", "heading", level, "md"), *span))
            builder.newline(newline_at)
            builder.newline(offsets[index] + len(lines[index].rstrip("\r\n")))
            index += 1
            continue
        if _BREAK_LINE.match(body):
            close_paragraph()
            builder.newline(newline_at)
            continue
        item = _LIST.match(body)
        quote = _QUOTE.match(body)
        if item or quote:
            close_paragraph()
            marker = item or quote
            assert marker is not None
            span = builder.inline(start + marker.end(), start + len(body.rstrip()))
            kind = "list" if item else "blockquote"
            builder.blocks.append((("text", kind, "md"), *span))
            builder.newline(newline_at)
            continue
        if body.lstrip().startswith("|"):
            close_paragraph()
            if not _TABLE_DELIMITER.match(body):
                header = index < len(lines) and _TABLE_DELIMITER.match(lines[index].rstrip("\r\n")) is not None
                part = "header" if header else "cell"
                cell_start = start + body.index("|") + 1
                for cell in regex.finditer(r"(?<!\\)\|", body, pos=body.index("|") + 1):
                    cell_end = start + cell.start()
                    text = source[cell_start:cell_end]
                    lead = len(text) - len(text.lstrip())
                    span = builder.inline(cell_start + lead, cell_start + len(text.rstrip()))
                    if span[1] > span[0]:
                        builder.blocks.append((("text", "table", part, "md"), *span))
                    builder.emit(" ", cell_end, same=True)
                    cell_start = cell_end + 1
            builder.newline(newline_at)
            continue
        lead = len(body) - len(body.lstrip())
        span = builder.inline(start + lead, start + len(body.rstrip()))
        paragraph = (paragraph[0] if paragraph else span[0], span[1])
        builder.newline(newline_at)
    close_paragraph()
    for alt_start, alt_end in builder.alts:
        builder.newline(alt_start)
        builder.newline(alt_start)
        span = builder.inline(alt_start, alt_end)
        builder.blocks.append((("alt", "md"), *span))
    builder.origin.append(len(source))
    return "".join(builder.out), builder.origin, builder.blocks
