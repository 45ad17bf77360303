"""Publishing inspection results (一公开): a CSV and a self-contained HTML page per draw.

The page carries what makes the draw checkable by anyone: who drew it and when, the seed,
the number and SHA-256 hash of the retailers it was drawn from, and the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import jinja2
import pandas as pd
from sqlalchemy.orm import Session

from gridmgmt.policy import Action, requires
from gridmgmt.services import audit
from gridmgmt.services.actor import Actor
from gridmgmt.services.rules.inspections import DrawSummary, get_draw, rows_frame
from gridmgmt.store.models import County

__all__ = ["Publication", "publication_page", "publish_results", "results_csv", "results_page"]

PUBLIC_COLUMNS: Final = {
    "position": "序号 No.",
    "licence_no": "许可证号 Licence no.",
    "name": "名称 Name",
    "address": "地址 Address",
    "grid_id": "网格 Grid",
    "officer_names": "检查人员 Inspectors",
    "inspected_on": "检查日期 Date",
    "outcome_zh": "检查结果 Result",
    "violations": "违规数 Violations",
}

_PAGE: Final = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
 body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 24px;
        color: #263238; }
 table { border-collapse: collapse; font-size: 13px; }
 th, td { border: 1px solid #b0bec5; padding: 4px 8px; text-align: left; vertical-align: top; }
 th { background: #eceff1; }
 dl { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; font-size: 13px; }
 dt { color: #546e7a; } dd { margin: 0; font-family: monospace; }
 .pending { color: #78909c; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>双随机、一公开: 检查对象和检查人员均随机抽取, 结果向社会公开。
Inspection targets and inspectors were both drawn at random; the results are public.</p>
<dl>
 <dt>县 County</dt><dd>{{ county }}</dd>
 <dt>期间 Period</dt><dd>{{ draw.period }}</dd>
 <dt>抽取编号 Draw</dt><dd>#{{ draw.id }} (revision {{ draw.revision }})</dd>
 <dt>抽取人 Drawn by</dt><dd>{{ draw.drawn_by }}</dd>
 <dt>抽取时间 Drawn at</dt><dd>{{ draw.drawn_at.strftime("%Y-%m-%d %H:%M") }} UTC</dd>
 <dt>随机种子 Seed</dt><dd>{{ draw.seed }}</dd>
 <dt>抽取范围 Population</dt>
 <dd>{{ draw.population_size }} retailers, sha256 {{ draw.population_hash }}</dd>
 <dt>比例 Quota</dt><dd>{{ draw.quota }} ({{ share }})</dd>
 <dt>算法 Algorithm</dt><dd>{{ draw.algorithm }}</dd>
 {% if draw.replace_reason %}<dt>重新抽取原因 Redraw reason</dt>
 <dd>{{ draw.replace_reason }}</dd>{% endif %}
</dl>
<p>已检查 {{ done }} / {{ total }} inspected; 发现违规 {{ violations }} with violations.</p>
<table>
<thead><tr>{% for label in labels %}<th>{{ label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr{% if not row.done %} class="pending"{% endif %}>
{% for value in row.cells %}<td>{{ value }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
</body>
</html>
"""
)


@dataclass(frozen=True)
class Publication:
    """The files a draw's results were published as."""

    csv: Path
    page: Path


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    table = frame[list(PUBLIC_COLUMNS)].rename(columns=PUBLIC_COLUMNS)
    return table.astype(object).where(table.notna(), "")


def results_csv(frame: pd.DataFrame) -> str:
    """The public results as CSV text (bilingual headers)."""
    text: str = _public(frame).to_csv(index=False, lineterminator="\n")
    return text


def results_page(session: Session, draw: DrawSummary, frame: pd.DataFrame) -> str:
    """The public results as a self-contained HTML page (no scripts, no external assets)."""
    county = session.get(County, draw.county_code)
    name = f"{county.name} {county.code}" if county is not None else draw.county_code
    public = _public(frame)
    done = frame["outcome"].notna()
    return _PAGE.render(
        title=f"{name} {draw.period} 双随机抽查结果公示 Inspection results",
        county=name,
        draw=draw,
        share=draw.rules.get("quota_share"),
        total=len(frame),
        done=int(done.sum()),
        violations=int((frame["outcome"] == "violation").sum()),
        labels=list(public.columns),
        rows=[
            {"done": bool(d), "cells": list(values)}
            for d, values in zip(done, public.itertuples(index=False), strict=True)
        ],
    )


@requires(Action.READ_INSPECTIONS)
def publication_page(session: Session, actor: Actor, draw_id: int) -> str:
    """The public results page (一公开) of a draw the actor may see."""
    draw = get_draw(session, actor, draw_id)
    return results_page(session, draw, rows_frame(draw.inspections))


@requires(Action.READ_INSPECTIONS)
def publish_results(session: Session, actor: Actor, draw_id: int, out_dir: Path) -> Publication:
    """Write a draw's results as ``inspections-<county>-<period>.csv`` and ``.html``.

    The CSV is UTF-8 with a byte-order mark, which Excel needs to show Chinese. The
    publication is recorded in the audit log. Whoever may read the draw may publish it:
    the results are public (一公开).
    """
    draw = get_draw(session, actor, draw_id)
    frame = rows_frame(draw.inspections)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"inspections-{draw.county_code}-{draw.period}"
    csv_path = out_dir / f"{stem}.csv"
    page_path = out_dir / f"{stem}.html"
    csv_path.write_text(results_csv(frame), encoding="utf-8-sig")
    page_path.write_text(results_page(session, draw, frame), encoding="utf-8")
    audit.record(
        session,
        actor,
        "inspections.publish",
        kind="inspection_draw",
        county_code=draw.county_code,
        detail={"draw_id": draw.id, "files": [csv_path.name, page_path.name]},
    )
    return Publication(csv_path, page_path)
