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

from monitor.client.chia.logs import events as ev

_HEX = r"(?:0x)?([0-9a-f]+)"
_PEER = r"PeerInfo\(_?(?:ip|host)=(?:IPv[46]Address\()?'([^']+)'\)?, _?port=(\d+)\)"
_PEER_DICT = r"\{'host': '([^']+)', 'port': (\d+)\}"
# `2026-11-28T01:43:54.732 [2.7.5 ]harvester ...`: minute, seconds, service
_HEADER = re.compile(rb"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d):(\d\d(?:\.\d+)?) (?:\d[^ ]* )?([^ ]+) ")

PAIRING_SECONDS = 5.0  # `Connection closed` and `peer disconnected` of one harvester are this close
NEAR_MISSES_FOR_BLIND = 3  # lines of a kind that held its keyword but did not parse: the kind is not understood

Build = Callable[[float, str, re.Match[bytes]], ev.LogEvent]
_PAIRED = ("connection_closed", "peer_disconnected")   # a farmer's pair of lines for one harvester leaving


@dataclass(frozen=True)
class Rule:
    kind: str
    anchor: bytes             # scanned for in the whole block; rules may share an anchor
    keyword: bytes            # a literal the line must hold for this rule to try its regex
    source: bytes             # its regex, compiled when a line first needs it (most kinds never occur in a log)
    build: Build
    back: int                 # the regex starts this many bytes before the keyword at most (0: at it)
    keyword_is_anchor: bool   # the scan found the keyword already: no second search in the line

    @property
    def pattern(self) -> re.Pattern[bytes]:
        return re.compile(self.source)        # re's own cache keeps it


def _rule(kind: str, keyword: str, pattern: str, build: Build, anchor: str = "", back: int = 0) -> Rule:
    return Rule(kind, (anchor or keyword).encode(), keyword.encode(), pattern.encode(), build, back,
                keyword_is_anchor=not anchor or anchor == keyword)


def _s(raw: bytes | None) -> str:
    """Text from a group that may hold any bytes (paths, addresses); hex groups just .decode()."""
    return raw.decode("utf-8", "replace") if raw else ""


_ELIGIBLE = " plots were eligible for farming "
_ELIGIBLE_ANCHOR = " plots were eligible"  # short enough to still find a reworded line (a near miss)
_TIME_TOTAL = r"Time: (\d+(?:\.\d+)?) s\. Total (\d+) plots?"
_ANSWER_TAIL = rf"Found (\d+) (?:V1 )?proofs?(?: and (\d+) V2 qualit(?:ies|y))?\. {_TIME_TOTAL}"
_PLOT_FILE = ".plot"  # every complaint about a plot file names one


# the most frequent lines unpack m.groups() once: parse-log builds ~100k of them per 50 MB
def _answer_257(t: float, s: str, m: re.Match[bytes]) -> ev.HarvesterAnswer:
    challenge, eligible, proofs, v2, lookup, total = m.groups()
    return ev.HarvesterAnswer(t, s, int(eligible), challenge.decode(), int(proofs), int(v2 or 0), float(lookup), int(total))


def _answer_old(t: float, s: str, m: re.Match[bytes]) -> ev.HarvesterAnswer:
    eligible, challenge, proofs, v2, lookup, total = m.groups()
    return ev.HarvesterAnswer(t, s, int(eligible), challenge.decode(), int(proofs), int(v2 or 0), float(lookup), int(total))


def _refresh(t: float, s: str, m: re.Match[bytes]) -> ev.PlotRefresh:
    # the older shape names no event and no total: the refresh is done, the total unknown (-1)
    event, loaded, removed, processed, remaining, duration, total = m.groups()
    return ev.PlotRefresh(t, s, (event or b"done").decode(), int(loaded), int(removed), int(processed), int(remaining),
                          float(duration), int(total) if total else -1)


