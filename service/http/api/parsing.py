"""How the API reads a request body: JSON (any `application/json` or `application/*+json`
type) or, where a view accepts it, a form post. Anything else is a 415, and JSON that Python
cannot hold (nested too deep, numbers of thousands of digits) a 400, never a 500."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, NoReturn

import flask
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser, abort

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_NOT_JSON = "Send the request body as JSON (Content-Type: application/json)."
_NOT_JSON_OR_FORM = (
    "Send the request body as JSON (Content-Type: application/json) or as a form "
    "(application/x-www-form-urlencoded)."
)
_NOT_UTF8 = "The request body is not valid JSON: it must be UTF-8 text."
_TOO_DEEP = "The request body is nested too deeply; send a flat JSON object."
_TOO_LONG_NUMBER = "The request body has a number with too many digits."


def _refuse(status: int, message: str) -> NoReturn:
    abort(status, message=message, messages={"json": [message]})


def _has_body(req: flask.Request) -> bool:
    return bool(req.get_data(cache=True))


class BodyParser(FlaskParser):
    """webargs' Flask parser, strict about what it takes for a body."""

    def _get_schema(self, argmap: Any, req: flask.Request) -> ma.Schema:
        # webargs makes a new instance of a schema class for each request, deep-copying its
        # fields (a tenth of a submission's parsing); ours keep no state between loads.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance_of(argmap)
        return super()._get_schema(argmap, req)

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        # Without a body there is nothing to refuse: optional bodies (a decision's note)
        # may be left out, and required fields then say what is missing.
        if not core.is_json(req.mimetype):
            if _has_body(req):
                _refuse(415, _NOT_JSON)
            return core.missing
        return super().load_json(req, schema)

    def load_json_or_form(self, req: flask.Request, schema: ma.Schema) -> Any:
        if req.mimetype in FORM_TYPES:
            return self.load_form(req, schema)
        if not core.is_json(req.mimetype) and _has_body(req):
            _refuse(415, _NOT_JSON_OR_FORM)
        return self.load_json(req, schema)

    def _raw_load_json(self, req: flask.Request) -> Any:
        try:
            return core.parse_json(req.get_data(cache=True))
        except json.JSONDecodeError:
            raise
        except RecursionError:
            # Python's parser recurses per level: a 1 KB body of brackets exhausts the stack.
            _refuse(400, _TOO_DEEP)
        except ValueError:
            # int() refuses more than sys.get_int_max_str_digits() digits (4,300).
            _refuse(400, _TOO_LONG_NUMBER)

    def _handle_invalid_json_error(
        self, error: Any, req: flask.Request, *args: Any, **kw: Any
    ) -> NoReturn:
        if isinstance(error.__cause__, UnicodeDecodeError):
            _refuse(400, _NOT_UTF8)
        _refuse(400, "The request body is not valid JSON.")


@cache
def _instance_of(schema_class: type[ma.Schema]) -> ma.Schema:
    return schema_class()


parser = BodyParser()
