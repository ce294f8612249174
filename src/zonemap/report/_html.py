"""The HTML reconciliation page: the headline first, the chart, then the tables, readable on a phone.

One standalone file, no external assets. Every data string is escaped (:func:`html.escape`, control
and bidi characters already shown as escapes by :func:`~zonemap.report.display_figures`); colours come
from :data:`zonemap.schema.FIGURE_STATUSES`, never from data. Below 720 px the tables turn into cards.
"""

from __future__ import annotations

import html

import pandas as pd

from ..reconcile import AGREES, DISAGREES, Reconciliation
from ..schema import FIGURE_STATUSES
from ..textsafe import safe_text
from ._chart import LINEAR_PCT, chart_svg
from ._formats import TITLE, display_checks, display_figures, summary
from ._labels import CHECK_HEADERS_ZH, FIGURE_HEADERS_ZH, PASSED_LABELS, bilingual

__all__ = ["HTML_TAGS", "to_html"]

#: The elements the page is built of (data text never adds one).
HTML_TAGS = frozenset(
    {
        *("html", "head", "meta", "title", "style", "body", "header", "section", "h1", "h2", "p", "ul", "li"),
        *("span", "b", "table", "thead", "tbody", "tr", "th", "td", "details", "summary"),
        *("svg", "g", "rect", "line", "circle", "text"),
    }
)

