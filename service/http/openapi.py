"""flask-smorest glue: the API object (errors in our shape), created unbound like the other
extensions, and a Blueprint that documents bodies accepted as JSON or as a form."""

from __future__ import annotations

from typing import Any

import flask_smorest
from werkzeug.exceptions import HTTPException

from service.http.api.parsing import parser
from service.http.errors import http_exception_response


class CommentdeskApi(flask_smorest.Api):
    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_response(error)


api = CommentdeskApi()


class Blueprint(flask_smorest.Blueprint):
    # Bodies are read by our parser: what it refuses (400, 415) is documented with them.
    ARGUMENTS_PARSER = parser
    # "json_or_form" is parsed by webargs; document it as a JSON request body (the form
    # variant is added per view with `form_body_doc`).
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "json_or_form": "application/json",
    }

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        decorate = super().arguments(schema, location=location, **kwargs)
        if location not in BODY_REFUSALS_BY_LOCATION:
            return decorate

        def documented(view: Any) -> Any:
            wrapper = decorate(view)
            wrapper._apidoc["arguments"]["responses"].update(BODY_REFUSALS_BY_LOCATION[location])
            return wrapper

        return documented


_BODY_REFUSALS = {400: "BAD_REQUEST", 415: "UNSUPPORTED_MEDIA_TYPE"}
BODY_REFUSALS_BY_LOCATION = {"json": _BODY_REFUSALS, "json_or_form": _BODY_REFUSALS}


def form_body_doc(schema_name: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema_name}"}
    return {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": ref}}}}
