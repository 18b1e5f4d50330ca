"""Request parsers for the API (their own module: DRF imports them while building its
views, so they must not import ``rest_framework.views`` themselves)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, where a body nested deeper than Python's recursion limit (an
    attack, never a real payload) is a 400 like any other malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