RULES: tuple[Rule, ...] = (
    # >= 2.5.7: "challenge_hash: 87b15ee553 ...1 plots were eligible for farming challengeFound 1 V1 proofs
    #            and 0 V2 qualities. Time: 0.07103 s. Total 10 plots"
    _rule("harvester_answer", _ELIGIBLE_ANCHOR,
          rf"challenge_hash: ([0-9a-f]+) \.\.\.(\d+){_ELIGIBLE}challengeFound (\d+) V1 proofs? and (\d+) V2 "
          rf"qualit(?:ies|y)\. {_TIME_TOTAL}", _answer_257, back=96),
    # <= 2.5.6: "13 plots were eligible for farming c014e359c1... Found 0 proofs. Time: 1.72367 s. Total 3135 plots"
    _rule("harvester_answer", _ELIGIBLE_ANCHOR,
          rf"(\d+){_ELIGIBLE}([0-9a-f]+)\.\.\. ?{_ANSWER_TAIL}", _answer_old, back=12),
    # "Finished signage point 19/64: CC: <hex> RC: <hex>"; before 1.2 "Finished signage point 19/64: <hex>"
    _rule("signage_point", "Finished signage point ",
          rf"Finished signage point (\d+)/(\d+): (?:CC: )?{_HEX}(?: RC: {_HEX})?",
          lambda t, s, m: ev.SignagePointFinished(t, s, int(m[1]), int(m[2]), m[3].decode(), _s(m[4])), anchor="Finished s"),
    _rule("sub_slot", "Finished sub slot, ",
          rf"Finished sub slot, SP \d+/\d+, {_HEX}, number of sub-slots: (\d+), RC hash: {_HEX}, Deficit (\d+)",
          lambda t, s, m: ev.SubSlotFinished(t, s, m[1].decode(), int(m[2]), m[3].decode(), int(m[4])), anchor="Finished s"),
    _rule("block_farmed", "Farmed unfinished_block ", rf"Farmed unfinished_block {_HEX}, SP: (\d+)",
          lambda t, s, m: ev.BlockFarmed(t, s, m[1].decode(), int(m[2]))),
    _rule("node_peak", "Updated peak to height ", rf"Updated peak to height (\d+), weight (\d+), hh {_HEX}",
          lambda t, s, m: ev.NodePeak(t, s, int(m[1]), int(m[2]), m[3].decode())),
    _rule("wallet_peak", "Peak set to", r"Peak set to ?: ?(\d+),? timestamp: ?(\d+)",
          lambda t, s, m: ev.WalletPeak(t, s, int(m[1]), int(m[2]))),
    # "event done, loaded 8, removed 0, ..."; older: "loaded 8 plots, removed 0 plots, ..."
    _rule("plot_refresh", "_plot_refresh_callback: ",
          r"_plot_refresh_callback: (?:event (\w+), )?loaded (\d+)(?: plots)?, removed (\d+)(?: plots)?, "
          r"processed (\d+)(?: plots)?, remaining (\d+)(?: plots)?, duration: (\d+(?:\.\d+)?) seconds"
          r"(?:, total plots: (\d+))?", _refresh),
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
    # "Connected with farmer PeerInfo(_ip=...)"; before 1.3 "Connected with full_node {'host': ..., 'port': ...}"
    _rule("peer_connected", "Connected with ", rf"Connected with (\w+) (?:{_PEER}|{_PEER_DICT})",
          lambda t, s, m: ev.PeerConnected(t, s, _s(m[1]), _s(m[2] or m[4]), int(m[3] or m[5]))),
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
    """Parses blocks of complete debug.log lines. Caches the local-time conversion per minute
    (mktime is the slow part of a timestamp) and counts near misses per kind."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.groups = _by_anchor(rules)
        self._steps: dict[bytes, tuple] = {}     # per anchor: its rules as the scan uses them (_steps_of)
        self.near_misses: Counter[str] = Counter()
        self._minutes: dict[bytes, float] = {}                 # "2026-11-28T01:43" -> its epoch
        self._hours: dict[bytes, float] = {}                   # "2026-11-28T01" -> its epoch
        self._services: dict[bytes, str] = {}
        self._closed_by_ip: dict[str, tuple[str, float]] = {}   # farmer: last `Connection closed` per IP

    def parse_line(self, line: str | bytes) -> ev.LogEvent | None:
        events = self.parse(line.encode("utf-8", "replace") if isinstance(line, str) else line)
        return events[0] if events else None

    def parse(self, data: bytes) -> list[ev.LogEvent]:
        """Events of all lines in `data`, in line order (one event per line at most)."""
        found: dict[int, ev.LogEvent] = {}       # line start -> its event: a line holding two anchors counts once
        paired: list[int] = []                   # the starts of the lines _name_disconnected_harvesters pairs
        for anchor, rules in self.groups:
            self._scan(data, anchor, rules, found, paired)
        if paired:
            self._name_disconnected_harvesters(found, sorted(paired))
        return [found[start] for start in sorted(found)]

    def _steps_of(self, anchor: bytes, rules: tuple[Rule, ...]) -> tuple:
        """Each rule as the scan uses it: (keyword to find in the line, None when the anchor is it;
        how far back its regex may start; the regex's match or search; kind; build; paired or not)."""
        steps = self._steps[anchor] = tuple(
            (None if rule.keyword_is_anchor else rule.keyword, rule.back,
             rule.pattern.search if rule.back else rule.pattern.match, rule.kind, rule.build, rule.kind in _PAIRED)
            for rule in rules)
        return steps

    def _scan(self, data: bytes, anchor: bytes, rules: tuple[Rule, ...], found: dict[int, ev.LogEvent],
              paired: list[int]) -> None:
        """Every line holding `anchor`: the first of `rules` whose regex matches makes its event.
        The hot loop of parse-log (a 50 MB log has ~100k such lines), kept flat on purpose: every
        function call here costs ~1 % of parse-log's time."""
        find, rfind, header, size = data.find, data.rfind, _HEADER.match, len(data)
        minutes, services = self._minutes, self._services
        pos = find(anchor)
        if pos == -1:
            return
        steps = self._steps.get(anchor) or self._steps_of(anchor, rules)
        while pos != -1:
            start = rfind(b"\n", 0, pos) + 1
            end = find(b"\n", pos)
            if end == -1:
                end = size
            missed = ""
            for keyword, back, regex, kind, build, pair in steps:
                at = pos if keyword is None else find(keyword, start, end)
                if at == -1:
                    continue
                match = regex(data, max(start, at - back), end) if back else regex(data, at, end)
                head = header(data, start, end) if match is not None else None
                if head is None:
                    missed = missed or kind
                    continue
                minute, seconds, service = head.groups()
                try:
                    epoch = minutes.get(minute)
                    if epoch is None:
                        epoch = self._minute_epoch(minute)
                    name = services.get(service) or self._service_name(service)
                    event = build(epoch + float(seconds), name, match)
                except (ValueError, OverflowError, IndexError, TypeError):
                    missed = missed or kind
                    continue
                if start not in found:
                    found[start] = event
                    if pair:
                        paired.append(start)
                missed = ""
                break
            if missed:
                self.near_misses[missed] += 1
            pos = find(anchor, end)

    def _service_name(self, service: bytes) -> str:
        """A handful of service names: each decoded once."""
        name = service.decode("utf-8", "replace")
        if len(self._services) < 64:
            self._services[service] = name
        return name

    def _minute_epoch(self, minute: bytes) -> float:
        """Local time (chia logs no zone): mktime once an hour, as clocks change on the hour."""
        hour = minute[:13]
        start = self._hours.get(hour)
        if start is None:
            start = time.mktime((int(minute[0:4]), int(minute[5:7]), int(minute[8:10]), int(minute[11:13]), 0, 0,
                                 0, 0, -1))
            self._hours[hour] = start
        epoch = start + 60 * int(minute[14:16])
        if len(self._minutes) >= 4096:   # a long replay: keep the memory bounded
            self._minutes.clear()
            self._hours.clear()
        self._minutes[minute] = epoch
        return epoch

    def _name_disconnected_harvesters(self, found: dict[int, ev.LogEvent], paired: list[int]) -> None:
        """A farmer's `peer disconnected ..._port=0)` is a harvester leaving; its node id is in the
        farmer's `Connection closed: <ip>, node id: <id>` line just before (same IP, same moment).
        `paired`: the starts of those two kinds of lines, in line order."""
        for i in paired:
            event = found[i]
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
                found[i] = ev.HarvesterDisconnected(event.time, event.service, node_id, event.ip)
