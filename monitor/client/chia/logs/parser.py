"""Turn chia debug.log text into events, for every line shape chia has written.

Line shape: `TIMESTAMP [VERSION ]SERVICE LOGGER: LEVEL    MESSAGE` (the version token since 2.4.4,
`src.` logger names before 1.0.4). Only the message matters to a rule, so the logger and version
differences cost nothing; the harvester's answer line changed in 2.5.7 and has one regex for both.

Speed: a block of many lines is scanned per rule with `str.find` for the rule's keyword (C speed,
no Python work for the ~75 % of lines no rule cares about); only lines holding a keyword meet a
regex. Nothing here raises on any input: a line that does not parse is counted as a near miss
(keyword present, regex failed), which is what a changed log format looks like.
"""
from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from monitor.client.chia.logs import events as ev

_HEX = r"(?:0x)?([0-9a-f]+)"
_PEER = r"PeerInfo\(_?(?:ip|host)=(?:IPv[46]Address\()?'([^']+)'\)?, _?port=(\d+)\)"


@dataclass(frozen=True)
class Rule:
    kind: str
    keyword: bytes            # a literal every matching line contains
    pattern: re.Pattern[bytes]
    build: Callable[[float, str, re.Match[bytes]], ev.LogEvent]
    lookback: int = 0         # 0: the pattern starts at the keyword; else search this far before it


def _rule(kind: str, keyword: str, pattern: str, build: Callable[[float, str, re.Match[bytes]], ev.LogEvent],
          lookback: int = 0) -> Rule:
    return Rule(kind, keyword.encode(), re.compile(pattern.encode()), build, lookback)


def _s(raw: bytes | None) -> str:
    return raw.decode("utf-8", "replace") if raw else ""


def _answer(t: float, s: str, m: re.Match[bytes]) -> ev.HarvesterAnswer:
    return ev.HarvesterAnswer(t, s, int(m[2]), _s(m[1] or m[3]), int(m[4]), int(m[5] or 0),
                              float(m[6]), int(m[7]))


def _refresh(t: float, s: str, m: re.Match[bytes]) -> ev.PlotRefresh:
    return ev.PlotRefresh(t, s, _s(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), float(m[6]), int(m[7]))


RULES: tuple[Rule, ...] = (
    # <= 2.5.6: "13 plots were eligible for farming c014e359c1... Found 0 proofs. Time: 1.72367 s. Total 3135 plots"
    # >= 2.5.7: "challenge_hash: 87b15ee553 ...1 plots were eligible for farming challengeFound 1 V1 proofs
    #            and 0 V2 qualities. Time: 0.07103 s. Total 10 plots"
    _rule("harvester_answer", " plots were eligible for farming ",
          r"(?:challenge_hash: ([0-9a-f]+) \.\.\.)?(\d+) plots were eligible for farming (?:([0-9a-f]+)\.\.\. ?)?"
          r"(?:challenge)?Found (\d+) (?:V1 )?proofs?(?: and (\d+) V2 qualit(?:ies|y))?\. "
          r"Time: ([0-9.]+) s\. Total (\d+) plots?", _answer, lookback=48),
    _rule("signage_point", "Finished signage point ",
          rf"Finished signage point (\d+)/(\d+): CC: {_HEX} RC: {_HEX}",
          lambda t, s, m: ev.SignagePointFinished(t, s, int(m[1]), int(m[2]), _s(m[3]), _s(m[4]))),
    _rule("sub_slot", "Finished sub slot, ",
          rf"Finished sub slot, SP \d+/\d+, {_HEX}, number of sub-slots: (\d+), RC hash: {_HEX}, Deficit (\d+)",
          lambda t, s, m: ev.SubSlotFinished(t, s, _s(m[1]), int(m[2]), _s(m[3]), int(m[4]))),
    _rule("block_farmed", "Farmed unfinished_block ", rf"Farmed unfinished_block {_HEX}, SP: (\d+)",
          lambda t, s, m: ev.BlockFarmed(t, s, _s(m[1]), int(m[2]))),
    _rule("node_peak", "Updated peak to height ", rf"Updated peak to height (\d+), weight (\d+), hh {_HEX}",
          lambda t, s, m: ev.NodePeak(t, s, int(m[1]), int(m[2]), _s(m[3]))),
    _rule("wallet_peak", "Peak set to", r"Peak set to ?: ?(\d+),? timestamp: ?(\d+)",
          lambda t, s, m: ev.WalletPeak(t, s, int(m[1]), int(m[2]))),
    _rule("plot_refresh", "_plot_refresh_callback: event ",
          r"_plot_refresh_callback: event (\w+), loaded (\d+), removed (\d+), processed (\d+), "
          r"remaining (\d+), duration: ([0-9.]+) seconds, total plots: (\d+)", _refresh),
    _rule("plots_loaded", "Loaded a total of ", r"Loaded a total of (\d+) plots of size (.+?), in ([0-9.]+) seconds",
          lambda t, s, m: ev.PlotsLoaded(t, s, int(m[1]), _s(m[2]), float(m[3]))),
    _rule("unreadable_plot", " may no longer exist", r"Error plot file (.+?) may no longer exist ?(.*)",
          lambda t, s, m: ev.UnreadablePlot(t, s, _s(m[1]), _s(m[2]).strip()), lookback=1000),
    _rule("unreadable_plot", "Failed to open file ",
          r"Failed to open file (.+?\.plot2?)\.? ?(.*?)(?: Traceback \(most recent call last\):)?$",
          lambda t, s, m: ev.UnreadablePlot(t, s, _s(m[1]), _s(m[2]).strip())),
    _rule("duplicate_plot", "Have multiple copies of the plot ", r"Have multiple copies of the plot (\S+) in (\[.*\])",
          lambda t, s, m: ev.DuplicatePlot(t, s, _s(m[1]), _s(m[2]))),
    _rule("plot_key_missing", " has a farmer public key that is not in the farmer's pk list",
          r"Plot (.+?) has a farmer public key that is not in the farmer's pk list",
          lambda t, s, m: ev.PlotKeyMissing(t, s, _s(m[1])), lookback=1000),
    _rule("slow_lookup", "Looking up qualities on ", r"Looking up qualities on (.+?) took: ([0-9.]+)",
          lambda t, s, m: ev.SlowLookup(t, s, _s(m[1]), float(m[2]))),
    _rule("peer_connected", "Connected with ", rf"Connected with (\w+) {_PEER}",
          lambda t, s, m: ev.PeerConnected(t, s, _s(m[1]), _s(m[2]), int(m[3]))),
    _rule("connection_closed", "Connection closed: ", r"Connection closed: ([^,\s]+), node id: (?:0x)?([0-9a-f]+)",
          lambda t, s, m: ev.ConnectionClosed(t, s, _s(m[1]), _s(m[2]))),
    _rule("peer_disconnected", "peer disconnected ", rf"peer disconnected {_PEER}",
          lambda t, s, m: ev.PeerDisconnected(t, s, _s(m[1]), int(m[2]))),
    _rule("harvester_connected", "-> harvester_handshake to peer ",
          r"-> harvester_handshake to peer (\S+) (?:0x)?([0-9a-f]{64})",
          lambda t, s, m: ev.HarvesterConnected(t, s, _s(m[2]), _s(m[1]))),
    _rule("farming_info", "<- farming_info from peer ", r"<- farming_info from peer (?:0x)?([0-9a-f]{64}) (\S+)",
          lambda t, s, m: ev.FarmingInfo(t, s, _s(m[1]), _s(m[2]))),
    _rule("farmer_signage_point", "<- new_signage_point from peer ",
          r"<- new_signage_point from peer (?:0x)?([0-9a-f]{64}) (\S+)",
          lambda t, s, m: ev.FarmerSignagePoint(t, s, _s(m[1]), _s(m[2]))),
)


