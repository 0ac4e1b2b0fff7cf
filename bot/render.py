"""Render a transport-neutral Reply for each chat, and split long messages for chat size limits.

Reply strings come from the farm (machine, plot and disk names) and from users, so every one of
them is escaped for the target format; only the renderer itself writes markup.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.reply import Reply

DISCORD_LIMIT = 2000       # characters per Discord message
TELEGRAM_LIMIT = 4096      # characters per Telegram message (after its HTML is parsed: raw HTML is longer)

SEVERITY_EMOJI = {"critical": "\N{LARGE RED CIRCLE}", "warning": "\N{LARGE ORANGE CIRCLE}",
                  "info": "\N{LARGE BLUE CIRCLE}", "ok": "\N{WHITE HEAVY CHECK MARK}"}


def plain(reply: Reply) -> str:
    title = f"[{reply.severity.upper()}] {reply.title}" if reply.severity else reply.title
    out = [title]
    for section in reply.sections:
        if section.heading:
            out.append(f"{section.heading}:")
        out.extend(f"  {line}" if section.monospace else line for line in section.lines)
    return "\n".join(out)


def discord_markdown(reply: Reply) -> str:
    out = [_with_emoji(reply, f"**{_escape_markdown(reply.title)}**")]
    for section in reply.sections:
        if section.heading:
            out.append(f"**{_escape_markdown(section.heading)}**")
        if section.monospace:
            out.append("```")
            out.extend(_defuse_fence(line) for line in section.lines)
            out.append("```")
        else:
            out.extend(_escape_markdown(line) for line in section.lines)
    return "\n".join(out)


def telegram_html(reply: Reply) -> str:
    out = [_with_emoji(reply, f"<b>{_escape_html(reply.title)}</b>")]
    for section in reply.sections:
        if section.heading:
            out.append(f"<b>{_escape_html(section.heading)}</b>")
        if section.monospace and section.lines:
            # <pre> and </pre> share a line with the content: a newline after <pre> would show as a blank line
            body = [_escape_html(line) for line in section.lines]
            body[0] = "<pre>" + body[0]
            body[-1] = body[-1] + "</pre>"
            out.extend(body)
        else:
            out.extend(_escape_html(line) for line in section.lines)
    return "\n".join(out)


def _with_emoji(reply: Reply, title: str) -> str:
    emoji = SEVERITY_EMOJI.get(reply.severity or "")
    return f"{emoji} {title}" if emoji else title


def _escape_html(text: str) -> str:
    return html.escape(text, quote=False)


_MARKDOWN_SPECIAL = re.compile(r"([\\*_~`|])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>-]|\d+(?=\.))")   # headings, quotes, lists


def _escape_markdown(text: str) -> str:
    """Farm strings shown literally in Discord: no accidental bold, spoilers, headings or quotes."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # Discord escapes only punctuation, so "1." becomes "1\." rather than "\1."
    return _MARKDOWN_LINE_START.sub(
        lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2).isdigit() else "\\" + m.group(2)), text)


def _defuse_fence(line: str) -> str:
    """A ``` inside a code block would end it; a zero-width space keeps it visible but inert."""
    return line.replace("```", "`\u200b`\u200b`")


@dataclass(frozen=True)
class CodeFence:
    """How a format marks a monospace block, so a split can close and re-open it."""
    start: str       # token that opens a block
    end: str         # token that closes it
    reopen: str      # put at the start of a piece that begins inside a block
    close: str       # put at the end of a piece that ends inside a block


MARKDOWN_FENCE = CodeFence(start="```", end="```", reopen="```\n", close="\n```")
HTML_FENCE = CodeFence(start="<pre>", end="</pre>", reopen="<pre>", close="</pre>")


def split(text: str, limit: int, fence: CodeFence = MARKDOWN_FENCE) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, on line boundaries where possible.

    A single line longer than a piece is cut (never inside an HTML entity or tag, nor after an
    escaping backslash); a monospace block cut in two is closed at the end of one piece and
    re-opened at the start of the next. Characters are counted as UTF-16 units (an emoji is two),
    the stricter of the ways chat services count.
    """
    budget = limit - len(fence.reopen) - len(fence.close)   # room for a piece's own lines
    if budget < 16:
        raise ValueError(f"limit {limit} is too small to split into")
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    in_code = starts_in_code = False

    def flush() -> None:
        nonlocal current, size, starts_in_code
        # a fence opener as the last line would leave an empty block here: it opens the next piece instead
        dangling = in_code and len(current) > 1 and current[-1] == fence.start
        body = current[:-1] if dangling else current
        if body:
            head = fence.reopen if starts_in_code else ""
            tail = fence.close if in_code and not dangling else ""
            pieces.append(head + "\n".join(body) + tail)
        current, size, starts_in_code = [], 0, in_code

    for line in text.split("\n"):
        for chunk in _cut_line(line, budget):
            if current and size + 1 + _units(chunk) > budget:
                flush()
            size += _units(chunk) + (1 if current else 0)
            current.append(chunk)
            in_code = _code_state_after(chunk, in_code, fence)
    flush()
    return [piece for piece in pieces if piece.strip()] or [""]


def _units(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count twice."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _fitting(line: str, width: int) -> int:
    """How many characters of `line` fit in `width` UTF-16 units."""
    units = 0
    for index, ch in enumerate(line):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > width:
            return index
    return len(line)


def _cut_line(line: str, width: int) -> list[str]:
    chunks = []
    while _units(line) > width:
        cut = _fitting(line, width)
        # do not cut "&amp;" or "<b>" in two: back up to the start of an unfinished one
        for opener, closer in (("&", ";"), ("<", ">")):
            start = line.rfind(opener, 0, cut)
            if start > 0 and line.find(closer, start, cut) == -1 and cut - start <= 16:
                cut = start
        trailing_backslashes = len(line[:cut]) - len(line[:cut].rstrip("\\"))
        if trailing_backslashes % 2 and cut > 1:    # keep "\*" together: alone, "*" would start italics
            cut -= 1
        chunks.append(line[:cut])
        line = line[cut:]
    chunks.append(line)
    return chunks


def _code_state_after(line: str, in_code: bool, fence: CodeFence) -> bool:
    if fence.start not in line and fence.end not in line:
        return in_code
    tokens = {fence.start, fence.end}
    for match in re.finditer("|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)), line):
        token = match.group(0)
        if not in_code and token == fence.start:
            in_code = True
        elif in_code and token == fence.end:
            in_code = False
    return in_code
