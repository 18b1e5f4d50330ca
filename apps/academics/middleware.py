"""Name where a request's writes come from, for the change hook (``changes.write_source``)."""

from apps.academics.changes import write_source


def _source_for(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


class WriteSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with write_source(_source_for(request.path)):
            return self.get_response(request)
