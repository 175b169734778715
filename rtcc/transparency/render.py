"""The report as one self-contained HTML page (print-ready: the PDF is this page printed)."""

from __future__ import annotations

from html import escape
from typing import Any

TECH_TITLES = {"lpr": "Automated licence plate recognition", "video": "Video cameras",
               "gunshot": "Acoustic gunshot detection"}
FIELD_TITLES = {
    "how_used": "How it is used", "how_requested": "How use is requested",
    "funding": "Funding", "complaints": "Complaints", "partnerships": "Partnerships",
    "effectiveness": "How effectiveness is measured", "policy_changes": "Policy changes",
}
REPORT_CSS = """
body{font:11pt/1.45 system-ui,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:2rem 0 .4rem;
border-bottom:2px solid #333;page-break-after:avoid}h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border:1px solid #bbb;
padding:.25rem .45rem;text-align:left;vertical-align:top}td.num{text-align:right;
font-variant-numeric:tabular-nums}.meta{color:#555;font-size:.85rem}.warn{color:#a40000}
tr{page-break-inside:avoid}p.entered{white-space:pre-wrap;margin:.2rem 0 .6rem}
"""


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _value(fig: dict[str, Any]) -> str:
    value, kind = fig["value"], fig["kind"]
    if value is None:
        return "—"
    if isinstance(value, dict):
        if not value:
            return "none"
        unit = " days" if kind == "days" else ""
        return "<br>".join(f"{escape(_label(str(k)))}: {escape(str(v))}{unit}"
                           for k, v in value.items())
    if kind == "share" and isinstance(value, float):
        return f"{value * 100:.1f} %"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(f"{value:,}" if isinstance(value, int) else str(value))


def _figures(tech: dict[str, Any]) -> str:
    rows = []
    for name, fig in tech["figures"].items():
        w = fig["window"]
        window = (f"at {w['start'][:16]}" if w["start"] == w["end"]
                  else f"{w['start'][:10]} – {w['end'][:10]}")
        rows.append(f"<tr data-figure='{escape(name)}'><td>{escape(_label(name))}</td>"
                    f"<td class='num'>{_value(fig)}</td><td class='meta'>{escape(window)}</td>"
                    "</tr>")
    return ("<table><thead><tr><th>Figure (computed)</th><th>Value</th><th>Window (UTC)</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _entered(tech: dict[str, Any]) -> str:
    entered = tech.get("entered")
    if not entered:
        return "<p class='warn'>Not entered yet.</p>"
    parts = [f"<p class='meta'>Entered by {escape(entered['entered_by'])} on "
             f"{escape(entered['entered_at'][:10])} (version {entered['version']})</p>"]
    for key, title in FIELD_TITLES.items():
        text = entered["fields"].get(key)
        parts.append(f"<h3>{escape(title)}</h3><p class='entered'>"
                     f"{escape(text) if text else '<em>not stated</em>'}</p>")
    return "".join(parts)


def _units(units: dict[str, Any]) -> str:
    bits = [f"{units.get('total', 0)} in service"]
    for key in ("by_type", "by_site"):
        if units.get(key):
            bits.append(", ".join(f"{escape(str(k))}: {v}" for k, v in units[key].items()))
    return "; ".join(bits)


def _technology(tech: dict[str, Any]) -> str:
    name = tech["technology"]
    ai = {True: "yes", False: "no", None: "not known to this system"}[tech["uses_ai"]]
    models = f" ({escape(', '.join(tech['ai_models']))})" if tech["ai_models"] else ""
    return (f"<section data-technology='{escape(name)}'><h2>{escape(TECH_TITLES[name])}</h2>"
            f"<p><b>Units:</b> {_units(tech['units'])}<br><b>Uses AI:</b> {ai}{models}</p>"
            f"{_figures(tech)}{_entered(tech)}</section>")


def _signoff(report: dict[str, Any]) -> str:
    s = report.get("signoff")
    if not s:
        return "<p class='warn' data-testid='signoff'>Not signed off.</p>"
    stale = []
    if s["entries_changed_since"]:
        stale.append("entered text changed since")
    if s["figures_changed_since"]:
        stale.append("figures changed since")
    note = f" <span class='warn'>({escape('; '.join(stale))})</span>" if stale else ""
    return (f"<p data-testid='signoff'>Signed off by <b>{escape(s['signed_by'])}</b> on "
            f"{escape(s['signed_at'][:10])}{note}"
            + (f"<br>{escape(s['statement'])}" if s.get("statement") else "") + "</p>")


def render_html(report: dict[str, Any]) -> str:
    cp = report["checkpoint"]
    signed = report.get("signed_checkpoint")
    anchor = (f"; signed checkpoint {signed['seq']} at row {signed['row_id']}" if signed else "")
    version = "public version (small counts suppressed)" if report["public"] else "full version"
    partial = " — year to date" if report.get("partial") else ""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Surveillance technology report {report['year']}</title><style>{REPORT_CSS}</style>"
        f"</head><body><h1>Surveillance technology report {report['year']}{partial}</h1>"
        f"<p class='meta'>Executive Order 78 annual report, {version}. Generated "
        f"{escape(report['generated_at'][:19])} UTC from the system's own records at audit "
        f"row {cp['row_id']} ({escape(cp['row_hash'][:16])}){escape(anchor)}. Figures digest "
        f"{escape(report['figures_digest'][:16])}.</p>"
        f"{_signoff(report)}{''.join(_technology(t) for t in report['technologies'])}"
        "</body></html>"
    )
