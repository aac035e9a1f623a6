"""The dashboard's pictures, drawn on the server as SVG: charts with pygal, the seat
occupancy map (a floor plan, not a chart) from a template of rects.

pygal's SVG carries its own <style> (the chart's colours) and a <script> for tooltips that
loads pygal's JavaScript from a CDN: `js=[]` drops the CDN script and `_svg_response`
strips the rest, so the pictures are plain images; they are served as image/svg+xml with
a policy of their own that allows only their inline style (an <img> never runs scripts,
and the page's policy stays strict)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pygal
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from pygal.style import Style

from pos.formatting import format_money, format_number
from pos.web.messages import PAYMENT_METHOD_LABELS

# One colour per state, shared by the charts and the floor plan (the POS page's map uses
# the same hues, pos/static/pos/pos.css): fill, edge, and the symbol that tells the states
# apart without colour.
STATE_LOOK: dict[str, dict[str, str]] = {
    "sold": {"fill": "#a7adb7", "edge": "#3f454e", "strong": "#5f6670", "glyph": "✕"},
    "reserved": {"fill": "#e4d7fa", "edge": "#5b2a9e", "strong": "#7c4dbd", "glyph": "½"},
    "held": {"fill": "#ffd23f", "edge": "#8a6d00", "strong": "#e0a800", "glyph": "◔"},
    "free": {"fill": "#c9efd3", "edge": "#1f7a3a", "strong": "#6cc487", "glyph": ""},
    "blocked": {"fill": "#e2e4e8", "edge": "#4b5160", "strong": "#b0b4bc", "glyph": "⊘"},
}


def state_labels() -> dict[str, str]:
    return {"sold": _("sold"), "reserved": _("reserved (partly paid)"), "held": _("held"),
            "free": _("free"), "blocked": _("blocked")}


_SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)
# What an SVG image may use: its own inline <style>, nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def svg_response(svg: bytes) -> HttpResponse:
    response = HttpResponse(_SCRIPT.sub(b"", svg), content_type="image/svg+xml")
    response["Content-Security-Policy"] = SVG_POLICY
    response["Cache-Control"] = "private, no-cache"
    return response


def _style(colors: Iterable[str]) -> Style:
    return Style(background="#ffffff", plot_background="#ffffff", foreground="#1d2330",
                 foreground_strong="#1d2330", foreground_subtle="#5b6475",
                 font_family="system-ui, sans-serif", label_font_size=13,
                 major_label_font_size=13, value_font_size=12, title_font_size=16,
                 legend_font_size=13, tooltip_font_size=12, colors=tuple(colors))


def _config(**extra: Any) -> dict[str, Any]:
    # js=[]: no script from a CDN; the charts are static images.
    # Drawn for a phone's width (480): on a desktop the image grows, its text with it.
    return {"js": [], "width": 480, "height": 300, "legend_at_bottom": True,
            "legend_at_bottom_columns": 2, "print_values": True, "print_zeroes": False,
            "explicit_size": False, "show_y_guides": True, "margin": 12,
            # Room for the legend's second row (pygal's own estimate falls short with these
            # font sizes); labels are never cut short ("Bs. 4...").
            "margin_bottom": 30, "truncate_label": -1, "truncate_legend": -1, **extra}


def _render(chart: pygal.graph.graph.Graph) -> bytes:
    return chart.render()


def _empty(title: str) -> bytes:
    chart = pygal.Bar(**_config(), style=_style(["#1e5bd8"]), title=title,
                      no_data_text=_("No data yet"))
    return _render(chart)


def sales_per_hour_chart(rows: list[dict[str, Any]], locale: str) -> bytes:
    title = _("Sales per hour")
    if not rows:
        return _empty(title)
    days = {row["hour"][:10] for row in rows}

    def label(hour: str) -> str:
        moment = datetime.fromisoformat(hour)
        return moment.strftime("%d/%m %H:00") if len(days) > 1 else moment.strftime("%H:00")

    chart = pygal.Bar(**_config(x_label_rotation=-30 if len(rows) > 8 else 0),
                      style=_style(["#1e5bd8", "#6cc487"]), title=title)
    chart.x_labels = [label(row["hour"]) for row in rows]
    chart.add(_("Tickets"), [row["tickets"] for row in rows])
    chart.add(_("Sales"), [row["sales"] for row in rows])
    return _render(chart)


def currency_name(currency: str) -> str:
    return "Bs" if currency == "VES" else currency


def _ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Round axis marks (1, 2 or 5 times a power of ten apart), at most `most` of them
    over the span: the amounts' axis stays readable on a phone."""
    span = (high - low) or 1.0
    power = 10 ** math.floor(math.log10(span / most))
    step = next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= most)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 2)]