class ChiaLogParser:
    """Parses blocks of complete debug.log lines (bytes: searching undecoded text is several times
    faster than searching a str that holds an emoji). Keeps a one-minute cache of the local-time
    conversion (mktime is the slow part of a timestamp) and counts near misses per kind."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.rules = rules
        self.near_misses: Counter[str] = Counter()
        self._minute_key = b""
        self._minute_epoch = 0.0
        self._services: dict[bytes, str] = {}

    def parse_line(self, line: str | bytes) -> ev.LogEvent | None:
        events = self.parse(line.encode("utf-8", "replace") if isinstance(line, str) else line)
        return events[0] if events else None

    def parse(self, data: bytes) -> list[ev.LogEvent]:
        """Events of all lines in `data`, in line order (one event per line at most)."""
        found: list[tuple[int, ev.LogEvent]] = []
        for rule in self.rules:
            keyword, pattern, lookback = rule.keyword, rule.pattern, rule.lookback
            pos = data.find(keyword)
            while pos != -1:
                start = data.rfind(b"\n", 0, pos) + 1
                end = data.find(b"\n", pos)
                if end == -1:
                    end = len(data)
                event = self._event(rule, data, start, pos, end, lookback, pattern)
                if event is None:
                    self.near_misses[rule.kind] += 1
                else:
                    found.append((start, event))
                pos = data.find(keyword, end)
        found.sort(key=itemgetter(0))
        events: list[ev.LogEvent] = []
        last_start = -1
        for start, event in found:
            if start != last_start:  # a line holding two keywords counts once
                events.append(event)
                last_start = start
        return events

    def _event(self, rule: Rule, data: bytes, start: int, pos: int, end: int, lookback: int,
               pattern: re.Pattern[bytes]) -> ev.LogEvent | None:
        try:
            if lookback:
                match = pattern.search(data, max(start, pos - lookback), end)
            else:
                match = pattern.match(data, pos, end)
            if match is None:
                return None
            header = self._header(data, start, end)
            if header is None:
                return None
            return rule.build(header[0], header[1], match)
        except (ValueError, OverflowError, IndexError, TypeError):
            return None

    def _header(self, data: bytes, start: int, end: int) -> tuple[float, str] | None:
        """(epoch seconds, service) from `TIMESTAMP [VERSION ]SERVICE LOGGER...`, or None."""
        space1 = data.find(b" ", start, end)
        if space1 - start < 19:
            return None
        stamp = data[start:space1]
        minute = stamp[:16]
        if minute != self._minute_key:
            if stamp[4:5] != b"-" or stamp[10:11] not in (b"T", b" ") or stamp[13:14] != b":":
                return None
            self._minute_epoch = time.mktime((int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]),
                                              int(stamp[11:13]), int(stamp[14:16]), 0, 0, 0, -1))
            self._minute_key = minute
        seconds = float(stamp[17:])
        if not 0 <= seconds < 61:
            return None
        space2 = data.find(b" ", space1 + 1, end)
        if space2 == -1:
            return None
        service = data[space1 + 1:space2]
        if service[:1].isdigit():  # the version token (2.4.4+)
            space3 = data.find(b" ", space2 + 1, end)
            if space3 == -1:
                return None
            service = data[space2 + 1:space3]
        name = self._services.get(service)
        if name is None:  # a handful of service names: decode each once
            name = service.decode("utf-8", "replace")
            if len(self._services) < 64:
                self._services[service] = name
        return self._minute_epoch + seconds, name
