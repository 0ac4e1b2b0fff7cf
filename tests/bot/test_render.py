"""Rendering a Reply for each chat, and splitting long messages without breaking their markup."""
from __future__ import annotations

from bot import render
from bot.reply import Button, Reply, Section
from tests.helpers.fake_telegram import parse_html

FARM = Reply("Plots lost: <plot & co>", [Section("farmer_1 *disk*", ["/mnt/d7 `sdb`", "1. gone"]),
                                        Section(None, ["id   name", "1    a```b"], monospace=True)],
             severity="critical")


def test_plain_text_is_what_the_console_prints():
    assert render.plain(FARM) == ("[CRITICAL] Plots lost: <plot & co>\nfarmer_1 *disk*:\n/mnt/d7 `sdb`\n1. gone\n"
                                  "  id   name\n  1    a```b")


def test_discord_embeds_escape_farm_strings_and_keep_tables_in_a_code_block():
    ((embed, after),) = render.discord_embeds(FARM)   # text after a field goes below it: in the next embed
    assert embed["title"] == "Plots lost: <plot & co>"
    assert embed["fields"] == [{"name": "farmer\\_1 \\*disk\\*", "value": "/mnt/d7 \\`sdb\\`\n1\\. gone", "inline": False}]
    assert after["description"].split("\n") == [
        "```",
        "id   name",
        "1    a`\u200b`\u200b`b",            # a ``` inside would end the block early
        "```",
    ]


def test_telegram_html_escapes_every_farm_string():
    text = render.telegram_html(FARM)
    assert "&lt;plot &amp; co&gt;" in text
    assert parse_html(text).split("\n") == [
        "\N{LARGE RED CIRCLE} Plots lost: <plot & co>", "farmer_1 *disk*", "/mnt/d7 `sdb`", "1. gone",
        "id   name", "1    a```b"]
    assert "<pre>id   name\n1    a```b</pre>" in text


def test_short_text_is_one_piece():
    assert render.split("a\nb", 2000) == ["a\nb"]


def test_split_keeps_lines_whole_and_pieces_under_the_limit():
    lines = [f"line {i:04d} " + "x" * (i % 50) for i in range(400)]
    pieces = render.split("\n".join(lines), 2000)
    assert all(len(p) <= 2000 for p in pieces)
    assert [line for p in pieces for line in p.split("\n")] == lines


def test_a_single_over_long_line_is_cut_hard():
    pieces = render.split("short\n" + "y" * 5000 + "\nend", 2000)
    assert all(len(p) <= 2000 for p in pieces)
    assert "".join(pieces).replace("\n", "") == "short" + "y" * 5000 + "end"


def test_markdown_code_block_is_closed_and_reopened_across_pieces():
    rows = [f"row {i:03d} " + "." * 30 for i in range(120)]
    text = "**Title**\n```\n" + "\n".join(rows) + "\n```\nafter"
    pieces = render.split(text, 500)
    assert len(pieces) > 5
    for piece in pieces:
        assert len(piece) <= 500 and piece.count("```") % 2 == 0
    assert pieces[1].startswith("```\n") and pieces[0].endswith("\n```")
    assert [line for p in pieces for line in p.split("\n") if line != "```"] == ["**Title**", *rows, "after"]


def test_html_pre_block_is_closed_and_reopened_and_entities_are_never_cut():
    rows = [f"&lt;{i:03d}&amp;&gt;" * 20 for i in range(60)]      # 300+ characters a row, entities everywhere
    text = "<b>Title</b>\n<pre>" + "\n".join(rows) + "</pre>\n" + "&amp;" * 400
    pieces = render.split(text, 1000, render.HTML_FENCE)
    shown = [parse_html(p) for p in pieces]                        # raises on a broken tag or entity
    assert all(len(p) <= 1000 for p in pieces)
    joined = "".join(shown)
    assert joined.replace("\n", "") == parse_html(text).replace("\n", "")


def test_a_code_block_opened_at_the_end_of_a_piece_moves_to_the_next():
    text = "a" * 1985 + "\n```\n" + "r" * 50 + "\nrow\n```"      # the opener fits, its first row does not
    first, second = render.split(text, 2000)
    assert first == "a" * 1985
    assert second == "```\n" + "r" * 50 + "\nrow\n```"


def test_emoji_count_twice_towards_the_limit():
    line = "\N{LARGE RED CIRCLE}" * 3000              # 6,000 UTF-16 units
    pieces = render.split(line, 2000)
    assert all(len(p.encode("utf-16-le")) // 2 <= 2000 for p in pieces)
    assert "".join(pieces) == line


def test_an_escaped_markdown_character_is_never_separated_from_its_backslash():
    line = "x" * 1983 + "\\*" * 20
    pieces = render.split(line, 2000)
    assert all(not p.endswith("\\") or p.endswith("\\\\") for p in pieces[:-1])
    assert "".join(pieces) == line


def _embed_size(embed: dict) -> int:
    return sum(len(embed.get(k, "")) for k in ("title", "description")) + len(embed.get("footer", {}).get("text", "")) \
        + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))


def test_discord_embeds_keep_every_limit_and_lose_nothing():
    sections = [Section(f"disk {i}", [f"/mnt/d{i} line {j} " + "x" * 40 for j in range(30)]) for i in range(40)]
    reply = Reply("T" * 300, [Section(None, ["intro " * 1000]), *sections], severity="warning", at=1_780_000_000)
    messages = render.discord_embeds(reply)
    assert len(messages) > 3
    for embeds in messages:
        assert len(embeds) <= 10 and sum(_embed_size(e) for e in embeds) <= 6000
        for e in embeds:
            assert len(e.get("title", "")) <= 256 and len(e.get("description", "")) <= 4096 and len(e.get("fields", [])) <= 25
            assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in e.get("fields", []))
            assert e["color"] == render.SEVERITY_COLOUR["warning"] and e["timestamp"].startswith("2026-05-28")
    first = messages[0][0]
    assert first["title"] == "T" * 255 + "\N{HORIZONTAL ELLIPSIS}" and first["description"] == "T" * 300   # never cut silently
    shown = [line for embeds in messages for e in embeds for f in e.get("fields", []) for line in f["value"].split("\n")]
    assert shown == [line for s in sections for line in s.lines]


def test_telegram_pieces_count_what_the_user_sees():
    reply = Reply("Escaped", [Section(None, [f"{i:04d} " + "&<>" * 30 for i in range(400)])])
    pieces = render.telegram_pieces(reply)
    visible = [len(parse_html(p)) for p in pieces]
    assert all(v <= 4096 for v in visible) and len(pieces) == -(-sum(visible) // 4096)   # no piece cut short
    assert sum(len(p) for p in pieces) > 3 * sum(visible)                                 # the raw HTML is far longer


def test_buttons_are_a_text_line_where_a_chat_has_none():
    reply = Reply("Disk full", [Section(lines=["nas1"])], "critical",
                  buttons=[Button("Mute 1 h", "mute1h", "3"), Button("Acknowledge", "ack", "3")])
    assert render.plain(reply) == "[CRITICAL] Disk full\nnas1\n[Mute 1 h] [Acknowledge]"
