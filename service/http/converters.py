"""URL converters: article keys and ids, with how the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, PathConverter

from service.models import MAX_ID


class ArticleKeyConverter(PathConverter):
    """An article key in a URL: like `path`, but it may start with a slash, because sites
    often use the page path ("/2024/05/hello/") as the key."""

    regex = ".+?"
    part_isolating = False


def article_key_schema(_converter: ArticleKeyConverter) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": 255}


class IdConverter(IntegerConverter):
    """`int` in every URL: an id, at most the largest one the database stores, so a larger
    number is a 404 like any missing id rather than an overflow in the database driver."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_schema(_converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
