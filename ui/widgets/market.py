"""The market: top searchers by realized profit (1 h / 24 h), our capture rate, and the top
rejection reasons of the last hour ("why nothing traded").

Tall screens get the leaderboard as a table; short ones two lines (rates and leaders, reasons);
the 3.5-inch display and short narrow ones a single line (rates, first reasons) — the trading
view's opportunities and trades come first.

Profits are in each row's start token (its symbol and decimals), gross of gas; ours are marked
``(us)``. The capture rate is our realized profit over all arbitrage profit realized on the
tracked pools, in the reference token when it saw any.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from appliance.units import amount, short_hash, tokens
from ui.market import MarketView, SearcherRow
from ui.status import Status
from ui.widgets.columns import Column, fit_table
from ui.widgets.panel import NARROW_WIDTH, TALL_HEIGHT, StatusPanel

__all__ = ["MarketPanel"]


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


class MarketPanel(StatusPanel):
    FIELDS = ("market",)
    TITLE = "Market"

    def __init__(self, rows: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows = rows

    def render_status(self, status: Status, stale: bool) -> RenderableType:
        view: MarketView | None = getattr(status, "market", None)
        self.set_title("Market 1h/24h", stale)
        if view is None or not view.read:
            return Text("(no market intelligence in the journal)")
        width, tiny = self.width_hint(), self.tiny
        short = self.is_attached and self.app.size.height < TALL_HEIGHT
        narrow = self.is_attached and self.app.size.width < NARROW_WIDTH
        if tiny or (short and narrow):  # one line: the rates and the first reasons
            line = f"capture {_rate(view.capture_1h)}/{_rate(view.capture_24h)}  "
            line += self._why(view, tiny=True, width=width - len(line))
            return Group(Text(line, no_wrap=True, overflow="crop"))
        capture = f"capture 1h {_rate(view.capture_1h)}  24h {_rate(view.capture_24h)}"
        if short:  # two lines: the rates and the leaders, the reasons
            line = capture + "  top"
            for n, r in enumerate(view.searchers[: self.rows]):
                more = f"{line}{',' if n else ''} {self._leader(r)}"
                if n and len(more) > width:
                    break
                line = more
            if not view.searchers:
                line = capture + "  (no arbitrage seen in 24 h)"
            why = self._why(view, tiny=False)
            return Group(*(Text(x, no_wrap=True, overflow="crop") for x in (line, why)))
        if view.capture_symbol:
            ours = tokens(view.ours_24h, view.capture_decimals, places=4)
            total = tokens(view.all_24h, view.capture_decimals, places=4)
            capture += f"  (24h: ours {ours} of {total} {view.capture_symbol})"
        parts: list[RenderableType] = [Text(capture, no_wrap=True, overflow="crop")]
        if view.searchers:
            columns = [
                Column("searcher"),
                Column("1h", "right", drop=1),
                Column("24h", "right"),
                Column("n", "right", drop=2),
            ]
            rows, styles = [], []
            for s in view.searchers[: self.rows]:
                who = short_hash(s.searcher) + (" (us)" if s.ours else "")
                rows.append(
                    [
                        who,
                        tokens(s.profit_1h, s.decimals, places=4, sign=True),
                        amount(s.profit_24h, s.decimals, s.symbol or None, places=4, sign=True),
                        f"{s.count}" + (f" ({s.sandwiches} sw)" if s.sandwiches else ""),
                    ]
                )
                styles.append("" if stale else ("green" if s.ours else ""))
            parts.append(fit_table(columns, rows, width, styles=styles))
        else:
            parts.append(Text("(no arbitrage seen on the tracked pools in 24 h)"))
        parts.append(Text(self._why(view, tiny=False), no_wrap=True, overflow="crop"))
        return Group(*parts)

    @staticmethod
    def _leader(r: SearcherRow) -> str:
        profit = amount(r.profit_24h, r.decimals, r.symbol or None, places=4, sign=True)
        return f"{short_hash(r.searcher)}{' (us)' if r.ours else ''} {profit}"

    def _why(self, view: MarketView, *, tiny: bool, width: int | None = None) -> str:
        """The hour's top rejection reasons, as many as fit whole."""
        head = (
            "why"
            if tiny
            else f"why nothing traded (1h, {view.opportunities_1h} seen, {view.traded_1h} traded)"
        )
        if not view.rejections:
            return f"{head}: no rejections"
        width = self.width_hint(80) if width is None else width
        text = f"{head}: {view.rejections[0][0]} {view.rejections[0][1]}"
        for reason, n in view.rejections[1:]:
            more = f"{text}  {reason} {n}"
            if len(more) > width:
                break
            text = more
        return text