_FALLBACK = "#777777"
_CLASSES = {"figure": "fid", "subject": "subj"} | dict.fromkeys(
    ("stated", "measured", "difference", "band ±", "geometry ±", "offset"), "num"
)

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
margin:0 auto;padding:16px;max-width:1400px;color:#222;line-height:1.45;overflow-wrap:break-word}
h1{font-size:1.35em;margin:0 0 .4em}h2{font-size:1.1em;margin:1.4em 0 .5em}
.headline{font-size:1.05em;margin:.2em 0 .6em}
ul.chips{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:6px}
.chip{border:1px solid var(--c);border-left:6px solid var(--c);background:color-mix(in srgb,var(--c) 12%,#fff);
border-radius:4px;padding:3px 10px}
.chip b{font-size:1.15em;margin-right:.3em}
.key{font-size:.85em;color:#444;margin:.2em 0}
.key span.sw{display:inline-block;vertical-align:middle;margin:0 4px 0 10px}
.sw.stated{width:2px;height:14px;background:#222}.sw.band{width:16px;height:10px;background:#9fb7d6}
.sw.dot{width:11px;height:11px;border-radius:50%;background:#555}
.sw.whisker{width:18px;height:8px;border:2px solid #555;border-top:none;border-bottom:none;
background:linear-gradient(#555,#555) center/100% 2px no-repeat}
svg.chart{display:block;font-size:12px;margin:.3em 0;overflow:hidden}
svg .lbl{fill:#222}svg .note{font-size:11px}svg .tick{fill:#555;font-size:11px}
svg .track{stroke:#ddd;stroke-width:1}svg .band{fill:#9fb7d6}svg .stated{stroke:#222;stroke-width:2}
svg .whisker{stroke-width:2}svg .cap{stroke-width:2}svg .measured{stroke:#fff;stroke-width:1.5}
svg .axis{stroke:#888}svg .grid{stroke:#eee}svg .zero{stroke:#bbb;stroke-dasharray:3 3}
table.t{border-collapse:collapse;width:100%;font-size:.88em}
table.t>thead th{background:#f3f3f3;text-align:left;font-weight:600}
table.t>thead>tr>th,table.t>tbody>tr>td{border-bottom:1px solid #ddd;padding:5px 7px;vertical-align:top}
table.t>tbody>tr>td{background:color-mix(in srgb,var(--c) 9%,#fff)}
table.t>tbody>tr>td:first-child{border-left:5px solid var(--c)}
td.num{white-space:nowrap;text-align:right}td.st{font-weight:600;min-width:9em}
td.subj{min-width:14em}td.fid{min-width:9em;overflow-wrap:anywhere}
span.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;background:var(--c);margin-right:.35em}
details summary{cursor:pointer;color:#245;white-space:nowrap}
table.prov{border-collapse:collapse;margin-top:4px;font-size:.95em}
table.prov th{text-align:left;font-weight:normal;color:#555;padding:2px 8px 2px 0;vertical-align:top;white-space:nowrap}
table.prov td{padding:2px 0;vertical-align:top}
@media (max-width:720px){
body{padding:10px}h1{font-size:1.15em}.headline{font-size:.95em}
table.t>thead{display:none}
table.t,table.t>tbody,table.t>tbody>tr,table.t>tbody>tr>td{display:block;width:100%}
table.t>tbody>tr{margin:0 0 10px;border:1px solid #ddd;border-left:6px solid var(--c);border-radius:4px;
background:color-mix(in srgb,var(--c) 9%,#fff)}
table.t>tbody>tr>td,table.t>tbody>tr>td:first-child{border:none;background:none;display:grid;
grid-template-columns:8.5em minmax(0,1fr);gap:6px;text-align:left;padding:3px 8px;white-space:normal;
min-width:0;overflow-wrap:anywhere}
table.t>tbody>tr>td::before{content:attr(data-label);color:#555;font-weight:normal}
table.t>tbody>tr>td.prov{display:block}table.t>tbody>tr>td.prov::before{content:none}
}
"""


def _colour(status: str) -> str:
    st = FIGURE_STATUSES.get(status)
    return st.colour if st else _FALLBACK


def _chips(result: Reconciliation) -> str:
    counts = result.figures["status"].astype(str).value_counts()
    items = [
        f'<li class="chip" style="--c:{st.colour}"><b>{int(counts[word])}</b>{html.escape(st.label)}</li>'
        for word, st in FIGURE_STATUSES.items()
        if int(counts.get(word, 0))
    ]
    return f'<ul class="chips">{"".join(items)}</ul>' if items else ""


def _cell(label: str, text: object, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<td{klass} data-label="{html.escape(label)}">{html.escape(str(text))}</td>'


def _provenance(row: pd.Series, headers: dict[str, str]) -> str:
    lines = "".join(
        f"<tr><th>{html.escape(headers[k])}</th><td>{html.escape(str(row[k]))}</td></tr>"
        for k in ("source", "geometry", "notes")
    )
    return (
        f'<td class="prov"><details><summary>{html.escape("出处 provenance")}</summary>'
        f'<table class="prov"><tbody>{lines}</tbody></table></details></td>'
    )


def _figures_table(result: Reconciliation, people: pd.DataFrame) -> str:
    headers = {k: bilingual(k, FIGURE_HEADERS_ZH.get(k)) for k in people.columns}
    shown = ["figure", "subject", "stated", "measured", "difference", "band ±", "geometry ±", "offset", "status"]
    head = "".join(f"<th>{html.escape(headers[k])}</th>" for k in shown) + "<th>出处 provenance</th>"
    statuses = result.figures["status"].astype(str).tolist()
    body = []
    for (_, row), status in zip(people.iterrows(), statuses, strict=True):
        cells = []
        for k in shown:
            if k == "status":
                cells.append(
                    f'<td class="st" data-label="{html.escape(headers[k])}"><span><span class="dot"></span>'
                    f"{html.escape(str(row[k]))}</span></td>"
                )
            else:
                cells.append(_cell(headers[k], row[k], _CLASSES.get(k, "")))
        body.append(f'<tr style="--c:{_colour(status)}">{"".join(cells)}{_provenance(row, headers)}</tr>')
    return f'<table class="t figures"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _checks_table(result: Reconciliation) -> str:
    people = display_checks(result)
    headers = {k: bilingual(k, CHECK_HEADERS_ZH.get(k)) for k in people.columns}
    head = "".join(f"<th>{html.escape(headers[k])}</th>" for k in people.columns)
    passed = result.checks["passed"].astype(bool).tolist() if len(result.checks) else []
    body = []
    for (_, row), ok in zip(people.iterrows(), passed, strict=True):
        cells = "".join(
            _cell(headers[k], PASSED_LABELS[ok] if k == "passed" else row[k], "num" if k in ("value", "limit") else "")
            for k in people.columns
        )
        body.append(f'<tr style="--c:{_colour(AGREES if ok else DISAGREES)}">{cells}</tr>')
    return f'<table class="t checks"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _key() -> str:
    return (
        '<p class="key"><span class="sw stated"></span>文件数 stated<span class="sw band"></span>精度带 precision band'
        '<span class="sw dot"></span>量算 measured (状态色 status colour)<span class="sw whisker"></span>'
        "图形范围 geometry bounds (± accuracy)</p>"
        f'<p class="key">横轴：量算相对文件数之差，±{LINEAR_PCT:g} % 内线性、其外对数 · x: (measured − stated) / '
        f"stated, linear within ±{LINEAR_PCT:g} %, logarithmic beyond; −100 % is an area of nothing</p>"
    )


def to_html(result: Reconciliation) -> str:
    """A standalone HTML page: headline and status counts, chart, figures and checks tables.

    Every data string is escaped; the page loads nothing from elsewhere.
    """
    people = display_figures(result)
    chart = chart_svg(result, people)
    chart_section = f"<section><h2>图数对比 Stated vs measured</h2>{_key()}{chart}</section>" if chart else ""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(TITLE)}</title><style>{_STYLE}</style></head><body>"
        f'<header><h1>{html.escape(TITLE)}</h1><p class="headline">{html.escape(safe_text(summary(result)))}</p>'
        f"{_chips(result)}</header>{chart_section}"
        f"<section><h2>数字 Figures</h2>{_figures_table(result, people)}</section>"
        f"<section><h2>检查 Checks</h2>{_checks_table(result)}</section>"
        "</body></html>\n"
    )
