"""/pos/dashboard/: the venue admins' and operators' dashboard page and its pictures.

Server-rendered, no script: an event picker and a day picker (plain GET forms), the seat
occupancy floor plan inline, the charts as <img> of image/svg+xml answers (pos.web.charts).
The figures are sales.dashboard.selectors', printed with pos.formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fiscal.selectors import fiscal_day
from pos.errors import DomainError
from pos.formatting import format_datetime, format_money
from pos.web import charts
from pos.web.messages import PAYMENT_METHOD_LABELS
from pos.web.views import tenant_language
from sales.dashboard import selectors
from sales.dashboard.views import parse_day
from tenants.permissions import role_matrix_page

# Each event chart and the part of the event's figures it draws.
CHART_PARTS = {"occupancy": "occupancy", "zones": "occupancy",
               "sales-per-hour": "sales_per_hour", "revenue": "revenue", "holds": "holds"}
EVENT_CHARTS = tuple(CHART_PARTS)
DAY_CHARTS = ("payments",)
FORBIDDEN = gettext_lazy("Only venue admins and operators may see the dashboard.")


def _method(method: str, currency: str) -> str:
    label = PAYMENT_METHOD_LABELS.get(method)
    return f"{label() if label else method} ({charts.currency_name(currency)})"


def _money_rows(rows: list[dict[str, Any]], locale: str) -> list[dict[str, Any]]:
    return [{**row, "method_label": _method(row["method"], row["currency"]),
             "amount_text": format_money(row["amount"], row["currency"], locale),
             "amount_ves_text": format_money(row["amount_ves"], "VES", locale),
             "change_text": (format_money(row["change_given_ves"], "VES", locale)
                             if Decimal(row.get("change_given_ves", "0")) else "")}
            for row in rows]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)} %"


def _event_context(figures: dict[str, Any], locale: str) -> dict[str, Any]:
    revenue = figures["revenue"]
    labels = charts.state_labels()
    occupancy = figures["occupancy"]
    return {
        "figures": figures,
        "starts_at": format_datetime(figures["event"]["starts_at"], locale),
        "legend": [{"state": s, "label": labels[s], "count": occupancy["totals"][s],
                    "look": charts.STATE_LOOK[s]} for s in occupancy["states"]],
        "zones": [{**zone, "cells": [{"state": s, "count": zone["counts"][s]}
                                     for s in occupancy["states"]]}
                  for zone in occupancy["zones"]],
        "has_seats": any(zone.get("seats") for zone in occupancy["zones"]),
        # Our own template, autoescaped: safe to put inline.
        "floor_plan": mark_safe(charts.occupancy_svg(occupancy, standalone=False)),
        "payments": _money_rows(revenue["payments"], locale),
        "refunds": _money_rows([{**r, "change_given_ves": "0"} for r in revenue["refunds"]],
                               locale),
        "by_currency": [{"currency": cur,
                         **{k: format_money(v, cur, locale) for k, v in values.items()}}
                        for cur, values in revenue["by_currency"].items()],
        "credited_ves": format_money(revenue["credit_notes"]["amount_ves"], "VES", locale),
        "net_ves": format_money(revenue["net_ves"], "VES", locale),
        "received_ves": format_money(revenue["received_ves"], "VES", locale),
        "refunded_ves": format_money(revenue["refunded_ves"], "VES", locale),
        "conversion": _percent(figures["holds"]["conversion_rate"]),
        "abandonment": _percent(figures["holds"]["abandonment_rate"]),
    }


def _day_context(report: dict[str, Any], locale: str) -> dict[str, Any]:
    net = report["net_sales"]
    return {
        "report": report,
        "day_payments": _money_rows(report["payments"], locale),
        "day_net": [(_("Taxable base"), format_money(net["base_total_ves"], "VES", locale)),
                    (_("Exempt"), format_money(net["exempt_ves"], "VES", locale)),
                    (_("IVA"), format_money(net["iva_total_ves"], "VES", locale)),
                    (_("Total"), format_money(net["total_ves"], "VES", locale)),
                    (_("IGTF"), format_money(net["igtf_ves"], "VES", locale)),
                    (_("Amount due"), format_money(net["amount_due_ves"], "VES", locale))],
        "day_taxes": [{**tax, "base": format_money(tax["base_ves"], "VES", locale),
                       "iva": format_money(tax["iva_ves"], "VES", locale)}
                      for tax in report["taxes"]],
    }


@never_cache
@tenant_language
@role_matrix_page(forbidden_message=FORBIDDEN)
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    locale = request.LANGUAGE_CODE
    events = selectors.dashboard_events()
    problems = []
    event_id = None
    wanted = request.GET.get("event", "")
    if wanted.isdigit() and any(e.pk == int(wanted) for e in events):
        event_id = int(wanted)
    elif wanted:
        problems.append(_("There is no event {event}.").format(event=wanted[:20]))
    if event_id is None and events:
        event_id = events[0].pk
    day = fiscal_day()
    if request.GET.get("day"):
        try:
            day = parse_day(request.GET["day"])
        except DomainError:
            problems.append(_("'{day}' is not a day: write it as YYYY-MM-DD.").format(
                day=request.GET["day"][:20]))
    context: dict[str, Any] = {
        "events": [{"id": e.pk, "name": e.name,
                    "when": format_datetime(e.starts_at, locale)} for e in events],
        "event_id": event_id, "day": day.isoformat(), "problems": problems,
        **_day_context(selectors.day_dashboard(day=day), locale),
        "day_chart": reverse("pos-dashboard-day-chart",
                             kwargs={"day": day.isoformat(), "chart": "payments"}),
    }
    if event_id is not None:
        context.update(_event_context(selectors.event_dashboard(event_id=event_id), locale))
        context["charts"] = {name.replace("-", "_"): reverse(
            "pos-dashboard-event-chart", kwargs={"pk": event_id, "chart": name})
            for name in EVENT_CHARTS}
    return render(request, "pos/dashboard.html", context)


@tenant_language
@role_matrix_page(forbidden_message=FORBIDDEN)
@require_GET
def event_chart(request: HttpRequest, pk: int, chart: str) -> HttpResponse:
    if chart not in EVENT_CHARTS:
        raise Http404(chart)
    try:  # only the part this chart draws
        figures = selectors.event_dashboard(event_id=pk, parts={CHART_PARTS[chart]})
    except DomainError as exc:  # an unknown event: 404 as the API answers it
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    locale = request.LANGUAGE_CODE
    if chart == "occupancy":
        return charts.svg_response(
            charts.occupancy_svg(figures["occupancy"], standalone=True).encode())
    if chart == "zones":
        svg = charts.zones_chart(figures["occupancy"]["zones"],
                                 figures["occupancy"]["states"], locale)
    elif chart == "sales-per-hour":
        svg = charts.sales_per_hour_chart(figures["sales_per_hour"], locale)
    elif chart == "revenue":
        svg = charts.money_chart(figures["revenue"]["payments"], locale=locale,
                                 title=_("Received by method, net of change (in Bs)"))
    else:
        svg = charts.holds_chart(figures["holds"], locale)
    return charts.svg_response(svg)


@tenant_language
@role_matrix_page(forbidden_message=FORBIDDEN)
@require_GET
def day_chart(request: HttpRequest, day: str, chart: str) -> HttpResponse:
    if chart not in DAY_CHARTS:
        raise Http404(chart)
    try:
        report = selectors.day_dashboard(day=parse_day(day))
    except DomainError as exc:  # not a day: 400 as the API answers it
        return JsonResponse(exc.as_dict(), status=exc.status_code)
    return charts.svg_response(charts.money_chart(
        report["payments"], locale=request.LANGUAGE_CODE,
        title=_("X report {day}: received by method (in Bs)").format(
            day=date.fromisoformat(report["fiscal_day"]).strftime("%d/%m/%Y"))))
