from django import template
from django.utils.html import format_html

from apps.analytics.charts import data_uri

register = template.Library()

NUMERIC_KINDS = ("int", "num", "percent")


@register.filter
def svg_data_uri(svg: str) -> str:
    return data_uri(svg)


@register.simple_tag
def cell(row: dict, column) -> str:
    value = row.get(column.key)
    if value is None:
        return format_html("<td></td>")
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if column.kind in NUMERIC_KINDS and isinstance(value, int | float):
        text = f"{value:.2f}" if column.kind != "int" else str(value)
        return format_html('<td class="n">{}</td>', text)
    return format_html("<td>{}</td>", value)
