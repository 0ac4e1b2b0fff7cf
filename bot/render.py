"""Render a transport-neutral Reply for each chat, and split long messages for chat size limits.

Reply strings come from the farm (machine, plot and disk names) and from users, so every one of
them is escaped for the target format; only the renderer itself writes markup.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.reply import Reply, Section

DISCORD_LIMIT = 2000       # characters per Discord message
EMBED_TITLE, EMBED_DESCRIPTION, EMBED_FIELDS, EMBED_FIELD_NAME, EMBED_FIELD_VALUE = 256, 4096, 25, 256, 1024
EMBED_TOTAL, EMBEDS_PER_MESSAGE = 6000, 10   # characters of all embeds of one message; embeds per message
SEVERITY_COLOUR = {"critical": 0xE53935, "warning": 0xFB8C00, "info": 0x1E88E5, "ok": 0x43A047}
NEUTRAL_COLOUR = 0x5D6D7E  # command replies
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
    if reply.buttons:
        out.append(buttons_line(reply))
    return "\n".join(out)


def buttons_line(reply: Reply) -> str:
    """Buttons where a chat has none (the console): '[Mute 1 h] [Mute 1 d] [Acknowledge]'."""
    return " ".join(f"[{b.label}]" for b in reply.buttons)


def discord_embeds(reply: Reply) -> list[list[dict]]:
    """The reply as Discord embeds (API dicts), grouped into messages: untitled sections make the
    description, titled ones fields; whatever passes one of Discord's limits continues in another
    embed, and past 10 embeds or 6,000 characters in another message: nothing is cut away. The first
    image is shown in the first embed (its file is attached by the transport)."""
    colour = SEVERITY_COLOUR.get(reply.severity or "", NEUTRAL_COLOUR)
    title = _escape_markdown(reply.title)
    blocks: list[tuple[str | None, str]] = []          # (field name or None for description text, text)
    if len(title) > EMBED_TITLE:                        # the whole title still shows, in the description
        blocks.append((None, title))
        title = title[:EMBED_TITLE - 1] + "\N{HORIZONTAL ELLIPSIS}"
    for section in reply.sections:
        text = "\n".join(_markdown_lines(section))
        if not text:
            continue
        if section.heading:
            name = _escape_markdown(section.heading)[:EMBED_FIELD_NAME - 12]
            for index, piece in enumerate(split(text, EMBED_FIELD_VALUE)):
                blocks.append((name if index == 0 else f"{name} (continued)", piece))
        else:
            blocks.extend((None, piece) for piece in split(text, EMBED_DESCRIPTION))
    footer = {"text": reply.severity} if reply.severity else None
    messages: list[list[dict]] = [[]]
    used = 0                                            # characters in the current message's embeds

    def new_embed(size: int) -> dict:
        nonlocal used
        embed: dict = {"type": "rich", "color": colour}
        if footer:
            embed["footer"] = footer
        if reply.at is not None:                        # Discord shows it in the footer, in the reader's time zone
            embed["timestamp"] = _iso(reply.at)
        if not messages[0]:
            embed["title"] = title
        overhead = (len(footer["text"]) if footer else 0) + len(embed.get("title", ""))
        if messages[-1] and (len(messages[-1]) == EMBEDS_PER_MESSAGE or used + overhead + size > EMBED_TOTAL):
            messages.append([])
            used = 0
        messages[-1].append(embed)
        used += overhead
        return embed

    embed = new_embed(0)
    for name, text in blocks:
        size = len(text) + len(name or "")
        if name is None:
            full = "description" in embed or "fields" in embed     # a description shows above the fields
        else:
            full = len(embed.get("fields", ())) == EMBED_FIELDS
        if full or used + size > EMBED_TOTAL:
            embed = new_embed(size)
        if name is None:
            embed["description"] = text
        else:
            embed.setdefault("fields", []).append({"name": name, "value": text, "inline": False})
        used += size
    if reply.images:
        messages[0][0]["image"] = {"url": f"attachment://{reply.images[0].name}"}
    return messages


def _markdown_lines(section: Section) -> list[str]:
    if not section.lines:
        return []
    if section.monospace:
        return ["```", *(_defuse_fence(line) for line in section.lines), "```"]
    return [_escape_markdown(line) for line in section.lines]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


def telegram_pieces(reply: Reply) -> list[str]:
    """The reply as Telegram HTML messages, each within 4,096 visible characters."""
    return split(telegram_html(reply), TELEGRAM_LIMIT, HTML_FENCE, VISIBLE)


def telegram_note(reply: Reply) -> str:
    """A press's outcome as one italic HTML line added under the message it was pressed on."""
    text = " ".join([reply.title, *(line for s in reply.sections for line in s.lines)])
    return f"<i>{_escape_html(text)}</i>"


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


def split(text: str, limit: int, fence: CodeFence = MARKDOWN_FENCE, measure: "Measure | None" = None) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, on line boundaries where possible.

    A single line longer than a piece is cut (never inside an HTML entity or tag, nor after an
    escaping backslash); a monospace block cut in two is closed at the end of one piece and
    re-opened at the start of the next. Characters are counted as UTF-16 units (an emoji is two),
    the stricter of the ways chat services count; `measure` VISIBLE counts only what a user sees
    of HTML (Telegram's limit applies after parsing: tags count nothing, an entity one).
    """
    measure = measure or RAW
    budget = limit - measure.size(fence.reopen) - measure.size(fence.close)   # room for a piece's own lines
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
        for chunk in _cut_line(line, budget, measure):
            if current and size + 1 + measure.size(chunk) > budget:
                flush()
            size += measure.size(chunk) + (1 if current else 0)
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


_MARKUP = re.compile(r"<[^<>]*>|&[#a-zA-Z0-9]{1,10};")


def _visible_units(text: str) -> int:
    """UTF-16 units of what Telegram shows of this HTML: tags count nothing, an entity one unit."""
    if "<" not in text and "&" not in text:
        return _units(text)
    return _units(_MARKUP.sub(lambda m: "" if m.group(0)[0] == "<" else "x", text))


def _visible_fitting(line: str, width: int) -> int:
    """How many characters of HTML `line` fit in `width` visible units; the cut is never inside a tag
    or an entity (a tag right at the cut goes with the text after it)."""
    units, index = 0, 0
    while index < len(line):
        markup = _MARKUP.match(line, index) if line[index] in "<&" else None
        token_end = markup.end() if markup else index + 1
        cost = 0 if markup and markup.group(0)[0] == "<" else (1 if markup else (2 if ord(line[index]) > 0xFFFF else 1))
        if cost and units + cost > width:
            return index
        units += cost
        index = token_end
    return len(line)


@dataclass(frozen=True)
class Measure:
    """How a chat counts a message's length."""
    size: Callable[[str], int]
    fitting: Callable[[str, int], int]     # how many characters of a line fit in a width


RAW = Measure(_units, _fitting)                          # Discord: every character, markup included
VISIBLE = Measure(_visible_units, _visible_fitting)      # Telegram HTML: what the user sees


def _cut_line(line: str, width: int, measure: "Measure") -> list[str]:
    chunks = []
    while measure.size(line) > width:
        cut = measure.fitting(line, width)
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
