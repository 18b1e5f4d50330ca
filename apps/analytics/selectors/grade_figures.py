"""Grade figures: statistics of grade items' percentages, by letter and by category."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast, Round

from apps.academics import grading
from apps.analytics import stats
from apps.analytics.selectors.complement import percentage_key
from apps.analytics.selectors.context import AnalyticsContext


def grades(context: AnalyticsContext) -> dict:
    """Statistics of grade items' percentages (rounded to 2 decimals in SQL)."""
    if context.stored and context.use_aggregates:
        buckets = context.grade_buckets
        distribution = [
            (float(row["percentage"]), row["n"])
            for row in buckets.values("percentage").annotate(n=Sum("items")).order_by("percentage")
        ]
        category_rows = (
            buckets.values("category")
            .annotate(n=Sum("items"), total=Sum(Cast("items", FloatField()) * F("percentage")))
            .order_by()
        )
    elif context.stored and context.complement is not None:
        distribution, category_rows = _from_counts(context.complement.grades)
    else:
        # One grouped read of the raw items by (category, percentage), split in Python:
        # a whole school's month is ~330,000 items, read once instead of twice.
        percentages = context.scope.grades.annotate(pct=Round(grading.percentage_expression(), 2))
        items = percentages.values_list("category", "pct").annotate(n=Count("id")).order_by()
        counts: dict[tuple[str, Decimal], int] = defaultdict(int)
        for category, percentage, n in items:
            counts[category, percentage_key(percentage)] += n
        distribution, category_rows = _from_counts(counts)
    categories: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in category_rows:
        bucket = categories[grading.category_key(row["category"])]
        bucket[0] += row["n"]
        bucket[1] += float(row["total"] or 0)
    letters: dict[str, int] = defaultdict(int)
    for value, count in distribution:
        letters[letter_of(value)] += count
    return {
        "generated_at": context.generated_at.isoformat(),
        **stats.summarise(distribution),
        "pass_rate": stats.pass_rate_of_distribution(distribution),
        "letter_buckets": stats.letter_buckets(letters.items()),
        "histogram": stats.histogram(distribution),
        "by_category": [
            {"category": key, "count": count, "mean": stats.num(total / count)}
            for key, (count, total) in sorted(categories.items())
        ],
    }


def _from_counts(items: dict) -> tuple[list[tuple[float, int]], list[dict]]:
    """The distribution and the per-category rows of items counted per (raw category,
    percentage as a Decimal of 2 decimals, ``percentage_key``)."""
    by_percentage: dict[Decimal, int] = defaultdict(int)
    by_category: dict[str, dict] = {}
    for (category, percentage), count in items.items():
        by_percentage[percentage] += count
        row = by_category.setdefault(category, {"category": category, "n": 0, "total": 0})
        row["n"] += count
        row["total"] += percentage * count
    distribution = [(float(pct), count) for pct, count in sorted(by_percentage.items())]
    return distribution, list(by_category.values())


def letter_of(percentage: float) -> str:
    """The engine's letter for a percentage (one place for the conversion rule)."""
    return grading.letter_grade(grading.round2(Decimal(str(percentage))))
