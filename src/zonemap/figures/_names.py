"""Subject names in a sentence: place words, name breaks and the span a figure's subject is taken from."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._subjects import _NON_AREA, _UNIT_OF


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_UNIT = _alternation([*_UNIT_OF, *_NON_AREA])


_CLAUSE_END = re.compile(r"[。！？!?；;\n、:：]|,(?![0-9]{3}(?![0-9]))|(?<![0-9]),")


#: Words ending a place name (longest first when matched).
_PLACE_WORDS = (
    "产业集聚区",
    "集聚区",
    "产业区",
    "产业园区",
    "园区",
    "产业园",
    "科技园",
    "工业园",
    "文创园",
    "片区",
    "板块",
    "用地",
    "地块",
    "项目",
    "基地",
    "中心",
    "新城",
    "智谷",
    "数码城",
    "小镇",
    "组团",
    "示范区",
    "实验区",
    "先行区",
    "核心区",
    "承载区",
    "功能区",
    "开发区",
    "保税区",
    "商圈",
    "公园",
    "大厦",
    "街道",
    "社区",
    "镇",
    "区",
    "站",
)


#: Words that cannot be part of a name: a name starts after them (verbs, particles, connectives).
_NAME_BREAKS = (
    "的",
    "在",
    "以",
    "为",
    "和",
    "与",
    "及",
    "等",
    "将",
    "对",
    "把",
    "被",
    "从",
    "向",
    "于",
    "是",
    "有",
    "并",
    "即",
    "其中",
    "依托",
    "推动",
    "推进",
    "实施",
    "重点",
    "抓好",
    "打造",
    "建设",
    "加快",
    "引进",
    "规划",
    "谋划",
    "构建",
    "拥有",
    "占地",
    "位于",
    "包括",
    "目前",
    "下来",
    "已",
    "可",
    "新增",
    "预计",
    "计划",
    "通过",
    "开展",
    "完成",
    "启动",
    "形成",
    "整合",
    "发挥",
    "落户",
    "纳入",
    "全市",
    "全镇",
    "一批",
    "一个",
    "两个",
    "三个",
    "盘活",
    "改造",
    "整治",
    "招引",
    "发展",
    "培育",
    "引入",
    "带动",
    "塑造",
    "拓展",
    "提升",
    "配合",
    "聚焦",
    "围绕",
    "争取",
    "方式",
)


#: A name starting with one of these is a description, not a name (现代化产业园区项目, 低效用地).
_GENERIC_STARTS = (
    "现代化",
    "现代",
    "产业",
    "新兴",
    "战略性",
    "低效",
    "连片",
    "城中村",
    "首期",
    "市级",
    "省级",
    "国家级",
    "重大",
    "专项",
    "工业",
    "制造业",
    "集中",
    "综合",
    "一期",
    "二期",
    "该",
    "开发",
    "标准",
)


#: Names may start with digits or letters (33文创园), not continue with them (常平站1公里 is no name).
_NAME = re.compile(rf"[0-9A-Za-z]*(?:[\u3400-\u9fff]|—(?=[\u3400-\u9fff])){{0,24}}(?:{_alternation(_PLACE_WORDS)})")


_RUN = re.compile(r"[0-9A-Za-z]*[\u3400-\u9fff](?:[\u3400-\u9fff]|—(?=[\u3400-\u9fff]))*")


_BREAK = re.compile(_alternation(_NAME_BREAKS))


_UNIT_AT = re.compile(_UNIT, re.IGNORECASE)


_PARENS = re.compile(r"\([^()\n]*\)")


@dataclass
class _Names:
    """Named places of a normalised text: spans, sorted by start."""

    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    texts: list[str]


def _names(text: str) -> _Names:
    """Place names: within each run of name characters, the pieces between break words, cut at their last place word."""
    inside = np.zeros(len(text) + 1, dtype=bool)
    for m in _PARENS.finditer(text):
        inside[m.start() : m.end()] = True
    found: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(text):
        base, s = run.start(), run.group()
        cuts = [0, *(x for m in _BREAK.finditer(s) for x in (m.start(), m.end())), len(s)]
        for a, b in zip(cuts[::2], cuts[1::2], strict=True):
            hit = _NAME.match(s, a, b)
            if hit is None:
                continue
            name = hit.group()
            lead = len(name) - len(name.lstrip("0123456789"))
            if (
                len(name) < 3
                or name in _PLACE_WORDS
                or name.startswith(_GENERIC_STARTS)
                or inside[base + a]
                or (lead and _UNIT_AT.match(name, lead) is not None)
            ):  # 1公里范围...: a number, no name
                continue
            found.append((base + a, base + hit.end(), name))
    return _Names(
        np.asarray([f[0] for f in found], dtype=np.int64),
        np.asarray([f[1] for f in found], dtype=np.int64),
        [f[2] for f in found],
    )


def _bounds(pattern: re.Pattern[str], text: str) -> NDArray[np.int64]:
    """Start offsets of the segments ``pattern`` splits ``text`` into (segment ``k`` is ``[b[k], b[k+1])``)."""
    return np.asarray([0, *(m.end() for m in pattern.finditer(text)), len(text)], dtype=np.int64)


def _segment(bounds: NDArray[np.int64], pos: int) -> tuple[int, int, int]:
    k = int(np.searchsorted(bounds, pos, side="right")) - 1
    return k, int(bounds[k]), int(bounds[k + 1])


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    """A segment without its separator and surrounding spaces."""
    while b > a and (text[b - 1].isspace() or _CLAUSE_END.match(text, b - 1)):
        b -= 1
    while a < b and text[a].isspace():
        a += 1
    return a, b
