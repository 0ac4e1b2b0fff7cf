"""Turn chia debug.log text into events, for every line shape chia has written.

Line shape: `TIMESTAMP [VERSION ]SERVICE LOGGER: LEVEL    MESSAGE` (the version token since 2.4.4,
`src.` logger names before 1.0.4, `chia.` after). The header is read by one small regex; each kind
of message by one regex of its own, so logger and version differences cost nothing. The
harvester's answer line changed in 2.5.7 (`challenge_hash: ... challengeFound 1 V1 proofs and
0 V2 qualities`) and has a rule for each shape.

Speed: a block of many lines (bytes: searching undecoded text is several times faster than
searching a str that holds an emoji) is scanned once per anchor with `bytes.find` at C speed, so
the ~75 % of lines no rule cares about cost no Python work at all. Rules whose lines share a rare
literal share one scan (every plot-file complaint holds `.plot`). Only lines holding an anchor and
a rule's keyword meet that rule's regex.

Nothing here raises on any input: a line with a rule's keyword that the rule's regex does not
parse is counted as a near miss for that kind, which is what a changed log format looks like.
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
# `2026-11-28T01:43:54.732 [2.7.5 ]harvester ...`: minute, seconds, service
_HEADER = re.compile(rb"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d):(\d\d(?:\.\d+)?) (?:\d[^ ]* )?([^ ]+) ")

PAIRING_SECONDS = 5.0  # `Connection closed` and `peer disconnected` of one harvester are this close

Build = Callable[[float, str, re.Match[bytes]], ev.LogEvent]


@dataclass(frozen=True)
class Rule:
    kind: str
    anchor: bytes             # scanned for in the whole block; rules may share an anchor
    keyword: bytes            # a literal the line must hold for this rule to try its regex
    pattern: re.Pattern[bytes]
    build: Build
    back: int                 # the regex starts this many bytes before the keyword at most (0: at it)
    keyword_is_anchor: bool   # the scan found the keyword already: no second search in the line


def _rule(kind: str, keyword: str, pattern: str, build: Build, anchor: str = "", back: int = 0) -> Rule:
    return Rule(kind, (anchor or keyword).encode(), keyword.encode(), re.compile(pattern.encode()), build, back,
                keyword_is_anchor=not anchor or anchor == keyword)


def _s(raw: bytes | None) -> str:
    """Text from a group that may hold any bytes (paths, addresses); hex groups just .decode()."""
    return raw.decode("utf-8", "replace") if raw else ""


_ELIGIBLE = " plots were eligible for farming "
_ELIGIBLE_ANCHOR = " plots were eligible"  # short enough to still find a reworded line (a near miss)
_ANSWER_TAIL = (r"Found (\d+) (?:V1 )?proofs?(?: and (\d+) V2 qualit(?:ies|y))?\. "
                r"Time: (\d+(?:\.\d+)?) s\. Total (\d+) plots?")
_PLOT_FILE = ".plot"  # every complaint about a plot file names one


def _answer_257(t: float, s: str, m: re.Match[bytes]) -> ev.HarvesterAnswer:
    return ev.HarvesterAnswer(t, s, int(m[2]), m[1].decode(), int(m[3]), int(m[4] or 0), float(m[5]), int(m[6]))


def _answer_old(t: float, s: str, m: re.Match[bytes]) -> ev.HarvesterAnswer:
    return ev.HarvesterAnswer(t, s, int(m[1]), m[2].decode(), int(m[3]), int(m[4] or 0), float(m[5]), int(m[6]))


def _refresh(t: float, s: str, m: re.Match[bytes]) -> ev.PlotRefresh:
    return ev.PlotRefresh(t, s, m[1].decode(), int(m[2]), int(m[3]), int(m[4]), int(m[5]), float(m[6]), int(m[7]))


RULES: tuple[Rule, ...] = (
    # >= 2.5.7: "challenge_hash: 87b15ee553 ...1 plots were eligible for farming challengeFound 1 V1 proofs
    #            and 0 V2 qualities. Time: 0.07103 s. Total 10 plots"
    _rule("harvester_answer", "challenge_hash: ",
          rf"challenge_hash: ([0-9a-f]+) \.\.\.(\d+){_ELIGIBLE}challenge{_ANSWER_TAIL}", _answer_257, anchor=_ELIGIBLE_ANCHOR),
    # <= 2.5.6: "13 plots were eligible for farming c014e359c1... Found 0 proofs. Time: 1.72367 s. Total 3135 plots"
    _rule("harvester_answer", _ELIGIBLE_ANCHOR,
          rf"(\d+){_ELIGIBLE}([0-9a-f]+)\.\.\. ?{_ANSWER_TAIL}", _answer_old, back=12),
    _rule("signage_point", "Finished signage point ",
          rf"Finished signage point (\d+)/(\d+): CC: {_HEX} RC: {_HEX}",
          lambda t, s, m: ev.SignagePointFinished(t, s, int(m[1]), int(m[2]), m[3].decode(), m[4].decode()), anchor="Finished s"),
    _rule("sub_slot", "Finished sub slot, ",
          rf"Finished sub slot, SP \d+/\d+, {_HEX}, number of sub-slots: (\d+), RC hash: {_HEX}, Deficit (\d+)",
          lambda t, s, m: ev.SubSlotFinished(t, s, m[1].decode(), int(m[2]), m[3].decode(), int(m[4])), anchor="Finished s"),
    _rule("block_farmed", "Farmed unfinished_block ", rf"Farmed unfinished_block {_HEX}, SP: (\d+)",
          lambda t, s, m: ev.BlockFarmed(t, s, m[1].decode(), int(m[2]))),
    _rule("node_peak", "Updated peak to height ", rf"Updated peak to height (\d+), weight (\d+), hh {_HEX}",
          lambda t, s, m: ev.NodePeak(t, s, int(m[1]), int(m[2]), m[3].decode())),
    _rule("wallet_peak", "Peak set to", r"Peak set to ?: ?(\d+),? timestamp: ?(\d+)",
          lambda t, s, m: ev.WalletPeak(t, s, int(m[1]), int(m[2]))),
    _rule("plot_refresh", "_plot_refresh_callback: event ",
          r"_plot_refresh_callback: event (\w+), loaded (\d+), removed (\d+), processed (\d+), "
          r"remaining (\d+), duration: (\d+(?:\.\d+)?) seconds, total plots: (\d+)", _refresh),
    _rule("plots_loaded", "Loaded a total of ", r"Loaded a total of (\d+) plots of size (.+?), in (\d+(?:\.\d+)?) seconds",
          lambda t, s, m: ev.PlotsLoaded(t, s, int(m[1]), _s(m[2]), float(m[3]))),
    _rule("unreadable_plot", "Error plot file ", r"Error plot file (.+?) may no longer exist ?(.*)",
          lambda t, s, m: ev.UnreadablePlot(t, s, _s(m[1]), _s(m[2]).strip()), anchor=_PLOT_FILE),
    _rule("unreadable_plot", "Failed to open file ",
          r"Failed to open file (.+?\.plot2?)\.? ?(.*?)(?: Traceback \(most recent call last\):)?$",
          lambda t, s, m: ev.UnreadablePlot(t, s, _s(m[1]), _s(m[2]).strip()), anchor=_PLOT_FILE),
    _rule("duplicate_plot", "Have multiple copies of the plot ", r"Have multiple copies of the plot (\S+) in (\[.*\])",
          lambda t, s, m: ev.DuplicatePlot(t, s, _s(m[1]), _s(m[2])), anchor=_PLOT_FILE),
    _rule("plot_key_missing", "Plot ", r"Plot (.+?) has a farmer public key that is not in the farmer's pk list",
          lambda t, s, m: ev.PlotKeyMissing(t, s, _s(m[1])), anchor=_PLOT_FILE),
    _rule("slow_lookup", "Looking up qualities on ", r"Looking up qualities on (.+?) took: (\d+(?:\.\d+)?)",
          lambda t, s, m: ev.SlowLookup(t, s, _s(m[1]), float(m[2])), anchor=_PLOT_FILE),
    _rule("peer_connected", "Connected with ", rf"Connected with (\w+) {_PEER}",
          lambda t, s, m: ev.PeerConnected(t, s, _s(m[1]), _s(m[2]), int(m[3]))),
    _rule("connection_closed", "Connection closed: ", r"Connection closed: ([^,\s]+), node id: (?:0x)?([0-9a-f]+)",
          lambda t, s, m: ev.ConnectionClosed(t, s, _s(m[1]), m[2].decode())),
    # the farmer's peer lines (two of them DEBUG only) share the scan for " peer "
    _rule("peer_disconnected", "peer disconnected ", rf"peer disconnected {_PEER}",
          lambda t, s, m: ev.PeerDisconnected(t, s, _s(m[1]), int(m[2])), anchor=" peer "),
    _rule("harvester_connected", "-> harvester_handshake to peer ",
          r"-> harvester_handshake to peer (\S+) (?:0x)?([0-9a-f]{64})",
          lambda t, s, m: ev.HarvesterConnected(t, s, m[2].decode(), _s(m[1])), anchor=" peer "),
    _rule("farming_info", "<- farming_info from peer ", r"<- farming_info from peer (?:0x)?([0-9a-f]{64}) (\S+)",
          lambda t, s, m: ev.FarmingInfo(t, s, m[1].decode(), _s(m[2])), anchor=" peer "),
    _rule("farmer_signage_point", "<- new_signage_point from peer ",
          r"<- new_signage_point from peer (?:0x)?([0-9a-f]{64}) (\S+)",
          lambda t, s, m: ev.FarmerSignagePoint(t, s, m[1].decode(), _s(m[2])), anchor=" peer "),
)


def _by_anchor(rules: tuple[Rule, ...]) -> tuple[tuple[bytes, tuple[Rule, ...]], ...]:
    groups: dict[bytes, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.anchor, []).append(rule)
    return tuple((anchor, tuple(group)) for anchor, group in groups.items())


class ChiaLogParser:
    """Parses blocks of complete debug.log lines. Keeps a one-minute cache of the local-time
    conversion (mktime is the slow part of a timestamp) and counts near misses per kind."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.groups = _by_anchor(rules)
        self.near_misses: Counter[str] = Counter()
        self._minute_key = b""
        self._minute_epoch = 0.0
        self._services: dict[bytes, str] = {}
        self._closed_by_ip: dict[str, tuple[str, float]] = {}   # farmer: last `Connection closed` per IP

    def parse_line(self, line: str | bytes) -> ev.LogEvent | None:
        events = self.parse(line.encode("utf-8", "replace") if isinstance(line, str) else line)
        return events[0] if events else None

    def parse(self, data: bytes) -> list[ev.LogEvent]:
        """Events of all lines in `data`, in line order (one event per line at most)."""
        found: list[tuple[int, ev.LogEvent]] = []
        disconnects = False
        for anchor, rules in self.groups:
            pos = data.find(anchor)
            while pos != -1:
                start = data.rfind(b"\n", 0, pos) + 1
                end = data.find(b"\n", pos)
                if end == -1:
                    end = len(data)
                missed = ""
                for rule in rules:
                    at = pos if rule.keyword_is_anchor else data.find(rule.keyword, start, end)
                    if at == -1:
                        continue
                    event = self._event(rule, data, start, at, end)
                    if event is not None:
                        found.append((start, event))
                        disconnects = disconnects or rule.kind == "peer_disconnected"
                        missed = ""
                        break
                    missed = missed or rule.kind
                if missed:
                    self.near_misses[missed] += 1
                pos = data.find(anchor, end)
        found.sort(key=itemgetter(0))
        events: list[ev.LogEvent] = []
        last_start = -1
        for start, event in found:
            if start != last_start:  # a line holding two anchors counts once
                events.append(event)
                last_start = start
        if disconnects:
            self._name_disconnected_harvesters(events)
        return events

    def _name_disconnected_harvesters(self, events: list[ev.LogEvent]) -> None:
        """A farmer's `peer disconnected ..._port=0)` is a harvester leaving; its node id is in the
        farmer's `Connection closed: <ip>, node id: <id>` line just before (same IP, same moment)."""
        for i, event in enumerate(events):
            if event.service != "farmer":
                continue
            if isinstance(event, ev.ConnectionClosed):
                if len(self._closed_by_ip) > 256:
                    self._closed_by_ip.clear()
                self._closed_by_ip[event.ip] = (event.node_id, event.time)
            elif isinstance(event, ev.PeerDisconnected) and event.port == 0:
                node_id, closed_at = self._closed_by_ip.pop(event.ip, ("", 0.0))
                if abs(event.time - closed_at) > PAIRING_SECONDS:
                    node_id = ""
                events[i] = ev.HarvesterDisconnected(event.time, event.service, node_id, event.ip)

    def _event(self, rule: Rule, data: bytes, start: int, at: int, end: int) -> ev.LogEvent | None:
        try:
            if rule.back:
                match = rule.pattern.search(data, max(start, at - rule.back), end)
            else:
                match = rule.pattern.match(data, at, end)
            if match is None:
                return None
            header = _HEADER.match(data, start, end)
            if header is None:
                return None
            minute, seconds, service = header.groups()
            if minute != self._minute_key:  # local time (chia logs no zone); mktime once a minute
                self._minute_epoch = time.mktime((int(minute[0:4]), int(minute[5:7]), int(minute[8:10]),
                                                  int(minute[11:13]), int(minute[14:16]), 0, 0, 0, -1))
                self._minute_key = minute
            name = self._services.get(service)
            if name is None:  # a handful of service names: decode each once
                name = service.decode("utf-8", "replace")
                if len(self._services) < 64:
                    self._services[service] = name
            return rule.build(self._minute_epoch + float(seconds), name, match)
        except (ValueError, OverflowError, IndexError, TypeError):
            return None