def money_chart(rows: list[dict[str, Any]], *, title: str, locale: str) -> bytes:
    """What each method brought in, in Bs (sums in several currencies compare only in
    one), net of the change given back: a method's rows in each currency (the X report's
    cash in USD and the Bs drawer's change) make one bar, labelled with the currencies
    it was paid in; the exact amounts per currency are in the page's table."""
    methods: dict[str, list[Any]] = {}
    for row in rows:
        entry = methods.setdefault(row["method"], [Decimal("0"), []])
        entry[0] += Decimal(row["amount_ves"])
        if row["count"]:
            entry[1].append(currency_name(row["currency"]))
    if not methods:
        return _empty(title)
    chart = pygal.HorizontalBar(
        # The amount at the end of its bar: inside a short one it would spill onto the
        # method's name.
        **_config(show_legend=False, height=max(200, 90 + 46 * len(methods)),
                  print_values_position="top"),
        style=_style(["#1e5bd8"]), title=title,
        # The bars' values exactly as the venue writes money; the axis in whole Bs.
        formatter=lambda v: format_money(Decimal(str(v)).quantize(Decimal("0.01")), "VES",
                                         locale),
        value_formatter=lambda v: format_number(int(v), locale, pattern="#,##0"))
    names = []
    for method, (_amount, currencies) in methods.items():
        label = PAYMENT_METHOD_LABELS.get(method)
        names.append(f"{label() if label else method} ({', '.join(currencies)})")
    chart.x_labels = names
    values = [float(amount) for amount, _currencies in methods.values()]
    chart.y_labels = _ticks(min(*values, 0.0), max(*values, 0.0))
    chart.add(_("Bs"), values)
    return _render(chart)


def holds_chart(holds: dict[str, Any], locale: str) -> bytes:
    title = _("What became of the holds")
    parts = [("converted", _("sold or reserved"), "#1f7a3a"),
             ("expired", _("expired"), "#e0a800"),
             ("released", _("released"), "#b3261e"),
             ("open", _("still held"), "#1e5bd8")]
    if not holds["started"]:
        return _empty(title)
    chart = pygal.Pie(**_config(inner_radius=0.45, print_values=True, legend_at_bottom=True,
                                legend_at_bottom_columns=2),
                      style=_style([color for _key, _label, color in parts]), title=title,
                      value_formatter=lambda v: format_number(int(v), locale,
                                                              pattern="#,##0"))
    for key, label, _color in parts:
        chart.add(label, holds[key] or None)
    return _render(chart)


def zones_chart(zones: list[dict[str, Any]], states: list[str], locale: str) -> bytes:
    """Each zone as one stacked bar of its seats or units by state."""
    title = _("Occupancy by zone")
    if not zones:
        return _empty(title)
    labels = state_labels()
    chart = pygal.HorizontalStackedBar(
        **_config(height=max(220, 120 + 50 * len(zones)), print_values=True),
        style=_style([STATE_LOOK[s]["strong"] for s in states]), title=title)
    chart.x_labels = [zone["name"] for zone in zones]
    for state in states:
        chart.add(labels[state], [zone["counts"][state] or None for zone in zones])
    return _render(chart)


# --- The floor plan --------------------------------------------------------------------

SEAT = 22  # pitch of a seat, in SVG units
GAP = 3
LEFT = 30  # room for the row labels
ZONE_HEAD = 28


def _row_key(row: str) -> tuple[int, int | str]:
    return (0, int(row)) if row.isdigit() else (1, row)


def floor_plan(occupancy: dict[str, Any]) -> dict[str, Any]:
    """The numbered zones laid out for the SVG template: one block per zone, a row per
    seat row (A at the front, by the stage), each seat at its number's column."""
    labels = state_labels()
    blocks = []
    y = 34  # below the stage
    width = 0
    for zone in occupancy["zones"]:
        seats = zone.get("seats")
        if not seats:
            continue
        rows = sorted({seat["row"] for seat in seats}, key=_row_key)
        first = min(seat["number"] for seat in seats)
        columns = max(seat["number"] for seat in seats) - first + 1
        row_y = {row: y + ZONE_HEAD + i * SEAT for i, row in enumerate(rows)}
        block = {
            "name": zone["name"], "y": y + 18,
            "rows": [{"label": row, "y": row_y[row] + SEAT / 2} for row in rows],
            "seats": [{
                **seat, "x": LEFT + (seat["number"] - first) * SEAT, "y": row_y[seat["row"]],
                "cx": LEFT + (seat["number"] - first) * SEAT + (SEAT - GAP) / 2,
                "cy": row_y[seat["row"]] + (SEAT - GAP) / 2,
                "look": STATE_LOOK[seat["state"]], "state_label": labels[seat["state"]],
            } for seat in seats],
        }
        blocks.append(block)
        width = max(width, LEFT + columns * SEAT + 8)
        y += ZONE_HEAD + len(rows) * SEAT + 16
    width = max(width, 240)
    # Drawn up to 1.5 times its natural size (a small hall is not blown up to the
    # screen's width); CSS shrinks it to a phone's.
    scale = min(Decimal("1.5"), Decimal(760) / width)
    return {"zones": blocks, "width": width, "height": y, "stage_width": width - LEFT - 8,
            "seat": SEAT - GAP, "left": LEFT, "shown_width": int(width * scale),
            "shown_height": int(y * scale)}


def occupancy_svg(occupancy: dict[str, Any], *, standalone: bool) -> str:
    """The floor plan: `standalone` for the image/svg+xml answer (with the XML namespace
    and its own title), else to be put inline in the page."""
    return render_to_string("pos/occupancy.svg", {
        "plan": floor_plan(occupancy), "standalone": standalone,
        "title": _("Seat occupancy"), "stage": _("Stage"),
    })
