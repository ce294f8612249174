"""Bilingual names of the report columns (中文 English), for the HTML page and the XLSX header row.

The data keeps its machine names (``measured_m2``); people read the Chinese name beside it.
A column without a Chinese name here is shown by its machine name alone.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["CHECK_HEADERS_ZH", "COLUMN_ZH", "FIGURE_HEADERS_ZH", "PASSED_LABELS", "bilingual", "column_header"]

#: Chinese names of the columns of the people's figures table (:func:`~zonemap.report.display_figures`).
FIGURE_HEADERS_ZH = MappingProxyType(
    {
        "figure": "编号",
        "subject": "对象",
        "stated": "文件数",
        "measured": "量算",
        "difference": "差值",
        "band ±": "精度带",
        "geometry ±": "图形误差",
        "offset": "边界偏移",
        "status": "状态",
        "source": "来源",
        "geometry": "图形来源",
        "notes": "备注",
    }
)

#: Chinese names of the columns of the people's checks table (:func:`~zonemap.report.display_checks`).
CHECK_HEADERS_ZH = MappingProxyType(
    {
        "check": "检查",
        "subject": "对象",
        "value": "数值",
        "limit": "限值",
        "passed": "通过",
        "detail": "说明",
    }
)

#: The checks' ``passed`` for people.
PASSED_LABELS = MappingProxyType({True: "是 yes", False: "否 NO"})

#: Chinese names of the data columns (figures and checks tables, and the XLSX's 亩 columns).
COLUMN_ZH = MappingProxyType(
    {
        "town": "镇街",
        "figure_id": "编号",
        "subject": "对象",
        "subject_name": "名称",
        "quantity": "指标",
        "qualifier": "限定词",
        "bound": "界限",
        "stated_value": "文件数值",
        "unit": "单位",
        "decimals": "小数位",
        "stated_m2": "文件面积 m²",
        "stated_mu": "文件面积 亩",
        "measured_m2": "量算面积 m²",
        "measured_mu": "量算面积 亩",
        "measured_in_unit": "量算 (原单位)",
        "diff_in_unit": "差值 (原单位)",
        "diff_m2": "差值 m²",
        "diff_mu": "差值 亩",
        "diff_pct": "差值 %",
        "band_m2": "精度带 m²",
        "geometry_uncertainty_m2": "图形误差 m²",
        "area_inner_m2": "内缘面积 m²",
        "area_outer_m2": "外缘面积 m²",
        "perimeter_m": "周长 m",
        "implied_offset_m": "边界偏移 m",
        "decisive_accuracy_m": "判定所需精度 m",
        "status": "状态",
        "part_of": "所属整体",
        "source": "来源",
        "quote": "原文",
        "notes": "备注",
        "geometry_source": "图形来源",
        "accuracy_m": "图形精度 m",
        "check": "检查项",
        "value": "数值",
        "limit": "限值",
        "passed": "通过",
        "detail": "说明",
        "reach_m": "范围 m",
        "allowance_m": "容差 m",
    }
)


def bilingual(name: str, zh: str | None) -> str:
    """``"量算 measured"`` from an English name and its Chinese name (the English alone without one)."""
    return f"{zh} {name}" if zh else name


def column_header(column: str) -> str:
    """The XLSX header of a data column: its Chinese name, a line break, its machine name.

    ``"量算面积 m²\\nmeasured_m2"``; a column without a Chinese name is its machine name alone, so the
    last line of every header is the machine name.
    """
    zh = COLUMN_ZH.get(column)
    return f"{zh}\n{column}" if zh else column
