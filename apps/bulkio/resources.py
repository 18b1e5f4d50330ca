"""django-import-export resources behind the Django admin's Export button and action.

They read and write the same columns as the importer (apps.bulkio.importing): the
English/Greek header aliases are mapped to the column names before import, cells are
parsed by the same cell parsers, every instance is validated by the model's own
``full_clean`` (``clean_model_instances``) and formula-like cells get the apostrophe on
export, so an exported file re-imports unchanged. Every import, the admin's Import
button included (``apps.bulkio.admin_integration``), goes through the set-based
importer instead: resources import row by row (a query per foreign key and per row),
which at 100,000 rows takes minutes rather than seconds, and they keep no change log
to roll back from.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from apps.academics.models import Attendance, Course, Enrollment, Grade, Student
from apps.bulkio.columns import CellError, match_headers
from apps.bulkio.importing.resources import RESOURCES, ResourceSpec
from apps.bulkio.importing.values import safe_cell, unescape_formula


class ParsedWidget(widgets.Widget):
    """A cell read by the importer's parser for that column."""

    def __init__(self, parse, render=None, **kwargs):
        self.parse = parse
        self.render_value = render
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = "" if value is None else str(value)
        try:
            return self.parse(unescape_formula(text.strip()))
        except CellError as error:
            raise ValueError(str(error)) from None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        if self.render_value:
            return self.render_value(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return str(value)


class SpecResource(resources.ModelResource):
    """Columns, parsers and natural keys come from the importer's ``ResourceSpec``."""

    spec: ResourceSpec

    def before_import(self, dataset, **kwargs):
        positions, _ignored = match_headers(self.spec.name, list(dataset.headers or []))
        names = {index: name for name, index in positions.items()}
        dataset.headers = [names.get(i, header) for i, header in enumerate(dataset.headers)]
        return super().before_import(dataset, **kwargs)

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))

    @classmethod
    def spec_fields(cls, spec: ResourceSpec, links: dict[str, str]) -> dict[str, fields.Field]:
        declared = {}
        for column, parse in spec.parsers.items():
            if column in links:
                model = Student if column == "student_id" else Course
                declared[column] = fields.Field(
                    attribute=links[column],
                    column_name=column,
                    widget=widgets.ForeignKeyWidget(model, column),
                )
                continue
            declared[column] = fields.Field(
                attribute=column,
                column_name=column,
                widget=ParsedWidget(parse, spec.formatters.get(column)),
            )
        return declared


LINKS = {"student_id": "student", "course_code": "course"}


def _resource(name: str, model, key: tuple[str, ...], links: dict[str, str]):
    spec = RESOURCES[name]
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": tuple(spec.columns),
            "export_order": tuple(spec.columns),
            "import_id_fields": tuple(key),
            "clean_model_instances": True,
            "skip_unchanged": True,
            "report_skipped": True,
        },
    )
    attrs = {"Meta": meta, "spec": spec, **SpecResource.spec_fields(spec, links)}
    return type(f"{model.__name__}Resource", (SpecResource,), attrs)


StudentResource = _resource("students", Student, ("student_id",), {})
CourseResource = _resource("courses", Course, ("course_code",), {})
EnrollmentResource = _resource("enrollments", Enrollment, ("student_id", "course_code"), LINKS)
GradeResource = _resource("grades", Grade, ("student_id", "course_code", "assignment_name"), LINKS)
AttendanceResource = _resource(
    "attendance", Attendance, ("student_id", "course_code", "date", "period_number"), LINKS
)

RESOURCE_CLASSES = {
    "students": StudentResource,
    "courses": CourseResource,
    "enrollments": EnrollmentResource,
    "grades": GradeResource,
    "attendance": AttendanceResource,
}
